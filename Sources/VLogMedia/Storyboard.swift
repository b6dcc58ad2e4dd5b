import Foundation
import VLogSupport

/// Seek-preview thumbnails: one small frame every `interval` seconds, tiled 10 x 10 into JPEG
/// sheets by the transcode's own ffmpeg (a branch of its filter graph, so no second decode), and a
/// WebVTT map of where each one is, as YouTube and PeerTube players read them.
public struct Storyboard: Sendable, Equatable {
    public var interval: Double
    public var width: Int
    public var height: Int
    public static let columns = 10, rows = 10

    /// At most about 200 thumbnails (every second for clips, every 12 s for 40 min), the long side
    /// 160 px at the video's own aspect ratio.
    public static func plan(duration: Double, width: Int, height: Int) -> Storyboard {
        let interval = max(1, (duration / 200).rounded(.up))
        let long = 160.0
        let w = width >= height ? long : long * Double(width) / Double(max(1, height))
        let h = width >= height ? long * Double(height) / Double(max(1, width)) : long
        return Storyboard(interval: interval, width: LadderPlan.even(w), height: LadderPlan.even(h))
    }

    /// The filter-graph branch from `input` (a scaled stream) to the `[sb]` output.
    package func filter(input: String) -> String {
        "[\(input)]fps=1/\(Format.number(interval)),scale=\(width):\(height),setsar=1,"
            + "tile=\(Self.columns)x\(Self.rows)[sb]"
    }

    /// ffmpeg output arguments for the sheets in `dir`.
    package func outputArguments(dir: URL) -> [String] {
        [
            "-map", "[sb]", "-c:v", "mjpeg", "-q:v", "5", "-f", "image2", "-start_number", "0",
            dir.appendingPathComponent(MediaLayout.storyboardPattern).path,
        ]
    }

    /// The number of thumbnails for a video of `duration` (ffmpeg's fps filter: one per interval,
    /// from 0).
    func count(duration: Double) -> Int { max(1, Int((duration / interval).rounded(.up))) }

    /// `storyboard.vtt`: a cue per thumbnail, pointing into its sheet with a media fragment.
    public func vtt(duration: Double) -> String {
        var out = "WEBVTT\n\n"
        let perSheet = Self.columns * Self.rows
        for i in 0..<count(duration: duration) {
            let start = Double(i) * interval
            let end = min(duration, start + interval)
            guard end > start else { break }
            let cell = i % perSheet
            let x = (cell % Self.columns) * width
            let y = (cell / Self.columns) * height
            out += "\(Self.timestamp(start)) --> \(Self.timestamp(end))\n"
            out += "\(MediaLayout.storyboardSheet(i / perSheet))#xywh=\(x),\(y),\(width),\(height)\n\n"
        }
        return out
    }

    /// The sheets the map needs, all present and non-empty.
    public func verify(dir: URL, duration: Double) throws {
        let sheets = (count(duration: duration) + Self.columns * Self.rows - 1) / (Self.columns * Self.rows)
        for i in 0..<sheets {
            let url = dir.appendingPathComponent(MediaLayout.storyboardSheet(i))
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int ?? 0
            guard size > 0 else {
                throw VLogError.tool("storyboard sheet \(url.lastPathComponent) is missing or empty")
            }
        }
    }

    static func timestamp(_ t: Double) -> String {
        let ms = Int((t * 1000).rounded())
        return String(format: "%02d:%02d:%02d.%03d", ms / 3_600_000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000)
    }
}
