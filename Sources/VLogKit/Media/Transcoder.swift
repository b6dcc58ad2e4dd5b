import Foundation

/// Receives progress of running jobs (a terminal bar, plain lines, or nothing in tests).
public protocol TranscodeReporting: Sendable {
    func update(slug: String, step: JobStep, percent: Int)
    func finished(slug: String, ok: Bool, message: String)
}

public struct SilentReporter: TranscodeReporting {
    public init() {}
    public func update(slug: String, step: JobStep, percent: Int) {}
    public func finished(slug: String, ok: Bool, message: String) {}
}

/// What a `vlog transcode` run did.
public struct TranscodeSummary: Sendable {
    public var ready: [String] = []
    public var failed: [String: String] = [:]
    public var busy: [String] = []
    public var ffmpegRuns = 0
}

/// Turns pending videos into HLS ladders: probe -> thumbnail -> transcode -> master_playlist ->
/// finalize, with checkpoints so a killed run resumes. Work happens in videos/.work/<slug>/ and
/// moves into videos/<slug>/ only once verified, so a web server never sees a partial playlist.
public struct Transcoder: Sendable {
    public let site: Site
    public var runner: any ProcessRunning
    public var clock: Clock
    public var reporter: any TranscodeReporting
    /// Identifies this process in transcoding_jobs.worker_id.
    public let workerID = UUID().uuidString.lowercased()

    public init(site: Site, runner: any ProcessRunning = SystemProcessRunner(), clock: Clock = .system,
                reporter: any TranscodeReporting = SilentReporter()) {
        self.site = site; self.runner = runner; self.clock = clock; self.reporter = reporter
    }

    var workRoot: URL { site.videosURL.appendingPathComponent(".work") }

    /// Transcodes every video that needs it, `workers` at a time. Does nothing (no ffmpeg at all)
    /// when every video is ready.
    public func run(workers: Int = 1, retryFailed: Bool = false) throws -> TranscodeSummary {
        try site.ensureStorage()
        let db = try site.openDatabase()
        let jobs = JobStore(db: db, clock: clock)
        if retryFailed { _ = try jobs.requeueFailed() }
        let queue = try jobs.candidates()
        let summary = LockedBox(TranscodeSummary())
        let next = LockedBox(0)
        let firstError = LockedBox<Error?>(nil)
        DispatchQueue.concurrentPerform(iterations: max(1, min(workers, queue.count))) { _ in
            do {
                let conn = try site.openDatabase()
                while true {
                    let i = next.withLock { n -> Int in defer { n += 1 }; return n }
                    guard i < queue.count else { return }
                    let outcome = try process(queue[i], db: conn)
                    summary.withLock { s in
                        s.ffmpegRuns += outcome.ffmpegRuns
                        switch outcome.result {
                        case .ready: s.ready.append(queue[i].slug)
                        case .failed(let m): s.failed[queue[i].slug] = m
                        case .busy: s.busy.append(queue[i].slug)
                        case .skipped: break
                        }
                    }
                }
            } catch {
                firstError.withLock { if $0 == nil { $0 = error } }
            }
        }
        if let e = firstError.value { throw e }
        return summary.value
    }

    enum Result: Equatable { case ready, failed(String), busy, skipped }
    struct Outcome { var result: Result; var ffmpegRuns: Int }

    /// One video, retried until it is ready or its attempts are used up.
    func process(_ video: Video, db: SQLiteConnection) throws -> Outcome {
        let jobs = JobStore(db: db, clock: clock)
        let work = workRoot.appendingPathComponent(video.slug)
        let lock = WorkerLock(url: workRoot.appendingPathComponent("\(video.slug).lock"))
        let (acquired, previous) = try lock.tryAcquire()
        defer { lock.release() }
        var runs = 0
        while true {
            let ownerGone = acquired && (previous == nil || previous?.host == WorkerLock.hostName)
            if !acquired, let job = try jobs.job(videoID: video.id), job.workerID != nil {
                // Locked by a live process on this host; only a stale checkpoint lets us in (other hosts).
                let age = job.lastCheckpoint.map { clock.now().timeIntervalSince($0) } ?? .infinity
                if age <= Double(site.config.staleTimeoutSeconds) { return Outcome(result: .busy, ffmpegRuns: runs) }
            }
            let claim = try jobs.claim(video: video, workerID: workerID, maxAttempts: site.config.maxAttempts,
                                       staleTimeout: Double(site.config.staleTimeoutSeconds), ownerGone: ownerGone)
            let job: TranscodingJob
            switch claim {
            case .busy: return Outcome(result: .busy, ffmpegRuns: runs)
            case .notNeeded: return Outcome(result: .skipped, ffmpegRuns: runs)
            case .exhausted(let why):
                reporter.finished(slug: video.slug, ok: false, message: why)
                return Outcome(result: .failed(why), ffmpegRuns: runs)
            case .claimed(let j): job = j
            }
            WorkerLock.killOrphan(previous, workDir: work)
            lock.record(.init(host: WorkerLock.hostName, pid: getpid(), childPID: 0, workerID: workerID))
            let attempt = Attempt(transcoder: self, video: video, job: job, jobs: jobs, work: work, lock: lock)
            do {
                try attempt.run()
                runs += attempt.ffmpegRuns.value
                reporter.finished(slug: video.slug, ok: true, message: "ready")
                return Outcome(result: .ready, ffmpegRuns: runs)
            } catch let e as AttemptError {
                runs += attempt.ffmpegRuns.value
                if e.permanent {
                    try jobs.markFailed(videoID: video.id, jobID: job.id, message: e.message)
                    try? FileManager.default.removeItem(at: work)
                    reporter.finished(slug: video.slug, ok: false, message: e.message)
                    return Outcome(result: .failed(e.message), ffmpegRuns: runs)
                }
                try jobs.attemptFailed(jobID: job.id, videoID: video.id, workerID: workerID, message: e.message)
                if try jobs.job(videoID: video.id).map({ $0.attemptNumber >= $0.maxAttempts }) ?? true {
                    try? FileManager.default.removeItem(at: work)
                }
                // Loop: the claim counts the attempt and fails the video when none are left.
            }
        }
    }
}

/// An error inside one attempt; `permanent` ones (a bad source) are not retried.
struct AttemptError: Error {
    var message: String
    var permanent: Bool
}
