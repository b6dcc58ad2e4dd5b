import Foundation
import VLogConfig
import VLogMedia
import VLogSupport

/// Puts a chunked transcode together in `out`, as `--collect` publishes it, without encoding
/// video: for each rung, the chunks' MPEG-TS files joined end to end (ffmpeg's `concat:`
/// protocol; their timestamps already continue across edges) and the once-encoded audio, copied
/// into the HLS muxer with the same segment length as a whole transcode, so the segments (count,
/// durations, keyframes) are the ones a single machine would write. The storyboard is drawn from
/// the smallest rung (a decode of small frames only).
struct ChunkAssembly: Sendable {
    let settings: RenditionSettings
    let runner: any ProcessRunning
    let work: URL

    func assemble(probe: ProbeResult, plan: LadderPlan, storyboard: Storyboard, into out: URL) throws {
        let chunks = ChunkPlan.plan(
            duration: probe.duration, chunkSeconds: settings.chunkSeconds ?? probe.duration,
            segmentSeconds: settings.segmentSeconds)
        let audioDir = ChunkWork.doneDir(work: work, part: ChunkPlan.audioPart)
        for part in chunks.partNames where !FileIO.isDirectory(ChunkWork.doneDir(work: work, part: part)) {
            throw AttemptError(message: "\(part) of the chunked transcode is not done", permanent: false)
        }
        func joined(_ rung: String) throws -> String {
            let files = chunks.chunks.map {
                ChunkWork.doneDir(work: work, part: $0.name).appendingPathComponent("\(rung).ts").path
            }
            if let odd = files.first(where: { $0.contains("|") }) {
                throw AttemptError(
                    message: "the path \(odd) holds a `|`, which ffmpeg's concat: cannot join",
                    permanent: true)
            }
            return "concat:" + files.joined(separator: "|")
        }
        let ff = FFmpegPlan(
            source: work, outputDir: out, plan: plan, probe: probe, segmentSeconds: settings.segmentSeconds,
            preset: settings.preset, storyboard: nil, fragmentedMP4: settings.segmentFormat == "cmaf")
        // Each input starts at zero in ffmpeg; -itsoffset puts the video back where it began
        // relative to the audio in the source.
        let videoOffset = ChunkWork.time(probe.videoStart - probe.formatStart)
        // Each audio file's start, probed once (rungs share bitrates).
        var audioStart: [Int: String] = [:]
        for kbps in Set(plan.rungs.map(\.rung.audioKbps)) where probe.hasAudio {
            audioStart[kbps] = ChunkWork.time(
                ChunkWork.startTime(of: audioDir.appendingPathComponent(ChunkWork.audioFile(kbps)), runner: runner))
        }
        try? FileManager.default.removeItem(at: out)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        // The storyboard first: rungs that verify mean it was drawn whole (a killed join starts over).
        let small = plan.rungs[plan.rungs.count - 1]
        try run(
            ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-i", try joined(small.name)]
                + ["-filter_complex", storyboard.filter(input: "0:v:0")] + storyboard.outputArguments(dir: out),
            what: "drawing the storyboard")
        for r in plan.rungs {
            var args = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-itsoffset", videoOffset]
            args += ["-i", try joined(r.name)]
            if probe.hasAudio {
                let audio = audioDir.appendingPathComponent(ChunkWork.audioFile(r.rung.audioKbps))
                args += ["-itsoffset", audioStart[r.rung.audioKbps] ?? "0", "-i", audio.path]
                args += ["-map", "0:v:0", "-map", "1:a:0"]
            } else {
                args += ["-map", "0:v:0"]
            }
            args += ["-c", "copy"] + ff.hlsArguments(r)
            try run(args, what: "joining the chunks of \(r.name)")
        }
    }

    func run(_ args: [String], what: String) throws {
        let r = try runner.run("ffmpeg", args, timeout: 3600)
        if r.status != 0 { try Transcoder.checkDiskSpace(work, stderr: r.stderrTail) }
        guard r.status == 0, !r.timedOut else {
            throw AttemptError(message: "ffmpeg failed \(what) (exit \(r.status)): \(r.stderrTail)", permanent: false)
        }
    }
}
