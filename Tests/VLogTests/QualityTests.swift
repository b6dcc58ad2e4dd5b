import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogMedia
@testable import VLogStore
@testable import VLogSupport
@testable import VLogTranscode

/// Rate control fitted to each video: a CRF per rung searched on samples under the fixed
/// bitrate's cap, each rung's SSIM and PSNR measured against the source and kept, `vlog video
/// show` printing them and warning under the floor; the measure itself tells a good encode from a
/// starved or misaligned one.
@Suite(.tags(.ffmpeg), .fullTierOnly) struct QualityTests {
    /// The bytes of a rung's init and media segments.
    static func bytes(_ dir: URL, _ rung: String) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(rung + "_") }.reduce(0) {
            $0
                + ((try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent($1).path)[.size] as? Int)
                    ?? 0)
        }
    }

    static func site(_ mode: String, minimumSSIM: String? = nil) throws -> TestSite {
        try TestSite {
            $0 = $0.replacingOccurrences(of: "rate_control = \"bitrate\"", with: "rate_control = \"\(mode)\"")
                .replacingOccurrences(of: "segment_seconds = 6 ", with: "segment_seconds = 2 ")
            if let minimumSSIM {
                $0 = $0.replacingOccurrences(of: "# min_ssim = 0.95", with: "min_ssim = \(minimumSSIM)")
            }
        }
    }

    @Test func aFittedLadderCostsNoMoreAndLooksTheSame() throws {
        // A still picture with a small moving part: most of the frame needs few bits.
        var results: [String: [String: (bytes: Int, measure: RungMeasure)]] = [:]
        for mode in ["bitrate", "quality"] {
            let t = try Self.site(mode)
            let clip = t.tmp.url.appendingPathComponent("still.mp4")
            let r = try runProcess(
                "/usr/bin/ffmpeg",
                [
                    "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=854x480:rate=1/3,fps=25[a];testsrc2=size=160x120:rate=25[b];[a][b]overlay=x=40*t",
                    "-t", "8", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "8", "-pix_fmt", "yuv420p", clip.path,
                ])
            #expect(r.status == 0, "\(r.stderr)")
            var new = NewVideo(source: clip, title: "still")
            new.slug = "still"
            let v = try Videos(site: t.site, store: t.store).add(new)
            let summary = try Transcoder(site: t.site).run()
            #expect(summary.ready == ["still"], "\(mode): \(summary)")
            let measured = try t.store.rungQuality(videoID: v.id)
            let dir = t.site.mediaDir(slug: "still")
            for q in try t.store.qualities(videoID: v.id) {
                let m = try #require(measured[q.quality], "\(mode) \(q.quality) measured")
                results[mode, default: [:]][q.quality] = (try Self.bytes(dir, q.quality), m)
            }
            let show = try vlog(["video", "show", "still"], cwd: t.root)
            #expect(show.stdout.contains("SSIM 0.9"), "\(show.stdout)")
            #expect(show.stdout.contains(mode == "quality" ? "CRF " : "fixed bitrate"), "\(show.stdout)")
        }
        let fixed = try #require(results["bitrate"])
        let fitted = try #require(results["quality"])
        #expect(Set(fixed.keys) == Set(fitted.keys) && fixed.count == 2, "the same rungs: \(fixed.keys)")
        for (rung, f) in fixed {
            let q = try #require(fitted[rung])
            #expect(q.measure.crf != nil, "\(rung) fitted with a CRF")
            #expect(q.bytes < f.bytes, "\(rung): \(q.bytes) bytes fitted, \(f.bytes) fixed")
            #expect(
                q.measure.ssim >= f.measure.ssim - 0.003, "\(rung): SSIM \(q.measure.ssim) against \(f.measure.ssim)")
            #expect(f.measure.crf == nil)
        }
        let total = fitted.values.reduce(0) { $0 + $1.bytes }
        #expect(
            Double(total) < 0.8 * Double(fixed.values.reduce(0) { $0 + $1.bytes }), "a still picture needs fewer bytes")
    }

    @Test func aRungUnderTheFloorIsReported() throws {
        let t = try Self.site("bitrate", minimumSSIM: "0.9999")
        _ = try addClip(t, "clip", size: "640x360", seconds: 3)
        #expect(try Transcoder(site: t.site).run().ready.count == 1)
        let show = try vlog(["video", "show", "clip"], cwd: t.root)
        #expect(show.stdout.contains("warning: 360p measured SSIM"), "\(show.stdout)")
        #expect(show.stdout.contains("raise its video_kbps"), "\(show.stdout)")
    }

    /// The windows a long video is checked on give the figures of the whole, and the measure
    /// falls when the frames compared are not the same ones (one frame apart) or the rung is starved.
    @Test func windowsMeasureWhatTheWholeDoes() throws {
        let t = try Self.site("bitrate")
        _ = try addClip(t, "long", size: "320x180", seconds: 36)
        #expect(try Transcoder(site: t.site).run().ready.count == 1)
        let dir = t.site.mediaDir(slug: "long")
        let source = try #require(t.site.sourceFile(slug: "long"))
        let text = try String(contentsOf: dir.appendingPathComponent("180p.m3u8"), encoding: .utf8)
        let playlist = MediaPlaylist.parse(text)
        let rung = PlannedRung(
            rung: Rung(name: "180p", height: 180, videoKbps: 600, audioKbps: 96), width: 320, height: 180)
        let scratch = t.tmp.url.appendingPathComponent("scratch")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let meter = QualityMeter(runner: SystemProcessRunner(), step: 1)
        let (reference, encoded) = try #require(
            try QualityMeter.windowed(
                source: source, dir: dir, rungs: [(rung, playlist)], frameRate: 30, scratch: scratch))
        let windows = try #require(try meter.measure(reference: reference, encoded: encoded, timeout: 300)["180p"])
        let whole = try #require(
            try meter.measure(
                reference: .init(source),
                encoded: [
                    .init(name: "180p", input: .init(dir.appendingPathComponent("180p.m3u8")), width: 320, height: 180)
                ],
                timeout: 300)["180p"])
        #expect(abs(windows.ssim - whole.ssim) < 0.002, "windows \(windows.ssim), whole \(whole.ssim)")
        #expect(abs(windows.psnr - whole.psnr) < 1, "windows \(windows.psnr) dB, whole \(whole.psnr) dB")
        // One frame off: the same pictures, compared with their neighbours.
        let shifted = try #require(
            try meter.measure(
                reference: .init(arguments: ["-ss", "0.034", "-i", source.path], count: 1),
                encoded: [
                    .init(name: "180p", input: .init(dir.appendingPathComponent("180p.m3u8")), width: 320, height: 180)
                ],
                timeout: 300)["180p"])
        #expect(shifted.ssim < whole.ssim - 0.01, "a frame apart: \(shifted.ssim) against \(whole.ssim)")
    }
}
