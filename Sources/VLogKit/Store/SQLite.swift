import CSQLite
import Foundation

/// A value bound to or read from a SQLite statement.
public enum SQLValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .int(let v): return String(v)
        case .double(let v): return String(v)
        case .text(let v): return v
        case .blob(let v): return "<\(v.count) bytes>"
        }
    }
}

/// Types that can be bound as statement parameters.
public protocol SQLBindable: Sendable { var sqlValue: SQLValue { get } }
extension Int: SQLBindable { public var sqlValue: SQLValue { .int(Int64(self)) } }
extension Int64: SQLBindable { public var sqlValue: SQLValue { .int(self) } }
extension Double: SQLBindable { public var sqlValue: SQLValue { .double(self) } }
extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension Bool: SQLBindable { public var sqlValue: SQLValue { .int(self ? 1 : 0) } }
extension SQLValue: SQLBindable { public var sqlValue: SQLValue { self } }
extension Date: SQLBindable { public var sqlValue: SQLValue { .text(DBDate.format(self)) } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// One row of a result, readable by column name.
public struct Row: Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    public subscript(_ name: String) -> SQLValue {
        guard let i = columns.firstIndex(of: name) else { return .null }
        return values[i]
    }
    public func int(_ name: String) -> Int? {
        switch self[name] {
        case .int(let v): return Int(v)
        case .double(let v): return Int(v)
        case .text(let s): return Int(s)
        default: return nil
        }
    }
    public func double(_ name: String) -> Double? {
        switch self[name] {
        case .int(let v): return Double(v)
        case .double(let v): return v
        case .text(let s): return Double(s)
        default: return nil
        }
    }
    public func string(_ name: String) -> String? {
        switch self[name] {
        case .null: return nil
        case .text(let s): return s
        case .blob(let b): return String(decoding: b, as: UTF8.self)
        case let other: return other.description
        }
    }
    public func bool(_ name: String) -> Bool {
        switch self[name] {
        case .int(let v): return v != 0
        case .double(let v): return v != 0
        case .text(let s): return ["1", "true", "t", "yes"].contains(s.lowercased())
        default: return false
        }
    }
    public func date(_ name: String) -> Date? { string(name).flatMap(DBDate.parse) }
}

/// Errors raised by the SQLite layer; `path` says which database.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String
    public let sql: String?
    public let path: String

    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    public var isConstraint: Bool { code & 0xff == SQLITE_CONSTRAINT }

    public var description: String {
        if isBusy {
            return "the database \(path) is locked by another vlog process; wait for it to finish (or stop it) and try again"
        }
        return "database \(path): \(message)"
    }
}

/// A single SQLite connection. Owns the C handle and closes it in deinit.
/// A connection is used from one thread at a time; open one per worker.
public final class SQLiteConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    public let path: String
    /// Prepared statements by SQL text, reused (reset) instead of being compiled on every call.
    private var statements: [String: OpaquePointer] = [:]

    public init(path: String, busyTimeoutMs: Int32 = 5000, readOnly: Bool = false) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw SQLiteError(code: rc, message: msg, sql: nil, path: path)
        }
        handle = db
        sqlite3_busy_timeout(db, busyTimeoutMs)
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        for stmt in statements.values { sqlite3_finalize(stmt) }
        sqlite3_close_v2(handle)
    }

    private func error(_ rc: Int32, _ sql: String?) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql, path: path)
    }

    /// Runs one or more statements without parameters.
    public func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? "error \(rc)"
            sqlite3_free(err)
            throw SQLiteError(code: rc, message: msg, sql: sql, path: path)
        }
    }

    /// Runs a statement with parameters; returns the number of changed rows.
    @discardableResult
    public func run(_ sql: String, _ params: [any SQLBindable] = []) throws -> Int {
        let s = try acquire(sql)
        defer { release(s) }
        let stmt = s.stmt
        try bind(stmt, params, sql)
        let rc = sqlite3_step(stmt)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else { throw error(rc, sql) }
        return Int(sqlite3_changes(handle))
    }

    public var lastInsertRowID: Int { Int(sqlite3_last_insert_rowid(handle)) }

    /// Runs a query and returns all rows.
    public func query(_ sql: String, _ params: [any SQLBindable] = []) throws -> [Row] {
        var rows: [Row] = []
        try forEach(sql, params) { rows.append($0) }
        return rows
    }

    public func queryOne(_ sql: String, _ params: [any SQLBindable] = []) throws -> Row? {
        try query(sql, params).first
    }

    /// Streams rows to `body` without collecting them.
    public func forEach(_ sql: String, _ params: [any SQLBindable] = [], _ body: (Row) throws -> Void) throws {
        let s = try acquire(sql)
        defer { release(s) }
        let stmt = s.stmt
        try bind(stmt, params, sql)
        let count = sqlite3_column_count(stmt)
        let names = (0..<count).map { String(cString: sqlite3_column_name(stmt, $0)) }
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc, sql) }
            var values: [SQLValue] = []
            values.reserveCapacity(Int(count))
            for i in 0..<count { values.append(column(stmt, i)) }
            try body(Row(columns: names, values: values))
        }
    }

    /// Runs `body` inside BEGIN IMMEDIATE ... COMMIT, rolling back on any error.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try exec("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try exec("COMMIT")
            return result
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }

    /// A prepared statement for `sql`, compiled once per connection; `temporary` when the cached
    /// one is in use by an enclosing `forEach` (the nested call gets its own, finalized after use).
    private func acquire(_ sql: String) throws -> (stmt: OpaquePointer?, temporary: Bool) {
        if let stmt = statements[sql] {
            if sqlite3_stmt_busy(stmt) == 0 { return (stmt, false) }
            return (try prepare(sql), true)
        }
        let stmt = try prepare(sql)
        statements[sql] = stmt
        return (stmt, false)
    }

    private func release(_ s: (stmt: OpaquePointer?, temporary: Bool)) {
        if s.temporary { sqlite3_finalize(s.stmt) } else { sqlite3_reset(s.stmt); sqlite3_clear_bindings(s.stmt) }
    }

    private func prepare(_ sql: String) throws -> OpaquePointer? {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK else { throw error(rc, sql) }
        return stmt
    }

    private func bind(_ stmt: OpaquePointer?, _ params: [any SQLBindable], _ sql: String) throws {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (i, p) in params.enumerated() {
            let idx = Int32(i + 1)
            let rc: Int32
            switch p.sqlValue {
            case .null: rc = sqlite3_bind_null(stmt, idx)
            case .int(let v): rc = sqlite3_bind_int64(stmt, idx, v)
            case .double(let v): rc = sqlite3_bind_double(stmt, idx, v)
            case .text(let s): rc = sqlite3_bind_text(stmt, idx, s, -1, transient)
            case .blob(let b): rc = sqlite3_bind_blob(stmt, idx, b, Int32(b.count), transient)
            }
            guard rc == SQLITE_OK else { throw error(rc, sql) }
        }
    }

    private func column(_ stmt: OpaquePointer?, _ i: Int32) -> SQLValue {
        switch sqlite3_column_type(stmt, i) {
        case SQLITE_INTEGER: return .int(sqlite3_column_int64(stmt, i))
        case SQLITE_FLOAT: return .double(sqlite3_column_double(stmt, i))
        case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(stmt, i)))
        case SQLITE_BLOB:
            let n = Int(sqlite3_column_bytes(stmt, i))
            guard n > 0, let p = sqlite3_column_blob(stmt, i) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: p, count: n)))
        default: return .null
        }
    }
}
