import Foundation
import VLogMedia
import VLogSupport

/// One unit of cluster work: everything a worker needs, nothing from the database. Paths are
/// relative to the media storage, which every worker sees (a shared mount); `storage` is where it
/// is on the machine that wrote the spec, and a worker with the storage elsewhere says so with
/// `--storage` or `VLOG_STORAGE_PATH`.
public struct WorkerSpec: Codable, Sendable, Equatable {
    public var version = 1
    /// `SLUG#ATTEMPT`: results of an earlier attempt are never taken for this one.
    public var job: String
    public var slug: String
    /// The source, relative to the storage (`uploads/SLUG.mp4`).
    public var source: String
    /// The work folder, relative to the storage (`videos/.work/SLUG`): `thumbs/`, `out/`,
    /// `progress.json`, `result.json`.
    public var work: String
    public var storage: String
    public var settings: RenditionSettings
    /// A chunked transcode (`settings.chunkSeconds`): this spec's part (`chunk-0003`, `audio`),
    /// whose files are in `WORK/parts/PART/`; the video's own spec lists them all in `parts`.
    public var part: String? = nil
    public var parts: [String]? = nil
}

/// What a worker writes while it runs (`progress.json`) and when it ends (`result.json`).
public struct WorkerReport: Codable, Sendable, Equatable {
    public var job: String
    public var host: String
    public var pid: Int32
    public var step: String
    public var percent: Int
    public var updatedAt: Date
    /// Set in result.json: whether the rendition is done and verified.
    public var ok: Bool?
    public var error: String?
    /// An error no retry fixes (an unreadable source).
    public var permanent: Bool?
    public var rungs: [RungReport]?
    public var seconds: Double?
}

public struct RungReport: Codable, Sendable, Equatable {
    public var name: String
    public var width: Int
    public var height: Int
    public var averageBitsPerSecond: Int
    public var codecs: String
}

/// `vlog worker run SPEC`: does one spec's work with no database. Idempotent: a spec whose
/// result says done, and whose rendition verifies, is done again in no time; a killed worker run
/// again resumes (posters and a verified encode are kept).
public struct Worker: Sendable {
    public var runner: any ProcessRunning
    public var storageOverride: URL?

    public init(runner: any ProcessRunning = SystemProcessRunner(), storageOverride: URL? = nil) {
        self.runner = runner
        self.storageOverride = storageOverride
    }

    public static func read(_ url: URL) throws -> WorkerSpec {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw VLogError.notFound("cannot read the job spec \(url.path); is the shared storage mounted here?")
        }
        do { return try decoder.decode(WorkerSpec.self, from: data) } catch {
            throw VLogError.invalidInput("\(url.path) is not a vlog job spec: \(error)")
        }
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.dateEncodingStrategy = .iso8601
        return e
    }()
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()

    public static func report(_ url: URL) -> WorkerReport? {
        FileManager.default.contents(atPath: url.path).flatMap { try? decoder.decode(WorkerReport.self, from: $0) }
    }

    /// Runs the spec; returns its result (also written to `result.json`).
    @discardableResult
    public func run(_ spec: WorkerSpec) throws -> WorkerReport {
        let storage = storageOverride ?? URL(fileURLWithPath: spec.storage)
        guard FileIO.isDirectory(storage) else {
            throw VLogError.notFound(
                "the media storage \(storage.path) is not here; mount it, or give --storage where it is mounted")
        }
        let work = storage.appendingPathComponent(spec.work)
        let own = spec.part.map { WorkFolder(work).part($0) } ?? WorkFolder(work)
        let resultURL = own.result
        let progressURL = own.progress
        try FileManager.default.createDirectory(at: own.url, withIntermediateDirectories: true)
        // One worker per job: a second copy of the same spec (an engine's retry while the first
        // still runs) leaves it alone.
        let lock = WorkerLock(url: own.workerLock)
        guard try lock.tryAcquire().acquired else {
            throw VLogError.conflict("another worker is running \(spec.job) in \(work.path)")
        }
        defer { lock.release() }
        let start = Date()
        var report = WorkerReport(
            job: spec.job, host: WorkerLock.hostName, pid: getpid(), step: JobStep.probe.rawValue, percent: 0,
            updatedAt: start)
        @Sendable func write(_ r: WorkerReport, _ url: URL) {
            if let data = try? Self.encoder.encode(r) { try? FileIO.writeAtomically(data, to: url) }
        }
        let progress = LockedBox(report)
        let duration = LockedBox(1.0)
        let hooks = RenditionHooks(
            step: { step, percent in
                progress.withLock {
                    $0.step = step.rawValue
                    $0.percent = percent
                    $0.updatedAt = Date()
                }
                write(progress.value, progressURL)
            },
            probed: { probe, _, _ in duration.withLock { $0 = probe.duration } },
            encoded: { seconds in
                progress.withLock {
                    $0.percent = 5 + Int(90 * min(1, seconds / duration.value))
                    $0.updatedAt = Date()
                }
                write(progress.value, progressURL)
            },
            ffmpegStarted: { _ in })
        let rendition = Rendition(
            source: storage.appendingPathComponent(spec.source), settings: spec.settings, runner: runner, work: work,
            ffmpegRuns: LockedBox(0))
        do {
            if let part = spec.part {
                try ChunkWork(
                    source: rendition.source, settings: spec.settings, runner: runner, work: work, part: part
                ).run(hooks: hooks)
            } else {
                let made = try rendition.make(existing: nil, hooks: hooks)
                report.rungs = made.stats.map {
                    RungReport(
                        name: $0.planned.name, width: $0.planned.width, height: $0.planned.height,
                        averageBitsPerSecond: $0.averageBitsPerSecond, codecs: $0.codecs)
                }
            }
            report.ok = true
            report.step = "done"
            report.percent = 100
        } catch let e as AttemptError {
            report.ok = false
            report.error = e.message
            report.permanent = e.permanent
        } catch {
            report.ok = false
            report.error = "\(error)"
            report.permanent = false
        }
        report.updatedAt = Date()
        report.seconds = Date().timeIntervalSince(start)
        write(report, resultURL)
        return report
    }
}
