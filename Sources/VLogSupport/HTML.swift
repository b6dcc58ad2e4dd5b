import Foundation

/// Escaping for HTML, XML and JSON inside <script>.
public enum HTML {
    public static func escape(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 16)
        appendEscaped(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Escapes `& < > " '` straight into a byte buffer (templates render into one).
    public static func appendEscaped(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { bytes in
            var runStart = 0
            for i in 0..<bytes.count {
                let rep: StaticString
                switch bytes[i] {
                case UInt8(ascii: "&"): rep = "&amp;"
                case UInt8(ascii: "<"): rep = "&lt;"
                case UInt8(ascii: ">"): rep = "&gt;"
                case UInt8(ascii: "\""): rep = "&quot;"
                case UInt8(ascii: "'"): rep = "&#39;"
                // Characters XML 1.0 forbids (C0 controls but tab, LF, CR; U+FFFE, U+FFFF) are
                // dropped, so a stray control character can never make a feed ill-formed.
                case 0..<9, 11, 12, 14..<32: rep = ""
                case 0xEF where i + 2 < bytes.count && bytes[i + 1] == 0xBF && bytes[i + 2] >= 0xBE:
                    if i > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
                    runStart = i + 3
                    continue
                default: continue
                }
                if i > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
                out.append(contentsOf: UnsafeBufferPointer(start: rep.utf8Start, count: rep.utf8CodeUnitCount))
                runStart = i + 1
            }
            if bytes.count > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
        }
    }

    public static func unescape(_ s: String) -> String {
        guard s.contains("&") else { return s }
        let entities: [(String, String)] = [
            ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&"),
        ]
        var out = ""
        var rest = Substring(s)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            rest = rest[amp...]
            if let (entity, char) = entities.first(where: { rest.hasPrefix($0.0) }) {
                out += char
                rest = rest.dropFirst(entity.count)
            } else {
                out += "&"
                rest = rest.dropFirst()
            }
        }
        return out + rest
    }

    /// JSON for a <script type="application/ld+json"> block: keys sorted; `<`, `>` and `&` as \u
    /// escapes so nothing in the data can close the script element. Values: String, Int, Double,
    /// Bool, [String] (what JSON-LD metadata needs; much faster than JSONSerialization).
    public static func scriptJSON(_ object: [String: Any]) -> String {
        var out = "{"
        for (i, key) in object.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            jsonString(key, into: &out)
            out += ":"
            switch object[key] {
            case let v as String: jsonString(v, into: &out)
            case let v as Int: out += String(v)
            case let v as Double: out += v.isFinite ? String(v) : "null"
            case let v as Bool: out += v ? "true" : "false"
            case let v as [String]:
                out += "["
                for (j, e) in v.enumerated() {
                    if j > 0 { out += "," }
                    jsonString(e, into: &out)
                }
                out += "]"
            case let v as [[String: Any]]:
                out += "[" + v.map(scriptJSON).joined(separator: ",") + "]"
            case let v as [String: Any]: out += scriptJSON(v)
            default: out += "null"
            }
        }
        return out + "}"
    }

    public static func jsonString(_ s: String, into out: inout String) {
        out += "\""
        // Most strings need no escape at all.
        // (A loop over the string's buffer: the UTF8View's `allSatisfy` cost 3x, on a transcript in
        // every video page's JSON-LD.)
        func plain(_ b: UInt8) -> Bool {
            b >= 0x20 && b < 0x80 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") && b != UInt8(ascii: "<")
                && b != UInt8(ascii: ">") && b != UInt8(ascii: "&")
        }
        if s.utf8.withContiguousStorageIfAvailable({ $0.allSatisfy(plain) }) ?? s.utf8.allSatisfy(plain) {
            out += s
            out += "\""
            return
        }
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        out += "\""
    }
}
