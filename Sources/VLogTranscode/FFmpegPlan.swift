import Foundation
import VLogConfig
import VLogMedia
import VLogSupport

/// The ffmpeg command that decodes the source once and encodes every rung (split + scale).
public struct FFmpegPlan: Sendable {
    public var source: URL
    public var outputDir: URL
    public var plan: LadderPlan
    public var probe: ProbeResult
    public var segmentSeconds: Double
    public var preset: String
    /// Seek-preview sheets, drawn from the smallest rung in the same pass.
    public var storyboard: Storyboard?
    /// CMAF (fragmented MP4) segments; false: MPEG-TS.
    public var fragmentedMP4 = true
    /// Rungs encoded at a constant quality (x264 CRF, `CRFSearch`), by name; the others at their
    /// fixed bitrate.
    public var crf: [String: Int] = [:]
    /// The preset of rungs encoded at a CRF (`transcode.quality_preset`); nil: `preset`. Rungs at
    /// their fixed bitrate, and so the quality search's reference, keep `preset`.
    public var fittedPreset: String?

    /// One ffmpeg for all rungs (CMAF: fragmented-MP4 segments and an init segment per rung) and
    /// the storyboard, progress on stdout.
    public func arguments() -> [String] {
        let seg = Format.number(segmentSeconds)
        var args = [
            "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-nostats", "-progress", "pipe:1",
            "-i", source.path, "-filter_complex", filterGraph(),
        ]
        for (i, r) in plan.rungs.enumerated() {
            args += ["-map", "[v\(i)]"]
            if probe.hasAudio { args += ["-map", "0:a:0"] }
            args += videoArguments(r, keyFrames: "expr:gte(t,n_forced*\(seg))", crf: crf[r.name])
            if probe.hasAudio {
                args += ["-c:a", "aac", "-b:a", "\(r.rung.audioKbps)k", "-ac", "2", "-ar", "48000"]
            }
            args += hlsArguments(r)
        }
        if let storyboard { args += storyboard.outputArguments(dir: outputDir) }
        return args
    }

    /// A cascade from the first video stream: each rung is scaled from the one above it (cheaper
    /// than scaling every rung from the full-size source) and split off as `[v0]`, `[v1]`, ...;
    /// `trim` (a chunk's cut) goes first.
    package func filterGraph(trim: String? = nil) -> String {
        var filter = "[0:v:0]" + (trim.map { $0 + "," } ?? "") + "format=yuv420p[c0]"
        for (i, r) in plan.rungs.enumerated() {
            filter += ";[c\(i)]scale=\(r.width):\(r.height):flags=bicubic,setsar=1"
            if i < plan.rungs.count - 1 {
                filter += ",split=2[v\(i)][c\(i + 1)]"
            } else if let storyboard {
                filter += ",split=2[v\(i)][last];" + storyboard.filter(input: "last")
            } else {
                filter += "[v\(i)]"
            }
        }
        return filter
    }

    /// H.264 at the rung's bitrate, or at a constant quality (`crf`) under the same cap (the
    /// fixed bitrate's `maxrate` and `bufsize`, so no rung peaks higher), a keyframe at every
    /// segment start (`keyFrames`, ffmpeg's `-force_key_frames`) and nowhere else.
    package func videoArguments(_ r: PlannedRung, keyFrames: String, crf: Int? = nil) -> [String] {
        let kbps = r.rung.videoKbps
        let gop = max(1, Int((probe.frameRate * segmentSeconds).rounded()))
        let rate = crf.map { ["-crf", "\($0)"] } ?? ["-b:v", "\(kbps)k"]
        let speed = crf == nil ? preset : fittedPreset ?? preset
        return ["-c:v", "libx264", "-preset", speed, "-profile:v", "high"] + rate + [
            "-maxrate", "\(kbps * 107 / 100)k", "-bufsize", "\(kbps * 3 / 2)k",
            "-g", "\(gop)", "-keyint_min", "\(gop)", "-sc_threshold", "0", "-force_key_frames", keyFrames,
        ]
    }

    /// The AV1 ladder (`transcode.codecs`), one ffmpeg for every rung of `av1`, each at its
    /// SVT-AV1 CRF (`crf`, by rung name; `AV1Search`), the same audio.
    public func av1Arguments(_ av1: LadderPlan, crf: [String: Int]) -> [String] {
        var plain = self
        plain.plan = av1
        plain.storyboard = nil
        var args = [
            "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-nostats", "-progress", "pipe:1",
            "-i", source.path, "-filter_complex", plain.filterGraph(),
        ]
        for (i, r) in av1.rungs.enumerated() {
            args += ["-map", "[v\(i)]"]
            if probe.hasAudio { args += ["-map", "0:a:0"] }
            args += av1VideoArguments(r, crf: crf[r.name] ?? Self.av1DefaultCRF)
            if probe.hasAudio {
                args += ["-c:a", "aac", "-b:a", "\(r.rung.audioKbps)k", "-ac", "2", "-ar", "48000"]
            }
            args += hlsArguments(r)
        }
        return args
    }

    /// SVT-AV1 at `av1Preset` and a constant quality (`crf`, 0-63) capped at the H.264 rung's
    /// `maxrate` (SVT-AV1's capped CRF: no AV1 rung peaks above its H.264 rung's ceiling), a
    /// keyframe every segment (SVT-AV1 in ffmpeg 5.1 takes no forced keyframes: its fixed, closed
    /// GOP of one segment's frames lands on the same frames as the H.264 ladder's), scene-change
    /// keyframes off.
    package func av1VideoArguments(_ r: PlannedRung, crf: Int) -> [String] {
        let gop = max(1, Int((probe.frameRate * segmentSeconds).rounded()))
        return [
            "-c:v", "libsvtav1", "-preset", "\(Self.av1Preset)", "-crf", "\(crf)",
            "-maxrate", "\(r.rung.videoKbps * 107 / 100)k", "-g", "\(gop)", "-svtav1-params", "scd=0",
        ]
    }

    /// SVT-AV1's speed (0 slowest ... 13). 8: 10 (twice as fast) lost up to 0.010 SSIM on
    /// animation at the same bytes (bench/quality).
    public static let av1Preset = 8
    /// A rung's AV1 CRF when none was searched (SVT-AV1's own default is 35).
    public static let av1DefaultCRF = 35

    /// The HLS muxer for one rung: its playlist, segments (and init segment) in `outputDir`.
    package func hlsArguments(_ r: PlannedRung) -> [String] {
        var args = [
            "-f", "hls", "-hls_time", Format.number(segmentSeconds), "-hls_playlist_type", "vod",
            "-hls_flags", "independent_segments",
        ]
        args +=
            fragmentedMP4
            ? ["-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", MediaLayout.initSegment(r.file)]
            : ["-hls_segment_type", "mpegts"]
        let ext = fragmentedMP4 ? MediaLayout.segmentExtension : MediaLayout.legacySegmentExtension
        return args + [
            "-hls_segment_filename",
            outputDir.appendingPathComponent(MediaLayout.segmentPattern(r.file, ext: ext)).path,
            outputDir.appendingPathComponent(MediaLayout.playlist(r.file)).path,
        ]
    }

}
