import Foundation
import VLogConfig
import VLogContent
import VLogStore
import VLogSupport

/// `vlog transcode --collect` (also run by `vlog build`): for every job a cluster engine holds,
/// reads its worker's files on the shared storage (`observe`), decides what to do (`decide`, a
/// pure function of what was seen) and does it (`apply`, through `JobStore`).
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
    /// What collect saw of one job on the shared storage and from its engine.
    struct Observation: Equatable {
        var attemptNumber: Int
        var maxAttempts: Int
        var lastCheckpoint: Date?
        /// The engine's job, for messages (`slurm:1234_0`).
        var engineJob: String
        /// The spec was written (else the dispatch stopped before submitting).
        var hasSpec: Bool
        var result: WorkerReport?
        var progress: WorkerReport?
        /// A worker of this job runs on this machine (holds its lock).
        var workerHere: Bool
        /// The engine says a part without a result is over.
        var engineGone: Bool
    }

    /// What to do with one job.
    enum Decision: Equatable {
        /// The worker's rendition is done: verify and publish it.
        case publish
        /// Running: record its progress, if newer.
        case running(progress: WorkerReport?)
        /// Lost or failed: a new attempt through the same engine.
        case resend(String)
        /// Failed for good.
        case fail(String)
    }

    /// The rules of collect, with no files, processes or clock of their own.
    static func decide(_ o: Observation, now: Date, staleTimeout: Int) -> Decision {
        if let result = o.result, result.ok == true { return .publish }
        if let result = o.result {
            let why = "the worker on \(result.host) failed: \(result.error ?? "no reason given")"
            return result.permanent == true ? .fail(why) : retry(o, why)
        }
        let heard = max(o.progress?.updatedAt ?? .distantPast, o.lastCheckpoint ?? .distantPast)
        let silent = JobStore.isStale(lastCheckpoint: heard, now: now, timeout: Double(staleTimeout))
        // A worker of this job running here holds its lock: not lost, whatever the engine says.
        if o.workerHere || (o.hasSpec && !o.engineGone && !silent) { return .running(progress: o.progress) }
        let why =
            !o.hasSpec
            ? "the dispatch stopped before the job was submitted"
            : silent
                ? "the worker was silent for \(staleTimeout) s"
                : "the engine's job (\(o.engineJob)) ended without a result"
        return retry(o, why)
    }

    /// Another attempt while attempts are left, else failed with the last reason.
    static func retry(_ o: Observation, _ why: String) -> Decision {
        o.attemptNumber >= o.maxAttempts ? .fail("\(why) (after \(o.attemptNumber) attempt(s))") : .resend(why)
    }

    public func collect() throws -> ClusterSummary {
        var summary = ClusterSummary()
        try site.ensureStorage()
        try FileManager.default.createDirectory(at: workRoot, withIntermediateDirectories: true)
        let lock = WorkerLock(url: WorkFolder.dispatchLock(videos: site.videosURL))
        guard try lock.tryAcquire().acquired else { return summary }  // a dispatch is under way
        defer { lock.release() }
        let db = try site.openDatabase()
        let jobs = JobStore(db: db, clock: clock)
        var resend: [(Video, TranscodingJob, String)] = []
        for videoID in try jobs.heldByCluster().sorted() {
            guard let video = try Store(db).video(id: videoID), let job = try jobs.job(videoID: videoID),
                let workerID = job.workerID
            else { continue }
            let work = work(video.slug)
            let spec = try? Worker.read(work.spec)
            let seen = observe(job: job, slug: video.slug, worker: WorkerID(workerID), work: work, spec: spec)
            var decision = Self.decide(seen, now: clock.now(), staleTimeout: site.config.staleTimeoutSeconds)
            if decision == .publish {
                switch try publish(video: video, job: job, workerID: workerID, jobs: jobs, work: work.url, spec: spec) {
                case .ready:
                    summary.ready.append(video.slug)
                    continue
                case .failed(let why): decision = Self.retry(seen, why)
                default: decision = .running(progress: nil)
                }
            }
            switch decision {
            case .publish: break
            case .running(let progress):
                if let progress, progress.updatedAt > (job.lastCheckpoint ?? .distantPast) {
                    try jobs.recordProgress(jobID: job.id, workerID: workerID, report: progress)
                }
                summary.running.append(video.slug)
            case .resend(let why): resend.append((video, job, why))
            case .fail(let why):
                try jobs.markFailed(videoID: video.id, jobID: job.id, message: why)
                summary.failed[video.slug] = why
            }
        }
        // Lost or failed: the next attempt, through the engine that had it (or the configured one).
        var again: [(Video, TranscodingJob, ClusterEngine)] = []
        for (video, job, why) in resend {
            guard let engine = WorkerID(job.workerID ?? "").engine ?? config.engine else {
                try jobs.markFailed(
                    videoID: video.id, jobID: job.id, message: "\(why) (no cluster engine to send it to)")
                continue
            }
            if let fresh = try jobs.nextAttempt(jobID: job.id, videoID: video.id, why: why, by: .claimed(by: engine)) {
                again.append((video, fresh, engine))
            }
            summary.resent.append(video.slug)
        }
        for engine in ClusterEngine.allCases where again.contains(where: { $0.2 == engine }) {
            try submit(
                again.filter { $0.2 == engine }.map { ($0.0, $0.1) }, engine: try self.engine(engine.rawValue),
                jobs: jobs, summary: &summary)
        }
        return summary
    }

    /// Reads a job's reports (a chunked video's come from its parts: its result is done when
    /// every part is, failed when one failed; its progress is their mean) and asks the engine
    /// about the parts without a result.
    func observe(job: TranscodingJob, slug: String, worker: WorkerID, work: WorkFolder, spec: WorkerSpec?)
        -> Observation
    {
        let expected = "\(slug)#\(job.attemptNumber)"
        func read(_ url: URL) -> WorkerReport? {
            Worker.report(url).flatMap { $0.job == expected ? $0 : nil }
        }
        var seen = Observation(
            attemptNumber: job.attemptNumber, maxAttempts: job.maxAttempts, lastCheckpoint: job.lastCheckpoint,
            engineJob: worker.engineJob, hasSpec: spec != nil, result: nil, progress: nil, workerHere: false,
            engineGone: false)
        var unfinished: [(folder: WorkFolder, id: String)] = []
        if let parts = spec?.parts {
            var results: [WorkerReport] = []
            var progress: [WorkerReport] = []
            for (i, part) in parts.enumerated() {
                let dir = work.part(part)
                if let r = read(dir.result) {
                    results.append(r)
                } else {
                    unfinished.append((dir, worker.engineID(part: i)))
                    if let p = read(dir.progress) { progress.append(p) }
                }
            }
            // A failed part is acted on once no other part still runs (sent again meanwhile, those
            // would find their own worker busy and the attempt spent for nothing).
            if let failed = results.first(where: { $0.ok != true }),
                failed.permanent == true
                    || !unfinished.contains(where: {
                        WorkerLock.isHeld($0.folder.workerLock) || !engineGone(worker.engine, $0.id)
                    })
            {
                seen.result = failed
            } else if unfinished.isEmpty, var done = results.first {
                done.seconds = results.compactMap(\.seconds).max()
                seen.result = done
            } else if var mean = progress.max(by: { $0.updatedAt < $1.updatedAt }) {
                mean.percent = (results.count * 100 + progress.reduce(0) { $0 + $1.percent }) / parts.count
                mean.step = JobStep.transcode.rawValue
                seen.progress = mean
            }
        } else {
            seen.result = read(work.result)
            seen.progress = read(work.progress)
            if seen.result == nil { unfinished = [(work, worker.engineID(part: 0))] }
        }
        if seen.result == nil {
            seen.workerHere = unfinished.contains { WorkerLock.isHeld($0.folder.workerLock) }
            seen.engineGone = unfinished.contains { engineGone(worker.engine, $0.id) }
        }
        return seen
    }

    /// Publishes a worker's verified rendition (a chunked one is joined first). The job keeps its
    /// engine's worker_id throughout, so a collect killed while publishing leaves it where the next
    /// collect finds it; the video's lock keeps two collects apart.
    func publish(video: Video, job: TranscodingJob, workerID: String, jobs: JobStore, work: URL, spec: WorkerSpec?)
        throws -> Transcoder.Result
    {
        let lock = WorkerLock(url: WorkFolder.transcodeLock(slug: video.slug, videos: site.videosURL))
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
            // Still the engine's, so the resend finds it.
            try jobs.holdAgain(jobID: job.id, workerID: workerID)
            return .failed(e.message)
        }
    }

    /// Whether the engine says its job `id` is over (false when it cannot say; true when the job
    /// was claimed but never submitted).
    func engineGone(_ engine: ClusterEngine?, _ id: String) -> Bool {
        guard !id.isEmpty else { return true }
        guard let engine else { return false }
        switch engine {
        case .parallel, .command:
            let hp = id.split(separator: ":")
            guard hp.count == 2, String(hp[0]) == WorkerLock.hostName, let pid = Int32(hp[1]) else { return false }
            if kill(pid, 0) != 0 && errno == ESRCH { return true }
            // The pid is `setsid --wait` (see `EngineSubmit.spawnDetached`) until the engine ends;
            // a zombie (no command line) or another program that got the pid since is not it.
            guard let line = Executable.commandLine(pid: pid) else { return true }
            return !line.contains("setsid")
        case .slurm:
            guard let r = try? runner.run("squeue", ["-h", "-j", id, "-o", "%T"], timeout: 30), r.status == 0 else {
                return false
            }
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        case .kubernetes: return false
        }
    }
}
