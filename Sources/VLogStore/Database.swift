import CSQLite
import Foundation
import VLogConfig
import VLogSupport

/// Opens a vlog database with the settings every connection needs (WAL, foreign keys,
/// busy timeout) and brings its schema up to date. Only `.create` may make a database: a typo in
/// `paths.database` must never become an empty site that a build then "publishes".
public enum VLogDatabase {
    public static func open(path: String, mode: DatabaseMode = .write, busyTimeoutMs: Int32 = 5000) throws
        -> SQLiteConnection
    {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty && !FileManager.default.fileExists(atPath: dir) {
            throw VLogError.notFound(
                "database folder \(dir) does not exist; check paths.database in vlog.toml or VLOG_DATABASE_PATH")
        }
        var st = stat()
        let exists = stat(path, &st) == 0
        if mode != .create {
            guard exists else {
                throw VLogError.notFound(
                    """
                    database \(path) does not exist; check paths.database in vlog.toml or VLOG_DATABASE_PATH \
                    (only `vlog init` creates one)
                    """)
            }
            guard (st.st_mode & S_IFMT) == S_IFREG else {
                throw VLogError.invalidInput(
                    "database \(path) is not a regular file; point paths.database at a vlog.db")
            }
            guard st.st_size > 0 else {
                throw VLogError.invalidInput(
                    """
                    database \(path) is empty (0 bytes), not a vlog database; restore it from a backup \
                    or point paths.database at the right file
                    """)
            }
        }
        let readOnly = mode == .read && !Self.writable(path)
        let db = try SQLiteConnection(
            path: path, busyTimeoutMs: busyTimeoutMs, readOnly: readOnly,
            create: mode == .create, immutable: readOnly)
        do {
            if exists && mode != .create {
                let hasVideos =
                    try db.queryOne("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'videos'") != nil
                guard hasVideos else {
                    throw VLogError.invalidInput(
                        "\(path) is a SQLite database without vlog's tables; point paths.database at a vlog.db")
                }
            }
            if readOnly { return db }
            try db.exec("PRAGMA journal_mode = WAL")
            try db.exec("PRAGMA foreign_keys = ON")
            try db.exec("PRAGMA synchronous = NORMAL")
            // Once per database file and process (not on every connection, heartbeats included);
            // a file put in place of another (a restored backup) is a new database.
            var st = stat()
            let identity = stat(path, &st) == 0 ? "\(st.st_dev):\(st.st_ino)" : ""
            let key = (path as NSString).standardizingPath + "|" + identity
            if !migrated.value.contains(key) {
                try Schema.migrate(db)
                migrated.withLock { _ = $0.insert(key) }
            }
        } catch let e as SQLiteError where e.primary == SQLITE_NOTADB {
            throw VLogError.invalidInput(
                "\(path) is not a SQLite database; point paths.database in vlog.toml at a vlog.db")
        }
        return db
    }

    /// Databases this process has brought up to date.
    static let migrated = LockedBox<Set<String>>([])

    /// Whether the database and its folder can be written (a read-only mount, or permissions).
    static func writable(_ path: String) -> Bool {
        let dir = (path as NSString).deletingLastPathComponent
        var fs = statvfs()
        if statvfs(path, &fs) == 0, fs.f_flag & UInt(ST_RDONLY) != 0 { return false }
        return access(path, W_OK) == 0 && access(dir.isEmpty ? "." : dir, W_OK) == 0
    }
}
