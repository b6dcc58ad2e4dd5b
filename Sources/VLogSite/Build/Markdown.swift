import CCmarkGFM
import Foundation
import VLogSupport

/// GitHub-flavoured Markdown to HTML with libcmark-gfm (tables, strikethrough, autolinks, task
/// lists) in safe mode: raw HTML is dropped and `javascript:`, `vbscript:`, `file:` and non-image
/// `data:` links are emptied. Headings are shifted so the description's top level is `<h2>`,
/// below the page's own `<h1>`.
public enum Markdown {
    static let extensions = ["table", "strikethrough", "autolink", "tasklist"]
    static let registered: Bool = {
        cmark_gfm_core_extensions_ensure_registered()
        return true
    }()

    /// `base`: an absolute URL against which relative links and images are resolved (feeds, read
    /// away from the page).
    /// The libcmark-gfm vlog runs on, e.g. "0.29.0.gfm.6".
    public static var libraryVersion: String { String(cString: cmark_version_string()) }

    public static func html(_ markdown: String, topHeading: Int32 = 2, base: URL? = nil) -> String {
        _ = registered
        let options = CMARK_OPT_SAFE | CMARK_OPT_SMART | CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_GITHUB_PRE_LANG
        guard let parser = cmark_parser_new(options) else { return "" }
        defer { cmark_parser_free(parser) }
        for name in extensions {
            if let ext = cmark_find_syntax_extension(name) { cmark_parser_attach_syntax_extension(parser, ext) }
        }
        cmark_parser_feed(parser, markdown, markdown.utf8.count)
        guard let doc = cmark_parser_finish(parser) else { return "" }
        defer { cmark_node_free(doc) }
        shiftHeadings(doc, top: topHeading)
        if let base { absolutize(doc, base: base) }
        guard let out = cmark_render_html(doc, options, cmark_parser_get_syntax_extensions(parser)) else { return "" }
        defer { free(out) }
        return String(cString: out)
    }

    /// Makes every relative link and image URL absolute against `base`.
    static func absolutize(_ doc: OpaquePointer, base: URL) {
        guard let it = cmark_iter_new(doc) else { return }
        defer { cmark_iter_free(it) }
        while case let ev = cmark_iter_next(it), ev != CMARK_EVENT_DONE {
            guard ev == CMARK_EVENT_ENTER, let n = cmark_iter_get_node(it) else { continue }
            let type = cmark_node_get_type(n)
            guard type == CMARK_NODE_LINK || type == CMARK_NODE_IMAGE, let raw = cmark_node_get_url(n) else { continue }
            let url = String(cString: raw)
            guard !url.isEmpty, URL(string: url)?.scheme == nil, let abs = URL(string: url, relativeTo: base) else {
                continue
            }
            cmark_node_set_url(n, abs.absoluteString)
        }
    }

    /// Moves every heading down so the highest one is `top` (at most `<h6>`).
    static func shiftHeadings(_ doc: OpaquePointer, top: Int32) {
        var headings: [OpaquePointer] = []
        guard let it = cmark_iter_new(doc) else { return }
        defer { cmark_iter_free(it) }
        while case let ev = cmark_iter_next(it), ev != CMARK_EVENT_DONE {
            if ev == CMARK_EVENT_ENTER, let n = cmark_iter_get_node(it), cmark_node_get_type(n) == CMARK_NODE_HEADING {
                headings.append(n)
            }
        }
        guard let highest = headings.map({ cmark_node_get_heading_level($0) }).min(), highest < top else { return }
        for n in headings { cmark_node_set_heading_level(n, min(6, cmark_node_get_heading_level(n) + top - highest)) }
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
