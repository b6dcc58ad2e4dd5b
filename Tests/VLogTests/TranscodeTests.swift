import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogMedia
@testable import VLogStore
@testable import VLogSupport
@testable import VLogTranscode

/// Makes a small clip with ffmpeg's lavfi sources.
func makeClip(_ url: URL, size: String, seconds: Double = 4, audio: Bool = true, rotate: Int? = nil, rate: Int = 30)
    throws
{
    var args = ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(rate)"]
    if audio { args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"] }
    args += ["-t", String(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio { args += ["-c:a", "aac", "-shortest"] }
    let plain =
        rotate == nil
        ? url : url.deletingLastPathComponent().appendingPathComponent("unrotated-\(url.lastPathComponent)")
    let r = try runProcess("/usr/bin/ffmpeg", args + [plain.path])
    #expect(r.status == 0, "ffmpeg: \(r.stderr)")
    if let rotate {
        let r2 = try runProcess(
            "/usr/bin/ffmpeg",
            [
                "-loglevel", "error", "-y", "-i", plain.path, "-c", "copy",
                "-metadata:s:v:0", "rotate=\(rotate)", url.path,
            ])
        #expect(r2.status == 0, "ffmpeg: \(r2.stderr)")
    }
}

/// Counts the processes a transcode starts, around the real runner.
final class CountingRunner: ProcessRunning, @unchecked Sendable {
    let inner = SystemProcessRunner()
    let calls = LockedBox<[String]>([])
    /// When set, ffmpeg encodes (the HLS ones) fail with this stderr.
    var failEncode: String?
    func run(
        _ executable: String, _ arguments: [String], timeout: TimeInterval,
        onStart: (@Sendable (Int32) -> Void)?, onLine: (@Sendable (String) -> Void)?
    ) throws -> ProcessOutput {
        calls.withLock { $0.append(executable) }
        if let failEncode, arguments.contains("hls") {
            return ProcessOutput(status: 1, stdout: "", stderrTail: failEncode, timedOut: false)
        }
        return try inner.run(executable, arguments, timeout: timeout, onStart: onStart, onLine: onLine)
    }
}

func fastSite(identity: String = "anonymous") throws -> TestSite {
    try TestSite {
        $0 = $0.replacingOccurrences(of: "preset = \"veryfast\"", with: "preset = \"ultrafast\"")
            .replacingOccurrences(of: "segment_seconds = 6 ", with: "segment_seconds = 2 ")
            .replacingOccurrences(of: "viewer_id = \"anonymous\"", with: "viewer_id = \"\(identity)\"")
    }
}

func addClip(_ t: TestSite, _ name: String, size: String, seconds: Double = 4, audio: Bool = true, rotate: Int? = nil)
    throws -> Video
{
    let url = t.tmp.url.appendingPathComponent("\(name).mp4")
    try makeClip(url, size: size, seconds: seconds, audio: audio, rotate: rotate)
    var new = NewVideo(source: url, title: name)
    new.slug = name
    return try Videos(site: t.site, store: t.store).add(new)
}

/// Is the first video packet of a segment a keyframe? A CMAF fragment is read after its init
/// segment (what a player appends first).
func startsWithKeyframe(_ segment: URL, initSegment: URL? = nil) throws -> Bool {
    var path = segment.path
    if let initSegment {
        path = NSTemporaryDirectory() + "vlog-frag-\(getpid()).mp4"
        var data = try Data(contentsOf: initSegment)
        data.append(try Data(contentsOf: segment))
        try data.write(to: URL(fileURLWithPath: path))
    }
    defer { if initSegment != nil { unlink(path) } }
    let r = try runProcess(
        "/usr/bin/ffprobe",
        [
            "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=flags",
            "-of", "csv=p=0", "-read_intervals", "%+#1", path,
        ])
    return r.stdout.split(separator: "\n").first?.contains("K") == true
}

@Suite(.serialized, .tags(.ffmpeg), .fullTierOnly) struct TranscodeTests {
    @Test func ladderPlanning() {
        func probe(_ w: Int, _ h: Int) -> ProbeResult {
            ProbeResult(
                duration: 10, width: w, height: h, rotation: 0, frameRate: 30, hasAudio: true, videoCodec: "h264")
        }
        let l = Rung.defaultLadder
        #expect(LadderPlan.plan(ladder: l, source: probe(1280, 720)).rungs.map(\.name) == ["720p", "480p", "360p"])
        #expect(
            LadderPlan.plan(ladder: l, source: probe(1280, 720)).skipped.map(\.name) == ["2160p", "1440p", "1080p"])
        let odd = LadderPlan.plan(ladder: l, source: probe(1366, 768))
        #expect(odd.rungs.map { "\($0.width)x\($0.height)" } == ["1280x720", "854x480", "640x360"])
        let portrait = LadderPlan.plan(ladder: l, source: probe(1080, 1920))
        #expect(portrait.rungs.map { "\($0.width)x\($0.height)" } == ["1080x1920", "720x1280", "480x854", "360x640"])
        let tiny = LadderPlan.plan(ladder: l, source: probe(426, 240))
        #expect(tiny.rungs.map(\.name) == ["240p"] && tiny.rungs[0].width == 426 && tiny.skipped.count == 6)
    }

    @Test func probeRefusesWhatIsNotAVideo() throws {
        let t = TempDir()
        let p = Prober()
        let empty = t.url.appendingPathComponent("empty.mp4")
        FileManager.default.createFile(atPath: empty.path, contents: Data())
        #expect(throws: VLogError.invalidInput("the source file is empty (0 bytes)")) { try p.probe(empty) }
        let text = t.url.appendingPathComponent("notes.mp4")
        try "just some text, not a video".write(to: text, atomically: true, encoding: .utf8)
        #expect(throws: VLogError.self) { try p.probe(text) }
        let audio = t.url.appendingPathComponent("audio.m4a")
        _ = try runProcess(
            "/usr/bin/ffmpeg", ["-loglevel", "error", "-f", "lavfi", "-i", "sine", "-t", "1", audio.path])
        do {
            _ = try p.probe(audio)
            Issue.record("audio-only accepted")
        } catch let e as VLogError {
            #expect(e.description.contains("audio-only"))
        }
        let rotated = t.url.appendingPathComponent("rot.mp4")
        try makeClip(rotated, size: "640x360", seconds: 1, rotate: 90)
        let r = try p.probe(rotated)
        #expect(r.width == 360 && r.height == 640 && r.isPortrait)
    }

    /// Landscape, portrait with rotation metadata, no audio, 240p, odd sizes and a broken file:
    /// the broken one fails with a readable message and the others publish.
    @Test func aBatchOfRealClips() throws {
        let t = try fastSite()
        _ = try addClip(t, "landscape", size: "1280x720")
        _ = try addClip(t, "portrait", size: "640x360", rotate: 90)
        _ = try addClip(t, "silent", size: "640x360", audio: false)
        _ = try addClip(t, "tiny", size: "426x240")
        _ = try addClip(t, "odd-854", size: "854x480", seconds: 3)
        _ = try addClip(t, "odd-1366", size: "1366x768", seconds: 3)
        let broken = t.tmp.url.appendingPathComponent("broken.mp4")
        let good = try Data(contentsOf: t.site.uploadsURL.appendingPathComponent("landscape.mp4"))
        try good.prefix(good.count / 3).write(to: broken)  // truncated: the moov atom is missing
        var nb = NewVideo(source: broken, title: "broken")
        nb.slug = "broken"
        try Videos(site: t.site, store: t.store).add(nb)

        let summary = try Transcoder(site: t.site).run(workers: 2)
        #expect(Set(summary.ready) == ["landscape", "portrait", "silent", "tiny", "odd-854", "odd-1366"])
        #expect(summary.failed.keys.sorted() == ["broken"])

        let b = try #require(try t.store.video(slug: "broken"))
        #expect(b.status == "failed")
        #expect(b.errorMessage?.contains("not a readable video file") == true, "\(b.errorMessage ?? "")")

        func check(_ slug: String, _ expected: [String], portrait: Bool = false, audio: Bool = true) throws {
            let v = try #require(try t.store.video(slug: slug))
            #expect(v.status == "ready" && v.duration > 2.5, "\(slug)")
            let q = try t.store.qualities(videoID: v.id)
            #expect(q.map(\.quality) == expected, "\(slug) rungs")
            for r in q {
                #expect(r.width % 2 == 0 && r.height % 2 == 0 && r.bitrate > 0)
                #expect(portrait ? r.height > r.width : r.width > r.height, "\(slug) \(r.quality) orientation")
            }
            let dir = t.site.mediaDir(slug: slug)
            let master = try String(contentsOf: dir.appendingPathComponent("master.m3u8"), encoding: .utf8)
            let infs = master.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-STREAM-INF") }
            #expect(infs.count == expected.count)
            for inf in infs {
                for attr in ["BANDWIDTH=", "AVERAGE-BANDWIDTH=", "RESOLUTION=", "CODECS=\"avc1.", "FRAME-RATE="] {
                    #expect(inf.contains(attr), "\(slug): \(attr)")
                }
                #expect(inf.contains("mp4a.40.2") == audio, "\(slug) audio codec")
            }
            // Highest first.
            let listed = master.split(separator: "\n").filter { $0.hasSuffix(".m3u8") }.map { String($0.dropLast(5)) }
            #expect(listed == expected)
            // Every rung: ENDLIST, same segment durations (so keyframes line up), keyframe first.
            var durations: [[Double]] = []
            for name in expected {
                let pl = MediaPlaylist.parse(
                    try String(contentsOf: dir.appendingPathComponent("\(name).m3u8"), encoding: .utf8))
                #expect(pl.hasEndList && abs(pl.totalDuration - v.duration) < 1)
                // CMAF: an init segment and fragmented-MP4 media segments.
                #expect(pl.initURI == "\(name)_init.mp4" && pl.segments.allSatisfy { $0.uri.hasSuffix(".m4s") })
                durations.append(pl.segments.map { ($0.duration * 10).rounded() / 10 })
                for s in pl.segments {
                    #expect(
                        try startsWithKeyframe(
                            dir.appendingPathComponent(s.uri),
                            initSegment: pl.initURI.map { dir.appendingPathComponent($0) }), "\(slug) \(s.uri)")
                }
            }
            #expect(
                Set(durations.map { $0.description }).count == 1, "\(slug) segment boundaries aligned: \(durations)")
            #expect(
                FileIO.exists(dir.appendingPathComponent("thumbnail.jpg"))
                    && FileIO.exists(dir.appendingPathComponent("thumbnail-small.jpg")))
            // Seek previews from the same ffmpeg: a map whose every cue points into a sheet that exists.
            let vtt = try String(contentsOf: dir.appendingPathComponent("storyboard.vtt"), encoding: .utf8)
            let cues = vtt.split(separator: "\n").filter { $0.contains("#xywh=") }
            #expect(vtt.hasPrefix("WEBVTT") && cues.count >= Int(v.duration), "\(slug): \(cues.count) cues")
            for sheet in Set(cues.map { $0.split(separator: "#")[0] }) {
                #expect(FileIO.exists(dir.appendingPathComponent(String(sheet))), "\(slug) \(sheet)")
            }
        }
        try check("landscape", ["720p", "480p", "360p"])
        try check("portrait", ["360p"], portrait: true)
        try check("silent", ["360p"], audio: false)
        try check("tiny", ["240p"])
        try check("odd-854", ["480p", "360p"])
        try check("odd-1366", ["720p", "480p", "360p"])
        let landscape = try #require(try t.store.video(slug: "landscape"))
        let job = try #require(try JobStore(db: t.store.db).job(videoID: landscape.id))
        #expect(
            job.completedAt != nil && job.progressPercent == 100 && job.currentStep == "finalize"
                && job.attemptNumber == 1)
        let qp = try t.store.db.query(
            "SELECT quality, status, segments_completed, segments_total FROM quality_progress WHERE job_id = ?",
            [job.id])
        #expect(
            qp.filter { $0.string("status") == "skipped" }.map { $0.string("quality")! }.sorted() == [
                "1080p", "1440p", "2160p",
            ])
        #expect(
            qp.filter { $0.string("status") == "completed" }.allSatisfy {
                $0.int("segments_completed") == $0.int("segments_total")
            })
        // No work folder is left behind.
        #expect(
            (try? FileManager.default.contentsOfDirectory(atPath: t.site.videosURL.appendingPathComponent(".work").path))?
                .filter { !$0.hasSuffix(".lock") }.isEmpty ?? true)
    }

    @Test func runningAgainWhenEverythingIsReadyStartsNoProcess() throws {
        let t = try fastSite()
        _ = try addClip(t, "once", size: "640x360", seconds: 2)
        #expect(try Transcoder(site: t.site).run().ready == ["once"])
        let counting = CountingRunner()
        let again = try Transcoder(site: t.site, runner: counting).run()
        #expect(again.ready.isEmpty && again.failed.isEmpty)
        #expect(counting.calls.value.isEmpty)
    }

    @Test func failedAttemptsAreRetriedThenTheVideoFailsWithTheLastError() throws {
        let t = try fastSite()
        _ = try addClip(t, "flaky", size: "640x360", seconds: 2)
        let runner = CountingRunner()
        runner.failEncode = "Conversion failed! (simulated disk full)"
        let s = try Transcoder(site: t.site, runner: runner).run()
        #expect(s.failed["flaky"]?.contains("simulated disk full") == true)
        let v = try #require(try t.store.video(slug: "flaky"))
        #expect(v.status == "failed" && v.errorMessage?.contains("simulated disk full") == true)
        let job = try #require(try JobStore(db: t.store.db).job(videoID: v.id))
        #expect(job.attemptNumber == 3 && job.lastError?.contains("ffmpeg failed") == true)
        #expect(runner.calls.value.filter { $0 == "ffmpeg" }.count >= 3)
        // --retry-failed gives it fresh attempts; with a working ffmpeg it publishes.
        let ok = try Transcoder(site: t.site).run(retryFailed: true)
        #expect(ok.ready == ["flaky"])
        #expect(try JobStore(db: t.store.db).job(videoID: v.id)?.attemptNumber == 1)
    }

    /// kill -9 in the middle of the transcode step, then run again: the job is reclaimed at once
    /// (its lock is free), the attempt counts, and the result equals an uninterrupted run.
    @Test func killDashNineThenResume() throws {
        let t = try TestSite { $0 = $0.replacingOccurrences(of: "preset = \"veryfast\"", with: "preset = \"medium\"") }
        _ = try addClip(t, "long", size: "1280x720", seconds: 20)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: vlogBinary)
        p.arguments = ["transcode", "--site", t.root.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let v = try #require(try t.store.video(slug: "long"))
        var killedAt = -1
        // Up to two minutes: the rate control's search on samples comes before the encode.
        for _ in 0..<1200 {
            usleep(100_000)
            if let j = try JobStore(db: t.store.db).job(videoID: v.id), j.currentStep == "transcode",
                j.progressPercent >= 10
            {
                killedAt = j.progressPercent
                kill(p.processIdentifier, SIGKILL)
                break
            }
        }
        p.waitUntilExit()
        #expect(killedAt >= 10, "vlog was killed mid-transcode")
        let before = try #require(try JobStore(db: t.store.db).job(videoID: v.id))
        #expect(before.completedAt == nil && before.workerID != nil)
        #expect(
            !FileIO.exists(t.site.mediaDir(slug: "long").appendingPathComponent("master.m3u8")),
            "nothing half-done is published")

        let r = try vlog(["transcode", "--site", t.root.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let after = try #require(try JobStore(db: t.store.db).job(videoID: v.id))
        #expect(after.completedAt != nil && after.attemptNumber == 2)
        #expect(try t.store.video(slug: "long")?.status == "ready")
        #expect(try t.store.qualities(videoID: v.id).map(\.quality) == ["720p", "480p", "360p"])
        let dir = t.site.mediaDir(slug: "long")
        for q in ["720p", "480p", "360p"] {
            let pl = MediaPlaylist.parse(
                try String(contentsOf: dir.appendingPathComponent("\(q).m3u8"), encoding: .utf8))
            #expect(pl.hasEndList && pl.segments.count == 4 && abs(pl.totalDuration - 20) < 0.5)
        }
        // No ffmpeg from the killed run is still writing.
        let ps = try runProcess("/usr/bin/pgrep", ["-f", t.root.path])
        #expect(ps.stdout.isEmpty, "orphan processes: \(ps.stdout)")
    }
}
