import Foundation

/// A TOML reader for site configuration files.
///
/// Covers the TOML that configuration uses: comments, bare/quoted/dotted keys, `[tables]`,
/// `[[arrays of tables]]`, basic/literal/multi-line strings, integers, floats, booleans, arrays
/// (multi-line, trailing commas) and inline tables. Dates are read as strings. Errors carry the
/// line number. Parsed by TOMLKit (see TOML.swift).
public indirect enum TOMLValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case array([TOMLValue])
    case table([String: TOMLValue])

    public subscript(_ key: String) -> TOMLValue? {
        if case .table(let t) = self { return t[key] }
        return nil
    }
    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    public var int: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded(): return Int(d)
        default: return nil
        }
    }
    public var double: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
    public var array: [TOMLValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
    public var table: [String: TOMLValue]? {
        if case .table(let t) = self { return t }
        return nil
    }
}

public struct TOMLError: Error, CustomStringConvertible, Sendable {
    public let line: Int
    public let message: String
    public var description: String { "line \(line): \(message)" }
}
