import Foundation
import VLogContent
import VLogStore
import VLogSupport

/// A published video with what its pages need.
public struct PublishedVideo: Sendable {
    public var video: Video
    public var category: Category?
    public var qualities: [VideoQuality]
    /// Published unlisted: its page, embed and media exist, but no list, feed, sitemap or search
    /// index names it, and its page says `noindex`.
    public var unlisted = false
    /// `original` or a rung's name: a download offered beside the page (`Downloads`).
    public var downloadable: String?
}

/// Everything a build renders, read from the database in one transaction, so the pages agree
/// with each other even while other commands write.
public struct SiteSnapshot: Sendable {
    public var now: Date
    /// Visible videos, newest first (published_at, as the document's "Get Ready Videos").
    public var videos: [PublishedVideo]
    public var categories: [Category]
    /// The videos lists, feeds, the sitemap and the search index show: all but the unlisted ones.
    public var listed: [PublishedVideo] { videos.filter { !$0.unlisted } }
    /// Old slugs of visible videos and the video each now names (`video edit --slug`).
    public var redirects: [(old: String, video: PublishedVideo)] = []

    /// Only videos that are ready, published at or before `now`, and not deleted appear anywhere.
    public static func load(db: SQLiteConnection, now: Date) throws -> SiteSnapshot {
        try db.read { try read(db: db, now: now) }
    }

    static func read(db: SQLiteConnection, now: Date) throws -> SiteSnapshot {
        // Names in natural order, as a file browser sorts them: "Part 2" before "Part 10".
        let categories = try db.query("SELECT * FROM categories ORDER BY id").map(Category.init).sorted {
            let order = $0.name.compare($1.name, options: [.caseInsensitive, .numeric])
            return order == .orderedSame ? $0.id < $1.id : order == .orderedAscending
        }
        let byID = Dictionary(uniqueKeysWithValues: categories.map { ($0.id, $0) })
        let videos = try db.query(
            """
            SELECT * FROM videos
            WHERE status = ? AND deleted_at IS NULL AND published_at IS NOT NULL
              AND julianday(published_at) <= julianday(?)
            ORDER BY julianday(published_at) DESC, id DESC
            """, [VideoStatus.ready, now]
        ).map(Video.init)
        var qualities: [Int: [VideoQuality]] = [:]
        try db.forEach(
            """
            SELECT q.* FROM video_qualities q JOIN videos v ON v.id = q.video_id
            WHERE v.status = ? AND v.deleted_at IS NULL ORDER BY q.height DESC, q.bitrate DESC
            """, [VideoStatus.ready]
        ) { r in
            guard let id = r.int("video_id") else { return }
            qualities[id, default: []].append(
                VideoQuality(
                    quality: r.string("quality") ?? "", width: r.int("width") ?? 0,
                    height: r.int("height") ?? 0, bitrate: r.int("bitrate") ?? 0))
        }
        var unlisted: Set<Int> = []
        var downloadable: [Int: String] = [:]
        for r in try db.query("SELECT video_id, unlisted, downloadable FROM vlog_video_options") {
            guard let id = r.int("video_id") else { continue }
            if r.int("unlisted") == 1 { unlisted.insert(id) }
            downloadable[id] = r.string("downloadable")
        }
        let published = videos.map {
            PublishedVideo(
                video: $0, category: $0.categoryID.flatMap { byID[$0] }, qualities: qualities[$0.id] ?? [],
                unlisted: unlisted.contains($0.id), downloadable: downloadable[$0.id])
        }
        var snapshot = SiteSnapshot(now: now, videos: published, categories: categories)
        let visible = Dictionary(uniqueKeysWithValues: published.map { ($0.video.id, $0) })
        let live = Set(published.map(\.video.slug))
        snapshot.redirects = try db.query("SELECT old_slug, video_id FROM vlog_slug_redirects ORDER BY old_slug")
            .compactMap { r in
                guard let old = r.string("old_slug"), !live.contains(old),
                    let v = r.int("video_id").flatMap({ visible[$0] })
                else { return nil }
                return (old, v)
            }
        return snapshot
    }

    /// Leaves out videos and categories whose slug is unsafe as a path (a database written by
    /// another tool may hold `../../x`); returns a warning for each.
    mutating func dropUnsafe() -> [String] {
        var warnings: [String] = []
        func safe(_ slug: String, _ what: String) -> Bool {
            do {
                try Slug.validate(slug)
                return true
            } catch {
                warnings.append(
                    "skipped \(what) with the unsafe slug `\(slug.debugDescription.dropFirst().dropLast())`; give it a safe one: `vlog \(what) edit \(Format.shellQuoted(slug)) --slug NEW-SLUG`"
                )
                return false
            }
        }
        categories = categories.filter { safe($0.slug, "category") }
        let kept = Set(categories.map(\.id))
        redirects = redirects.filter {
            (try? Slug.validate($0.old)) != nil && (try? Slug.validate($0.video.video.slug)) != nil
        }
        videos = videos.compactMap { v in
            guard safe(v.video.slug, "video") else { return nil }
            var v = v
            if let c = v.category, !kept.contains(c.id) { v.category = nil }
            return v
        }
        return warnings
    }
}
