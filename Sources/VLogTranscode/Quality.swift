import Foundation
import VLogMedia
import VLogSupport

/// A rung's picture quality against its source scaled to the rung's size, as ffmpeg's `ssim` and
/// `psnr` filters measure it: SSIM the mean over the frames compared (1 is identical), PSNR in dB
/// from their mean squared error (luma and chroma, as ffmpeg's `average`).
public struct RungQuality: Codable, Sendable, Equatable {
    public var ssim: Double
    public var psnr: Double
    /// The constant quality the rung was encoded at (x264 CRF); nil: its fixed bitrate.
    public var crf: Int?

    public init(ssim: Double, psnr: Double, crf: Int? = nil) {
        self.ssim = ssim
        self.psnr = psnr
        self.crf = crf
    }
}

/// Encoded video against its source, with ffmpeg (`ssim`, `psnr`): the source (whole, or windows
/// of it) is decoded once, scaled to each rung as the encode scaled it, and every `step`-th frame
/// compared with the same frame of the rung (frames are matched by their number from the start
/// of each side, so both sides must be cut at the same times).
struct QualityMeter {
    let runner: any ProcessRunning
    /// Every frame (of the whole video, or of its windows). Sampling aliases with the encoder's
    /// frame types: a fixed-bitrate rung's quality swings between its I, P and B frames far more
    /// than a CRF rung's, and every 4th frame put a talking head's fixed 720p 0.0019 above its
    /// all-frame SSIM (0.9651 against 0.9632), every 5th its 1080p 0.0017 above, while a CRF rung
    /// measured the same either way (bench/quality).
    var step = 1

    /// What is compared: a source or a rung, whole or as windows of it joined (one input each).
    struct Input {
        var arguments: [String]
        var count: Int
        init(arguments: [String], count: Int) {
            self.arguments = arguments
            self.count = count
        }
        /// `file` whole.
        init(_ file: URL) { self.init(arguments: ["-i", file.path], count: 1) }
        /// Its video from inputs `first`..., joined, as `[label]` in yuv420p.
        func filter(first: Int, _ label: String) -> String {
            let streams = (first..<first + count).map { "[\($0):v:0]" }.joined()
            return streams + (count > 1 ? "concat=n=\(count):v=1:a=0," : "") + "format=yuv420p[\(label)]"
        }
    }

    struct Encoded {
        var name: String
        var input: Input
        var width: Int
        var height: Int
    }

    /// A long video's final check compares windows of it: up to ten whole segments spread over
    /// it (not the last, which may be short; whole, as quality changes across a keyframe interval). Each rung's window is its init segment
    /// and that segment as one file (ffmpeg 5.1 cannot seek a playlist of fMP4 segments), starting
    /// at the segment's keyframe; the source's starts half a frame before the segment's time, so
    /// both sides begin with the same frame.
    static func windowed(
        source: URL, dir: URL, rungs: [(PlannedRung, MediaPlaylist)], frameRate: Double, scratch: URL
    ) throws -> (Input, [Encoded])? {
        guard let first = rungs.first?.1, first.totalDuration > 30, first.segments.count > 2 else { return nil }
        let n = first.segments.count - 1
        let picks = Array(Set((0..<min(10, n)).map { $0 * n / min(10, n) })).sorted()
        let half = 0.5 / (frameRate > 0 ? frameRate : 30)
        let reference = Input(
            arguments: picks.flatMap {
                [
                    "-ss", ChunkWork.time(first.segments[$0].start - half), "-t",
                    ChunkWork.time(first.segments[$0].duration), "-i", source.path,
                ]
            }, count: picks.count)
        var encoded: [Encoded] = []
        for (r, playlist) in rungs {
            var args: [String] = []
            for j in picks {
                var file = dir.appendingPathComponent(playlist.segments[j].uri)
                if let map = playlist.initURI {
                    // The init segment and the media segment, joined: a fragmented MP4 file.
                    let joined = scratch.appendingPathComponent("\(r.name)-\(j).mp4")
                    var bytes = try Data(contentsOf: dir.appendingPathComponent(map))
                    bytes.append(try Data(contentsOf: file))
                    do { try bytes.write(to: joined) } catch {
                        try Transcoder.checkDiskSpace(scratch, stderr: "\(error)")
                        throw VLogError.io("cannot write \(joined.path): \(FileIO.reason(error))")
                    }
                    file = joined
                }
                args += ["-i", file.path]
            }
            encoded.append(
                Encoded(
                    name: r.name, input: Input(arguments: args, count: picks.count), width: r.width, height: r.height))
        }
        return (reference, encoded)
    }

    func measure(reference: Input, encoded: [Encoded], timeout: Double) throws -> [String: RungQuality] {
        guard !encoded.isEmpty else { return [:] }
        // Stats files by path in the filter graph: a folder whose name needs no escaping there.
        let dir = URL(fileURLWithPath: "/tmp").appendingPathComponent("vlog-quality-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let frames = "settb=1,setpts=N,select=not(mod(n\\,\(step)))"
        var graph = reference.filter(first: 0, "ref") + ";[ref]split=\(encoded.count)"
        graph += encoded.indices.map { "[r\($0)]" }.joined()
        var args = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-nostats"] + reference.arguments
        var next = reference.count
        var outputs: [String] = []
        for (i, e) in encoded.enumerated() {
            args += e.input.arguments
            graph += ";" + e.input.filter(first: next, "x\(i)")
            next += e.input.count
            graph += ";[r\(i)]scale=\(e.width):\(e.height):flags=bicubic,setsar=1,\(frames),split=2[ra\(i)][rb\(i)]"
            graph += ";[x\(i)]\(frames),split=2[ea\(i)][eb\(i)]"
            graph += ";[ea\(i)][ra\(i)]ssim=stats_file=\(dir.path)/ssim-\(i).log[os\(i)]"
            graph += ";[eb\(i)][rb\(i)]psnr=stats_file=\(dir.path)/psnr-\(i).log[op\(i)]"
            outputs += ["-map", "[os\(i)]", "-f", "null", "-", "-map", "[op\(i)]", "-f", "null", "-"]
        }
        args += ["-filter_complex", graph] + outputs
        let r = try runner.run("ffmpeg", args, timeout: timeout)
        if r.status != 0 { try Transcoder.checkDiskSpace(dir, stderr: r.stderrTail) }
        guard r.status == 0, !r.timedOut else {
            throw VLogError.tool("ffmpeg could not measure the rungs' quality (exit \(r.status)): \(r.stderrTail)")
        }
        var out: [String: RungQuality] = [:]
        for (i, e) in encoded.enumerated() {
            let ssim = try String(contentsOf: dir.appendingPathComponent("ssim-\(i).log"), encoding: .utf8)
            let psnr = try String(contentsOf: dir.appendingPathComponent("psnr-\(i).log"), encoding: .utf8)
            guard let q = Self.parse(ssim: ssim, psnr: psnr) else {
                throw VLogError.tool("ffmpeg compared no frames of rung \(e.name) with its source")
            }
            out[e.name] = q
        }
        return out
    }

    /// The mean of the `All:` values of an `ssim` stats file, and the PSNR of the mean `mse_avg`
    /// of a `psnr` one (8-bit peak); nil when either has no frame.
    static func parse(ssim: String, psnr: String) -> RungQuality? {
        func values(_ text: String, _ key: String) -> [Double] {
            text.split(separator: "\n").compactMap { line in
                guard let r = line.range(of: key) else { return nil }
                return Double(line[r.upperBound...].prefix { !$0.isWhitespace })
            }
        }
        let s = values(ssim, "All:")
        let m = values(psnr, "mse_avg:")
        guard !s.isEmpty, !m.isEmpty else { return nil }
        let mse = m.reduce(0, +) / Double(m.count)
        let db = mse > 0 ? min(100, 10 * log10(255 * 255 / mse)) : 100
        return RungQuality(ssim: s.reduce(0, +) / Double(s.count), psnr: db)
    }
}
