import Foundation

/// One piece of a parsed Mustache template.
indirect enum TemplateNode: Sendable {
    case text([UInt8])
    /// `{{name}}` (escaped) or `{{{name}}}` / `{{& name}}`. An empty path is `{{.}}`.
    case variable([String], escaped: Bool)
    /// `{{#name}}…{{/name}}`, or `{{^name}}…{{/name}}` when inverted.
    case section([String], [TemplateNode], inverted: Bool)
    /// `{{> name}}`; a standalone tag indents every line of the partial.
    case partial(String, indent: String)
    /// `{{< name}}{{$block}}…{{/block}}{{/name}}`: renders `name` with these blocks overridden.
    case parent(String, indent: String, blocks: [String: [TemplateNode]])
    /// `{{$name}}default{{/name}}`: a block a child template may override.
    case block(String, [TemplateNode])
}

/// A template that cannot be parsed: what is wrong and on which line.
public struct TemplateError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let line: Int
    public var description: String { "line \(line): \(message)" }
}

/// Parses the Mustache spec's syntax: variables, sections, inverted sections, comments, partials,
/// set delimiters and inheritance (parents and blocks), with its standalone-line rules (a line
/// holding only a section, comment or partial tag leaves no blank line behind).
struct TemplateParser {
    private let src: [UInt8]
    private var open = Array("{{".utf8)
    private var close = Array("}}".utf8)

    static func parse(_ text: String) throws -> [TemplateNode] {
        var p = TemplateParser(src: Array(text.utf8))
        return try p.parse()
    }

    private init(src: [UInt8]) { self.src = src }

    /// A section, inverted section, block or parent whose closing tag is still to come.
    private struct Open {
        var sigil: UInt8, name: String, indent: String, at: Int
        var nodes: [TemplateNode] = []
        var tag: String { sigil == 0 ? "" : "{{\(Character(UnicodeScalar(sigil)))\(name)}}" }
    }

    private static let sigils = Set("#^/<>$!={&".utf8)
    /// Tags that may stand alone on a line (and then take the line with them).
    private static let standaloneSigils = Set("#^/<>$!=".utf8)

    private mutating func parse() throws -> [TemplateNode] {
        var stack = [Open(sigil: 0, name: "", indent: "", at: 0)]
        var pos = 0  // start of the text not yet added
        func add(_ node: TemplateNode) { stack[stack.count - 1].nodes.append(node) }
        while let tagStart = find(open, from: pos) {
            var p = tagStart + open.count
            var sigil: UInt8 = 0
            if p < src.count, Self.sigils.contains(src[p]) {
                sigil = src[p]
                p += 1
            }
            let closer =
                sigil == UInt8(ascii: "{")
                ? [UInt8(ascii: "}")] + close
                : sigil == UInt8(ascii: "=") ? [UInt8(ascii: "=")] + close : close
            guard let contentEnd = find(closer, from: p) else {
                throw error("a tag is opened but never closed", at: tagStart)
            }
            let content = String(decoding: src[p..<contentEnd], as: UTF8.self).trimmingCharacters(
                in: .whitespacesAndNewlines)
            let tagEnd = contentEnd + closer.count

            var textEnd = tagStart
            var next = tagEnd
            var indent = ""
            if Self.standaloneSigils.contains(sigil),
                let (lineStart, lineEnd) = standalone(textStart: pos, tagStart, tagEnd)
            {
                indent = String(decoding: src[lineStart..<tagStart], as: UTF8.self)
                textEnd = lineStart
                next = lineEnd
            }
            if textEnd > pos { add(.text(Array(src[pos..<textEnd]))) }
            pos = next

            switch sigil {
            case UInt8(ascii: "!"): break
            case UInt8(ascii: "="):
                let parts = content.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard parts.count == 2, !parts.contains(where: { $0.contains("=") }) else {
                    throw error("set delimiters as {{=<% %>=}}: two delimiters without '='", at: tagStart)
                }
                open = Array(parts[0].utf8)
                close = Array(parts[1].utf8)
            case UInt8(ascii: ">"):
                try checkName(content, at: tagStart)
                add(.partial(content, indent: indent))
            case UInt8(ascii: "#"), UInt8(ascii: "^"), UInt8(ascii: "$"), UInt8(ascii: "<"):
                try checkName(content, at: tagStart)
                stack.append(Open(sigil: sigil, name: content, indent: indent, at: tagStart))
            case UInt8(ascii: "/"):
                guard stack.count > 1, let top = stack.last, top.name == content else {
                    let still = stack.count > 1 ? " (\(stack[stack.count - 1].tag) is still open)" : ""
                    throw error("{{/\(content)}} closes nothing\(still)", at: tagStart)
                }
                stack.removeLast()
                switch top.sigil {
                case UInt8(ascii: "$"): add(.block(top.name, top.nodes))
                case UInt8(ascii: "<"):
                    var blocks: [String: [TemplateNode]] = [:]
                    for case .block(let name, let body) in top.nodes { blocks[name] = body }
                    add(.parent(top.name, indent: top.indent, blocks: blocks))
                default:
                    add(.section(try path(top.name, at: top.at), top.nodes, inverted: top.sigil == UInt8(ascii: "^")))
                }
            default:
                add(.variable(try path(content, at: tagStart), escaped: sigil == 0))
            }
        }
        if pos < src.count { add(.text(Array(src[pos...]))) }
        if stack.count > 1, let unclosed = stack.last {
            throw error("\(unclosed.tag) is never closed", at: unclosed.at)
        }
        return stack[0].nodes
    }

    /// When the tag is alone on its line (only spaces or tabs around it), the line's start and the
    /// position after its end of line.
    private func standalone(textStart: Int, _ tagStart: Int, _ tagEnd: Int) -> (Int, Int)? {
        func blank(_ c: UInt8) -> Bool { c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") }
        var start = tagStart
        while start > textStart, blank(src[start - 1]) { start -= 1 }
        guard start == 0 || src[start - 1] == UInt8(ascii: "\n") else { return nil }
        var end = tagEnd
        while end < src.count, blank(src[end]) { end += 1 }
        if end == src.count { return (start, end) }
        if src[end] == UInt8(ascii: "\n") { return (start, end + 1) }
        if src[end] == UInt8(ascii: "\r"), end + 1 < src.count, src[end + 1] == UInt8(ascii: "\n") {
            return (start, end + 2)
        }
        return nil
    }

    private func find(_ needle: [UInt8], from: Int) -> Int? {
        guard let first = needle.first, needle.count <= src.count else { return nil }
        var i = from
        while i + needle.count <= src.count {
            if src[i] == first, src[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    private func checkName(_ name: String, at: Int) throws {
        if name.isEmpty { throw error("a tag needs a name", at: at) }
    }

    /// `a.b.c` -> ["a", "b", "c"]; `.` -> [].
    private func path(_ name: String, at: Int) throws -> [String] {
        if name == "." { return [] }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !name.isEmpty, !parts.contains(where: \.isEmpty) else {
            throw error("'\(name)' is not a valid name", at: at)
        }
        return parts
    }

    private func error(_ message: String, at offset: Int) -> TemplateError {
        TemplateError(
            message: message, line: 1 + src[..<min(offset, src.count)].lazy.filter { $0 == UInt8(ascii: "\n") }.count)
    }
}
