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

    var isFalsey: Bool {
        switch self {
        case .null: true
        case .bool(let b): !b
        case .int(let n): n == 0
        case .string(let s): s.isEmpty
        case .list(let l): l.isEmpty
        case .object: false
        }
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
