import CCmark

/// Markdown to HTML with libcmark in safe mode: raw HTML is dropped and `javascript:`,
/// `vbscript:`, `file:` and non-image `data:` links are emptied.
public enum Markdown {
    public static func html(_ markdown: String) -> String {
        let options = CMARK_OPT_SAFE | CMARK_OPT_SMART | CMARK_OPT_VALIDATE_UTF8
        let len = markdown.utf8.count
        guard let out = cmark_markdown_to_html(markdown, len, options) else { return "" }
        defer { free(out) }
        return String(cString: out)
    }

    /// Plain text of a markdown snippet, for meta descriptions and feeds.
    public static func plainText(_ markdown: String, limit: Int = 200) -> String {
        plainText(html: html(markdown), limit: limit)
    }

    /// Plain text of already rendered HTML: tags dropped (a block tag such as `</p>` or `<li>`
    /// counts as a space, an inline one such as `<em>` as nothing, so "*topic* 1." stays
    /// "topic 1."), entities decoded, whitespace collapsed, cut at `limit` characters.
    public static func plainText(html: String, limit: Int = 200) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(html.utf8.count)
        var inTag = false, pendingSpace = false, nameDone = false
        var tagName: [UInt8] = []
        for b in html.utf8 {
            switch b {
            case UInt8(ascii: "<"): inTag = true; nameDone = false; tagName.removeAll(keepingCapacity: true)
            case UInt8(ascii: ">") where inTag:
                inTag = false
                if !inlineTags.contains(tagName) { pendingSpace = true }
            case _ where inTag:
                // The tag's name: the letters and digits after `<` or `</`.
                guard !nameDone else { break }
                let isNameByte = (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
                if isNameByte { tagName.append(b | 0x20) } else if !(b == UInt8(ascii: "/") && tagName.isEmpty) { nameDone = true }
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r"): pendingSpace = true
            default:
                if pendingSpace && !bytes.isEmpty { bytes.append(UInt8(ascii: " ")) }
                pendingSpace = false
                bytes.append(b)
            }
        }
        let text = HTML.unescape(String(decoding: bytes, as: UTF8.self))
        return text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
    }

    /// Tags that sit inside a line of text (lowercase names).
    private static let inlineTags: Set<[UInt8]> = Set(
        ["a", "em", "strong", "code", "span", "del", "s", "sup", "sub", "b", "i", "u", "mark", "small", "abbr", "kbd"]
            .map { Array($0.utf8) })
}

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
    static func appendEscaped(_ s: String, to out: inout [UInt8]) {
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
        let entities: [(String, String)] = [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")]
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
                for (j, e) in v.enumerated() { if j > 0 { out += "," }; jsonString(e, into: &out) }
                out += "]"
            default: out += "null"
            }
        }
        return out + "}"
    }

    static func jsonString(_ s: String, into out: inout String) {
        out += "\""
        // Most strings need no escape at all.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x80 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\")
            && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") && $0 != UInt8(ascii: "&") }) {
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
