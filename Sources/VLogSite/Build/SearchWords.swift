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
        // unicodeScalars cost twice as much on bench/search's transcripts.
        let done: Bool? = text.utf8.withContiguousStorageIfAvailable { u in
            var i = 0
            while i < u.count {
                let b = u[i]
                if b < 0x80 {
                    ascii(b, &word, &sink)
                    i += 1
                    continue
                }
                let n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
                var v = UInt32(b) & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07)
                for k in 1..<n where i + k < u.count { v = v << 6 | UInt32(u[i + k] & 0x3F) }
                i += n
                fold(Unicode.Scalar(v) ?? " ", &word, &sink)
            }
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
