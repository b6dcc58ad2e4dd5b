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
        var text = ""
        var inTag = false
        for ch in html(markdown) {
            if ch == "<" { inTag = true; continue }
            if ch == ">" { inTag = false; text.append(" "); continue }
            if !inTag { text.append(ch) }
        }
        let collapsed = HTML.unescape(text).split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        return collapsed.count > limit ? String(collapsed.prefix(limit - 1)) + "…" : collapsed
    }
}

import Foundation

/// Escaping for HTML, XML and JSON inside <script>.
public enum HTML {
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    public static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// JSON for a <script type="application/ld+json"> block: `<`, `>` and `&` as \u escapes so
    /// nothing in the data can close the script element.
    public static func scriptJSON(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
            .replacingOccurrences(of: ">", with: "\\u003e").replacingOccurrences(of: "&", with: "\\u0026")
    }
}
