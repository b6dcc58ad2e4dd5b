/// The data a template renders: typed, so rendering needs no dynamic casts.
///
/// Falsey (a section is skipped, an inverted section shown): `null`, `false`, `0`, `""` and `[]`,
/// as in mustache.js. Everything else is truthy; lists repeat a section once per item.
public enum TemplateValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case list([TemplateValue])
    case object([String: TemplateValue])
    /// An object of a few fields whose keys many share (the rows of a long list).
    case record(TemplateRecord)

    var isFalsey: Bool {
        switch self {
        case .null: true
        case .bool(let b): !b
        case .int(let n): n == 0
        case .string(let s): s.isEmpty
        case .list(let l): l.isEmpty
        case .object, .record: false
        }
    }
}

/// A row of a long list (a transcript's cues): its keys shared by every row, found by comparing
/// them, not hashing. A video page's transcript of 100 cues made as dictionaries, then looked up
/// by key, was a tenth of bench/search's build.
public struct TemplateRecord: Sendable {
    public let keys: [String]
    public let values: [TemplateValue]

    /// `keys` and `values` in the same order, one value per key.
    public init(keys: [String], values: [TemplateValue]) {
        precondition(keys.count == values.count, "a record needs one value per key")
        self.keys = keys
        self.values = values
    }

    public subscript(key: String) -> TemplateValue? {
        for i in keys.indices where keys[i] == key { return values[i] }
        return nil
    }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral s: String) { self = .string(s) }
    public init(integerLiteral n: Int) { self = .int(n) }
    public init(booleanLiteral b: Bool) { self = .bool(b) }
    public init(arrayLiteral items: TemplateValue...) { self = .list(items) }
    public init(nilLiteral: ()) { self = .null }
    public init(dictionaryLiteral pairs: (String, TemplateValue)...) {
        self = .object(Dictionary(pairs, uniquingKeysWith: { _, new in new }))
    }
}
