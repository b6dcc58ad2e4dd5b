import Foundation
import VLogConfig
import VLogContent
import VLogMedia
import VLogStore
import VLogSupport

/// What a re-encode run did.
public struct ReencodeSummary: Sendable {
    public var reencoded: [String] = []
    public var failed: [String: String] = [:]
    public var busy: [String] = []
}

/// `vlog transcode --reencode`: brings ready videos to the ladder vlog.toml sets now (a new
/// rate control, ladder or preset) while they stay published.
///
/// The queue is `vlog_reencode` (a video, the rendition version it is to get, its attempts), so a
/// killed run is finished by any later `vlog transcode` or `vlog build`. Each video is made by the
/// same `Rendition` as a first transcode, in its own work folder, with every file of the new
/// rendition named for its version (`720p.v2_0003.m4s`, see `MediaLayout.stem`); the verified
/// folder then replaces the old one by two renames, and its rows are written in one transaction.
/// The built site keeps its own links to the old files until `vlog build` publishes the new
/// master, so a page built before still plays, and no browser or CDN ever holds an old segment
/// under a new segment's name (segments are cached for a year as immutable).
public struct Reencoder: Sendable {
    public let site: Site
    public var runner: any ProcessRunning
    public var clock: Clock
    public var reporter: any TranscodeReporting

    public init(
        site: Site, runner: any ProcessRunning = SystemProcessRunner(), clock: Clock = .system,
        reporter: any TranscodeReporting = SilentReporter()
    ) {
        self.site = site
        self.runner = runner
        self.clock = clock
        self.reporter = reporter
    }

    /// Queues `slugs` (nil: every ready video) for their next rendition version; a video already
    /// queued keeps its version and gets fresh attempts. Returns the slugs queued.
    public func queue(slugs: [String]?) throws -> [String] {
        try site.ensureStorage()
        let db = try site.openDatabase()
        var videos: [(Int, String)] = []
        if let slugs {
            for slug in slugs {
                guard
                    let row = try db.queryOne(
                        "SELECT id, status FROM videos WHERE slug = ? AND deleted_at IS NULL", [slug])
                else { throw VLogError.notFound("no video `\(slug)`; `vlog video list` shows them") }
                guard row.string("status") == VideoStatus.ready.rawValue else {
                    throw VLogError.invalidInput(
                        "`\(slug)` is \(row.string("status") ?? "not ready"), not ready: only a published rendition is re-encoded (`vlog transcode` makes a pending one)"
                    )
                }
                videos.append((try row.requiredInt("id"), slug))
            }
        } else {
            videos = try db.query(
                "SELECT id, slug FROM videos WHERE status = ? AND deleted_at IS NULL ORDER BY id", [VideoStatus.ready]
            ).compactMap { r in r.int("id").flatMap { id in r.string("slug").map { (id, $0) } } }
        }
        var planned: [(Int, String, Int)] = []
        for (id, slug) in videos {
            try Slug.validate(slug)
            let master = site.mediaDir(slug: slug).appendingPathComponent(MediaLayout.master)
            guard let text = try? String(contentsOf: master, encoding: .utf8) else {
                throw VLogError.notFound(
                    "\(master.path) is missing: `\(slug)` has no rendition to replace; `vlog check` says more")
            }
            planned.append((id, slug, MediaLayout.version(master: text) + 1))
        }
        let now = clock.now()
        try db.transaction {
            for (id, _, version) in planned {
                try db.run(
                    """
                    INSERT INTO vlog_reencode (video_id, version, attempts, last_error, requested_at)
                    VALUES (?, ?, 0, NULL, ?)
                    ON CONFLICT (video_id) DO UPDATE SET attempts = 0, last_error = NULL
                    """, [id, version, now])
            }
        }
        return planned.map(\.1)
    }

    /// The queue as `vlog jobs` shows it: slug, version, attempts, last error.
    public func listing() throws -> [(slug: String, version: Int, attempts: Int, error: String?)] {
        try site.openDatabase(.read).query(
            """
            SELECT v.slug, q.version, q.attempts, q.last_error FROM vlog_reencode q JOIN videos v ON v.id = q.video_id
            ORDER BY q.requested_at, v.id
            """
        ).map { ($0.string("slug") ?? "?", $0.int("version") ?? 0, $0.int("attempts") ?? 0, $0.string("last_error")) }
    }

    /// Whether a re-encode waits (queued, attempts left, the video still ready).
    public func hasWork() throws -> Bool { !(try pending(try site.openDatabase(.read))).isEmpty }

    struct Queued {
        var video: Video
        var version: Int
        var attempts: Int
    }

    func pending(_ db: SQLiteConnection) throws -> [Queued] {
        try db.query(
            """
            SELECT v.*, q.version AS reencode_version, q.attempts AS reencode_attempts
            FROM vlog_reencode q JOIN videos v ON v.id = q.video_id
            WHERE v.status = ? AND v.deleted_at IS NULL AND q.attempts < ? ORDER BY q.requested_at, v.id
            """, [VideoStatus.ready, site.config.maxAttempts]
        ).map {
            Queued(
                video: try Video(row: $0), version: $0.int("reencode_version") ?? 2,
                attempts: $0.int("reencode_attempts") ?? 0)
        }
    }

    /// Re-encodes every queued video, `workers` at a time; a video that fails keeps its old
    /// rendition (and stays published).
    public func run(workers: Int = 1) throws -> ReencodeSummary {
        try site.ensureStorage()
        let queue = try pending(try site.openDatabase())
        let summary = LockedBox(ReencodeSummary())
        try Transcoder.eachVideo(queue, workers: workers, site: site) { q, db in
            let slug = q.video.slug
            switch try reencode(q, db: db) {
            case .ready: summary.withLock { $0.reencoded.append(slug) }
            case .failed(let m): summary.withLock { $0.failed[slug] = m }
            case .busy: summary.withLock { $0.busy.append(slug) }
            case .skipped: break
            }
        }
        return summary.value
    }

    /// One video's attempts, until it is re-encoded or they are used up.
    func reencode(_ q: Queued, db: SQLiteConnection) throws -> Transcoder.Result {
        let video = q.video
        let lock = WorkerLock(url: WorkFolder.transcodeLock(slug: video.slug, videos: site.videosURL))
        let (acquired, previous) = try lock.tryAcquire()
        guard acquired else { return .busy }
        defer { lock.release() }
        let work = WorkFolder.reencode(slug: video.slug, videos: site.videosURL)
        WorkerLock.killOrphan(previous, workDir: work)
        lock.record(.init(host: WorkerLock.hostName, pid: getpid(), childPID: 0, workerID: "reencode"))
        var attempts = q.attempts
        while attempts < site.config.maxAttempts {
            attempts += 1
            try db.run("UPDATE vlog_reencode SET attempts = ? WHERE video_id = ?", [attempts, video.id])
            do {
                try attempt(video: video, version: q.version, work: work, lock: lock, db: db)
                reporter.finished(slug: video.slug, ok: true, message: "re-encoded")
                return .ready
            } catch let e as DiskFull {
                try db.run("UPDATE vlog_reencode SET attempts = ? WHERE video_id = ?", [attempts - 1, video.id])
                throw VLogError.io(e.description)
            } catch let e as AttemptError {
                try db.run(
                    "UPDATE vlog_reencode SET attempts = ?, last_error = ? WHERE video_id = ?",
                    [e.permanent ? site.config.maxAttempts : attempts, e.message, video.id])
                if e.permanent || attempts >= site.config.maxAttempts {
                    try? FileManager.default.removeItem(at: work)
                    reporter.finished(slug: video.slug, ok: false, message: e.message)
                    return .failed(e.message + " (the video keeps its old rendition)")
                }
            }
        }
        return .skipped
    }

    func attempt(video: Video, version: Int, work: URL, lock: WorkerLock, db: SQLiteConnection) throws {
        do { try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true) } catch {
            try Transcoder.checkDiskSpace(work, stderr: "\(error)")
            throw AttemptError(message: "cannot create \(work.path): \(FileIO.reason(error))", permanent: false)
        }
        guard let source = site.sourceFile(slug: video.slug) else {
            throw AttemptError(
                message: "the source file is missing from \(site.uploadsURL.path)/\(video.slug).*", permanent: true)
        }
        var settings = RenditionSettings(config: site.config)
        settings.version = version
        let media = site.mediaDir(slug: video.slug)
        let rendition = Rendition(
            source: source, settings: settings, runner: runner, work: work, ffmpegRuns: LockedBox(0))
        let duration = LockedBox(max(1, video.duration))
        let made = try rendition.make(
            existing: media,
            hooks: RenditionHooks(
                step: { [reporter] step, percent in reporter.update(slug: video.slug, step: step, percent: percent) },
                probed: { [reporter] probe, _, _ in
                    duration.withLock { $0 = probe.duration }
                    reporter.probed(slug: video.slug, duration: probe.duration)
                },
                encoded: { [reporter] seconds in
                    reporter.update(
                        slug: video.slug, step: .transcode, percent: 5 + Int(90 * min(1, seconds / duration.value)))
                },
                ffmpegStarted: { pid in
                    lock.record(.init(host: WorkerLock.hostName, pid: getpid(), childPID: pid, workerID: "reencode"))
                }))
        reporter.update(slug: video.slug, step: .finalize, percent: 98)
        if made.dir != media {
            guard
                try db.queryOne(
                    "SELECT 1 AS ok FROM videos WHERE id = ? AND slug = ? AND status = ? AND deleted_at IS NULL",
                    [video.id, video.slug, VideoStatus.ready]) != nil
            else {
                throw AttemptError(
                    message:
                        "the video was deleted or renamed during its re-encode; queue it again with `vlog transcode --reencode`",
                    permanent: true)
            }
            // One swap: the media folder is never missing (a run killed after it finds the new
            // rendition in place and only records it); no edit of it between the carry-over and
            // the swap (`changingMedia`).
            let old = work.appendingPathComponent("old")
            try site.changingMedia(slug: video.slug) {
                try Attempt.carryOver(from: media, to: made.dir)
                do { try Thumbnails.applyChosen(in: media, to: made.dir, runner: runner) } catch let e as VLogError {
                    throw AttemptError(message: e.description, permanent: false)
                }
                try FileIO.swapIn(made.dir, at: media, aside: old)
            }
            try? FileManager.default.removeItem(at: made.dir)
            try? FileManager.default.removeItem(at: old)
        }
        try db.transaction {
            try JobStore(db: db, clock: clock).recordRendition(
                videoID: video.id, rungs: made.stats, quality: made.quality)
            try db.run("DELETE FROM vlog_reencode WHERE video_id = ?", [video.id])
        }
        try? FileManager.default.removeItem(at: work)
    }
}
