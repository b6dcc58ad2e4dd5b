import Foundation

/// What an attempt needs from the run it belongs to: passed in, not reached through a
/// back-reference to the transcoder.
struct AttemptEnvironment: Sendable {
    let site: Site
    let runner: any ProcessRunning
    let clock: Clock
    let reporter: any TranscodeReporting
    let workerID: String
}

/// One attempt at one video's job: the five steps, each checkpointed.
final class Attempt: Sendable {
    let env: AttemptEnvironment
    let video: Video
    let job: TranscodingJob
    let jobs: JobStore
    let work: URL
    let lock: WorkerLock
    let ffmpegRuns = LockedBox(0)

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
        let probe: ProbeResult
        do { probe = try Prober(runner: env.runner).probe(source) } catch let e as VLogError {
            throw AttemptError(message: e.description, permanent: true)
        }
        try jobs.recordProbe(videoID: video.id, probe: probe)
        env.reporter.probed(slug: video.slug, duration: probe.duration)
        let plan = LadderPlan.plan(ladder: config.ladder, source: probe)
        let segmentsTotal = max(1, Int((probe.duration / config.segmentSeconds).rounded(.up)))
        try jobs.planQualities(jobID: job.id, plan: plan, segmentsTotal: segmentsTotal)

        // thumbnail
        try checkpoint(.thumbnail, 3)
        let thumbs = work.appendingPathComponent("thumbs")
        try makeThumbnails(source: source, probe: probe, plan: plan, into: thumbs)

        // transcode (skipped when a verified result from an earlier attempt exists)
        try checkpoint(.transcode, 5)
        let out = work.appendingPathComponent("out")
        let media = env.site.mediaDir(slug: video.slug)
        let rungs: [(PlannedRung, MediaPlaylist)]
        var finalDir = out
        if let done = try? verifyAll(out, plan: plan, probe: probe) {
            rungs = done  // an earlier attempt finished encoding but not the later steps
        } else if FileIO.exists(media.appendingPathComponent(MediaLayout.master)),
            let inPlace = try? verifyAll(media, plan: plan, probe: probe)
        {
            rungs = inPlace  // a run killed after moving the result into place
            finalDir = media
        } else {
            try? FileManager.default.removeItem(at: out)
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            try encode(source: source, probe: probe, plan: plan, out: out, segmentsTotal: segmentsTotal)
            do { rungs = try verifyAll(out, plan: plan, probe: probe) } catch let e as VLogError {
                try Transcoder.checkDiskSpace(out, stderr: "")
                throw AttemptError(message: e.description, permanent: false)
            }
        }

        // master_playlist
        try checkpoint(.masterPlaylist, 96)
        let codec = HLS.videoCodecString(
            segment: finalDir.appendingPathComponent(rungs[0].1.initURI ?? rungs[0].1.segments[0].uri),
            runner: env.runner)
        let stats = rungs.map {
            HLS.stats(dir: finalDir, planned: $0.0, playlist: $0.1, hasAudio: probe.hasAudio, videoCodec: codec)
        }
        try FileIO.writeAtomically(
            Data(HLS.masterPlaylist(stats, frameRate: probe.frameRate, fragmentedMP4: rungs[0].1.initURI != nil).utf8),
            to: finalDir.appendingPathComponent(MediaLayout.master))
        let board = storyboard(plan, probe)
        if (try? board.verify(dir: finalDir, duration: probe.duration)) != nil {
            try FileIO.writeAtomically(
                Data(board.vtt(duration: probe.duration).utf8),
                to: finalDir.appendingPathComponent(MediaLayout.storyboard))
        }
        for name in [MediaLayout.poster, MediaLayout.smallPoster] {
            let src = thumbs.appendingPathComponent(name)
            if FileIO.exists(src) { try FileIO.copyAtomically(from: src, to: finalDir.appendingPathComponent(name)) }
        }

        // finalize: swap the verified folder into place, then record it in one transaction.
        try checkpoint(.finalize, 98)
        if finalDir == out {
            // Subtitles people brought live in the media folder: they stay with the new rendition.
            for f in (try? FileManager.default.contentsOfDirectory(atPath: media.path)) ?? []
            where (f.hasPrefix("captions") || f.hasPrefix("transcript.")) && f.hasSuffix(".vtt")
                && !FileIO.exists(out.appendingPathComponent(f))
            {
                try FileIO.copyAtomically(from: media.appendingPathComponent(f), to: out.appendingPathComponent(f))
            }
            // Attachments too: hard links (no copy), so the old folder keeps them until the swap.
            let files = media.appendingPathComponent(Attachments.folder)
            if FileIO.exists(files) && !FileIO.exists(out.appendingPathComponent(Attachments.folder)) {
                let staged = out.appendingPathComponent(".files-\(UUID().uuidString.prefix(8))")
                try FileManager.default.createDirectory(at: staged, withIntermediateDirectories: true)
                for f in (try? FileManager.default.contentsOfDirectory(atPath: files.path)) ?? [] {
                    try FileManager.default.linkItem(
                        at: files.appendingPathComponent(f), to: staged.appendingPathComponent(f))
                }
                try FileIO.moveReplacing(staged, to: out.appendingPathComponent(Attachments.folder))
            }
            let old = work.appendingPathComponent("old")
            try? FileManager.default.removeItem(at: old)
            if FileIO.exists(media) { try FileIO.moveReplacing(media, to: old) }
            try FileIO.moveReplacing(out, to: media)
            try? FileManager.default.removeItem(at: old)
        }
        try jobs.finish(
            jobID: job.id, videoID: video.id, workerID: env.workerID, rungs: stats, segmentsTotal: segmentsTotal)
        try? FileManager.default.removeItem(at: work)
    }

    func storyboard(_ plan: LadderPlan, _ probe: ProbeResult) -> Storyboard {
        let top = plan.rungs[0]
        return Storyboard.plan(duration: probe.duration, width: top.width, height: top.height)
    }

    func verifyAll(_ dir: URL, plan: LadderPlan, probe: ProbeResult) throws -> [(PlannedRung, MediaPlaylist)] {
        var out: [(PlannedRung, MediaPlaylist)] = []
        for r in plan.rungs {
            let (pl, _) = try HLS.verifyRung(dir: dir, rung: r.name, expectedDuration: probe.duration)
            if let first = out.first, first.1.segments.count != pl.segments.count {
                throw VLogError.tool(
                    "rung \(r.name) has \(pl.segments.count) segments, \(first.0.name) has \(first.1.segments.count)")
            }
            out.append((r, pl))
        }
        return out
    }

    /// One ffmpeg for every rung; `-progress pipe:1` drives progress_percent and quality_progress.
    /// If vlog dies, ffmpeg's next progress write hits a closed pipe and ffmpeg dies too.
    func encode(source: URL, probe: ProbeResult, plan: LadderPlan, out: URL, segmentsTotal: Int) throws {
        let ff = FFmpegPlan(
            source: source, outputDir: out, plan: plan, probe: probe,
            segmentSeconds: config.segmentSeconds, preset: config.preset, storyboard: storyboard(plan, probe),
            fragmentedMP4: config.segmentFormat == "cmaf")
        let lastWrite = LockedBox(Date.distantPast)
        let failure = LockedBox<Error?>(nil)
        let names = plan.rungs.map(\.name)
        let timeout = max(300, probe.duration * 40)
        ffmpegRuns.withLock { $0 += 1 }
        let result = try env.runner.run(
            "ffmpeg", ff.arguments(), timeout: timeout,
            onStart: { [lock, env] pid in
                lock.record(.init(host: WorkerLock.hostName, pid: getpid(), childPID: pid, workerID: env.workerID))
            },
            onLine: { [self] line in
                guard line.hasPrefix("out_time_us=") || line.hasPrefix("out_time_ms="),
                    let us = Double(line.split(separator: "=").last ?? "")
                else { return }
                let seconds = us / 1_000_000
                let now = Date()
                guard now.timeIntervalSince(lastWrite.value) >= 1 else { return }
                lastWrite.withLock { $0 = now }
                let pct = 5 + Int(90 * min(1, seconds / probe.duration))
                let done = min(segmentsTotal, Int(seconds / config.segmentSeconds))
                do {
                    try checkpoint(.transcode, pct)
                    try jobs.rungProgress(jobID: job.id, rungs: names, segmentsDone: done, segmentsTotal: segmentsTotal)
                } catch { failure.withLock { $0 = error } }
            })
        if let e = failure.value { throw AttemptError(message: "\(e)", permanent: false) }
        if result.status != 0 { try Transcoder.checkDiskSpace(out, stderr: result.stderrTail) }
        guard result.status == 0, !result.timedOut else {
            let why =
                result.timedOut
                ? "ffmpeg took longer than \(Int(timeout)) s and was stopped" : "ffmpeg failed (exit \(result.status))"
            throw AttemptError(message: "\(why): \(result.stderrTail)", permanent: false)
        }
    }

    /// A poster from a representative frame (ffmpeg's `thumbnail` filter picks the frame most like
    /// its neighbours, so not a black fade-in), starting 10% in; and a small one for lists.
    func makeThumbnails(source: URL, probe: ProbeResult, plan: LadderPlan, into dir: URL) throws {
        let poster = dir.appendingPathComponent(MediaLayout.poster)
        let small = dir.appendingPathComponent(MediaLayout.smallPoster)
        if FileIO.exists(poster) && FileIO.exists(small) { return }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let top = plan.rungs[0]
        let scale =
            max(top.width, top.height) > 1280
            ? (probe.isPortrait ? "scale=-2:1280" : "scale=1280:-2") : "scale=\(top.width):\(top.height)"
        let start = min(probe.duration * 0.1, 60)
        let frames = max(1, min(100, Int(probe.frameRate * max(0.5, probe.duration - start - 0.2))))
        let tmp = dir.appendingPathComponent(".poster.tmp.jpg")
        let at = String(format: "%.3f", start)
        var lastError = ""
        /// `inputSeek` seeks before opening (fast); some containers (MPEG-TS) then yield no frame
        /// and ffmpeg still exits 0, so the fallbacks decode from the start.
        func grab(_ filter: String, seek: [String], after: [String] = []) throws -> Bool {
            ffmpegRuns.withLock { $0 += 1 }
            unlink(tmp.path)
            let r = try env.runner.run(
                "ffmpeg",
                ["-hide_banner", "-nostdin", "-y", "-loglevel", "error"] + seek + ["-i", source.path]
                    + after + ["-vf", filter, "-frames:v", "1", "-q:v", "3", tmp.path], timeout: 300)
            let size = (try? FileManager.default.attributesOfItem(atPath: tmp.path))?[.size] as? Int ?? 0
            if !r.stderrTail.isEmpty { lastError = r.stderrTail }
            return r.status == 0 && size > 0
        }
        let attempts: [() throws -> Bool] = [
            { try grab("thumbnail=n=\(frames),\(scale),setsar=1", seek: ["-ss", at]) },
            { try grab("\(scale),setsar=1", seek: ["-ss", at]) },
            { try grab("\(scale),setsar=1", seek: [], after: ["-ss", at]) },
            { try grab("\(scale),setsar=1", seek: []) },
        ]
        var ok = false
        for attempt in attempts where !ok { ok = try attempt() }
        if !ok {
            try Transcoder.checkDiskSpace(dir, stderr: lastError)
            throw AttemptError(
                message: "ffmpeg could not extract a frame for the poster\(lastError.isEmpty ? "" : ": \(lastError)")",
                permanent: false)
        }
        try FileIO.moveReplacing(tmp, to: poster)
        let smallScale = probe.isPortrait ? "scale=-2:320" : "scale=320:-2"
        ffmpegRuns.withLock { $0 += 1 }
        let r = try env.runner.run(
            "ffmpeg",
            [
                "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-i", poster.path,
                "-vf", smallScale, "-q:v", "4", tmp.path,
            ], timeout: 60)
        guard r.status == 0 else {
            throw AttemptError(message: "ffmpeg could not scale the poster: \(r.stderrTail)", permanent: false)
        }
        try FileIO.moveReplacing(tmp, to: small)
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
