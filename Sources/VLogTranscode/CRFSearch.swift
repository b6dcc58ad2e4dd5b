import Foundation
import VLogMedia
import VLogSupport

/// The constant quality (x264 CRF) each rung of one video is encoded at, found on samples of
/// the video (three segments, at 20%, 50% and 80%, decoded once into lossless files): each rung is first encoded at its
/// fixed bitrate, then the highest CRF whose SSIM stays within `margin` of that is searched for
/// (bisection from 18 to 32, every rung in the same four ffmpeg runs), under the fixed bitrate's
/// cap (`FFmpegPlan.videoArguments`). A rung whose best CRF would cost more bytes than the fixed
/// bitrate on the samples, or none reaches the SSIM, keeps the fixed bitrate: no rung costs
/// more than before, and none looks worse.
struct CRFSearch {
    let plan: FFmpegPlan
    let runner: any ProcessRunning
    /// Where the trial encodes go (deleted at the end).
    let dir: URL
    /// How far under the fixed bitrate's SSIM on the samples (every frame) a CRF may fall.
    var margin = 0.001
    static let lowest = 18
    static let highest = 32

    /// The windows of the source the search encodes: (start, length) in seconds.
    /// Three whole segments (one keyframe interval each: how the encoder spends bits across a
    /// keyframe interval is what it is judged on; 2-second windows hid a CRF's picture fading
    /// towards the next keyframe on a noisy still, bench/quality), at 20%, 50% and 80%; a video
    /// of up to three segments whole.
    static func windows(duration: Double, segment: Double) -> [(Double, Double)] {
        if duration <= 3 * segment { return [(0, duration)] }
        return [0.2, 0.5, 0.8].map { p in
            (min((duration * p / segment).rounded(.down) * segment, duration - segment), segment)
        }
    }

    /// The source's windows, as inputs.
    /// Each window decoded out of the source once (an accurate seek) into a lossless file
    /// (x264 `-qp 0`, 4:2:0 as every encode sees it): every trial then decodes only those frames,
    /// quickly, not the source again from the keyframe before each window (a camera's upload
    /// decodes at a few dozen frames a second on two cores). Deleted with the search.
    func extractSample() throws -> QualityMeter.Input {
        let windows = Self.windows(duration: plan.probe.duration, segment: plan.segmentSeconds)
        var files: [String] = []
        for (i, (start, length)) in windows.enumerated() {
            let file = dir.appendingPathComponent("window-\(i).mkv")
            let r = try runner.run(
                "ffmpeg",
                [
                    "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-ss", ChunkWork.time(start), "-t",
                    ChunkWork.time(length), "-i", plan.source.path, "-map", "0:v:0", "-an", "-vf", "format=yuv420p",
                    "-c:v", "libx264", "-qp", "0", "-preset", "ultrafast", file.path,
                ], timeout: 600)
            if r.status != 0 { try Transcoder.checkDiskSpace(dir, stderr: r.stderrTail) }
            guard r.status == 0, !r.timedOut else {
                throw VLogError.tool("ffmpeg could not cut the samples for the quality search: \(r.stderrTail)")
            }
            files += ["-i", file.path]
        }
        return .init(arguments: files, count: windows.count)
    }

    /// Rung name to CRF (rungs that keep their fixed bitrate are absent).
    func run() throws -> [String: Int] {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let rungs = plan.plan.rungs
        let sample = try extractSample()
        let (reference, referenceBytes) = try trial(rungs.map { ($0, h264($0, nil)) }, "fixed", sample)
        var lo = [Int?](repeating: nil, count: rungs.count)
        var loBytes = [Int](repeating: 0, count: rungs.count)
        var low = [Int](repeating: Self.lowest - 1, count: rungs.count)
        var high = [Int](repeating: Self.highest + 1, count: rungs.count)
        // Bisection on each rung at once: the midpoints of all rungs in one encode and one measure.
        while zip(low, high).contains(where: { $1 - $0 > 1 }) {
            let mids = rungs.indices.map { high[$0] - low[$0] > 1 ? (low[$0] + high[$0]) / 2 : nil }
            let (q, bytes) = try trial(
                rungs.indices.compactMap { i in mids[i].map { (rungs[i], h264(rungs[i], $0)) } },
                "crf-\(UUID().uuidString.prefix(6))", sample)
            for i in rungs.indices {
                guard let m = mids[i], let s = q[rungs[i].name]?.ssim, let target = reference[rungs[i].name]?.ssim
                else { continue }
                if s >= target - margin {
                    low[i] = m
                    lo[i] = m
                    loBytes[i] = bytes[rungs[i].name] ?? 0
                } else {
                    high[i] = m
                }
            }
        }
        var out: [String: Int] = [:]
        for (i, r) in rungs.enumerated() {
            guard let crf = lo[i], loBytes[i] <= referenceBytes[r.name] ?? 0 else { continue }
            out[r.name] = crf
        }
        return out
    }

    /// The AV1 ladder's CRFs (SVT-AV1, 0-63), rung name to CRF: on the same samples, each rung's
    /// H.264 encode as the ladder makes it (`h264CRF`, else its fixed bitrate) is the reference,
    /// and the highest AV1 CRF whose SSIM is at least that (within `av1Margin`) is searched for by
    /// the same bisection (`av1Lowest` to `av1Highest`); a rung none reaches gets `av1Lowest`.
    /// The bytes follow the picture: a still slide needs far fewer than film grain.
    func runAV1(_ av1: LadderPlan, h264CRF: [String: Int]) throws -> [String: Int] {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let rungs = av1.rungs
        let sample = try extractSample()
        let (reference, _) = try trial(rungs.map { ($0, h264($0, h264CRF[$0.name])) }, "h264", sample)
        var low = [Int](repeating: Self.av1Lowest - 1, count: rungs.count)
        var high = [Int](repeating: Self.av1Highest + 1, count: rungs.count)
        while zip(low, high).contains(where: { $1 - $0 > 1 }) {
            let mids = rungs.indices.map { high[$0] - low[$0] > 1 ? (low[$0] + high[$0]) / 2 : nil }
            let (q, _) = try trial(
                rungs.indices.compactMap { i in mids[i].map { (rungs[i], plan.av1VideoArguments(rungs[i], crf: $0)) } },
                "av1-\(UUID().uuidString.prefix(6))", sample)
            for i in rungs.indices {
                guard let m = mids[i], let s = q[rungs[i].name]?.ssim, let target = reference[rungs[i].name]?.ssim
                else { continue }
                if s >= target - Self.av1Margin { low[i] = m } else { high[i] = m }
            }
        }
        var out: [String: Int] = [:]
        for (i, r) in rungs.enumerated() { out[r.name] = max(Self.av1Lowest, low[i]) }
        return out
    }
    static let av1Lowest = 20
    static let av1Highest = 55
    /// How far under the H.264 rung's SSIM on the samples an AV1 CRF may fall: none ("equal SSIM").
    static let av1Margin = 0.0

    /// A rung's H.264 arguments in a trial: at `crf`, or nil: its fixed bitrate.
    func h264(_ r: PlannedRung, _ crf: Int?) -> [String] {
        plan.videoArguments(r, keyFrames: "expr:gte(t,n_forced*\(plan.segmentSeconds))", crf: crf)
    }

    /// The samples encoded with each rung's given video arguments in one ffmpeg, then measured
    /// in another: quality and bytes by rung name.
    func trial(_ settings: [(PlannedRung, [String])], _ tag: String, _ sample: QualityMeter.Input) throws -> (
        [String: RungQuality], [String: Int]
    ) {
        var graph =
            sample.filter(first: 0, "s") + ";[s]split=\(settings.count)" + settings.indices.map { "[t\($0)]" }.joined()
        var args = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-nostats"] + sample.arguments
        var outputs: [String] = []
        var encoded: [QualityMeter.Encoded] = []
        for (i, (r, video)) in settings.enumerated() {
            graph += ";[t\(i)]scale=\(r.width):\(r.height):flags=bicubic,setsar=1[e\(i)]"
            let file = dir.appendingPathComponent("\(tag)-\(r.name).mp4")
            outputs += ["-map", "[e\(i)]", "-an"]
            outputs += video
            outputs += ["-f", "mp4", file.path]
            encoded.append(.init(name: r.name, input: .init(file), width: r.width, height: r.height))
        }
        args += ["-filter_complex", graph] + outputs
        let r = try runner.run("ffmpeg", args, timeout: 600)
        if r.status != 0 { try Transcoder.checkDiskSpace(dir, stderr: r.stderrTail) }
        guard r.status == 0, !r.timedOut else {
            throw VLogError.tool("ffmpeg could not encode the samples for the quality search: \(r.stderrTail)")
        }
        let q = try QualityMeter(runner: runner, step: 1).measure(reference: sample, encoded: encoded, timeout: 600)
        var bytes: [String: Int] = [:]
        for e in encoded {
            let file = dir.appendingPathComponent("\(tag)-\(e.name).mp4")
            bytes[e.name] = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
            unlink(file.path)  // one trial's files at a time on the disk
        }
        return (q, bytes)
    }
}
