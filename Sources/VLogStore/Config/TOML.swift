import Foundation

/// The parser of `TOMLValue`s (see there for what it covers).
public struct TOMLParser {
    private let s: [UInt8]
    private var i = 0
    private var line = 1

    public static func parse(_ text: String) throws -> [String: TOMLValue] {
        var p = TOMLParser(s: Array(text.utf8))
        return try p.document()
    }

    private init(s: [UInt8]) { self.s = s }

    private func fail(_ m: String) -> TOMLError { TOMLError(line: line, message: m) }
    private var atEnd: Bool { i >= s.count }
    private var c: UInt8 { s[i] }

    private mutating func skipSpace() { while !atEnd && (c == 32 || c == 9) { i += 1 } }
    private mutating func skipComment() {
        if !atEnd && c == UInt8(ascii: "#") { while !atEnd && c != 10 { i += 1 } }
    }
    /// Skips spaces, comments and newlines (inside arrays and between statements).
    private mutating func skipBlank() {
        while !atEnd {
            skipSpace()
            skipComment()
            if !atEnd && (c == 10 || c == 13) {
                if c == 10 { line += 1 }
                i += 1
            } else {
                break
            }
        }
    }
    private mutating func endOfLine() throws {
        skipSpace()
        skipComment()
        if atEnd { return }
        if c == 13 { i += 1 }
        guard !atEnd, c == 10 else { throw fail("expected end of line") }
        i += 1
        line += 1
    }

    private mutating func document() throws -> [String: TOMLValue] {
        var root: [String: TOMLValue] = [:]
        var current: [String] = []
        var defined = Set<[String]>()
        while true {
            skipBlank()
            if atEnd { break }
            if c == UInt8(ascii: "[") {
                i += 1
                let isArray = !atEnd && c == UInt8(ascii: "[")
                if isArray { i += 1 }
                skipSpace()
                let path = try keyPath()
                skipSpace()
                guard !atEnd, c == UInt8(ascii: "]") else { throw fail("expected ] after table name") }
                i += 1
                if isArray {
                    guard !atEnd, c == UInt8(ascii: "]") else { throw fail("expected ]] after table name") }
                    i += 1
                    try appendTable(&root, path)
                } else {
                    guard defined.insert(path).inserted else {
                        throw fail("table [\(path.joined(separator: "."))] defined twice")
                    }
                    try ensureTable(&root, path)
                }
                current = path
                try endOfLine()
            } else {
                let path = try keyPath()
                skipSpace()
                guard !atEnd, c == UInt8(ascii: "=") else {
                    throw fail("expected = after key \(path.joined(separator: "."))")
                }
                i += 1
                skipSpace()
                let v = try value()
                try set(&root, current + path, v)
                try endOfLine()
            }
        }
        return root
    }

    private mutating func keyPath() throws -> [String] {
        var parts: [String] = []
        while true {
            skipSpace()
            guard !atEnd else { throw fail("expected a key") }
            if c == UInt8(ascii: "\"") {
                parts.append(try basicString())
            } else if c == UInt8(ascii: "'") {
                parts.append(try literalString())
            } else {
                let start = i
                while !atEnd, isBareKeyChar(c) { i += 1 }
                guard i > start else { throw fail("expected a key") }
                parts.append(String(decoding: s[start..<i], as: UTF8.self))
            }
            skipSpace()
            if !atEnd && c == UInt8(ascii: ".") {
                i += 1
                continue
            }
            return parts
        }
    }

    private func isBareKeyChar(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 45 || b == 95
    }

    private mutating func value() throws -> TOMLValue {
        guard !atEnd else { throw fail("expected a value") }
        switch c {
        case UInt8(ascii: "\""): return .string(try basicString())
        case UInt8(ascii: "'"): return .string(try literalString())
        case UInt8(ascii: "["):
            i += 1
            var items: [TOMLValue] = []
            while true {
                skipBlank()
                guard !atEnd else { throw fail("unterminated array") }
                if c == UInt8(ascii: "]") {
                    i += 1
                    return .array(items)
                }
                items.append(try value())
                skipBlank()
                guard !atEnd else { throw fail("unterminated array") }
                if c == UInt8(ascii: ",") {
                    i += 1
                } else if c != UInt8(ascii: "]") {
                    throw fail("expected , or ] in array")
                }
            }
        case UInt8(ascii: "{"):
            i += 1
            var t: [String: TOMLValue] = [:]
            skipSpace()
            if !atEnd && c == UInt8(ascii: "}") {
                i += 1
                return .table(t)
            }
            while true {
                let path = try keyPath()
                guard !atEnd, c == UInt8(ascii: "=") else { throw fail("expected = in inline table") }
                i += 1
                skipSpace()
                let v = try value()
                var wrapped = TOMLValue.table(t)
                try setIn(&wrapped, path, v)
                t = wrapped.table ?? [:]
                skipSpace()
                guard !atEnd else { throw fail("unterminated inline table") }
                if c == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if c == UInt8(ascii: "}") {
                    i += 1
                    return .table(t)
                }
                throw fail("expected , or } in inline table")
            }
        default:
            let start = i
            while !atEnd, c != 10, c != 13, c != UInt8(ascii: ","), c != UInt8(ascii: "]"),
                c != UInt8(ascii: "}"), c != UInt8(ascii: "#")
            { i += 1 }
            let raw = String(decoding: s[start..<i], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if raw == "true" { return .bool(true) }
            if raw == "false" { return .bool(false) }
            let digits = raw.replacingOccurrences(of: "_", with: "")
            if let n = Int(digits) { return .int(n) }
            if digits.hasPrefix("0x"), let n = Int(digits.dropFirst(2), radix: 16) { return .int(n) }
            if let d = Double(digits), !raw.isEmpty { return .double(d) }
            if raw.first?.isNumber == true, raw.contains("-") || raw.contains(":") { return .string(raw) }  // dates
            throw fail(raw.isEmpty ? "expected a value" : "cannot read value `\(raw)` (strings need quotes)")
        }
    }

    private mutating func basicString() throws -> String {
        if hasPrefix("\"\"\"") {
            i += 3
            if !atEnd && c == 10 {
                i += 1
                line += 1
            }
            var out: [UInt8] = []
            while true {
                guard !atEnd else { throw fail("unterminated multi-line string") }
                if hasPrefix("\"\"\"") {
                    i += 3
                    return String(decoding: out, as: UTF8.self)
                }
                if c == UInt8(ascii: "\\") {
                    try escape(&out, multiline: true)
                    continue
                }
                if c == 10 { line += 1 }
                out.append(c)
                i += 1
            }
        }
        i += 1
        var out: [UInt8] = []
        while true {
            guard !atEnd, c != 10 else { throw fail("unterminated string") }
            if c == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") {
                try escape(&out, multiline: false)
                continue
            }
            out.append(c)
            i += 1
        }
    }

    private mutating func escape(_ out: inout [UInt8], multiline: Bool) throws {
        i += 1
        guard !atEnd else { throw fail("unterminated escape") }
        let e = c
        i += 1
        switch e {
        case UInt8(ascii: "n"): out.append(10)
        case UInt8(ascii: "t"): out.append(9)
        case UInt8(ascii: "r"): out.append(13)
        case UInt8(ascii: "b"): out.append(8)
        case UInt8(ascii: "f"): out.append(12)
        case UInt8(ascii: "\""): out.append(34)
        case UInt8(ascii: "\\"): out.append(92)
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let n = e == UInt8(ascii: "u") ? 4 : 8
            guard i + n <= s.count, let code = UInt32(String(decoding: s[i..<i + n], as: UTF8.self), radix: 16),
                let scalar = Unicode.Scalar(code)
            else { throw fail("bad unicode escape") }
            i += n
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
        case 10 where multiline, 32 where multiline, 13 where multiline:
            if e == 10 { line += 1 }
            while !atEnd, c == 32 || c == 9 || c == 10 || c == 13 {
                if c == 10 { line += 1 }
                i += 1
            }
        default: throw fail("unknown escape \\\(Character(Unicode.Scalar(e)))")
        }
    }

    private mutating func literalString() throws -> String {
        if hasPrefix("'''") {
            i += 3
            if !atEnd && c == 10 {
                i += 1
                line += 1
            }
            let start = i
            while !hasPrefix("'''") {
                guard !atEnd else { throw fail("unterminated multi-line string") }
                if c == 10 { line += 1 }
                i += 1
            }
            let out = String(decoding: s[start..<i], as: UTF8.self)
            i += 3
            return out
        }
        i += 1
        let start = i
        while !atEnd, c != UInt8(ascii: "'") {
            guard c != 10 else { throw fail("unterminated string") }
            i += 1
        }
        guard !atEnd else { throw fail("unterminated string") }
        let out = String(decoding: s[start..<i], as: UTF8.self)
        i += 1
        return out
    }

    private func hasPrefix(_ p: String) -> Bool {
        let b = Array(p.utf8)
        return i + b.count <= s.count && Array(s[i..<i + b.count]) == b
    }

    // MARK: building the tree

    private func ensureTable(_ root: inout [String: TOMLValue], _ path: [String]) throws {
        var t = TOMLValue.table(root)
        try ensureIn(&t, path[...])
        root = t.table ?? [:]
    }

    private func ensureIn(_ node: inout TOMLValue, _ path: ArraySlice<String>) throws {
        guard let key = path.first else { return }
        guard case .table(var t) = node else { throw fail("\(key) is not a table") }
        var child = t[key] ?? .table([:])
        if case .array(var arr) = child, let last = arr.popLast() {  // [[a]] then [a.b]
            var l = last
            try ensureIn(&l, path.dropFirst())
            arr.append(l)
            child = .array(arr)
        } else {
            guard case .table = child else { throw fail("key \(key) is already a value, not a table") }
            try ensureIn(&child, path.dropFirst())
        }
        t[key] = child
        node = .table(t)
    }

    private func appendTable(_ root: inout [String: TOMLValue], _ path: [String]) throws {
        try ensureTable(&root, Array(path.dropLast()))
        var t = TOMLValue.table(root)
        try modify(&t, Array(path.dropLast())[...]) { parent in
            guard case .table(var pt) = parent else { throw fail("not a table") }
            let key = path.last!
            var arr = pt[key]?.array ?? []
            if pt[key] != nil && pt[key]?.array == nil { throw fail("\(key) is not an array of tables") }
            arr.append(.table([:]))
            pt[key] = .array(arr)
            parent = .table(pt)
        }
        root = t.table ?? [:]
    }

    private func set(_ root: inout [String: TOMLValue], _ path: [String], _ v: TOMLValue) throws {
        var t = TOMLValue.table(root)
        try setIn(&t, path[...], v)
        root = t.table ?? [:]
    }

    private func setIn(_ node: inout TOMLValue, _ path: [String], _ v: TOMLValue) throws {
        try setIn(&node, path[...], v)
    }

    private func setIn(_ node: inout TOMLValue, _ path: ArraySlice<String>, _ v: TOMLValue) throws {
        try modify(&node, path.dropLast()) { parent in
            guard case .table(var t) = parent else { throw fail("cannot set a key inside a value") }
            let key = path.last!
            guard t[key] == nil else { throw fail("key \(path.joined(separator: ".")) defined twice") }
            t[key] = v
            parent = .table(t)
        }
    }

    /// Walks to the table at `path` (descending into the last element of arrays of tables).
    private func modify(_ node: inout TOMLValue, _ path: ArraySlice<String>, _ body: (inout TOMLValue) throws -> Void)
        throws
    {
        guard let key = path.first else {
            try body(&node)
            return
        }
        guard case .table(var t) = node else { throw fail("\(key) is not a table") }
        var child = t[key] ?? .table([:])
        if case .array(var arr) = child {
            guard var last = arr.popLast() else { throw fail("\(key) is empty") }
            try modify(&last, path.dropFirst(), body)
            arr.append(last)
            child = .array(arr)
        } else {
            try modify(&child, path.dropFirst(), body)
        }
        t[key] = child
        node = .table(t)
    }
}
