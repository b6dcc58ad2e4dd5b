import CSQLite
import Foundation
import VLogSupport

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

    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

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

    /// A column a record cannot do without: missing or NULL is an error, never a silent 0 or "".
    public func requiredInt(_ name: String) throws -> Int {
        guard let v = int(name) else { throw missing(name) }
        return v
    }
    public func requiredString(_ name: String) throws -> String {
        guard let v = string(name) else { throw missing(name) }
        return v
    }
    private func missing(_ name: String) -> VLogError {
        .io(
            "a database row has no value for its required column `\(name)` (columns: \(columns.joined(separator: ", "))); is this a vlog database?"
        )
    }
}

/// Errors raised by the SQLite layer; `path` says which database.
public struct SQLiteError: KindedError {
    public let code: Int32
    public let message: String
    public let sql: String?
    public let path: String

    public var isBusy: Bool { primary == SQLITE_BUSY || primary == SQLITE_LOCKED }
    public var isConstraint: Bool { code & 0xff == SQLITE_CONSTRAINT }

    /// SQLite reports a full disk under WAL as an I/O error (its shared memory cannot grow).
    static func diskIsFull(_ path: String) -> Bool {
        var fs = statvfs()
        let dir = (path as NSString).deletingLastPathComponent
        guard statvfs(dir.isEmpty ? "." : dir, &fs) == 0 else { return false }
        return UInt64(fs.f_bavail) * UInt64(fs.f_frsize) < 1 << 20
    }

    /// Which kind of failure, for the exit code: a lock passes, a full or broken disk is I/O, a
    /// file that is not vlog's database is data.
    public var kind: VLogError.Kind {
        switch primary {
        case SQLITE_BUSY, SQLITE_LOCKED: .busy
        case SQLITE_FULL, SQLITE_IOERR, SQLITE_READONLY, SQLITE_CANTOPEN: .io
        default: .data
        }
    }

    /// SQLite's primary result code (the extended code's low byte).
    public var primary: Int32 { code & 0xff }

    /// One line saying which database, what is wrong and what to do; never SQLite's bare text.
    public var description: String {
        switch primary {
        case SQLITE_BUSY, SQLITE_LOCKED:
            return
                "the database \(path) is locked by another vlog process; wait for it to finish (or stop it) and try again"
        case SQLITE_FULL:
            return
                "disk full: cannot write the database \(path); free some space and run the command again (nothing was changed)"
        case SQLITE_IOERR where Self.diskIsFull(path):
            return
                "disk full: cannot write the database \(path); free some space and run the command again (nothing was changed)"
        case SQLITE_IOERR:
            return
                "cannot read or write the database \(path) (I/O error: \(message)); check the disk and that it is mounted, then try again"
        case SQLITE_READONLY:
            return
                "the database \(path) is read-only; this command changes the site, so run it where the database is writable"
        case SQLITE_CANTOPEN:
            var fs = statvfs()
            let dir = (path as NSString).deletingLastPathComponent
            if statvfs(dir.isEmpty ? "." : dir, &fs) == 0, fs.f_flag & UInt(ST_RDONLY) != 0 {
                return
                    "the disk holding the database \(path) is read-only; this command changes the site, so run it where the disk is writable (remount it read-write)"
            }
            if access(dir.isEmpty ? "." : dir, W_OK) != 0 && errno == EACCES {
                return
                    "cannot open the database \(path): its folder is not writable (SQLite keeps its -wal and -shm files there); check the permissions"
            }
            return "cannot open the database \(path); check that the file and its folder exist and are readable"
        case SQLITE_NOTADB, SQLITE_CORRUPT:
            return
                "\(path) is not a vlog database (or is damaged); point paths.database at the right file or restore a backup"
        case SQLITE_CONSTRAINT:
            return "database \(path) refused the change (\(message)); nothing was changed"
        default:
            let statement =
                sql.map {
                    " in `\($0.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ").prefix(80))`"
                } ?? ""
            return "database \(path): \(message) (\(String(cString: sqlite3_errstr(code))), code \(code))\(statement)"
        }
    }
}

/// A single SQLite connection. Owns the C handle and closes it in deinit.
/// A connection is used from one thread at a time; open one per worker.
public final class SQLiteConnection: @unchecked Sendable {
    /// The SQLite library vlog runs on, e.g. "3.40.1".
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }

    private var handle: OpaquePointer?
    public let path: String
    /// Prepared statements by SQL text, reused (reset) instead of being compiled on every call.
    private var statements: [String: OpaquePointer] = [:]

    /// Opens `path`; `create` allows a new file. `readOnly` opens it without writing anything
    /// (`immutable` also for a database on a read-only folder, where WAL's shared memory cannot
    /// be made).
    public init(
        path: String, busyTimeoutMs: Int32 = 5000, readOnly: Bool = false, create: Bool = true,
        immutable: Bool = false
    ) throws {
        self.path = path
        var db: OpaquePointer?
        let flags =
            (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)))
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        let rc = sqlite3_open_v2(Self.uri(path, immutable: immutable), &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw SQLiteError(code: rc, message: msg, sql: nil, path: path)
        }
        handle = db
        sqlite3_busy_timeout(db, busyTimeoutMs)
        sqlite3_extended_result_codes(db, 1)
    }

    /// A `file:` URI for `path` (percent-encoded, so any file name works).
    static func uri(_ path: String, immutable: Bool) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        let encoded = path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
        return "file:\(encoded)" + (immutable ? "?immutable=1" : "")
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
            let msg = err.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
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

    /// Turns this connection's triggers off (or on again): for a writer that records itself what
    /// they would (`vlog ingest` marks the days it changed for the rollups, once per checkpoint).
    public func setTriggersEnabled(_ on: Bool) {
        _ = vlog_sqlite3_enable_triggers(handle, on ? 1 : 0)
    }

    /// How many `transaction` calls are open on this connection.
    private var depth = 0

    /// Runs `body` in a transaction, rolling back on any error. The outermost call is BEGIN
    /// IMMEDIATE ... COMMIT (the write lock is taken up front, so a lock timeout happens before
    /// anything is done); a call inside another becomes a SAVEPOINT, so any function that writes
    /// several rows can wrap them in one, whoever calls it (GRDB's `inSavepoint`).
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        let level = depth
        try exec(level == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT vlog_sp\(level)")
        depth = level + 1
        defer { depth = level }
        do {
            let result = try body()
            try exec(level == 0 ? "COMMIT" : "RELEASE vlog_sp\(level)")
            return result
        } catch {
            if level == 0 {
                try? exec("ROLLBACK")
            } else {
                try? exec("ROLLBACK TO vlog_sp\(level)")
                try? exec("RELEASE vlog_sp\(level)")
            }
            throw error
        }
    }

    /// Runs `body` on one consistent snapshot of the database (a read transaction: under WAL,
    /// writers go on meanwhile). Inside another transaction it simply runs.
    public func read<T>(_ body: () throws -> T) throws -> T {
        guard depth == 0 else { return try body() }
        try exec("BEGIN DEFERRED")
        depth = 1
        defer { depth = 0 }
        do {
            let result = try body()
            try exec("COMMIT")
            return result
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }

    /// True inside `transaction`.
    public var inTransaction: Bool { depth > 0 }

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
        if s.temporary {
            sqlite3_finalize(s.stmt)
        } else {
            sqlite3_reset(s.stmt)
            sqlite3_clear_bindings(s.stmt)
        }
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
