import Foundation

/// `vlog transcode --collect` (also run by `vlog build`): for every job a cluster engine holds,
/// reads its worker's files on the shared storage.
///
/// - `result.json` says done: the rendition is verified and published here, exactly as a local
///   transcode finishes (master playlist, storyboard map, posters, the folder swapped into place,
///   `video_qualities` and `ready` in one transaction); this never encodes.
/// - `result.json` says failed: a permanent error fails the video; any other is sent again.
/// - No result yet: `progress.json` becomes the job's step, percent and `last_checkpoint`. A job
///   whose engine says it is gone (its parallel or command process has exited, Slurm no longer
///   lists it), or whose worker has been silent for `stale_timeout_seconds`, is lost: sent again.
/// Sending again counts an attempt; after `max_attempts` the video is failed with the last error.
extension Cluster {
    public func collect() throws -> ClusterSummary {
        var summary = ClusterSummary()
        try site.ensureStorage()
        try FileManager.default.createDirectory(at: workRoot, withIntermediateDirectories: true)
        let lock = WorkerLock(url: workRoot.appendingPathComponent("dispatch.lock"))
        guard try lock.tryAcquire().acquired else { return summary }  // a dispatch is under way
        defer { lock.release() }
        let db = try site.openDatabase()
        let jobs = JobStore(db: db, clock: clock)
        let held = try db.query(
            """
            SELECT j.id AS job_id, j.worker_id, j.last_checkpoint, v.id AS video_id FROM transcoding_jobs j
            JOIN videos v ON v.id = j.video_id
            WHERE j.worker_id LIKE 'cluster:%' AND v.status = 'processing' AND v.deleted_at IS NULL
            """)
        var resend: [(Video, TranscodingJob, String)] = []
        for row in held {
            guard let videoID = row.int("video_id"), let video = try Store(db).video(id: videoID),
                let job = try jobs.job(videoID: videoID), let workerID = job.workerID
            else { continue }
            let work = workRoot.appendingPathComponent(video.slug)
            let spec = try? Worker.read(work.appendingPathComponent("spec.json"))
            let expected = "\(video.slug)#\(job.attemptNumber)"
            let result = Worker.report(work.appendingPathComponent("result.json")).flatMap {
                $0.job == expected ? $0 : nil
            }
            if let result, result.ok == true {
                switch try publish(video: video, job: job, workerID: workerID, jobs: jobs, work: work) {
                case .ready: summary.ready.append(video.slug)
                case .failed(let why): resend.append((video, job, why))
                default: summary.running.append(video.slug)
                }
            } else if let result, result.ok == false {
                let why = "the worker on \(result.host) failed: \(result.error ?? "no reason given")"
                if result.permanent == true {
                    try jobs.markFailed(videoID: video.id, jobID: job.id, message: why)
                    summary.failed[video.slug] = why
                } else {
                    resend.append((video, job, why))
                }
            } else {
                let progress = Worker.report(work.appendingPathComponent("progress.json")).flatMap {
                    $0.job == expected ? $0 : nil
                }
                if let progress, progress.updatedAt > (job.lastCheckpoint ?? .distantPast) {
                    try db.run(
                        """
                        UPDATE transcoding_jobs SET current_step = ?, progress_percent = ?, last_checkpoint = ?
                        WHERE id = ? AND worker_id = ?
                        """, [progress.step, progress.percent, progress.updatedAt, job.id, workerID])
                }
                // A worker of this job running here holds its lock: not lost, whatever the engine says.
                let workerLock = WorkerLock(url: work.appendingPathComponent("worker.lock"))
                let workerHere =
                    (try? workerLock.tryAcquire().acquired).map { free -> Bool in
                        if free { workerLock.release() }
                        return !free
                    } ?? false
                let heard = max(progress?.updatedAt ?? .distantPast, job.lastCheckpoint ?? .distantPast)
                let silent = clock.now().timeIntervalSince(heard) > Double(site.config.staleTimeoutSeconds)
                if !workerHere && (spec == nil || engineGone(workerID) || silent) {
                    let why =
                        spec == nil
                        ? "the dispatch stopped before the job was submitted"
                        : silent
                            ? "the worker was silent for \(site.config.staleTimeoutSeconds) s"
                            : "the engine's job (\(workerID.dropFirst(Self.prefix.count))) ended without a result"
                    resend.append((video, job, why))
                } else {
                    summary.running.append(video.slug)
                }
            }
        }
        // Lost or failed: the next attempt, through the engine that had it (or the configured one).
        var again: [(Video, TranscodingJob)] = []
        for (video, job, why) in resend {
            let engine = String(job.workerID?.dropFirst(Self.prefix.count).prefix { $0 != ":" } ?? "")
            if job.attemptNumber >= job.maxAttempts {
                let message = "\(why) (after \(job.attemptNumber) attempt(s))"
                try jobs.markFailed(videoID: video.id, jobID: job.id, message: message)
                summary.failed[video.slug] = message
                continue
            }
            try db.run(
                """
                UPDATE transcoding_jobs SET attempt_number = attempt_number + 1, last_error = ?, started_at = ?,
                    last_checkpoint = ?, progress_percent = 0, current_step = 'probe', worker_id = ? WHERE id = ?
                """,
                [
                    why, clock.now(), clock.now(), Self.prefix + (engine.isEmpty ? (config.engine ?? "") : engine),
                    job.id,
                ])
            if let fresh = try jobs.job(videoID: video.id) { again.append((video, fresh)) }
            summary.resent.append(video.slug)
        }
        for engine in Set(again.compactMap { $0.1.workerID?.dropFirst(Self.prefix.count) }.map(String.init)) {
            try submit(
                again.filter { $0.1.workerID == Self.prefix + engine }, engine: try self.engine(engine), jobs: jobs,
                summary: &summary)
        }
        return summary
    }

    /// Publishes a worker's verified rendition; the job moves from the engine to this process.
    func publish(video: Video, job: TranscodingJob, workerID: String, jobs: JobStore, work: URL) throws
        -> Transcoder.Result
    {
        let local = "collect:\(WorkerLock.hostName):\(getpid())"
        guard
            try jobs.db.run(
                "UPDATE transcoding_jobs SET worker_id = ? WHERE id = ? AND worker_id = ?", [local, job.id, workerID])
                == 1,
            let mine = try jobs.job(videoID: video.id)
        else { return .busy }
        let lock = WorkerLock(url: workRoot.appendingPathComponent("\(video.slug).lock"))
        guard try lock.tryAcquire().acquired else { return .busy }
        defer { lock.release() }
        let attempt = Attempt(
            env: AttemptEnvironment(
                site: site, runner: runner, clock: clock, reporter: SilentReporter(), workerID: local),
            video: video, job: mine, jobs: jobs, work: work, lock: lock)
        attempt.encodeAllowed = false
        do {
            try attempt.run()
            return .ready
        } catch let e as AttemptError {
            // Back to the engine's name, so the resend below finds it.
            try jobs.db.run("UPDATE transcoding_jobs SET worker_id = ? WHERE id = ?", [workerID, job.id])
            return .failed(e.message)
        }
    }

    /// Whether the engine says the job is over (false when it cannot say).
    func engineGone(_ workerID: String) -> Bool {
        let parts = workerID.dropFirst(Self.prefix.count).split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return true }  // claimed, never submitted
        switch parts[0] {
        case "parallel", "command":
            let hp = parts[1].split(separator: ":")
            guard hp.count == 2, String(hp[0]) == WorkerLock.hostName, let pid = Int32(hp[1]) else { return false }
            return kill(pid, 0) != 0 && errno == ESRCH
        case "slurm":
            guard let r = try? runner.run("squeue", ["-h", "-j", parts[1], "-o", "%T"], timeout: 30), r.status == 0
            else {
                return false
            }
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        default: return false
        }
    }
}
