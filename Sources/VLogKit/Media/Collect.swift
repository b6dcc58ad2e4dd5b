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
        var resend: [(Video, TranscodingJob, String)] = []
        for videoID in try jobs.heldByCluster().sorted() {
            guard let video = try Store(db).video(id: videoID), let job = try jobs.job(videoID: videoID),
                let workerID = job.workerID
            else { continue }
            let work = workRoot.appendingPathComponent(video.slug)
            let spec = try? Worker.read(work.appendingPathComponent("spec.json"))
            let expected = "\(video.slug)#\(job.attemptNumber)"
            let (result, progress, unfinished) = reports(work: work, spec: spec, expected: expected, workerID: workerID)
            if let result, result.ok == true {
                switch try publish(video: video, job: job, workerID: workerID, jobs: jobs, work: work, spec: spec) {
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
                if let progress, progress.updatedAt > (job.lastCheckpoint ?? .distantPast) {
                    try db.run(
                        """
                        UPDATE transcoding_jobs SET current_step = ?, progress_percent = ?, last_checkpoint = ?
                        WHERE id = ? AND worker_id = ?
                        """, [progress.step, progress.percent, progress.updatedAt, job.id, workerID])
                }
                // A worker of this job running here holds its lock: not lost, whatever the engine says.
                let workerHere = unfinished.contains { WorkerLock.isHeld($0.dir.appendingPathComponent("worker.lock")) }
                let heard = max(progress?.updatedAt ?? .distantPast, job.lastCheckpoint ?? .distantPast)
                let silent = clock.now().timeIntervalSince(heard) > Double(site.config.staleTimeoutSeconds)
                if !workerHere && (spec == nil || unfinished.contains { engineGone($0.id) } || silent) {
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
            let engine = Self.engineName(job.workerID ?? "")
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
        for engine in Set(again.map { Self.engineName($0.1.workerID ?? "") }) {
            try submit(
                again.filter { Self.engineName($0.1.workerID ?? "") == engine }, engine: try self.engine(engine),
                jobs: jobs, summary: &summary)
        }
        return summary
    }

    /// Publishes a worker's verified rendition (a chunked one is joined first). The job keeps its
    /// engine's worker_id throughout, so a collect killed while publishing leaves it where the next
    /// collect finds it; the video's lock keeps two collects apart.
    func publish(video: Video, job: TranscodingJob, workerID: String, jobs: JobStore, work: URL, spec: WorkerSpec?)
        throws -> Transcoder.Result
    {
        let lock = WorkerLock(url: workRoot.appendingPathComponent("\(video.slug).lock"))
        guard try lock.tryAcquire().acquired else { return .busy }
        defer { lock.release() }
        let attempt = Attempt(
            env: AttemptEnvironment(
                site: site, runner: runner, clock: clock, reporter: SilentReporter(), workerID: workerID),
            video: video, job: job, jobs: jobs, work: work, lock: lock)
        attempt.encodeAllowed = false
        attempt.settings = spec?.settings
        do {
            try attempt.run()
            return .ready
        } catch let e as AttemptError {
            // Still the engine's, so the resend below finds it.
            try jobs.db.run("UPDATE transcoding_jobs SET worker_id = ? WHERE id = ?", [workerID, job.id])
            return .failed(e.message)
        }
    }

    /// A job's result and progress. A chunked video's come from its parts: its result is done
    /// when every part is, failed when one failed; its progress is their mean. `unfinished` lists
    /// the parts (their folder and engine id, `ENGINE:ID`) without a result.
    func reports(work: URL, spec: WorkerSpec?, expected: String, workerID: String)
        -> (result: WorkerReport?, progress: WorkerReport?, unfinished: [(dir: URL, id: String)])
    {
        func read(_ dir: URL, _ name: String) -> WorkerReport? {
            Worker.report(dir.appendingPathComponent(name)).flatMap { $0.job == expected ? $0 : nil }
        }
        let id = workerID.dropFirst(Self.prefix.count)
        let engine = Self.engineName(workerID)
        let ids = id.dropFirst(engine.count + 1).split(separator: "+", omittingEmptySubsequences: false)
        guard let parts = spec?.parts else {
            let result = read(work, "result.json")
            return (result, read(work, "progress.json"), result == nil ? [(work, String(id))] : [])
        }
        var results: [WorkerReport] = []
        var progress: [WorkerReport] = []
        var unfinished: [(dir: URL, id: String)] = []
        for (i, part) in parts.enumerated() {
            let dir = work.appendingPathComponent("parts").appendingPathComponent(part)
            if let r = read(dir, "result.json") {
                results.append(r)
            } else {
                unfinished.append((dir, engine + ":" + (i < ids.count ? String(ids[i]) : "")))
                if let p = read(dir, "progress.json") { progress.append(p) }
            }
        }
        // A failed part is acted on once no other part still runs (sent again meanwhile, those
        // would find their own worker busy and the attempt spent for nothing).
        if let failed = results.first(where: { $0.ok != true }),
            failed.permanent == true
                || !unfinished.contains(where: {
                    WorkerLock.isHeld($0.dir.appendingPathComponent("worker.lock")) || !engineGone($0.id)
                })
        {
            return (failed, nil, unfinished)
        }
        if unfinished.isEmpty, var done = results.first {
            done.seconds = results.compactMap(\.seconds).max()
            return (done, nil, [])
        }
        guard var mean = progress.max(by: { $0.updatedAt < $1.updatedAt }) else { return (nil, nil, unfinished) }
        mean.percent = (results.count * 100 + progress.reduce(0) { $0 + $1.percent }) / parts.count
        mean.step = JobStep.transcode.rawValue
        return (nil, mean, unfinished)
    }

    /// Whether the engine says the job (`ENGINE:ID`) is over (false when it cannot say).
    func engineGone(_ engineAndID: String) -> Bool {
        let parts = engineAndID.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else { return true }  // claimed, never submitted
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
