import Foundation
import VLogConfig
import VLogContent
import VLogMedia
import VLogStore
import VLogSupport

/// What an attempt needs from the run it belongs to: passed in, not reached through a
/// back-reference to the transcoder.
struct AttemptEnvironment: Sendable {
    let site: Site
    let runner: any ProcessRunning
    let clock: Clock
    let reporter: any TranscodeReporting
    let workerID: String
}

/// One attempt at one video's job: the five steps, each checkpointed in the database. The media
/// work itself (probe, posters, encode, verify, playlists) is `Rendition`, which needs no database.
final class Attempt: @unchecked Sendable {
    let env: AttemptEnvironment
    let video: Video
    let job: TranscodingJob
    let jobs: JobStore
    let work: URL
    let lock: WorkerLock
    let ffmpegRuns = LockedBox(0)
    /// False when collecting a cluster worker's result: verify and publish it, never encode here.
    var encodeAllowed = true
    /// How a cluster worker was told to make it (the job spec's settings); else vlog.toml's.
    var settings: RenditionSettings?

    init(env: AttemptEnvironment, video: Video, job: TranscodingJob, jobs: JobStore, work: URL, lock: WorkerLock) {
        self.env = env
        self.video = video
        self.job = job
        self.jobs = jobs
        self.work = work
        self.lock = lock
    }

    var config: SiteConfig { env.site.config }

    func checkpoint(_ step: JobStep, _ percent: Int) throws {
        try jobs.checkpoint(jobID: job.id, workerID: env.workerID, step: step, percent: percent)
        env.reporter.update(slug: video.slug, step: step, percent: percent)
    }

    func run() throws {
        let heartbeat = Heartbeat(site: env.site, jobID: job.id, workerID: env.workerID, clock: env.clock)
        heartbeat.start()
        defer { heartbeat.stop() }
        do { try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true) } catch {
            try Transcoder.checkDiskSpace(work, stderr: "\(error)")
            throw AttemptError(message: "cannot create \(work.path): \(FileIO.reason(error))", permanent: false)
        }

        // probe
        try checkpoint(.probe, 1)
        guard let source = env.site.sourceFile(slug: video.slug) else {
            throw AttemptError(
                message: "the source file is missing from \(env.site.uploadsURL.path)/\(video.slug).*", permanent: true)
        }
        let media = env.site.mediaDir(slug: video.slug)
        let rendition = Rendition(
            source: source, settings: settings ?? RenditionSettings(config: config), runner: env.runner, work: work,
            ffmpegRuns: ffmpegRuns, encodeAllowed: encodeAllowed)
        let names = LockedBox<[String]>([])
        let total = LockedBox(1)
        let duration = LockedBox(1.0)
        let made = try rendition.make(
            existing: media,
            hooks: RenditionHooks(
                step: { [self] step, percent in try checkpoint(step, percent) },
                probed: { [self] probe, plan, segmentsTotal in
                    try jobs.recordProbe(videoID: video.id, probe: probe)
                    env.reporter.probed(slug: video.slug, duration: probe.duration)
                    try jobs.planQualities(jobID: job.id, plan: plan, segmentsTotal: segmentsTotal)
                    names.withLock { $0 = plan.rungs.map(\.name) }
                    total.withLock { $0 = segmentsTotal }
                    duration.withLock { $0 = probe.duration }
                },
                encoded: { [self] seconds in
                    let pct = 5 + Int(90 * min(1, seconds / duration.value))
                    let done = min(total.value, Int(seconds / config.segmentSeconds))
                    try checkpoint(.transcode, pct)
                    try jobs.rungProgress(
                        jobID: job.id, rungs: names.value, segmentsDone: done, segmentsTotal: total.value)
                },
                ffmpegStarted: { [lock, env] pid in
                    lock.record(.init(host: WorkerLock.hostName, pid: getpid(), childPID: pid, workerID: env.workerID))
                }))

        // finalize: swap the verified folder into place, then record it in one transaction.
        try checkpoint(.finalize, 98)
        if made.dir != media {
            // No edit of the media folder between the carry-over and the swap (`changingMedia`).
            try env.site.changingMedia(slug: video.slug) {
                try Self.carryOver(from: media, to: made.dir)
                do { try Thumbnails.applyChosen(in: media, to: made.dir, runner: env.runner) } catch let e as VLogError
                {
                    throw AttemptError(message: e.description, permanent: false)
                }
                let old = work.appendingPathComponent("old")
                try? FileManager.default.removeItem(at: old)
                if FileIO.exists(media) { try FileIO.moveReplacing(media, to: old) }
                try FileIO.moveReplacing(made.dir, to: media)
                try? FileManager.default.removeItem(at: old)
            }
        }
        try jobs.finish(
            jobID: job.id, videoID: video.id, workerID: env.workerID, rungs: made.stats,
            segmentsTotal: made.segmentsTotal, quality: made.quality)
        try? FileManager.default.removeItem(at: work)
    }

    /// What lives in the media folder besides a rendition stays with the new one: subtitles
    /// people brought, the automatic transcript, chapters, audio tracks, and attachments (hard links, no copy, so the old
    /// folder keeps them until the swap).
    static func carryOver(from media: URL, to out: URL) throws {
        for f in (try? FileManager.default.contentsOfDirectory(atPath: media.path)) ?? []
        where (f.hasPrefix("captions") || f.hasPrefix("transcript.") || f == MediaLayout.chapters)
            && f.hasSuffix(".vtt")
            && !FileIO.exists(out.appendingPathComponent(f))
        {
            try FileIO.copyRegularFile(from: media.appendingPathComponent(f), to: out.appendingPathComponent(f))
        }
        // Audio tracks (`vlog audio add`): their rendition is the video's timeline, not its rungs.
        for f in AudioTracks.files(dir: media).sorted() where !FileIO.exists(out.appendingPathComponent(f)) {
            let from = media.appendingPathComponent(f)
            let to = out.appendingPathComponent(f)
            if (try? FileManager.default.linkItem(at: from, to: to)) == nil {
                try FileIO.copyRegularFile(from: from, to: to)
            }
        }
        let files = media.appendingPathComponent(MediaLayout.attachments)
        if FileIO.exists(files) && !FileIO.exists(out.appendingPathComponent(MediaLayout.attachments)) {
            let staged = out.appendingPathComponent(".files-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: staged, withIntermediateDirectories: true)
            for f in (try? FileManager.default.contentsOfDirectory(atPath: files.path)) ?? [] {
                try FileManager.default.linkItem(
                    at: files.appendingPathComponent(f), to: staged.appendingPathComponent(f))
            }
            try FileIO.moveReplacing(staged, to: out.appendingPathComponent(MediaLayout.attachments))
        }
    }
}

/// Refreshes last_checkpoint every 10 s while an attempt runs, on its own connection, so a long
/// step without progress output never looks stale.
final class Heartbeat: Sendable {
    let site: Site, jobID: Int, workerID: String, clock: Clock
    let stopped = LockedBox(false)
    init(site: Site, jobID: Int, workerID: String, clock: Clock) {
        self.site = site
        self.jobID = jobID
        self.workerID = workerID
        self.clock = clock
    }
    func start() {
        let thread = Thread { [self] in
            guard let db = try? site.openDatabase() else { return }
            let jobs = JobStore(db: db, clock: clock)
            var ticks = 0
            while !stopped.value {
                usleep(200_000)
                ticks += 1
                if ticks % 50 == 0 { try? jobs.heartbeat(jobID: jobID, workerID: workerID) }
            }
        }
        thread.start()
    }
    func stop() { stopped.withLock { $0 = true } }
}
