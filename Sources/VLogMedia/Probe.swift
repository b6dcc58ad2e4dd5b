import Foundation
import VLogSupport

/// What ffprobe says about a source file, with rotation already applied to width/height.
public struct ProbeResult: Sendable, Equatable {
    public var duration: Double
    /// Display size (a phone's portrait clip with rotation metadata is portrait here).
    public var width: Int
    public var height: Int
    public var rotation: Int
    public var frameRate: Double
    public var hasAudio: Bool
    public var videoCodec: String
    /// When the first video frame and the file begin (ffprobe's `start_time`): a chunked
    /// transcode cuts at the same frames as a whole one, and keeps audio where it was.
    public var videoStart = 0.0
    public var formatStart = 0.0

    public var shortSide: Int { min(width, height) }
    public var isPortrait: Bool { height > width }
}

/// Reads a source with `ffprobe -print_format json` and refuses what is not a playable video.
public struct Prober: Sendable {
    public var runner: any ProcessRunning
    public init(runner: any ProcessRunning = SystemProcessRunner()) { self.runner = runner }

    /// Longest video vlog accepts (24 h) and largest side (8K).
    static let maxDuration = 86_400.0
    static let maxSide = 8192

    public func probe(_ file: URL) throws -> ProbeResult {
        let attrs = try? FileManager.default.attributesOfItem(atPath: file.path)
        guard let size = attrs?[.size] as? Int else { throw VLogError.notFound("source file \(file.path) is missing") }
        guard size > 0 else { throw VLogError.invalidInput("the source file is empty (0 bytes)") }
        let out = try runner.run(
            "ffprobe", ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", file.path],
            timeout: 120)
        guard out.status == 0 else {
            let why = out.stderrTail.isEmpty ? "ffprobe exit \(out.status)" : out.stderrTail
            throw VLogError.invalidInput("not a readable video file: \(why)")
        }
        return try Self.parse(json: Data(out.stdout.utf8))
    }

    /// A title for a file added without `--title`: its embedded title tag (what cameras, phones
    /// and editors write), else its name without the extension, `_` read as a space.
    public func title(of file: URL) -> String {
        let out = try? runner.run(
            "ffprobe",
            [
                "-v", "error", "-show_entries", "format_tags=title", "-of", "default=noprint_wrappers=1:nokey=1",
                file.path,
            ],
            timeout: 60)
        if let t = out?.stdout.trimmingCharacters(in: .whitespacesAndNewlines), out?.status == 0, !t.isEmpty,
            !t.contains("\n"), t.count <= 200
        {
            return t
        }
        let name = file.deletingPathExtension().lastPathComponent.replacingOccurrences(of: "_", with: " ")
            .trimmingCharacters(in: .whitespaces)
        return name.isEmpty ? file.lastPathComponent : name
    }

    /// Turns ffprobe's JSON into a `ProbeResult`, rejecting what cannot be published.
    public static func parse(json: Data) throws -> ProbeResult {
        guard let root = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw VLogError.invalidInput("ffprobe gave no readable description of the file")
        }
        let streams = root["streams"] as? [[String: Any]] ?? []
        let format = root["format"] as? [String: Any] ?? [:]
        let videos = streams.filter {
            ($0["codec_type"] as? String) == "video"
                && (($0["disposition"] as? [String: Any])?["attached_pic"] as? Int ?? 0) == 0
        }
        guard let v = videos.first else {
            if streams.contains(where: { ($0["codec_type"] as? String) == "audio" }) {
                throw VLogError.invalidInput(
                    "the file has audio but no video stream (audio-only files cannot be published as video)")
            }
            throw VLogError.invalidInput("the file has no video stream (not a video file)")
        }
        var width = v["width"] as? Int ?? 0
        var height = v["height"] as? Int ?? 0
        guard width >= 16, height >= 16, width <= maxSide, height <= maxSide else {
            throw VLogError.invalidInput(
                "absurd video dimensions \(width)x\(height) (expected 16..\(maxSide) pixels per side)")
        }
        let rotation = Self.rotation(of: v)
        if abs(rotation) % 180 == 90 { swap(&width, &height) }
        let duration = Double(format["duration"] as? String ?? "") ?? Double(v["duration"] as? String ?? "") ?? 0
        let formatName = format["format_name"] as? String ?? ""
        let codec = v["codec_name"] as? String ?? ""
        if formatName.hasSuffix("_pipe") || formatName == "image2"
            || (duration <= 0.1 && ["mjpeg", "png", "gif", "webp", "bmp", "tiff"].contains(codec))
        {
            throw VLogError.invalidInput(
                "the file is a still image (\(codec.isEmpty ? formatName : codec)), not a video; give a video file (a name ending in .mp4 does not make it one)"
            )
        }
        guard duration > 0.1 else {
            throw VLogError.invalidInput("the video has no duration (truncated or empty stream)")
        }
        guard duration <= maxDuration else {
            throw VLogError.invalidInput("absurd duration \(Int(duration)) s (longer than 24 hours)")
        }
        let fps = Self.rate(v["avg_frame_rate"] as? String) ?? Self.rate(v["r_frame_rate"] as? String) ?? 30
        return ProbeResult(
            duration: duration, width: width, height: height, rotation: rotation,
            frameRate: (fps > 0 && fps <= 240) ? fps : 30,
            hasAudio: streams.contains { ($0["codec_type"] as? String) == "audio" },
            videoCodec: v["codec_name"] as? String ?? "?",
            videoStart: Double(v["start_time"] as? String ?? "") ?? 0,
            formatStart: Double(format["start_time"] as? String ?? "") ?? 0)
    }

    static func rotation(of stream: [String: Any]) -> Int {
        if let tags = stream["tags"] as? [String: Any], let r = tags["rotate"] as? String, let n = Int(r) { return n }
        for sd in stream["side_data_list"] as? [[String: Any]] ?? [] {
            if let r = sd["rotation"] as? Int { return r }
            if let r = sd["rotation"] as? Double { return Int(r) }
        }
        return 0
    }

    static func rate(_ s: String?) -> Double? {
        guard let s else { return nil }
        let parts = s.split(separator: "/")
        if parts.count == 2, let n = Double(parts[0]), let d = Double(parts[1]), d > 0, n > 0 { return n / d }
        return Double(s)
    }
}
