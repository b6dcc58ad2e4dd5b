import CSQLite
import Foundation

/// How a command opens the database.
public enum DatabaseMode: Sendable {
    /// `vlog init` only: a new, empty database is made when none exists.
    case create
    /// Every command that changes the site: the database must already exist.
    case write
    /// Commands that only look (`video list`, `stats`): also works on a read-only disk or folder.
    case read
}

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

/// A row of `categories`.
public struct Category: Sendable, Equatable {
    public var id: Int
    public var name: String
    public var slug: String
    public var description: String
    public var createdAt: Date?

    public init(row: Row) throws {
        id = try row.requiredInt("id")
        name = try row.requiredString("name")
        slug = try row.requiredString("slug")
        description = row.string("description") ?? ""
        createdAt = row.date("created_at")
    }
}

/// The `videos.status` values of the schema document.
public enum VideoStatus: String, Sendable, CaseIterable, SQLBindable {
    case pending, processing, ready, failed
    public var sqlValue: SQLValue { .text(rawValue) }
}

/// The `quality_progress.status` values of the schema document.
public enum QualityStatus: String, Sendable, CaseIterable, SQLBindable {
    case pending
    case inProgress = "in_progress"
    case completed, failed, skipped
    public var sqlValue: SQLValue { .text(rawValue) }
}

/// A row of `videos`.
public struct Video: Sendable, Equatable {
    public var id: Int
    public var title: String
    public var slug: String
    public var description: String
    public var categoryID: Int?
    public var duration: Double
    public var sourceWidth: Int
    public var sourceHeight: Int
    /// The column as stored (a database written by another tool may hold anything); `state` is
    /// its typed reading.
    public var status: String
    public var state: VideoStatus? { VideoStatus(rawValue: status) }
    public var errorMessage: String?
    public var createdAt: Date?
    public var publishedAt: Date?
    public var deletedAt: Date?

    public init(row: Row) throws {
        id = try row.requiredInt("id")
        title = try row.requiredString("title")
        slug = try row.requiredString("slug")
        description = row.string("description") ?? ""
        categoryID = row.int("category_id")
        duration = row.double("duration") ?? 0
        sourceWidth = row.int("source_width") ?? 0
        sourceHeight = row.int("source_height") ?? 0
        status = row.string("status") ?? VideoStatus.pending.rawValue
        errorMessage = row.string("error_message")
        createdAt = row.date("created_at")
        publishedAt = row.date("published_at")
        deletedAt = row.date("deleted_at")
    }
}

/// A row of `video_qualities`.
public struct VideoQuality: Sendable, Equatable {
    public var quality: String
    public var width: Int
    public var height: Int
    public var bitrate: Int
    public init(quality: String, width: Int, height: Int, bitrate: Int) {
        self.quality = quality
        self.width = width
        self.height = height
        self.bitrate = bitrate
    }
}

/// Queries on categories and videos shared by the commands, the transcoder and the site build.
public struct Store: Sendable {
    public let db: SQLiteConnection
    public init(_ db: SQLiteConnection) { self.db = db }

    // MARK: categories

    public func categories() throws -> [Category] {
        try db.query("SELECT * FROM categories ORDER BY name COLLATE NOCASE").map(Category.init)
    }

    public func category(slug: String) throws -> Category? {
        try db.queryOne("SELECT * FROM categories WHERE slug = ?", [slug]).map(Category.init)
    }

    public func category(id: Int) throws -> Category? {
        try db.queryOne("SELECT * FROM categories WHERE id = ?", [id]).map(Category.init)
    }

    /// Finds a category by slug, or by name ignoring case, so `--category Travel` works too.
    public func findCategory(_ key: String) throws -> Category? {
        if let c = try category(slug: key) { return c }
        return try db.queryOne("SELECT * FROM categories WHERE name = ? COLLATE NOCASE", [key]).map(Category.init)
    }

    // MARK: videos

    public func video(slug: String) throws -> Video? {
        try db.queryOne("SELECT * FROM videos WHERE slug = ?", [slug]).map(Video.init)
    }

    public func video(id: Int) throws -> Video? {
        try db.queryOne("SELECT * FROM videos WHERE id = ?", [id]).map(Video.init)
    }

    public func videos(includeDeleted: Bool = false) throws -> [Video] {
        let filter = includeDeleted ? "" : "WHERE deleted_at IS NULL"
        return try db.query("SELECT * FROM videos \(filter) ORDER BY created_at DESC, id DESC").map(Video.init)
    }

    public func qualities(videoID: Int) throws -> [VideoQuality] {
        try db.query("SELECT * FROM video_qualities WHERE video_id = ? ORDER BY height DESC, bitrate DESC", [videoID])
            .map {
                VideoQuality(
                    quality: try $0.requiredString("quality"), width: $0.int("width") ?? 0,
                    height: $0.int("height") ?? 0, bitrate: $0.int("bitrate") ?? 0)
            }
    }

    public func slugExists(_ slug: String, table: String) throws -> Bool {
        try db.queryOne("SELECT 1 AS x FROM \(table) WHERE slug = ?", [slug]) != nil
    }
}
