import Foundation

/// The words search matches, split and folded exactly as `assets/search.js` folds a query:
/// lowercased, accents taken off (NFD, then U+0300-U+036F dropped), and cut at anything that is not
/// a letter or a number (`[^\p{L}\p{N}]+`). Hand-written rather than `lowercased()` and
/// `split(whereSeparator: isLetter)`: on bench/search's site (9 million words of transcripts) the
/// Character properties took a third of the build; this walks UTF-8 with an ASCII fast path.
enum SearchWords {
    /// Calls `body` with each word of `text`, as UTF-8 bytes (valid only during the call).
    static func each(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var word: [UInt8] = []
        word.reserveCapacity(32)
        func flush() {
            if !word.isEmpty {
                word.withUnsafeBufferPointer(body)
                word.removeAll(keepingCapacity: true)
            }
        }
        for s in text.unicodeScalars {
            let v = s.value
            if v < 0x80 {
                switch v {
                case 0x61...0x7A, 0x30...0x39: word.append(UInt8(v))
                case 0x41...0x5A: word.append(UInt8(v + 0x20))
                default: flush()
                }
                continue
            }
            // Outside ASCII: lowercase, decompose, drop the combining accents, keep letters and numbers.
            let folded = String(s).lowercased().decomposedStringWithCanonicalMapping
            for f in folded.unicodeScalars {
                if (0x300...0x36F).contains(f.value) { continue }
                if isLetterOrNumber(f) { word.append(contentsOf: String(f).utf8) } else { flush() }
            }
        }
        flush()
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
        var out: [String] = []
        each(text) { out.append(String(decoding: $0, as: UTF8.self)) }
        return out
    }
}
