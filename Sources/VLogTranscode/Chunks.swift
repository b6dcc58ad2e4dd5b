import Foundation
import VLogConfig
import VLogMedia
import VLogSupport

/// Chunked encoding of a long video across cluster workers.
///
/// The video is cut at segment boundaries into chunks; each chunk's worker encodes the video of
/// every rung for its stretch (`parts/chunk-NNNN`), and one more worker encodes the audio once for
/// the whole video (`parts/audio`), so no chunk edge can hold an audio gap or a priming click.
/// `--collect` then assembles each rung without encoding: the chunks' MPEG-TS files joined end to
/// end (their timestamps are the source's own, so they continue across edges) and muxed with the
/// audio into the same HLS segments a whole transcode writes (ChunkAssembly.swift).
///
/// A chunk cuts where a whole transcode puts a keyframe: at the first frame at or after
/// `videoStart + k * segment`. ffmpeg measures `-force_key_frames expr:` from an output's first
/// frame, so chunks give the same times as a list in absolute time (`-copyts`, the encoder in the
/// source's time base so nothing is rounded to a frame grid).
public struct ChunkPlan: Sendable, Equatable {
    public struct Chunk: Sendable, Equatable {
        public var index: Int
        public var start: Double
        /// nil: to the end of the video.
        public var end: Double?
        public var name: String { String(format: "chunk-%04d", index) }
    }
    public var chunks: [Chunk]
    public static let audioPart = "audio"
    public var partNames: [String] { chunks.map(\.name) + [Self.audioPart] }

    /// Chunks of `chunkSeconds` rounded down to whole segments; the last one takes the rest (a
    /// tail under half a chunk joins the chunk before it).
    public static func plan(duration: Double, chunkSeconds: Double, segmentSeconds: Double) -> ChunkPlan {
        let length = max(1, (chunkSeconds / segmentSeconds).rounded(.down)) * segmentSeconds
        let count = max(1, Int((duration / length).rounded()))
        return ChunkPlan(
            chunks: (0..<count).map {
                Chunk(index: $0, start: Double($0) * length, end: $0 == count - 1 ? nil : Double($0 + 1) * length)
            })
    }
}

/// A worker's share of a chunked transcode: one chunk's video, or the audio.
struct ChunkWork: Sendable {
    let source: URL
    let settings: RenditionSettings
    let runner: any ProcessRunning
    /// The video's work folder; this part writes `parts/NAME/done` (verified, then renamed).
    let work: URL
    let part: String

    /// Cut and keyframe times sit this far before each segment start, so a frame exactly on it
    /// (25 or 30 fps) is never lost to rounding; no real frame lies in between.
    static let epsilon = 0.00005
    static let tsOffset = 10.0

    static func doneDir(work: URL, part: String) -> URL {
        WorkFolder(work).part(part).done
    }

    func run(hooks: RenditionHooks) throws {
        let probe: ProbeResult
        do { probe = try Prober(runner: runner).probe(source) } catch let e as VLogError {
            throw AttemptError(message: e.description, permanent: true)
        }
        let plan = LadderPlan.plan(ladder: settings.ladder, source: probe)
        let chunk = ChunkPlan.plan(
            duration: probe.duration, chunkSeconds: settings.chunkSeconds ?? probe.duration,
            segmentSeconds: settings.segmentSeconds
        ).chunks.first { $0.name == part }
        guard chunk != nil || part == ChunkPlan.audioPart else {
            throw AttemptError(message: "\(part) is not a part of this video", permanent: true)
        }
        let length = chunk.map { ($0.end ?? probe.duration) - $0.start } ?? probe.duration
        var counted = probe
        counted.duration = length  // progress counts against the part's own length
        try hooks.probed(counted, plan, 0)
        let done = Self.doneDir(work: work, part: part)
        if FileIO.isDirectory(done) { return }  // verified by an earlier run
        let tmp = done.deletingLastPathComponent().appendingPathComponent("tmp")
        try? FileManager.default.removeItem(at: tmp)
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        try hooks.step(.transcode, 5)
        if let chunk {
            try encode(chunk, probe: probe, plan: plan, into: tmp, hooks: hooks)
            for r in plan.rungs {
                let file = tmp.appendingPathComponent("\(r.name).ts")
                let seconds: Double
                do { seconds = try Prober(runner: runner).probe(file).duration } catch let e as VLogError {
                    throw AttemptError(message: "\(part) \(r.name): \(e.description)", permanent: false)
                }
                guard abs(seconds - length) <= max(1, length * 0.03) else {
                    throw AttemptError(
                        message: String(format: "%@ %@ lasts %.2f s, expected %.2f s", part, r.name, seconds, length),
                        permanent: false)
                }
            }
        } else {
            try encodeAudio(probe: probe, plan: plan, into: tmp, hooks: hooks)
        }
        try FileManager.default.moveItem(at: tmp, to: done)
    }

    /// Every rung's video for one chunk, MPEG-TS with the source's own timestamps (plus a fixed
    /// offset that keeps the first chunk's B-frame decode times above zero).
    func encode(_ chunk: ChunkPlan.Chunk, probe: ProbeResult, plan: LadderPlan, into dir: URL, hooks: RenditionHooks)
        throws
    {
        var ff = FFmpegPlan(
            source: source, outputDir: dir, plan: plan, probe: probe, segmentSeconds: settings.segmentSeconds,
            preset: settings.preset, storyboard: nil)
        ff.fittedPreset = settings.qualityPreset
        let v0 = probe.videoStart
        let end = chunk.end ?? probe.duration + settings.segmentSeconds
        let trim =
            "trim=start=\(Self.time(v0 + chunk.start - Self.epsilon))"
            + (chunk.end.map { ":end=\(Self.time(v0 + $0 - Self.epsilon))" } ?? "")
        let keyFrames = stride(from: chunk.start, to: end, by: settings.segmentSeconds).map {
            Self.time(v0 + $0 - Self.epsilon)
        }.joined(separator: ",")
        var args = [
            "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-nostats", "-progress", "pipe:1", "-copyts",
        ]
        if chunk.start >= 1 { args += ["-ss", Self.time(chunk.start - 1)] }
        args += ["-i", source.path, "-filter_complex", ff.filterGraph(trim: trim)]
        for (i, r) in plan.rungs.enumerated() {
            args += ["-map", "[v\(i)]", "-an", "-fps_mode", "passthrough", "-enc_time_base:v", "-1"]
            args += ff.videoArguments(r, keyFrames: keyFrames, crf: settings.crf?[r.name])
            args += [
                "-muxdelay", "0", "-muxpreload", "0", "-output_ts_offset", Self.time(Self.tsOffset), "-f", "mpegts",
                dir.appendingPathComponent("\(r.name).ts").path,
            ]
        }
        try run(args, seconds: end - chunk.start, offset: chunk.start, hooks: hooks)
    }

    /// The audio once for the whole video: one AAC file per audio bitrate of the ladder.
    func encodeAudio(probe: ProbeResult, plan: LadderPlan, into dir: URL, hooks: RenditionHooks) throws {
        guard probe.hasAudio else { return }
        var args = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-nostats", "-progress", "pipe:1"]
        args += ["-i", source.path]
        for kbps in Set(plan.rungs.map(\.rung.audioKbps)).sorted() {
            args += [
                "-map", "0:a:0", "-vn", "-c:a", "aac", "-b:a", "\(kbps)k", "-ac", "2", "-ar", "48000",
                dir.appendingPathComponent(Self.audioFile(kbps)).path,
            ]
        }
        try run(args, seconds: probe.duration, offset: 0, hooks: hooks)
    }

    static func audioFile(_ kbps: Int) -> String { "audio-\(kbps)k.m4a" }

    func run(_ args: [String], seconds: Double, offset: Double, hooks: RenditionHooks) throws {
        let result = try runner.run(
            "ffmpeg", args, timeout: max(300, seconds * 40), onStart: hooks.ffmpegStarted,
            onLine: { line in
                guard line.hasPrefix("out_time_us="), let us = Double(line.dropFirst("out_time_us=".count)) else {
                    return
                }
                // -copyts: the chunk's own clock runs from its start in the source.
                try? hooks.encoded(max(0, us / 1_000_000 - offset - Self.tsOffset))
            })
        if result.status != 0 { try Transcoder.checkDiskSpace(work, stderr: result.stderrTail) }
        guard result.status == 0, !result.timedOut else {
            throw AttemptError(
                message: "ffmpeg failed on \(part) (exit \(result.status)): \(result.stderrTail)", permanent: false)
        }
    }

    /// Where an audio file begins (Prober reads only videos).
    static func startTime(of file: URL, runner: any ProcessRunning) -> Double {
        let r = try? runner.run(
            "ffprobe", ["-v", "error", "-show_entries", "format=start_time", "-of", "default=nw=1:nk=1", file.path],
            timeout: 120)
        return Double(r?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
    }

    static func time(_ t: Double) -> String { String(format: "%.6f", max(0, t)) }
}
