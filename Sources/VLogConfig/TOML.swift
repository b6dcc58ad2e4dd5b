import Foundation
internal import TOMLKit

/// vlog.toml through TOMLKit (toml++, a complete TOML 1.0 parser), turned into vlog's own
/// `TOMLValue` so the configuration code does not depend on the library's types. Dates and times
/// are kept as their TOML text; a parse error keeps toml++'s message and line.
public enum TOMLParser {
    public static func parse(_ text: String) throws -> [String: TOMLValue] {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let e as TOMLParseError {
            throw TOMLError(line: e.source.begin.line, message: e.description)
        }
        return convert(table)
    }

    static func convert(_ table: TOMLTable) -> [String: TOMLValue] {
        var out: [String: TOMLValue] = [:]
        for (key, value) in table { out[key] = convert(value) }
        return out
    }

    static func convert(_ v: TOMLValueConvertible) -> TOMLValue {
        switch v.type {
        case .table: return .table(v.table.map(convert) ?? [:])
        case .array: return .array(v.array.map { $0.map(convert) } ?? [])
        case .string: return .string(v.string ?? "")
        case .int: return .int(v.int ?? 0)
        case .double: return .double(v.double ?? 0)
        case .bool: return .bool(v.bool ?? false)
        case .date, .time, .dateTime: return .string(v.tomlValue.debugDescription)
        }
    }
}
