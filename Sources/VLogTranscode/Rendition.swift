import Foundation
import VLogConfig
import VLogMedia
import VLogSupport

/// How renditions are made: from vlog.toml, or from a cluster worker's job spec.
public struct RenditionSettings: Codable, Sendable, Equatable {
    public var ladder: [Rung]
    public var segmentSeconds: Double
    public var preset: String
    public var segmentFormat: String
    /// Set by a cluster dispatch for a long video: it is encoded in chunks of this many seconds
    /// (a whole number of segments) by different workers, and assembled (see Chunks.swift).
    public var chunkSeconds: Double?
    /// `quality` or `bitrate` (`SiteConfig.rateControl`); nil in a job spec written before it
    /// existed: the fixed bitrate.
    public var rateControl: String?
    /// A chunked transcode's CRF per rung, searched once by the dispatcher (`Cluster.writeSpecs`)
    /// so every chunk is encoded at the same ones (rungs absent: their fixed bitrate).
    public var crf: [String: Int]?
    /// The rendition version to make (`PlannedRung.version`); nil: 1, a video's first.
    public var version: Int?
    /// `transcode.quality_preset`: the preset of rungs encoded at a CRF (nil: `preset`).
    public var qualityPreset: String?
    /// `transcode.codecs`; nil in a job spec written before it existed: H.264 only.
    public var codecs: [String]?

    public init(config: SiteConfig) {
        ladder = config.ladder
        segmentSeconds = config.segmentSeconds
        preset = config.preset
        segmentFormat = config.segmentFormat
        rateControl = config.rateControl
        codecs = config.codecs
        qualityPreset = config.qualityPreset
    }
}

/// What a rendition step reports to whoever runs it (the database for a local attempt, a
/// progress file for a cluster worker).
struct RenditionHooks: Sendable {
    var step: @Sendable (JobStep, Int) throws -> Void
    var probed: @Sendable (ProbeResult, LadderPlan, Int) throws -> Void
    /// Seconds of the video encoded so far, at most once a second.
    var encoded: @Sendable (Double) throws -> Void
    var ffmpegStarted: @Sendable (Int32) -> Void

    static let none = RenditionHooks(
        step: { _, _ in }, probed: { _, _, _ in }, encoded: { _ in }, ffmpegStarted: { _ in })
}

/// A finished, verified rendition folder.
struct RenditionResult: Sendable {
    var dir: URL
    var probe: ProbeResult
    var plan: LadderPlan
    var stats: [HLS.RungStats]
    var segmentsTotal: Int
    /// Each rung's measured quality against the source (and the CRF it was encoded at).
    var quality: [String: RungQuality]
}

/// One video's HLS rendition, without a database: probe, posters, one ffmpeg for every rung
/// (and the storyboard), verification, master playlist and storyboard map, in `work/out`
/// (posters in `work/thumbs`). Each step that finds its result already verified in `work` skips
/// itself, so a killed run, or a cluster worker's finished output, resumes where it was.
struct Rendition: Sendable {
    let source: URL
    let settings: RenditionSettings
    let runner: any ProcessRunning
    let work: URL
    let ffmpegRuns: LockedBox<Int>
    /// False: a rendition that does not verify is an error, never encoded here.
    var encodeAllowed = true

    func make(existing: URL?, hooks: RenditionHooks) throws -> RenditionResult {
        let probe: ProbeResult
        do { probe = try Prober(runner: runner).probe(source) } catch let e as VLogError {
            throw AttemptError(message: e.description, permanent: true)
        }
        let plan = LadderPlan.plan(ladder: settings.ladder, source: probe).versioned(settings.version ?? 1)
        let segmentsTotal = max(1, Int((probe.duration / settings.segmentSeconds).rounded(.up)))
        try hooks.probed(probe, plan, segmentsTotal)

        // thumbnail
        try hooks.step(.thumbnail, 3)
        let thumbs = WorkFolder(work).thumbs
        try makeThumbnails(probe: probe, plan: plan, into: thumbs)

        // transcode (skipped when a verified result from an earlier attempt exists)
        try hooks.step(.transcode, 5)
        let out = WorkFolder(work).out
        let rungs: [(PlannedRung, MediaPlaylist)]
        var dir = out
        if let done = try? verifyAll(out, plan: plan, probe: probe) {
            rungs = done  // an earlier attempt (or a cluster worker) finished encoding
        } else if let existing, FileIO.exists(existing.appendingPathComponent(MediaLayout.master)),
            let inPlace = try? verifyAll(existing, plan: plan, probe: probe)
        {
            rungs = inPlace  // a run killed after moving the result into place
            dir = existing
        } else if !encodeAllowed, settings.chunkSeconds != nil {
            // A chunked cluster transcode: joined here from its workers' parts, never encoded.
            try ChunkAssembly(settings: settings, runner: runner, work: work).assemble(
                probe: probe, plan: plan, storyboard: storyboard(plan, probe), into: out)
            do { rungs = try verifyAll(out, plan: plan, probe: probe) } catch let e as VLogError {
                throw AttemptError(message: "the joined chunks did not verify: \(e.description)", permanent: false)
            }
        } else if !encodeAllowed {
            var why = "it is missing"
            do { _ = try verifyAll(out, plan: plan, probe: probe) } catch { why = "\(error)" }
            throw AttemptError(
                message: "the worker's rendition in \(out.path) did not verify: \(why)", permanent: false)
        } else {
            try? FileManager.default.removeItem(at: out)
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            try encode(probe: probe, plan: plan, out: out, hooks: hooks)
            do { rungs = try verifyAll(out, plan: plan, probe: probe) } catch let e as VLogError {
                try Transcoder.checkDiskSpace(out, stderr: "")
                throw AttemptError(message: e.description, permanent: false)
            }
        }

        let codec = HLS.videoCodecString(
            segment: dir.appendingPathComponent(rungs[0].1.initURI ?? rungs[0].1.segments[0].uri), runner: runner)
        var stats = rungs.map {
            HLS.stats(dir: dir, planned: $0.0, playlist: $0.1, hasAudio: probe.hasAudio, videoCodec: codec)
        }
        // The AV1 ladder, beside the H.264 one (not for chunked cluster transcodes: their parts are H.264).
        var measured = rungs
        if settings.codecs?.contains(VideoCodec.av1.rawValue) == true, settings.chunkSeconds == nil {
            let av1 = plan.coded(.av1)
            var done = try? verifyAll(dir, plan: av1, probe: probe)
            if done == nil, dir == out, encodeAllowed {
                try encodeAV1(av1, probe: probe, out: out, hooks: hooks)
                do { done = try verifyAll(out, plan: av1, probe: probe) } catch let e as VLogError {
                    try Transcoder.checkDiskSpace(out, stderr: "")
                    throw AttemptError(message: "the AV1 ladder: \(e.description)", permanent: false)
                }
            }
            if let done {
                let codec = HLS.videoCodecString(
                    segment: dir.appendingPathComponent(done[0].1.initURI ?? done[0].1.segments[0].uri), runner: runner)
                stats += done.map {
                    HLS.stats(dir: dir, planned: $0.0, playlist: $0.1, hasAudio: probe.hasAudio, videoCodec: codec)
                }
                measured += done
            }
        }

        // master_playlist
        try hooks.step(.masterPlaylist, 96)
        try FileIO.writeAtomically(
            Data(HLS.masterPlaylist(stats, frameRate: probe.frameRate, fragmentedMP4: rungs[0].1.initURI != nil).utf8),
            to: dir.appendingPathComponent(MediaLayout.master))
        let board = storyboard(plan, probe)
        if (try? board.verify(dir: dir, duration: probe.duration)) != nil {
            try FileIO.writeAtomically(
                Data(board.vtt(duration: probe.duration).utf8), to: dir.appendingPathComponent(MediaLayout.storyboard))
        }
        for name in [MediaLayout.poster, MediaLayout.smallPoster] {
            let src = thumbs.appendingPathComponent(name)
            if FileIO.exists(src) { try FileIO.copyRegularFile(from: src, to: dir.appendingPathComponent(name)) }
        }
        let quality = try measureQuality(dir: dir, rungs: measured, probe: probe)
        return RenditionResult(
            dir: dir, probe: probe, plan: plan, stats: stats, segmentsTotal: segmentsTotal, quality: quality)
    }

    /// The CRF of each rung (`CRFSearch`), searched once per rendition and kept in the work folder,
    /// so a killed run resumes with the same; empty with a fixed bitrate.
    func chooseCRF(probe: ProbeResult, plan: LadderPlan, ff: FFmpegPlan) throws -> [String: Int] {
        guard settings.rateControl == "quality" else { return [:] }
        let folder = WorkFolder(work)
        if let saved = folder.savedCRF() { return saved }
        ffmpegRuns.withLock { $0 += 1 }
        let crf = try CRFSearch(plan: ff, runner: runner, dir: work.appendingPathComponent("search")).run()
        try FileIO.writeAtomically(try JSONEncoder().encode(crf), to: folder.crf)
        return crf
    }

    /// Each rung against the source (every frame; of a video over 30 s, of ten segments spread
    /// over it), kept in the work folder like the CRFs.
    func measureQuality(dir: URL, rungs: [(PlannedRung, MediaPlaylist)], probe: ProbeResult) throws
        -> [String: RungQuality]
    {
        let file = work.appendingPathComponent("quality.json")
        if let data = FileManager.default.contents(atPath: file.path),
            let saved = try? JSONDecoder().decode([String: RungQuality].self, from: data),
            Set(saved.keys) == Set(rungs.map(\.0.id))
        {
            return saved
        }
        let crf = WorkFolder(work).savedCRF() ?? [:]
        ffmpegRuns.withLock { $0 += 1 }
        let scratch = work.appendingPathComponent("quality-windows")
        do { try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true) } catch {
            try Transcoder.checkDiskSpace(work, stderr: "\(error)")
            throw AttemptError(message: "cannot create \(scratch.path): \(FileIO.reason(error))", permanent: false)
        }
        defer { try? FileManager.default.removeItem(at: scratch) }
        var measured: [String: RungQuality]
        do {
            let (reference, encoded) =
                try QualityMeter.windowed(
                    source: source, dir: dir, rungs: rungs, frameRate: probe.frameRate, scratch: scratch)
                ?? (
                    .init(source),
                    rungs.map {
                        .init(
                            name: $0.0.id, input: .init(dir.appendingPathComponent(MediaLayout.playlist($0.0.file))),
                            width: $0.0.width, height: $0.0.height)
                    }
                )
            measured = try QualityMeter(runner: runner).measure(
                reference: reference, encoded: encoded, timeout: max(300, probe.duration * 20))
        } catch let e as VLogError {
            throw AttemptError(message: e.description, permanent: false)
        }
        for (k, v) in crf { measured[k]?.crf = v }
        for (k, v) in WorkFolder(work).savedCRF(WorkFolder(work).av1CRF) ?? [:] {
            measured["\(k).\(VideoCodec.av1.rawValue)"]?.crf = v
        }
        try FileIO.writeAtomically(try JSONEncoder().encode(measured), to: file)
        return measured
    }

    func storyboard(_ plan: LadderPlan, _ probe: ProbeResult) -> Storyboard {
        let top = plan.rungs[0]
        return Storyboard.plan(duration: probe.duration, width: top.width, height: top.height)
    }

    func verifyAll(_ dir: URL, plan: LadderPlan, probe: ProbeResult) throws -> [(PlannedRung, MediaPlaylist)] {
        var out: [(PlannedRung, MediaPlaylist)] = []
        for r in plan.rungs {
            let (pl, _) = try HLS.verifyRung(dir: dir, rung: r.file, expectedDuration: probe.duration)
            if let first = out.first, first.1.segments.count != pl.segments.count {
                throw VLogError.tool(
                    "rung \(r.name) has \(pl.segments.count) segments, \(first.0.name) has \(first.1.segments.count)")
            }
            out.append((r, pl))
        }
        return out
    }

    /// One ffmpeg for every rung and the storyboard; `-progress pipe:1` reports what is encoded.
    /// If vlog dies, ffmpeg's next progress write hits a closed pipe and ffmpeg dies too.
    func encode(probe: ProbeResult, plan: LadderPlan, out: URL, hooks: RenditionHooks) throws {
        var ff = FFmpegPlan(
            source: source, outputDir: out, plan: plan, probe: probe,
            segmentSeconds: settings.segmentSeconds, preset: settings.preset, storyboard: storyboard(plan, probe),
            fragmentedMP4: settings.segmentFormat == "cmaf")
        ff.fittedPreset = settings.qualityPreset
        do { ff.crf = try chooseCRF(probe: probe, plan: plan, ff: ff) } catch let e as VLogError {
            throw AttemptError(message: e.description, permanent: false)
        }
        let lastWrite = LockedBox(Date.distantPast)
        let failure = LockedBox<Error?>(nil)
        let timeout = max(300, probe.duration * 40)
        ffmpegRuns.withLock { $0 += 1 }
        let result = try runner.run(
            "ffmpeg", ff.arguments(), timeout: timeout, onStart: hooks.ffmpegStarted,
            onLine: { line in
                guard line.hasPrefix("out_time_us=") || line.hasPrefix("out_time_ms="),
                    let us = Double(line.split(separator: "=").last ?? "")
                else { return }
                let now = Date()
                guard now.timeIntervalSince(lastWrite.value) >= 1 else { return }
                lastWrite.withLock { $0 = now }
                do { try hooks.encoded(us / 1_000_000) } catch { failure.withLock { $0 = error } }
            })
        if let e = failure.value { throw AttemptError(message: "\(e)", permanent: false) }
        try Self.require(result, "ffmpeg", timeout: timeout, out: out)
    }

    /// An encode's ffmpeg ended well, or the attempt fails saying how (a full disk as such).
    static func require(_ result: ProcessOutput, _ what: String, timeout: Double, out: URL) throws {
        if result.status != 0 { try Transcoder.checkDiskSpace(out, stderr: result.stderrTail) }
        guard result.status == 0, !result.timedOut else {
            let why =
                result.timedOut
                ? "\(what) took longer than \(Int(timeout)) s and was stopped"
                : "\(what) failed (exit \(result.status))"
            throw AttemptError(message: "\(why): \(result.stderrTail)", permanent: false)
        }
    }

    /// The AV1 ladder into `out`, after the H.264 one: each rung at the SVT-AV1 CRF that matches
    /// its H.264 rung's SSIM on samples (`CRFSearch.runAV1`), searched once per rendition and
    /// kept in the work folder like the H.264 CRFs.
    func encodeAV1(_ av1: LadderPlan, probe: ProbeResult, out: URL, hooks: RenditionHooks) throws {
        var ff = FFmpegPlan(
            source: source, outputDir: out, plan: av1, probe: probe, segmentSeconds: settings.segmentSeconds,
            preset: settings.preset, storyboard: nil, fragmentedMP4: true)
        ff.fittedPreset = settings.qualityPreset
        let folder = WorkFolder(work)
        var crf = folder.savedCRF(folder.av1CRF)
        if crf == nil {
            ffmpegRuns.withLock { $0 += 1 }
            var h264 = ff
            h264.plan = av1.coded(.h264)
            do {
                crf = try CRFSearch(plan: h264, runner: runner, dir: work.appendingPathComponent("search-av1"))
                    .runAV1(av1, h264CRF: folder.savedCRF() ?? [:])
            } catch let e as VLogError {
                throw AttemptError(message: e.description, permanent: false)
            }
            try FileIO.writeAtomically(try JSONEncoder().encode(crf), to: folder.av1CRF)
        }
        let timeout = max(600, probe.duration * 80)
        ffmpegRuns.withLock { $0 += 1 }
        let result = try runner.run(
            "ffmpeg", ff.av1Arguments(av1, crf: crf ?? [:]), timeout: timeout, onStart: hooks.ffmpegStarted,
            onLine: { _ in })
        try Self.require(result, "ffmpeg's AV1 ladder", timeout: timeout, out: out)
    }

    /// A poster from a representative frame (ffmpeg's `thumbnail` filter picks the frame most like
    /// its neighbours, so not a black fade-in), starting 10% in; and a small one for lists.
    func makeThumbnails(probe: ProbeResult, plan: LadderPlan, into dir: URL) throws {
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
            let r = try runner.run(
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
        let r = try runner.run(
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
