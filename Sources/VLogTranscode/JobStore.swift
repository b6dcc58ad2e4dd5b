import Foundation
import VLogConfig
import VLogContent
import VLogMedia
import VLogStore
import VLogSupport

/// A row of `transcoding_jobs`.
public struct TranscodingJob: Sendable, Equatable {
    public var id: Int
    public var videoID: Int
    public var workerID: String?
    public var currentStep: String?
    public var progressPercent: Int
    public var startedAt: Date?
    public var lastCheckpoint: Date?
    public var completedAt: Date?
    public var attemptNumber: Int
    public var maxAttempts: Int
    public var lastError: String?

    public init(
        id: Int, videoID: Int, workerID: String?, attemptNumber: Int = 1, maxAttempts: Int = 3,
        lastCheckpoint: Date? = nil
    ) {
        self.id = id
        self.videoID = videoID
        self.workerID = workerID
        self.progressPercent = 0
        self.lastCheckpoint = lastCheckpoint
        self.attemptNumber = attemptNumber
        self.maxAttempts = maxAttempts
    }

    init(row: Row) throws {
        id = try row.requiredInt("id")
        videoID = try row.requiredInt("video_id")
        workerID = row.string("worker_id")
        currentStep = row.string("current_step")
        progressPercent = row.int("progress_percent") ?? 0
        startedAt = row.date("started_at")
        lastCheckpoint = row.date("last_checkpoint")
        completedAt = row.date("completed_at")
        attemptNumber = row.int("attempt_number") ?? 1
        maxAttempts = row.int("max_attempts") ?? 3
        lastError = row.string("last_error")
    }
}

/// The steps of a job, as the schema document names them.
public enum JobStep: String, Sendable, CaseIterable {
    case probe, thumbnail, transcode
    case masterPlaylist = "master_playlist"
    case finalize
}

/// Keeps `transcoding_jobs` and `quality_progress` true at every moment: every write to them
/// goes through here, and so does the one rule of when a job's worker is presumed gone.
public struct JobStore: Sendable {
    public let db: SQLiteConnection
    public let clock: Clock
    public init(db: SQLiteConnection, clock: Clock = .system) {
        self.db = db
        self.clock = clock
    }

    /// The site's jobs (its database opened for `mode`).
    public static func open(_ site: Site, _ mode: DatabaseMode = .write) throws -> JobStore {
        JobStore(db: try site.openDatabase(mode))
    }

    /// The one staleness rule: a job whose worker has not checkpointed for `timeout` seconds
    /// (or never did) is presumed lost, and may be taken by another. (`vlog video delete` asks
    /// the same through `SiteConfig.jobIsStale`, one layer down.)
    public static func isStale(lastCheckpoint: Date?, now: Date, timeout: TimeInterval) -> Bool {
        SiteConfig.jobIsStale(lastCheckpoint: lastCheckpoint, now: now, timeout: timeout)
    }

    /// Videos whose job a cluster engine holds now (`vlog transcode --dispatch`, not yet published
    /// or failed): collected, never encoded by a local transcode. A published job keeps its
    /// engine's worker_id as a record; its video is no longer processing.
    public func heldByCluster() throws -> Set<Int> {
        Set(
            try db.query(
                """
                SELECT j.video_id FROM transcoding_jobs j JOIN videos v ON v.id = j.video_id
                WHERE j.worker_id LIKE ? AND v.status = ? AND v.deleted_at IS NULL
                """, [WorkerID.clusterPattern, VideoStatus.processing]
            ).compactMap { $0.int("video_id") })
    }

    /// Videos that need transcoding: pending, or processing by a worker that may be gone.
    public func candidates() throws -> [Video] {
        try db.query(
            """
            SELECT * FROM videos WHERE deleted_at IS NULL AND status IN (?, ?)
            ORDER BY created_at, id
            """, [VideoStatus.pending, VideoStatus.processing]
        ).map(Video.init)
    }

    public func job(videoID: Int) throws -> TranscodingJob? {
        try db.queryOne("SELECT * FROM transcoding_jobs WHERE video_id = ?", [videoID]).map(TranscodingJob.init)
    }

    public enum ClaimResult: Equatable, Sendable {
        case claimed(TranscodingJob)
        /// Another live worker owns it.
        case busy
        /// Attempts are used up; the video is now failed.
        case exhausted(String)
        case notNeeded
    }

    /// Takes the video's job for `workerID`. `ownerGone` says the previous worker is provably
    /// dead (its lock on this host is free); otherwise a job is reclaimed only when its
    /// checkpoint is older than `staleTimeout`.
    public func claim(
        video: Video, workerID: String, maxAttempts: Int, staleTimeout: TimeInterval,
        ownerGone: Bool
    ) throws -> ClaimResult {
        let now = clock.now()
        return try db.transaction { () throws -> ClaimResult in
            guard let fresh = try db.queryOne("SELECT status, deleted_at FROM videos WHERE id = ?", [video.id]),
                fresh.string("deleted_at") == nil,
                [VideoStatus.pending, .processing].contains(VideoStatus(rawValue: fresh.string("status") ?? ""))
            else { return .notNeeded }
            guard let job = try self.job(videoID: video.id) else {
                try db.run(
                    """
                    INSERT INTO transcoding_jobs (video_id, worker_id, current_step, progress_percent, started_at,
                        last_checkpoint, completed_at, attempt_number, max_attempts, last_error)
                    VALUES (?, ?, ?, 0, ?, ?, NULL, 1, ?, NULL)
                    """, [video.id, workerID, JobStep.probe.rawValue, now, now, maxAttempts])
                try db.run(
                    "UPDATE videos SET status = ?, error_message = NULL WHERE id = ?",
                    [VideoStatus.processing, video.id])
                return .claimed(try self.job(videoID: video.id)!)
            }
            if job.workerID != nil {
                let stale = Self.isStale(lastCheckpoint: job.lastCheckpoint, now: now, timeout: staleTimeout)
                if !stale && !ownerGone { return .busy }
            }
            let attempt = job.attemptNumber + 1
            if attempt > job.maxAttempts {
                let why = job.lastError ?? "the worker stopped \(job.attemptNumber) time(s) without finishing"
                try markFailed(videoID: video.id, jobID: job.id, message: why)
                return .exhausted(why)
            }
            try db.run(
                """
                UPDATE transcoding_jobs SET worker_id = ?, attempt_number = ?, started_at = ?, last_checkpoint = ?,
                    completed_at = NULL, progress_percent = 0, current_step = ? WHERE id = ?
                """, [workerID, attempt, now, now, JobStep.probe.rawValue, job.id])
            try db.run("UPDATE videos SET status = ? WHERE id = ?", [VideoStatus.processing, video.id])
            return .claimed(try self.job(videoID: video.id)!)
        }
    }

    /// A claimed job handed to its engine: the engine's ids become its worker_id.
    public func submitted(jobID: Int, videoID: Int, to worker: WorkerID) throws {
        try db.run(
            "UPDATE transcoding_jobs SET worker_id = ?, last_checkpoint = ? WHERE id = ? AND video_id = ?",
            [worker.description, clock.now(), jobID, videoID])
    }

    /// A cluster worker's progress, as its `progress.json` reports it.
    public func recordProgress(jobID: Int, workerID: String, report: WorkerReport) throws {
        try db.run(
            """
            UPDATE transcoding_jobs SET current_step = ?, progress_percent = ?, last_checkpoint = ?
            WHERE id = ? AND worker_id = ?
            """, [report.step, report.percent, report.updatedAt, jobID, workerID])
    }

    /// A lost or failed cluster job's next attempt, claimed for `worker` (then submitted again).
    public func nextAttempt(jobID: Int, videoID: Int, why: String, by worker: WorkerID) throws -> TranscodingJob? {
        try db.run(
            """
            UPDATE transcoding_jobs SET attempt_number = attempt_number + 1, last_error = ?, started_at = ?,
                last_checkpoint = ?, progress_percent = 0, current_step = ?, worker_id = ? WHERE id = ?
            """, [why, clock.now(), clock.now(), JobStep.probe.rawValue, worker.description, jobID])
        return try job(videoID: videoID)
    }

    /// Gives the job back to `workerID` (a publish that failed leaves it the engine's).
    public func holdAgain(jobID: Int, workerID: String) throws {
        try db.run("UPDATE transcoding_jobs SET worker_id = ? WHERE id = ?", [workerID, jobID])
    }

    /// Records progress and refreshes last_checkpoint. Throws if another worker took the job.
    public func checkpoint(jobID: Int, workerID: String, step: JobStep, percent: Int) throws {
        let n = try db.run(
            """
            UPDATE transcoding_jobs SET current_step = ?, progress_percent = ?, last_checkpoint = ?
            WHERE id = ? AND worker_id = ?
            """, [step.rawValue, max(0, min(100, percent)), clock.now(), jobID, workerID])
        if n == 0 { throw VLogError.conflict("another worker took over this job") }
    }

    public func heartbeat(jobID: Int, workerID: String) throws {
        try db.run(
            "UPDATE transcoding_jobs SET last_checkpoint = ? WHERE id = ? AND worker_id = ?",
            [clock.now(), jobID, workerID])
    }

    /// quality_progress rows for every rung of the ladder: planned ones pending, the others skipped.
    public func planQualities(jobID: Int, plan: LadderPlan, segmentsTotal: Int) throws {
        try db.transaction {
            try db.run(
                "DELETE FROM quality_progress WHERE job_id = ? AND quality NOT IN (\(plan.rungs.map { _ in "?" }.joined(separator: ",")))",
                [jobID] + plan.rungs.map(\.name))
            for r in plan.rungs {
                try upsertQuality(
                    jobID: jobID, quality: r.name, status: .pending, total: segmentsTotal, done: 0, percent: 0)
            }
            for s in plan.skipped where !plan.rungs.contains(where: { $0.name == s.name }) {
                try upsertQuality(jobID: jobID, quality: s.name, status: .skipped, total: 0, done: 0, percent: 0)
            }
        }
    }

    func upsertQuality(jobID: Int, quality: String, status: QualityStatus, total: Int, done: Int, percent: Int) throws {
        let now = clock.now()
        try db.run(
            """
            INSERT INTO quality_progress (job_id, quality, status, segments_total, segments_completed, progress_percent,
                started_at, completed_at, error_message)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
            ON CONFLICT (job_id, quality) DO UPDATE SET status = excluded.status, segments_total = excluded.segments_total,
                segments_completed = excluded.segments_completed, progress_percent = excluded.progress_percent,
                started_at = COALESCE(quality_progress.started_at, excluded.started_at),
                completed_at = excluded.completed_at, error_message = NULL
            """,
            [
                jobID, quality, status, total, done, percent,
                status == .inProgress || status == .completed ? now : nil, status == .completed ? now : nil,
            ])
    }

    /// Progress of the rungs being encoded together (one ffmpeg: they advance in step).
    public func rungProgress(jobID: Int, rungs: [String], segmentsDone: Int, segmentsTotal: Int) throws {
        let pct = segmentsTotal > 0 ? min(99, segmentsDone * 100 / segmentsTotal) : 0
        try db.transaction {
            for r in rungs {
                try db.run(
                    """
                    UPDATE quality_progress SET status = ?, segments_completed = ?, progress_percent = ?,
                        started_at = COALESCE(started_at, ?) WHERE job_id = ? AND quality = ?
                    """, [QualityStatus.inProgress, segmentsDone, pct, clock.now(), jobID, r])
            }
        }
    }

    /// A failed attempt: keeps the error; the video waits for the next attempt.
    public func attemptFailed(jobID: Int, videoID: Int, workerID: String, message: String) throws {
        try db.transaction {
            try db.run(
                "UPDATE transcoding_jobs SET worker_id = NULL, last_error = ? WHERE id = ? AND worker_id = ?",
                [message, jobID, workerID])
            try db.run(
                "UPDATE quality_progress SET status = ?, error_message = ? WHERE job_id = ? AND status = ?",
                [QualityStatus.failed, message, jobID, QualityStatus.inProgress])
            try db.run("UPDATE videos SET status = ? WHERE id = ?", [VideoStatus.pending, videoID])
        }
    }

    /// Gives back an attempt that failed through no fault of the video (a full disk).
    public func refundAttempt(jobID: Int) throws {
        try db.run("UPDATE transcoding_jobs SET attempt_number = MAX(0, attempt_number - 1) WHERE id = ?", [jobID])
    }

    /// Videos that failed (not deleted), for telling the user they are there.
    public func failedSlugs() throws -> [String] {
        try db.query(
            "SELECT slug FROM videos WHERE status = ? AND deleted_at IS NULL ORDER BY slug", [VideoStatus.failed]
        ).compactMap { $0.string("slug") }
    }

    /// The video cannot be published (bad source, or attempts used up).
    public func markFailed(videoID: Int, jobID: Int, message: String) throws {
        // One transaction, or a savepoint inside the caller's (claim runs this inside its own).
        try db.transaction {
            try db.run("UPDATE transcoding_jobs SET worker_id = NULL, last_error = ? WHERE id = ?", [message, jobID])
            try db.run(
                """
                UPDATE quality_progress SET status = ?, error_message = ?
                WHERE job_id = ? AND status IN (?, ?)
                """, [QualityStatus.failed, message, jobID, QualityStatus.pending, QualityStatus.inProgress])
            try db.run(
                "UPDATE videos SET status = ?, error_message = ? WHERE id = ?", [VideoStatus.failed, message, videoID])
        }
    }

    /// Stores probe results on the video.
    public func recordProbe(videoID: Int, probe: ProbeResult) throws {
        try db.run(
            "UPDATE videos SET duration = ?, source_width = ?, source_height = ? WHERE id = ?",
            [probe.duration, probe.width, probe.height, videoID])
    }

    /// The finished job: video_qualities, status ready, completed_at, progress 100, in one transaction.
    public func finish(
        jobID: Int, videoID: Int, workerID: String, rungs: [HLS.RungStats], segmentsTotal: Int,
        quality: [String: RungQuality] = [:]
    ) throws {
        let now = clock.now()
        try db.transaction {
            try recordRendition(videoID: videoID, rungs: rungs, quality: quality)
            for r in rungs where r.planned.codec == .h264 {
                try upsertQuality(
                    jobID: jobID, quality: r.planned.name, status: .completed, total: segmentsTotal,
                    done: segmentsTotal, percent: 100)
            }
            try db.run(
                """
                UPDATE transcoding_jobs SET current_step = 'finalize', progress_percent = 100, completed_at = ?,
                    last_checkpoint = ?, last_error = NULL WHERE id = ?
                """, [now, now, jobID])
            try db.run("UPDATE videos SET status = ?, error_message = NULL WHERE id = ?", [VideoStatus.ready, videoID])
        }
    }

    /// A video's rungs (`video_qualities`) and their measured quality, replacing what was there
    /// (inside the caller's transaction).
    public func recordRendition(videoID: Int, rungs: [HLS.RungStats], quality: [String: RungQuality]) throws {
        let now = clock.now()
        try db.run("DELETE FROM video_qualities WHERE video_id = ?", [videoID])
        try db.run("DELETE FROM vlog_rung_quality WHERE video_id = ?", [videoID])
        for (name, q) in quality.sorted(by: { $0.key < $1.key }) {
            try db.run(
                "INSERT INTO vlog_rung_quality (video_id, quality, ssim, psnr, crf, measured_at) VALUES (?, ?, ?, ?, ?, ?)",
                [videoID, name, q.ssim, q.psnr, q.crf, now])
        }
        for r in rungs where r.planned.codec == .h264 {
            try db.run(
                "INSERT INTO video_qualities (video_id, quality, width, height, bitrate) VALUES (?, ?, ?, ?, ?)",
                [
                    videoID, r.planned.name, r.planned.width, r.planned.height,
                    Int((Double(r.averageBitsPerSecond) / 1000).rounded()),
                ])
        }
    }

    /// Puts failed videos back in the queue with fresh attempts.
    public func requeueFailed() throws -> Int {
        try db.transaction {
            try db.run(
                """
                UPDATE transcoding_jobs SET attempt_number = 0, last_error = NULL, completed_at = NULL, worker_id = NULL
                WHERE video_id IN (SELECT id FROM videos WHERE status = ? AND deleted_at IS NULL)
                """, [VideoStatus.failed])
            return try db.run(
                "UPDATE videos SET status = ?, error_message = NULL WHERE status = ? AND deleted_at IS NULL",
                [VideoStatus.pending, VideoStatus.failed])
        }
    }
}
