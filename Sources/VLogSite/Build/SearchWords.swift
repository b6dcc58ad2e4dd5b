import Foundation

/// The words search matches, split and folded exactly as `assets/search.js` folds a query:
/// lowercased, accents taken off (NFD, then U+0300-U+036F dropped), and cut at anything that is not
/// a letter or a number (`[^\p{L}\p{N}]+`). Hand-written rather than `lowercased()` and
/// `split(whereSeparator: isLetter)`: on bench/search's site (9 million words of transcripts) the
/// Character properties took a third of the build; this walks UTF-8 with an ASCII fast path.
enum SearchWords {
    /// Gives `sink` each word of `text`, as UTF-8 bytes (valid only during the call). `word` is
    /// scratch space, kept by the caller between calls.
    ///
    /// No closure holds a mutable variable here (state goes by `inout`): captured variables cost a
    /// dynamic exclusivity check per byte, a tenth of the build with transcripts.
    static func each<S: SearchWordSink>(_ text: String, word: inout [UInt8], into sink: inout S) {
        // The bytes of a native string, decoded here (a String's UTF-8 is valid): iterating its
        // unicodeScalars cost twice as much on bench/search's transcripts. A word of lowercase
        // ASCII letters and digits goes to `sink` straight from the text (`start` is where it
        // began); `word` holds one being folded.
        let done: Bool? = text.utf8.withContiguousStorageIfAvailable { u in
            var start = -1
            var upper = false
            var i = 0
            while i < u.count {
                let b = u[i]
                if b < 0x80 {
                    let up = b &- 0x41 < 26
                    if up || b &- 0x61 < 26 || b &- 0x30 < 10 {
                        if start < 0 && word.isEmpty {
                            start = i
                            upper = false
                        }
                        if start >= 0 { upper = upper || up } else { word.append(up ? b + 0x20 : b) }
                    } else if start >= 0 {
                        emit(u, start..<i, upper, &word, &sink)
                        start = -1
                    } else {
                        flush(&word, &sink)
                    }
                    i += 1
                    continue
                }
                if start >= 0 {
                    for c in u[start..<i] { word.append(c &- 0x41 < 26 ? c + 0x20 : c) }
                    start = -1
                }
                let n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
                var v = UInt32(b) & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07)
                for k in 1..<n where i + k < u.count { v = v << 6 | UInt32(u[i + k] & 0x3F) }
                i += n
                fold(Unicode.Scalar(v) ?? " ", &word, &sink)
            }
            if start >= 0 { emit(u, start..<u.count, upper, &word, &sink) }
            return true
        }
        if done == nil {
            for s in text.unicodeScalars {
                if s.value < 0x80 { ascii(UInt8(s.value), &word, &sink) } else { fold(s, &word, &sink) }
            }
        }
        flush(&word, &sink)
    }

    @inline(__always)
    private static func ascii<S: SearchWordSink>(_ v: UInt8, _ word: inout [UInt8], _ sink: inout S) {
        switch v {
        case 0x61...0x7A, 0x30...0x39: word.append(v)
        case 0x41...0x5A: word.append(v + 0x20)
        default: flush(&word, &sink)
        }
    }

    /// Outside ASCII: lowercase, decompose, drop the combining accents, keep letters and numbers.
    private static func fold<S: SearchWordSink>(_ s: Unicode.Scalar, _ word: inout [UInt8], _ sink: inout S) {
        let folded = String(s).lowercased().decomposedStringWithCanonicalMapping
        for f in folded.unicodeScalars {
            if (0x300...0x36F).contains(f.value) { continue }
            if isLetterOrNumber(f) { word.append(contentsOf: String(f).utf8) } else { flush(&word, &sink) }
        }
    }

    /// An ASCII word of the text: as it is, or lowercased through `word`.
    @inline(__always)
    private static func emit<S: SearchWordSink>(
        _ u: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ upper: Bool, _ word: inout [UInt8], _ sink: inout S
    ) {
        if !upper { return sink.take(UnsafeBufferPointer(rebasing: u[r])) }
        for c in u[r] { word.append(c &- 0x41 < 26 ? c + 0x20 : c) }
        flush(&word, &sink)
    }

    @inline(__always)
    private static func flush<S: SearchWordSink>(_ word: inout [UInt8], _ sink: inout S) {
        if !word.isEmpty {
            word.withUnsafeBufferPointer { sink.take($0) }
            word.removeAll(keepingCapacity: true)
        }
    }

    static func isLetterOrNumber(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber,
            .letterNumber, .otherNumber:
            return true
        default: return false
        }
    }

    /// The words of `text` as strings, in order (tests and small inputs).
    static func list(_ text: String) -> [String] {
        struct Strings: SearchWordSink {
            var list: [String] = []
            mutating func take(_ word: UnsafeBufferPointer<UInt8>) {
                list.append(String(decoding: word, as: UTF8.self))
            }
        }
        var out = Strings()
        var word: [UInt8] = []
        each(text, word: &word, into: &out)
        return out.list
    }
}

/// What `SearchWords.each` gives words to.
protocol SearchWordSink {
    mutating func take(_ word: UnsafeBufferPointer<UInt8>)
}
