import Foundation

/// What `video add` needs.
public struct NewVideo: Sendable {
    public var source: URL
    public var title: String
    public var slug: String?
    public var description: String = ""
    public var category: String?
    public var publishAt: Date?
    public var move = false
    public init(source: URL, title: String) { self.source = source; self.title = title }
}

/// Adding, editing, publishing, soft-deleting, restoring and purging videos. Every change keeps
/// rows and files together: no row without its file, no file without its row.
public struct Videos {
    public let site: Site
    public let store: Store
    public let clock: Clock
    public init(site: Site, store: Store, clock: Clock = .system) {
        self.site = site; self.store = store; self.clock = clock
    }

    /// Parses a user's date (`2026-01-31`, `2026-01-31 18:00`, ISO 8601 with zone); no zone means UTC.
    public static func parseDate(_ text: String, option: String) throws -> Date {
        guard let d = DBDate.parse(text) else {
            throw VLogError.invalidInput("\(option) `\(text)` is not a date; use YYYY-MM-DD, `YYYY-MM-DD HH:MM` (UTC) or 2026-01-31T18:00:00+01:00")
        }
        return d
    }

    public func require(_ slug: String) throws -> Video {
        guard let v = try store.video(slug: slug) else {
            throw VLogError.notFound("no video with slug `\(slug)`; `vlog video list` shows the slugs")
        }
        return v
    }

    /// The uploaded source of a video: uploads/<slug>.<ext>.
    public func sourceFile(slug: String, in dir: URL? = nil) -> URL? {
        let dir = dir ?? site.uploadsURL
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return nil }
        return names.filter { !$0.hasPrefix(".") && ($0 as NSString).deletingPathExtension == slug }
            .sorted().first.map { dir.appendingPathComponent($0) }
    }

    @discardableResult
    public func add(_ new: NewVideo) throws -> Video {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: new.source.path, isDirectory: &isDir) else {
            throw VLogError.notFound("\(new.source.path): no such file; check the path")
        }
        guard !isDir.boolValue else { throw VLogError.invalidInput("\(new.source.path) is a folder; give a video file") }
        guard fm.isReadableFile(atPath: new.source.path) else {
            throw VLogError.io("\(new.source.path) is not readable; check its permissions")
        }
        let title = new.title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty else { throw VLogError.invalidInput("the title is empty; give one with --title") }
        guard title.count <= 255 else { throw VLogError.invalidInput("the title is longer than 255 characters") }
        if let s = new.slug { try Slug.validate(s) }
        try site.ensureStorage()

        let ext = new.source.pathExtension.lowercased()
        // 1. Put the bytes in uploads/ under a temporary name (invisible to everything else).
        let tmp = site.uploadsURL.appendingPathComponent(".add-\(UUID().uuidString)")
        var movedSource = false
        if new.move, rename(new.source.path, tmp.path) == 0 {
            movedSource = true
        } else {
            do { try fm.copyItem(at: new.source, to: tmp) } catch {
                try? fm.removeItem(at: tmp)
                throw VLogError.io("cannot copy \(new.source.path) into \(site.uploadsURL.path): \(error.localizedDescription)")
            }
        }
        // 2. Insert the row and rename the file into place in one transaction: if either fails,
        //    neither happens.
        do {
            let video = try store.db.transaction { () throws -> Video in
                var categoryID: Int?
                if let key = new.category { categoryID = try Categories(store: store, clock: clock).require(key).id }
                let slug: String
                if let s = new.slug {
                    if try store.slugExists(s, table: "videos") {
                        throw VLogError.conflict("a video with slug `\(s)` already exists; pick another --slug or delete that one")
                    }
                    slug = s
                } else {
                    slug = try Slug.unique(Slug.make(title)) { try store.slugExists($0, table: "videos") || sourceFile(slug: $0) != nil }
                }
                let dest = site.uploadsURL.appendingPathComponent(ext.isEmpty ? slug : "\(slug).\(ext)")
                if FileIO.exists(dest) || sourceFile(slug: slug) != nil {
                    throw VLogError.conflict("\(dest.path) already exists but no video owns it; move it away or pick another --slug")
                }
                try store.db.run("""
                    INSERT INTO videos (title, slug, description, category_id, duration, source_width, source_height,
                                        status, error_message, created_at, published_at, deleted_at)
                    VALUES (?, ?, ?, ?, 0, 0, 0, 'pending', NULL, ?, ?, NULL)
                    """, [title, slug, new.description, categoryID, clock.now(), new.publishAt])
                try FileIO.moveReplacing(tmp, to: dest)
                return try store.video(slug: slug)!
            }
            if new.move && !movedSource { try? fm.removeItem(at: new.source) }
            return video
        } catch {
            if movedSource { _ = rename(tmp.path, new.source.path) } else { try? fm.removeItem(at: tmp) }
            throw error
        }
    }

    /// Changes title, description, category or slug. A new slug moves the video's files too.
    @discardableResult
    public func edit(_ slug: String, title: String? = nil, newSlug: String? = nil, description: String? = nil,
                     category: String? = nil, clearCategory: Bool = false) throws -> Video {
        try store.db.transaction {
            let v = try require(slug)
            if let title {
                let t = title.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !t.isEmpty, t.count <= 255 else { throw VLogError.invalidInput("the title must be 1-255 characters") }
                try store.db.run("UPDATE videos SET title = ? WHERE id = ?", [t, v.id])
            }
            if let description { try store.db.run("UPDATE videos SET description = ? WHERE id = ?", [description, v.id]) }
            if clearCategory {
                try store.db.run("UPDATE videos SET category_id = NULL WHERE id = ?", [v.id])
            } else if let category {
                let c = try Categories(store: store, clock: clock).require(category)
                try store.db.run("UPDATE videos SET category_id = ? WHERE id = ?", [c.id, v.id])
            }
            if let newSlug, newSlug != v.slug {
                try Slug.validate(newSlug)
                if try store.slugExists(newSlug, table: "videos") {
                    throw VLogError.conflict("a video with slug `\(newSlug)` already exists")
                }
                guard v.status != VideoStatus.processing.rawValue else {
                    throw VLogError.conflict("`\(v.slug)` is being transcoded; change its slug when the job is done")
                }
                try store.db.run("UPDATE videos SET slug = ? WHERE id = ?", [newSlug, v.id])
                try moveFiles(from: v.slug, to: newSlug, deleted: v.deletedAt != nil)
            }
            return try store.video(id: v.id)!
        }
    }

    private func moveFiles(from old: String, to new: String, deleted: Bool) throws {
        if deleted {
            let a = site.archiveDir(slug: old)
            if FileIO.exists(a) { try FileIO.move(a, to: site.archiveDir(slug: new)) }
            return
        }
        if let src = sourceFile(slug: old) {
            let ext = src.pathExtension
            try FileIO.move(src, to: site.uploadsURL.appendingPathComponent(ext.isEmpty ? new : "\(new).\(ext)"))
        }
        let m = site.mediaDir(slug: old)
        if FileIO.exists(m) { try FileIO.move(m, to: site.mediaDir(slug: new)) }
    }

    /// Publishes now, or at `at` (a future date schedules it: it appears on the first build after).
    @discardableResult
    public func publish(_ slug: String, at: Date? = nil) throws -> Video {
        let v = try require(slug)
        guard v.deletedAt == nil else { throw VLogError.conflict("`\(slug)` is deleted; `vlog video restore \(slug)` first") }
        try store.db.run("UPDATE videos SET published_at = ? WHERE id = ?", [at ?? clock.now(), v.id])
        return try store.video(id: v.id)!
    }

    @discardableResult
    public func unpublish(_ slug: String) throws -> Video {
        let v = try require(slug)
        try store.db.run("UPDATE videos SET published_at = NULL WHERE id = ?", [v.id])
        return try store.video(id: v.id)!
    }

    /// Soft delete: sets deleted_at, then moves the files to archive/<slug>/. Running it again on
    /// a deleted video finishes an interrupted move.
    public func delete(_ slug: String) throws {
        let v = try require(slug)
        if v.deletedAt == nil {
            let busy = try v.status == VideoStatus.processing.rawValue && !jobIsStale(videoID: v.id)
            guard !busy else {
                throw VLogError.conflict("`\(slug)` is being transcoded right now; delete it when the job is done")
            }
            try store.db.run("UPDATE videos SET deleted_at = ? WHERE id = ?", [clock.now(), v.id])
        }
        let archive = site.archiveDir(slug: slug)
        if let src = sourceFile(slug: slug) {
            try FileIO.move(src, to: archive.appendingPathComponent("uploads").appendingPathComponent(src.lastPathComponent))
        }
        let media = site.mediaDir(slug: slug)
        if FileIO.exists(media) { try FileIO.move(media, to: archive.appendingPathComponent("videos")) }
    }

    private func jobIsStale(videoID: Int) throws -> Bool {
        guard let row = try store.db.queryOne("SELECT last_checkpoint FROM transcoding_jobs WHERE video_id = ?", [videoID]),
              let cp = row.date("last_checkpoint") else { return true }
        return clock.now().timeIntervalSince(cp) > Double(site.config.staleTimeoutSeconds)
    }

    /// Moves the files back from archive/, then clears deleted_at. Idempotent.
    public func restore(_ slug: String) throws {
        let v = try require(slug)
        let archive = site.archiveDir(slug: slug)
        let uploads = archive.appendingPathComponent("uploads")
        if let src = sourceFile(slug: slug, in: uploads) {
            try FileIO.move(src, to: site.uploadsURL.appendingPathComponent(src.lastPathComponent))
        }
        let media = archive.appendingPathComponent("videos")
        if FileIO.exists(media) {
            guard !FileIO.exists(site.mediaDir(slug: slug)) else {
                throw VLogError.conflict("\(site.mediaDir(slug: slug).path) exists already; move it away, then restore again")
            }
            try FileIO.move(media, to: site.mediaDir(slug: slug))
        }
        try? FileManager.default.removeItem(at: uploads)
        if (try? FileManager.default.contentsOfDirectory(atPath: archive.path))?.isEmpty == true {
            try? FileManager.default.removeItem(at: archive)
        }
        if v.deletedAt != nil { try store.db.run("UPDATE videos SET deleted_at = NULL WHERE id = ?", [v.id]) }
    }

    /// Permanently removes videos deleted more than `olderThanDays` days ago (default: the
    /// retention period): files first, then rows (so a crash leaves a row to purge again).
    /// Returns the purged slugs.
    @discardableResult
    public func purge(olderThanDays: Int? = nil) throws -> [String] {
        let days = olderThanDays ?? site.config.retentionDays
        guard days >= 0 else { throw VLogError.invalidInput("--older-than-days must be 0 or more") }
        let cutoff = clock.now().addingTimeInterval(-Double(days) * 86400)
        let due = try store.db.query("SELECT * FROM videos WHERE deleted_at IS NOT NULL AND deleted_at <= ? ORDER BY deleted_at",
                                     [cutoff]).map(Video.init)
        var purged: [String] = []
        for v in due {
            let archive = site.archiveDir(slug: v.slug)
            if FileIO.exists(archive) {
                do { try FileManager.default.removeItem(at: archive) } catch {
                    throw VLogError.io("cannot remove \(archive.path): \(error.localizedDescription)")
                }
            }
            try store.db.run("DELETE FROM videos WHERE id = ?", [v.id])
            purged.append(v.slug)
        }
        return purged
    }
}
