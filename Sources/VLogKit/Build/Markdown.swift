import CCmark
import Foundation

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
        var inTag = false
        var pendingSpace = false
        var nameDone = false
        var tagName: [UInt8] = []
        for b in html.utf8 {
            switch b {
            case UInt8(ascii: "<"):
                inTag = true
                nameDone = false
                tagName.removeAll(keepingCapacity: true)
            case UInt8(ascii: ">") where inTag:
                inTag = false
                if !inlineTags.contains(tagName) { pendingSpace = true }
            case _ where inTag:
                // The tag's name: the letters and digits after `<` or `</`.
                guard !nameDone else { break }
                let isNameByte = (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
                if isNameByte {
                    tagName.append(b | 0x20)
                } else if !(b == UInt8(ascii: "/") && tagName.isEmpty) {
                    nameDone = true
                }
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
