import Foundation
import VLogConfig
import VLogStore
import VLogSupport

/// What `video add` needs.
public struct NewVideo: Sendable {
    public var source: URL
    public var title: String
    public var slug: String?
    public var description: String = ""
    public var category: String?
    public var publishAt: Date?
    public var move = false
    public init(source: URL, title: String) {
        self.source = source
        self.title = title
    }
}

/// Adding, editing, publishing, soft-deleting, restoring and purging videos. Every change keeps
/// rows and files together: no row without its file, no file without its row.
public struct Videos {
    public let site: Site
    public let store: Store
    public let clock: Clock
    public init(site: Site, store: Store, clock: Clock = .system) {
        self.site = site
        self.store = store
        self.clock = clock
    }

    /// Parses a user's date (`2026-01-31`, `2026-01-31 18:00`, ISO 8601 with zone); no zone means UTC.
    public static func parseDate(_ text: String, option: String) throws -> Date {
        guard let d = DBDate.parse(text) else {
            throw VLogError.invalidInput(
                "\(option) `\(text)` is not a date; use YYYY-MM-DD, `YYYY-MM-DD HH:MM` (UTC) or 2026-01-31T18:00:00+01:00"
            )
        }
        return d
    }

    public func require(_ slug: String) throws -> Video {
        guard let v = try store.video(slug: slug) else {
            throw VLogError.notFound("no video with slug `\(slug)`; `vlog video list` shows the slugs")
        }
        return v
    }

    /// The uploaded source of a video (see `Site.sourceFile`).
    public func sourceFile(slug: String, in dir: URL? = nil) -> URL? { site.sourceFile(slug: slug, in: dir) }

    var journal: FileJournal { FileJournal(storage: site.storageURL) }

    /// Checks a title: 1-255 characters, no control characters.
    static func checkTitle(_ title: String) throws -> String {
        let t = title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !t.isEmpty else { throw VLogError.invalidInput("the title is empty; give one with --title") }
        guard t.count <= 255 else { throw VLogError.invalidInput("the title is longer than 255 characters") }
        try TextCheck.singleLine(t, what: "title")
        return t
    }

    /// A source must be a regular file (not a folder, FIFO or device), readable.
    static func checkSource(_ url: URL) throws {
        var st = stat()
        guard stat(url.path, &st) == 0 else {
            throw VLogError.notFound("\(url.path): no such file; check the path")
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw VLogError.invalidInput("\(url.path) is a folder; give a video file")
        default:
            throw VLogError.invalidInput(
                "\(url.path) is not a regular file (a pipe, socket or device); give a video file")
        }
        guard access(url.path, R_OK) == 0 else {
            throw VLogError.io("\(url.path) is not readable; check its permissions")
        }
    }

    @discardableResult
    public func add(_ new: NewVideo) throws -> Video {
        let fm = FileManager.default
        try Self.checkSource(new.source)
        let title = try Self.checkTitle(new.title)
        try TextCheck.multiLine(new.description, what: "description")
        if let s = new.slug { try Slug.validate(s) }
        try site.ensureStorage()
        FileJournal.sweepTemporaryFiles(in: site.uploadsURL, prefix: ".add-")

        let ext = new.source.pathExtension.lowercased()
        // 1. A copy goes to uploads/ under a temporary name (invisible to everything else; swept by
        //    the next command if this one is killed). A move is journalled from where the file is.
        var staged = new.source
        var copied = false
        if !new.move || !Self.sameFileSystem(new.source, site.uploadsURL) {
            staged = site.uploadsURL.appendingPathComponent(".add-\(getpid())-\(UUID().uuidString)")
            do { try fm.copyItem(at: new.source, to: staged) } catch {
                try? fm.removeItem(at: staged)
                throw VLogError.io(
                    "cannot copy \(new.source.path) into \(site.uploadsURL.path): \(FileIO.reason(error))")
            }
            copied = true
        }
        // 2. The row and the file's final name, together.
        do {
            var slug = ""
            let video = try journal.perform(db: store.db) { () throws -> FileJournal.Plan<Video> in
                var categoryID: Int?
                if let key = new.category { categoryID = try Categories(store: store, clock: clock).require(key).id }
                if let s = new.slug {
                    if try store.slugExists(s, table: "videos") {
                        throw VLogError.conflict(
                            "a video with slug `\(s)` already exists; pick another --slug or delete that one")
                    }
                    slug = s
                } else {
                    slug = try Slug.unique(Slug.make(title)) {
                        try store.slugExists($0, table: "videos") || sourceFile(slug: $0) != nil
                    }
                }
                let dest = site.uploadsURL.appendingPathComponent(ext.isEmpty ? slug : "\(slug).\(ext)")
                if FileIO.exists(dest) || sourceFile(slug: slug) != nil {
                    throw VLogError.conflict(
                        "\(dest.path) already exists but no video owns it; move it away or pick another --slug")
                }
                try store.db.run(
                    """
                    INSERT INTO videos (title, slug, description, category_id, duration, source_width, source_height,
                                        status, error_message, created_at, published_at, deleted_at)
                    VALUES (?, ?, ?, ?, 0, 0, 0, ?, NULL, ?, ?, NULL)
                    """, [title, slug, new.description, categoryID, VideoStatus.pending, clock.now(), new.publishAt])
                // A new video that takes an old address takes it over.
                try store.db.run("DELETE FROM vlog_slug_redirects WHERE old_slug = ?", [slug])
                return .init(
                    try store.video(slug: slug)!, moves: [.init(staged, dest)],
                    committed: ("SELECT 1 AS x FROM videos WHERE slug = ?", [slug]))
            }
            if new.move && copied { try? fm.removeItem(at: new.source) }
            return video
        } catch {
            if copied { try? fm.removeItem(at: staged) }
            throw error
        }
    }

    static func sameFileSystem(_ a: URL, _ b: URL) -> Bool {
        var sa = stat()
        var sb = stat()
        return stat(a.path, &sa) == 0 && stat(b.path, &sb) == 0 && sa.st_dev == sb.st_dev
    }

    /// Changes title, description, category or slug. A new slug moves the video's files too.
    @discardableResult
    public func edit(
        _ slug: String, title: String? = nil, newSlug: String? = nil, description: String? = nil,
        category: String? = nil, clearCategory: Bool = false
    ) throws -> Video {
        if clearCategory && category != nil {
            throw VLogError.invalidInput("give --category or --no-category, not both")
        }
        let title = try title.map(Self.checkTitle)
        if let description { try TextCheck.multiLine(description, what: "description") }
        if let newSlug { try Slug.validate(newSlug) }
        if newSlug != nil { try site.ensureStorage() }
        let v = try require(slug)
        var moves: [FileJournal.Move] = []
        if let newSlug, newSlug != v.slug {
            if try store.slugExists(newSlug, table: "videos") {
                throw VLogError.conflict("a video with slug `\(newSlug)` already exists")
            }
            guard v.state != .processing else {
                throw VLogError.conflict("`\(v.slug)` is being transcoded; change its slug when the job is done")
            }
            moves = try fileMoves(from: v.slug, to: newSlug, deleted: v.deletedAt != nil)
        }
        return try journal.perform(db: store.db) {
            guard let now = try store.video(id: v.id), now.slug == v.slug else {
                throw VLogError.conflict("`\(slug)` changed while this command ran; run it again")
            }
            if let title { try store.db.run("UPDATE videos SET title = ? WHERE id = ?", [title, v.id]) }
            if let description {
                try store.db.run("UPDATE videos SET description = ? WHERE id = ?", [description, v.id])
            }
            if clearCategory {
                try store.db.run("UPDATE videos SET category_id = NULL WHERE id = ?", [v.id])
            } else if let category {
                let c = try Categories(store: store, clock: clock).require(category)
                try store.db.run("UPDATE videos SET category_id = ? WHERE id = ?", [c.id, v.id])
            }
            if let newSlug, newSlug != v.slug {
                try store.db.run("UPDATE videos SET slug = ? WHERE id = ?", [newSlug, v.id])
                // The old address redirects to the new one; the new one is nobody's old address.
                try store.db.run(
                    "INSERT OR REPLACE INTO vlog_slug_redirects (old_slug, video_id) VALUES (?, ?)", [v.slug, v.id])
                try store.db.run("DELETE FROM vlog_slug_redirects WHERE old_slug = ?", [newSlug])
            }
            return .init(
                try store.video(id: v.id)!, moves: moves,
                committed: ("SELECT 1 AS x FROM videos WHERE id = ? AND slug = ?", [String(v.id), newSlug ?? v.slug]))
        }
    }

    /// The moves a slug change makes; refuses one that would land on a file no video owns. An
    /// unsafe old slug (`../../victim`, written by another tool) is repaired, never followed: only a
    /// folder or file of exactly that name directly inside the storage's own folders moves, and a
    /// slug with `/` (or `.`, `..`) names no such thing, so nothing outside the storage is touched.
    private func fileMoves(from old: String, to new: String, deleted: Bool) throws -> [FileJournal.Move] {
        if (try? Slug.validate(old)) == nil {
            guard !old.contains("/"), !old.contains("\0"), old != ".", old != "..", !old.isEmpty else { return [] }
            func child(_ dir: URL) -> URL? {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
                let url = dir.appendingPathComponent(old)
                return names.contains(old) && FileKind(path: url.path) == .folder ? url : nil
            }
            if deleted { return child(site.archiveURL).map { [.init($0, site.archiveDir(slug: new))] } ?? [] }
            return child(site.videosURL).map { [.init($0, site.mediaDir(slug: new))] } ?? []
        }
        if deleted {
            let a = site.archiveDir(slug: old)
            return FileIO.exists(a) ? [.init(a, site.archiveDir(slug: new))] : []
        }
        if let stray = sourceFile(slug: new) {
            throw VLogError.conflict(
                "\(stray.path) already exists but no video owns it; move it away or pick another --slug")
        }
        var moves: [FileJournal.Move] = []
        if let src = sourceFile(slug: old) {
            let ext = src.pathExtension
            moves.append(.init(src, site.uploadsURL.appendingPathComponent(ext.isEmpty ? new : "\(new).\(ext)")))
        }
        let m = site.mediaDir(slug: old)
        if FileIO.exists(m) { moves.append(.init(m, site.mediaDir(slug: new))) }
        return moves
    }

    /// Publishes now, or at `at` (a future date schedules it: it appears on the first build after).
    @discardableResult
    public func publish(_ slug: String, at: Date? = nil) throws -> Video {
        let v = try require(slug)
        guard v.deletedAt == nil else {
            throw VLogError.conflict("`\(slug)` is deleted; `vlog video restore \(slug)` first")
        }
        try store.db.run("UPDATE videos SET published_at = ? WHERE id = ?", [at ?? clock.now(), v.id])
        return try store.video(id: v.id)!
    }

    /// Unlisted: the video keeps its page, embed and media, but leaves every list, feed, the
    /// sitemap and the search index (and its page says `noindex`); listed again, it is back in all
    /// of them at the next build.
    public func setUnlisted(_ slug: String, _ unlisted: Bool) throws {
        let v = try require(slug)
        try store.db.run(
            """
            INSERT INTO vlog_video_options (video_id, unlisted) VALUES (?, ?)
            ON CONFLICT (video_id) DO UPDATE SET unlisted = excluded.unlisted
            """, [v.id, unlisted])
    }

    /// Offers a download beside the page: `original` (the upload as it came) or a rung's name (a
    /// progressive MP4 made from its segments by stream copy); nil takes it away.
    public func setDownloadable(_ slug: String, _ what: String?) throws {
        let v = try require(slug)
        if let what, what != "original" {
            let rungs = try store.qualities(videoID: v.id).map(\.quality)
            guard rungs.contains(what) || (rungs.isEmpty && site.config.ladder.contains { $0.name == what }) else {
                throw VLogError.invalidInput(
                    "`\(slug)` has no rung `\(what)`; give original or one of \(rungs.joined(separator: ", "))")
            }
        }
        try store.db.run(
            """
            INSERT INTO vlog_video_options (video_id, downloadable) VALUES (?, ?)
            ON CONFLICT (video_id) DO UPDATE SET downloadable = excluded.downloadable
            """, [v.id, what])
    }

    /// The unlisted videos' ids.
    public func unlistedIDs() throws -> Set<Int> {
        Set(
            try store.db.query("SELECT video_id FROM vlog_video_options WHERE unlisted").compactMap {
                $0.int("video_id")
            })
    }

    @discardableResult
    public func unpublish(_ slug: String) throws -> Video {
        let v = try require(slug)
        try store.db.run("UPDATE videos SET published_at = NULL WHERE id = ?", [v.id])
        return try store.video(id: v.id)!
    }

    /// Soft delete: sets deleted_at and moves the files to archive/<slug>/, together.
    public func delete(_ slug: String) throws {
        try site.ensureStorage()
        let v = try require(slug)
        if v.deletedAt == nil {
            let busy = try v.state == .processing && !jobIsStale(videoID: v.id)
            guard !busy else {
                throw VLogError.conflict("`\(slug)` is being transcoded right now; delete it when the job is done")
            }
        }
        let archive = site.archiveDir(slug: slug)
        var moves: [FileJournal.Move] = []
        if let src = sourceFile(slug: slug) {
            moves.append(
                .init(src, archive.appendingPathComponent("uploads").appendingPathComponent(src.lastPathComponent)))
        }
        let media = site.mediaDir(slug: slug)
        if FileIO.exists(media) { moves.append(.init(media, archive.appendingPathComponent("videos"))) }
        try journal.perform(db: store.db) {
            try store.db.run(
                "UPDATE videos SET deleted_at = COALESCE(deleted_at, ?) WHERE id = ?", [clock.now(), v.id])
            return .init(
                (), moves: moves,
                committed: ("SELECT 1 AS x FROM videos WHERE id = ? AND deleted_at IS NOT NULL", [String(v.id)]))
        }
    }

    private func jobIsStale(videoID: Int) throws -> Bool {
        guard
            let row = try store.db.queryOne(
                "SELECT last_checkpoint FROM transcoding_jobs WHERE video_id = ?", [videoID]),
            let cp = row.date("last_checkpoint")
        else { return true }
        return SiteConfig.jobIsStale(
            lastCheckpoint: cp, now: clock.now(), timeout: Double(site.config.staleTimeoutSeconds))
    }

    /// Moves the files back from archive/ and clears deleted_at, together. Refuses, changing
    /// nothing, when anything is in the way.
    public func restore(_ slug: String) throws {
        try site.ensureStorage()
        let v = try require(slug)
        let archive = site.archiveDir(slug: slug)
        var moves: [FileJournal.Move] = []
        if let src = sourceFile(slug: slug, in: archive.appendingPathComponent("uploads")) {
            if let there = sourceFile(slug: slug) {
                throw VLogError.conflict("\(there.path) exists already; move it away, then restore again")
            }
            moves.append(.init(src, site.uploadsURL.appendingPathComponent(src.lastPathComponent)))
        }
        let media = archive.appendingPathComponent("videos")
        if FileIO.exists(media) {
            guard !FileIO.exists(site.mediaDir(slug: slug)) else {
                throw VLogError.conflict(
                    "\(site.mediaDir(slug: slug).path) exists already; move it away, then restore again")
            }
            moves.append(.init(media, site.mediaDir(slug: slug)))
        }
        try journal.perform(db: store.db) {
            try store.db.run("UPDATE videos SET deleted_at = NULL WHERE id = ?", [v.id])
            return .init(
                (), moves: moves,
                committed: ("SELECT 1 AS x FROM videos WHERE id = ? AND deleted_at IS NULL", [String(v.id)]))
        }
        for dir in [archive.appendingPathComponent("uploads"), archive] { rmdir(dir.path) }
    }

    /// Permanently removes videos deleted more than `olderThanDays` days ago (default: the
    /// retention period), each row and its archive folder together. Returns the purged slugs.
    @discardableResult
    public func purge(olderThanDays: Int? = nil) throws -> [String] {
        let days = olderThanDays ?? site.config.retentionDays
        guard days >= 0 else { throw VLogError.invalidInput("--older-than-days must be 0 or more") }
        try site.ensureStorage()
        let cutoff = clock.now().addingTimeInterval(-Double(days) * 86400)
        let due = try store.db.query(
            "SELECT * FROM videos WHERE deleted_at IS NOT NULL AND deleted_at <= ? ORDER BY deleted_at",
            [cutoff]
        ).map(Video.init)
        var purged: [String] = []
        for v in due {
            let archive = site.archiveDir(slug: v.slug)
            let trash = journal.trashDir.appendingPathComponent("\(v.id)-\(UUID().uuidString)")
            let moves: [FileJournal.Move] = FileIO.exists(archive) ? [.init(archive, trash)] : []
            try journal.perform(db: store.db) {
                try store.db.run("DELETE FROM videos WHERE id = ?", [v.id])
                return .init(
                    (), moves: moves, trash: moves.map(\.to),
                    committed: ("SELECT 1 AS x WHERE NOT EXISTS (SELECT 1 FROM videos WHERE id = ?)", [String(v.id)]))
            }
            purged.append(v.slug)
        }
        return purged
    }
}
