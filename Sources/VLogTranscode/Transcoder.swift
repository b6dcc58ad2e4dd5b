import Foundation
import VLogConfig
import VLogContent
import VLogStore
import VLogSupport

/// Receives progress of running jobs (a terminal bar, plain lines, or nothing in tests).
public protocol TranscodeReporting: Sendable {
    func update(slug: String, step: JobStep, percent: Int)
    func finished(slug: String, ok: Bool, message: String)
    /// The video's length, once probed (for speed and time left).
    func probed(slug: String, duration: Double)
}

extension TranscodeReporting {
    public func probed(slug: String, duration: Double) {}
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
    /// Ready videos brought to a new rendition (`vlog transcode --reencode`'s queue).
    public var reencoded: [String] = []
    public var ffmpegRuns = 0
    /// Videos that were failed before this run (still failed: `--retry-failed` tries again).
    public var failedEarlier: [String] = []
    /// Videos left alone, with why (an unsafe slug written by another tool).
    public var warnings: [String] = []
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

    public init(
        site: Site, runner: any ProcessRunning = SystemProcessRunner(), clock: Clock = .system,
        reporter: any TranscodeReporting = SilentReporter()
    ) {
        self.site = site
        self.runner = runner
        self.clock = clock
        self.reporter = reporter
    }

    var workRoot: URL { WorkFolder.root(videos: site.videosURL) }

    /// Whether any video waits for a transcode (what `vlog serve` asks before saying anything).
    public func hasWork() throws -> Bool {
        let db = try site.openDatabase(.read)
        let jobs = JobStore(db: db, clock: clock)
        let held = try jobs.heldByCluster()
        return try jobs.candidates().contains { !held.contains($0.id) }
            || Reencoder(site: site, runner: runner, clock: clock).hasWork()
    }

    /// Transcodes every video that needs it, `workers` at a time. Does nothing (no ffmpeg at all)
    /// when every video is ready.
    public func run(workers: Int = 1, retryFailed: Bool = false) throws -> TranscodeSummary {
        try site.ensureStorage()
        let db = try site.openDatabase()
        let jobs = JobStore(db: db, clock: clock)
        if retryFailed { _ = try jobs.requeueFailed() }
        var warnings: [String] = []
        // Jobs a cluster engine holds are collected, not encoded here (Collect.swift).
        let held = try jobs.heldByCluster()
        let queue = try jobs.candidates().filter { v in
            if held.contains(v.id) { return false }
            do {
                try Slug.validate(v.slug)
                return true
            } catch {
                warnings.append(
                    "skipped the video with the unsafe slug `\(v.slug.debugDescription.dropFirst().dropLast())`; give it a safe one: `vlog video edit \(Format.shellQuoted(v.slug)) --slug NEW-SLUG`"
                )
                return false
            }
        }
        let summary = LockedBox(TranscodeSummary())
        summary.withLock { $0.warnings = warnings }
        try Self.eachVideo(queue, workers: workers, site: site) { video, conn in
            let outcome = try process(video, db: conn)
            summary.withLock { s in
                s.ffmpegRuns += outcome.ffmpegRuns
                switch outcome.result {
                case .ready: s.ready.append(video.slug)
                case .failed(let m): s.failed[video.slug] = m
                case .busy: s.busy.append(video.slug)
                case .skipped: break
                }
            }
        }
        // Then what `--reencode` queued (its own attempts; a failure keeps the old rendition).
        let re = try Reencoder(site: site, runner: runner, clock: clock, reporter: reporter).run(workers: workers)
        summary.withLock { s in
            s.reencoded = re.reencoded
            s.busy += re.busy
            s.failed.merge(re.failed) { a, _ in a }
        }
        let failed = try jobs.failedSlugs()
        summary.withLock { s in s.failedEarlier = failed.filter { s.failed[$0] == nil } }
        return summary.value
    }

    /// `body` for each item, `workers` at a time, each worker on its own database connection;
    /// the first error thrown stops the workers and is thrown.
    static func eachVideo<T: Sendable>(
        _ items: [T], workers: Int, site: Site, _ body: @Sendable @escaping (T, SQLiteConnection) throws -> Void
    ) throws {
        let next = LockedBox(0)
        let firstError = LockedBox<Error?>(nil)
        DispatchQueue.concurrentPerform(iterations: max(1, min(workers, items.count))) { _ in
            do {
                let conn = try site.openDatabase()
                while firstError.value == nil {
                    let i = next.withLock { n -> Int in
                        defer { n += 1 }
                        return n
                    }
                    guard i < items.count else { return }
                    try body(items[i], conn)
                }
            } catch {
                firstError.withLock { if $0 == nil { $0 = error } }
            }
        }
        if let e = firstError.value { throw e }
    }

    enum Result: Equatable {
        case ready
        case failed(String)
        case busy, skipped
    }
    struct Outcome {
        var result: Result
        var ffmpegRuns: Int
    }

    /// One video, retried until it is ready or its attempts are used up.
    func process(_ video: Video, db: SQLiteConnection) throws -> Outcome {
        let jobs = JobStore(db: db, clock: clock)
        let work = workRoot.appendingPathComponent(video.slug)
        let lock = WorkerLock(url: WorkFolder.transcodeLock(slug: video.slug, videos: site.videosURL))
        let (acquired, previous) = try lock.tryAcquire()
        defer { lock.release() }
        var runs = 0
        while true {
            let ownerGone = acquired && (previous == nil || previous?.host == WorkerLock.hostName)
            if !acquired, let job = try jobs.job(videoID: video.id), job.workerID != nil {
                // Locked by a live process on this host; only a stale checkpoint lets us in (other hosts).
                let timeout = Double(site.config.staleTimeoutSeconds)
                if !JobStore.isStale(lastCheckpoint: job.lastCheckpoint, now: clock.now(), timeout: timeout) {
                    return Outcome(result: .busy, ffmpegRuns: runs)
                }
            }
            let claim = try jobs.claim(
                video: video, workerID: workerID, maxAttempts: site.config.maxAttempts,
                staleTimeout: Double(site.config.staleTimeoutSeconds), ownerGone: ownerGone)
            let job: TranscodingJob
            switch claim {
            case .busy: return Outcome(result: .busy, ffmpegRuns: runs)
            case .notNeeded: return Outcome(result: .skipped, ffmpegRuns: runs)
            case .exhausted(let why):
                WorkerLock.killOrphan(previous, workDir: work)
                reporter.finished(slug: video.slug, ok: false, message: why)
                return Outcome(result: .failed(why), ffmpegRuns: runs)
            case .claimed(let j): job = j
            }
            WorkerLock.killOrphan(previous, workDir: work)
            lock.record(.init(host: WorkerLock.hostName, pid: getpid(), childPID: 0, workerID: workerID))
            let attempt = Attempt(
                env: AttemptEnvironment(
                    site: site, runner: runner, clock: clock, reporter: reporter, workerID: workerID), video: video,
                job: job, jobs: jobs, work: work, lock: lock)
            do {
                try attempt.run()
                runs += attempt.ffmpegRuns.value
                reporter.finished(slug: video.slug, ok: true, message: "ready")
                return Outcome(result: .ready, ffmpegRuns: runs)
            } catch let e as DiskFull {
                // Not the video's fault: the attempt is given back and the whole run stops.
                try? FileManager.default.removeItem(at: work)
                try jobs.attemptFailed(jobID: job.id, videoID: video.id, workerID: workerID, message: e.description)
                try jobs.refundAttempt(jobID: job.id)
                throw VLogError.io(e.description)
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

/// The disk filled up under a job: said as such, and no attempt is spent on it.
struct DiskFull: Error, CustomStringConvertible {
    var path: String
    var description: String {
        "disk full: \(path) (no space left on device); free some space and run `vlog transcode` again (no attempt was used)"
    }
}

extension Transcoder {
    /// Throws `DiskFull` when a failure was (or may well have been) a full disk: ffmpeg said so,
    /// or the file system holding `path` has under 1 MB left.
    static func checkDiskSpace(_ path: URL, stderr: String) throws {
        if stderr.contains("No space left on device") { throw DiskFull(path: path.path) }
        var dir = path
        while !FileIO.exists(dir), dir.path != "/" { dir = dir.deletingLastPathComponent() }
        var fs = statvfs()
        if statvfs(dir.path, &fs) == 0, UInt64(fs.f_bavail) * UInt64(fs.f_frsize) < 1 << 20 {
            throw DiskFull(path: dir.path)
        }
    }
}

/// An error inside one attempt; `permanent` ones (a bad source) are not retried.
struct AttemptError: Error {
    var message: String
    var permanent: Bool
}
