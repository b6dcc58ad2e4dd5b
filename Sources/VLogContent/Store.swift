import Foundation
import VLogStore
import VLogSupport

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
/// A rung's picture quality against its source, as the transcode measured it; `crf` nil: the
/// rung was encoded at its fixed bitrate.
public struct RungMeasure: Sendable, Equatable {
    public var ssim: Double
    public var psnr: Double
    public var crf: Int?
}

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

    /// Each rung's measured picture quality (`vlog_rung_quality`), by rung name.
    public func rungQuality(videoID: Int) throws -> [String: RungMeasure] {
        var out: [String: RungMeasure] = [:]
        for r in try db.query("SELECT * FROM vlog_rung_quality WHERE video_id = ?", [videoID]) {
            let name = try r.requiredString("quality")
            out[name] = RungMeasure(ssim: r.double("ssim") ?? 0, psnr: r.double("psnr") ?? 0, crf: r.int("crf"))
        }
        return out
    }

    /// Videos per category (not deleted), by category id.
    public func videoCounts() throws -> [Int: Int] {
        var byID: [Int: Int] = [:]
        for r in try db.query(
            "SELECT category_id, COUNT(*) AS n FROM videos WHERE deleted_at IS NULL GROUP BY category_id")
        {
            if let id = r.int("category_id") { byID[id] = r.int("n") ?? 0 }
        }
        return byID
    }

    public func slugExists(_ slug: String, table: String) throws -> Bool {
        try db.queryOne("SELECT 1 AS x FROM \(table) WHERE slug = ?", [slug]) != nil
    }
}
