import VLogSupport

/// Named Mustache templates (partials and parents are looked up by name) rendered to bytes.
///
/// Rendering walks the parsed nodes with a stack of typed values: no reflection, no dynamic
/// casts, output appended to one byte buffer. The library is immutable once loaded and can render
/// on many threads at once.
public final class TemplateLibrary: @unchecked Sendable {
    private var templates: [String: [TemplateNode]] = [:]
    private var sources: [String: String] = [:]
    /// Standalone partials and parents indent every line; their indented parses are made on first use.
    private let indented = LockedBox<[String: [TemplateNode]]>([:])
    /// Deeper than this is a partial or block including itself without end.
    static let maxDepth = 200

    public init() {}

    /// Adds (or replaces) a template; throws `TemplateError` when it does not parse.
    public func register(_ source: String, named name: String) throws {
        templates[name] = try TemplateParser.parse(source)
        sources[name] = source
    }

    public func has(_ name: String) -> Bool { templates[name] != nil }

    public func render(_ name: String, _ context: TemplateValue) throws -> [UInt8] {
        guard let nodes = templates[name] else { throw TemplateError(message: "no template named \(name)", line: 0) }
        var out: [UInt8] = []
        out.reserveCapacity(16384)
        var stack = [context]
        try render(nodes, &stack, [:], into: &out, depth: 0)
        return out
    }

    private func render(
        _ nodes: [TemplateNode], _ stack: inout [TemplateValue], _ blocks: [String: [TemplateNode]],
        into out: inout [UInt8], depth: Int
    ) throws {
        guard depth < Self.maxDepth else {
            throw TemplateError(
                message: "partials or blocks nest more than \(Self.maxDepth) deep (a template includes itself?)",
                line: 0)
        }
        for node in nodes {
            switch node {
            case .text(let bytes):
                out.append(contentsOf: bytes)
            case .variable(let path, let escaped):
                Self.write(Self.lookup(path, stack), escaped: escaped, into: &out)
            case .section(let path, let body, let inverted):
                let value = Self.lookup(path, stack)
                if inverted {
                    if value.isFalsey { try render(body, &stack, blocks, into: &out, depth: depth + 1) }
                    continue
                }
                switch value {
                case .list(let items):
                    for item in items {
                        stack.append(item)
                        try render(body, &stack, blocks, into: &out, depth: depth + 1)
                        stack.removeLast()
                    }
                case .bool(true):
                    try render(body, &stack, blocks, into: &out, depth: depth + 1)
                case _ where value.isFalsey:
                    break
                default:
                    stack.append(value)
                    try render(body, &stack, blocks, into: &out, depth: depth + 1)
                    stack.removeLast()
                }
            case .partial(let name, let indent):
                // A missing partial renders as nothing (the Mustache spec's rule).
                if let nodes = template(name, indent: indent) {
                    try render(nodes, &stack, blocks, into: &out, depth: depth + 1)
                }
            case .parent(let name, let indent, let own):
                guard let nodes = template(name, indent: indent) else { continue }
                // The outermost (most derived) template's overrides win.
                try render(nodes, &stack, own.merging(blocks) { _, outer in outer }, into: &out, depth: depth + 1)
            case .block(let name, let body):
                try render(blocks[name] ?? body, &stack, blocks, into: &out, depth: depth + 1)
            }
        }
    }

    private func template(_ name: String, indent: String) -> [TemplateNode]? {
        if indent.isEmpty { return templates[name] }
        let key = name + "\u{0}" + indent
        if let cached = indented.withLock({ $0[key] }) { return cached }
        guard let source = sources[name] else { return nil }
        // Every line of the source gets the indent (a trailing newline does not start a new line).
        var text = ""
        var atLineStart = true
        for ch in source {
            if atLineStart {
                text += indent
                atLineStart = false
            }
            text.append(ch)
            if ch == "\n" || ch == "\r\n" { atLineStart = true }
        }
        guard let nodes = try? TemplateParser.parse(text) else { return templates[name] }
        indented.withLock { $0[key] = nodes }
        return nodes
    }

    /// The first part of a dotted name is looked up from the innermost context outwards; the rest
    /// only inside what it found.
    private static func lookup(_ path: [String], _ stack: [TemplateValue]) -> TemplateValue {
        guard let first = path.first else { return stack.last ?? .null }
        var found: TemplateValue?
        for value in stack.reversed() {
            if let v = field(first, of: value) {
                found = v
                break
            }
        }
        guard var value = found else { return .null }
        for part in path.dropFirst() {
            guard let v = field(part, of: value) else { return .null }
            value = v
        }
        return value
    }

    private static func field(_ key: String, of value: TemplateValue) -> TemplateValue? {
        switch value {
        case .object(let o): o[key]
        case .record(let r): r[key]
        default: nil
        }
    }

    private static func write(_ value: TemplateValue, escaped: Bool, into out: inout [UInt8]) {
        switch value {
        case .string(let s): if escaped { HTML.appendEscaped(s, to: &out) } else { out.append(contentsOf: s.utf8) }
        case .int(let n): out.append(contentsOf: String(n).utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .null, .list, .object, .record: break
        }
    }
}
