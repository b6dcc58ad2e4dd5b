import Foundation
import VLogConfig
import VLogContent
import VLogMedia
import VLogStore
import VLogSupport

/// What a dispatch or collect run did.
public struct ClusterSummary: Sendable {
    public var dispatched: [String] = []
    public var ready: [String] = []
    public var failed: [String: String] = [:]
    public var running: [String] = []
    public var resent: [String] = []
    /// Files an engine needs applied by hand (a Kubernetes manifest without kubectl here).
    public var manifest: URL?
}

/// Transcoding on an engine people already run, with vlog staying the only writer of the
/// database. `dispatch` claims pending videos (each claim is an attempt in `transcoding_jobs`),
/// writes a job spec per video into its work folder on the shared storage, lists them in one file
/// and submits the list: GNU parallel over SSH, a Slurm job array, a Kubernetes Indexed Job, or a
/// command per spec. The engine's job id becomes the job's `worker_id` (`WorkerID`).
/// Workers (`vlog worker run`) write `progress.json` and `result.json`; `collect` reads them
/// (see Collect.swift).
public struct Cluster: Sendable {
    public let site: Site
    public var runner: any ProcessRunning
    public var clock: Clock

    public init(site: Site, effects: Effects = .system) {
        self.site = site
        (runner, clock) = (effects.runner, effects.clock)
    }

    var config: ClusterConfig { site.config.cluster }
    var workRoot: URL { WorkFolder.root(videos: site.videosURL) }
    func work(_ slug: String) -> WorkFolder { WorkFolder.of(slug: slug, videos: site.videosURL) }
    /// The storage as the workers see it.
    var workerStorage: String { config.storage ?? site.storageURL.path }

    /// Whether a cluster engine holds any job (else `vlog build` has nothing to collect).
    public func holdsJobs() throws -> Bool {
        try !JobStore(db: site.openDatabase(.read), clock: clock).heldByCluster().isEmpty
    }

    /// The engine named on the command line, else the configured one, with what it needs set.
    func engine(_ name: String?) throws -> ClusterEngine {
        guard let given = name ?? config.engine?.rawValue else {
            throw VLogError.config("no cluster engine: give --dispatch ENGINE or set [cluster] engine in vlog.toml")
        }
        guard let e = ClusterEngine(rawValue: given) else {
            throw VLogError.invalidInput("unknown engine `\(given)`; use parallel, slurm, kubernetes or command")
        }
        if e == .parallel && config.hosts.isEmpty {
            throw VLogError.config(
                "the parallel engine needs [cluster] hosts = [\"user@host\", ...] (`:` is this machine)")
        }
        if e == .command && (config.command ?? "").isEmpty {
            throw VLogError.config("the command engine needs [cluster] command = \"... {spec}\"")
        }
        if e == .kubernetes && (config.kubernetesImage == nil || config.kubernetesClaim == nil) {
            throw VLogError.config("the kubernetes engine needs [cluster] kubernetes_image and kubernetes_claim")
        }
        return e
    }

    /// Claims every pending video and submits it to `engineName`.
    public func dispatch(engineName: String?) throws -> ClusterSummary {
        let engine = try engine(engineName)
        try site.ensureStorage()
        try FileManager.default.createDirectory(at: workRoot, withIntermediateDirectories: true)
        let lock = WorkerLock(url: WorkFolder.dispatchLock(videos: site.videosURL))
        guard try lock.tryAcquire().acquired else {
            throw VLogError.conflict("another vlog is dispatching or collecting; try again when it is done")
        }
        defer { lock.release() }
        let db = try site.openDatabase()
        let jobs = JobStore(db: db, clock: clock)
        var summary = ClusterSummary()
        var claimed: [(Video, TranscodingJob)] = []
        for video in try jobs.candidates() where video.state == .pending {
            guard (try? Slug.validate(video.slug)) != nil else { continue }
            switch try jobs.claim(
                video: video, workerID: WorkerID.claimed(by: engine).description, maxAttempts: site.config.maxAttempts,
                staleTimeout: Double(site.config.staleTimeoutSeconds), ownerGone: false)
            {
            case .claimed(let job): claimed.append((video, job))
            case .exhausted(let why): summary.failed[video.slug] = why
            case .busy, .notNeeded: continue
            }
        }
        try submit(claimed, engine: engine, jobs: jobs, summary: &summary)
        summary.dispatched = claimed.map(\.0.slug)
        return summary
    }

    /// Writes specs for `claimed` and hands them to the engine in one submission.
    func submit(
        _ claimed: [(Video, TranscodingJob)], engine: ClusterEngine, jobs: JobStore, summary: inout ClusterSummary
    ) throws {
        guard !claimed.isEmpty else { return }
        var specPaths: [[String]] = []
        var sent: [(Video, TranscodingJob)] = []
        for (video, job) in claimed {
            guard let source = site.sourceFile(slug: video.slug) else {
                try jobs.markFailed(
                    videoID: video.id, jobID: job.id, message: "the source file is missing from uploads/")
                continue
            }
            specPaths.append(try writeSpecs(video: video, job: job, source: source))
            sent.append((video, job))
        }
        guard !sent.isEmpty else { return }
        let stamp = Int(clock.now().timeIntervalSince1970)
        let list = workRoot.appendingPathComponent("dispatch-\(stamp).list")
        try FileIO.writeAtomically(Data((specPaths.flatMap { $0 }.joined(separator: "\n") + "\n").utf8), to: list)
        let workerList = workerStorage + "/videos/\(WorkFolder.rootName)/" + list.lastPathComponent
        let ids: [String]
        do {
            ids = try EngineSubmit(cluster: self, runner: runner).submit(
                engine: engine, specs: specPaths.flatMap { $0 }, list: workerList, localList: list, stamp: stamp,
                summary: &summary)
        } catch {
            // Nothing was submitted: the videos wait as before, and no attempt is spent.
            for (video, job) in sent {
                try jobs.attemptFailed(
                    jobID: job.id, videoID: video.id, workerID: job.workerID ?? "", message: "\(error)")
                try jobs.refundAttempt(jobID: job.id)
            }
            throw error
        }
        // A chunked video's parts have one engine id each, kept in its worker_id joined by `+`.
        var next = ids[...]
        for ((video, job), paths) in zip(sent, specPaths) {
            let worker = WorkerID.claimed(by: engine).submitted(Array(next.prefix(paths.count)))
            next = next.dropFirst(paths.count)
            try jobs.submitted(jobID: job.id, videoID: video.id, to: worker)
        }
    }

    /// The CRFs every chunk of a video is encoded at (`CRFSearch`, run here once, so the chunks
    /// agree), kept where the collector records them (`crf.json` in the work folder); an earlier
    /// dispatch's, when its other settings are the same (a second search could pick others and
    /// throw away finished parts).
    func chunkCRF(source: URL, probe: ProbeResult, settings: RenditionSettings, old: WorkerSpec?, work: URL) throws
        -> [String: Int]
    {
        var same = old?.settings
        same?.crf = nil
        if let old, same == settings, let crf = old.settings.crf { return crf }
        let plan = LadderPlan.plan(ladder: settings.ladder, source: probe)
        var ff = FFmpegPlan(
            source: source, outputDir: work, plan: plan, probe: probe, segmentSeconds: settings.segmentSeconds,
            preset: settings.preset, storyboard: nil)
        ff.fittedPreset = settings.qualityPreset
        let crf = try CRFSearch(plan: ff, runner: runner, dir: work.appendingPathComponent("search")).run()
        try FileIO.writeAtomically(try JSONEncoder().encode(crf), to: WorkFolder(work).crf)
        return crf
    }

    /// Writes a video's job spec (and for a long video, one per chunk and one for the audio) into
    /// its work folder; returns the specs to submit, as the workers see them. Parts finished by an
    /// earlier attempt with the same settings are kept; with other settings they are removed.
    func writeSpecs(video: Video, job: TranscodingJob, source: URL) throws -> [String] {
        let work = work(video.slug)
        try FileManager.default.createDirectory(at: work.url, withIntermediateDirectories: true)
        var settings = RenditionSettings(config: site.config)
        var parts: [String]?
        let old = try? Worker.read(work.spec)
        if config.chunkLongerThan > 0, let probe = try? Prober(runner: runner).probe(source),
            probe.duration > config.chunkLongerThan
        {
            settings.chunkSeconds = config.chunkSeconds
            parts =
                ChunkPlan.plan(
                    duration: probe.duration, chunkSeconds: config.chunkSeconds, segmentSeconds: settings.segmentSeconds
                ).partNames
            if settings.rateControl == "quality" {
                settings.crf = try chunkCRF(source: source, probe: probe, settings: settings, old: old, work: work.url)
            }
        }
        if let old, old.settings != settings {
            for stale in work.encoded { try? FileManager.default.removeItem(at: stale) }
        }
        let relative = WorkFolder.relative(slug: video.slug)
        let spec = WorkerSpec(
            job: "\(video.slug)#\(job.attemptNumber)", slug: video.slug, source: "uploads/" + source.lastPathComponent,
            work: relative, storage: workerStorage, settings: settings, parts: parts)
        var paths: [String] = []
        for part in parts ?? [] {
            let dir = work.part(part)
            try FileManager.default.createDirectory(at: dir.url, withIntermediateDirectories: true)
            for stale in dir.reports { try? FileManager.default.removeItem(at: stale) }
            var mine = spec
            mine.part = part
            mine.parts = nil
            try FileIO.writeAtomically(try Worker.encoder.encode(mine), to: dir.spec)
            paths.append(workerStorage + "/" + relative + String(dir.spec.path.dropFirst(work.url.path.count)))
        }
        for stale in work.reports { try? FileManager.default.removeItem(at: stale) }
        try FileIO.writeAtomically(try Worker.encoder.encode(spec), to: work.spec)
        return parts == nil ? [workerStorage + "/" + relative + "/" + work.spec.lastPathComponent] : paths
    }
}
