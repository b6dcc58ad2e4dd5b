import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogMedia
@testable import VLogStore
@testable import VLogSupport
@testable import VLogTranscode

/// A long video cut into chunks that different workers encode at once, then joined by
/// `--collect`: it must be the video a single machine makes (same segments, same frames), with
/// nothing at the chunk edges that ffprobe or a browser can find.
@Suite(.serialized, .tags(.ffmpeg, .browser, .server, .cluster), .fullTierOnly) struct ChunkTests {
    /// 31 s at 29.97 fps in MPEG-TS (timestamps from 1.4 s, as cameras and broadcasts write
    /// them), audio starting 0.3 s late: the cases a naive cut gets wrong.
    func makeAwkwardClip(_ url: URL) throws {
        let r = try runProcess(
            "/usr/bin/ffmpeg",
            [
                "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                "testsrc2=size=854x480:rate=30000/1001",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-filter_complex",
                "[1:a]adelay=300|300[a]",
                "-map", "0:v", "-map", "[a]", "-t", "31", "-c:v", "libx264", "-preset", "ultrafast", "-g", "45",
                "-c:a", "aac", url.path,
            ])
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// Runs `vlog transcode --collect` until the video is ready (at most two minutes).
    func collectUntilReady(_ t: TestSite, _ slug: String) throws -> Bool {
        for _ in 0..<120 {
            _ = try vlog(["transcode", "--collect"], cwd: t.root)
            if try t.store.db.queryOne("SELECT status FROM videos WHERE slug = ?", [slug])?.string("status") == "ready"
            {
                return true
            }
            sleep(1)
        }
        return false
    }

    /// Packet times of one stream of a rung, its init segment and segments joined as one file.
    func packets(_ dir: URL, rung: String, stream: String) throws -> [(pts: Double, duration: Double)] {
        let pl = MediaPlaylist.parse(
            try String(contentsOf: dir.appendingPathComponent("\(rung).m3u8"), encoding: .utf8))
        var data = try Data(contentsOf: dir.appendingPathComponent(try #require(pl.initURI)))
        for s in pl.segments { data += try Data(contentsOf: dir.appendingPathComponent(s.uri)) }
        let joined = dir.deletingLastPathComponent().appendingPathComponent("\(dir.lastPathComponent)-\(rung).mp4")
        try data.write(to: joined)
        let r = try runProcess(
            "/usr/bin/ffprobe",
            [
                "-v", "error", "-select_streams", stream, "-show_entries", "packet=pts_time,duration_time", "-of",
                "csv=p=0", joined.path,
            ])
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ",")
            guard let first = f.first, let p = Double(first) else { return nil }
            return (p, f.count > 1 ? Double(f[1]) ?? 0 : 0)
        }.sorted { $0.pts < $1.pts }
    }

    /// Where consecutive packets do not meet (a jump or a gap longer than `tolerance`); packets
    /// without a duration (stream-copied video) are taken to last `frame`.
    func breaks(_ p: [(pts: Double, duration: Double)], tolerance: Double, frame: Double = 0) -> [Double] {
        zip(p, p.dropFirst()).compactMap { a, b in
            abs(b.pts - (a.pts + (a.duration > 0 ? a.duration : frame))) > tolerance ? a.pts : nil
        }
    }

    /// 2 s segments; videos over 20 s in chunks of `chunk` seconds, each part a command.
    func site(chunk: Int) throws -> TestSite {
        try TestSite {
            $0 =
                $0.replacingOccurrences(of: "preset = \"veryfast\"", with: "preset = \"ultrafast\"")
                .replacingOccurrences(of: "segment_seconds = 6 ", with: "segment_seconds = 2 ")
                + "\n[cluster]\nengine = \"command\"\ncommand = \"\(vlogBinary) worker run {spec}\"\n"
                + "vlog = \"\(vlogBinary)\"\nchunk_longer_than = 20\nchunk_seconds = \(chunk)\n"
        }
    }

    @Test func aLongVideoEncodedInChunksIsTheVideoOneMachineMakes() throws {
        let t = try site(chunk: 8)
        let clip = t.tmp.url.appendingPathComponent("talk.ts")
        try makeAwkwardClip(clip)
        // The same source made on this machine, and in chunks by the cluster.
        for slug in ["whole", "chunked"] {
            let add = try vlog(["video", "add", clip.path, "--title", slug, "--slug", slug, "--publish"], cwd: t.root)
            #expect(add.status == 0, "\(add.stderr)")
            if slug == "whole" { #expect(try vlog(["transcode"], cwd: t.root).status == 0) }
        }
        let d = try vlog(["transcode", "--dispatch", "command"], cwd: t.root)
        #expect(d.status == 0, "\(d.stdout)\(d.stderr)")
        let spec = try Worker.read(t.site.videosURL.appendingPathComponent(".work/chunked/spec.json"))
        #expect(spec.parts == ["chunk-0000", "chunk-0001", "chunk-0002", "chunk-0003", "audio"], "4 chunks of 8 s")
        let workerID =
            try t.store.db.queryOne(
                "SELECT j.worker_id FROM transcoding_jobs j JOIN videos v ON v.id = j.video_id WHERE v.slug = 'chunked'"
            )?
            .string("worker_id") ?? ""
        #expect(workerID.split(separator: "+").count == 5, "one engine job per part: \(workerID)")
        let ready = try collectUntilReady(t, "chunked")
        #expect(ready, "the chunked video is published")

        // Same segments as one machine's, rung by rung: count, and each duration within a frame.
        let whole = t.site.mediaDir(slug: "whole")
        let chunked = t.site.mediaDir(slug: "chunked")
        let frame = 1001.0 / 30000
        for rung in ["480p", "360p"] {
            let (a, _) = try HLS.verifyRung(dir: whole, rung: rung, expectedDuration: 31)
            let (b, _) = try HLS.verifyRung(dir: chunked, rung: rung, expectedDuration: 31)
            #expect(a.segments.count == b.segments.count, "\(rung): \(a.segments.count) vs \(b.segments.count)")
            for (x, y) in zip(a.segments, b.segments) {
                #expect(
                    abs(x.duration - y.duration) <= frame + 0.001, "\(rung) \(x.uri): \(x.duration) vs \(y.duration)")
            }
            #expect(abs(a.totalDuration - b.totalDuration) <= frame + 0.001)
        }
        #expect(FileIO.exists(chunked.appendingPathComponent("storyboard.vtt")), "a storyboard, drawn when joined")

        // ffprobe: every frame follows the one before (no jump at 8, 16, 24 s), the same frames
        // as one machine's, and the audio runs without a gap (it was encoded once).
        let video = try packets(chunked, rung: "480p", stream: "v:0")
        let wholeVideo = try packets(whole, rung: "480p", stream: "v:0")
        let jumps = breaks(video, tolerance: 0.002, frame: frame)
        #expect(video.count > 900 && jumps.isEmpty, "\(video.count) frames; video jumps at \(jumps)")
        #expect(abs(video.count - wholeVideo.count) <= 1, "\(video.count) frames vs \(wholeVideo.count)")
        let audio = try packets(chunked, rung: "480p", stream: "a:0")
        #expect(audio.count > 1400, "31 s of AAC frames: \(audio.count)")
        #expect(
            breaks(Array(audio.dropFirst()), tolerance: 0.001).isEmpty,
            "audio gaps at \(breaks(audio, tolerance: 0.001))")
        #expect(abs((audio.first?.pts ?? 9) - (video.first?.pts ?? 0)) < 0.4, "audio starts with the video")
        // The check finds a jump where there is one: the same file without its fifth segment.
        let pl = try String(contentsOf: chunked.appendingPathComponent("480p.m3u8"), encoding: .utf8)
        let cut = t.tmp.url.appendingPathComponent("cut")
        try FileManager.default.copyItem(at: chunked, to: cut)
        var lines = pl.components(separatedBy: "\n")
        let fifth = try #require(lines.firstIndex(of: "480p_0004.m4s"))
        lines.removeSubrange((fifth - 1)...fifth)
        try lines.joined(separator: "\n").write(
            to: cut.appendingPathComponent("480p.m3u8"), atomically: true, encoding: .utf8)
        let cutVideo = try packets(cut, rung: "480p", stream: "v:0")
        #expect(!breaks(cutVideo, tolerance: 0.002, frame: frame).isEmpty, "a cut is found in \(cutVideo.count) frames")

        // Real browsers play it from start to end, through every chunk edge, in one range.
        // Published, the job is no longer the cluster's: a build does not collect again.
        #expect(try JobStore(db: t.store.db).heldByCluster().isEmpty)
        let build = try vlog(["build"], cwd: t.root)
        #expect(build.status == 0 && !build.stdout.contains("Cluster:"), "\(build.stdout)")
        let nginx = try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx"))
        let page = "http://127.0.0.1:\(nginx.port)/v/chunked/"
        let start =
            "(v => { v.muted = true; v.playbackRate = 4; return v.play().then(() => 1, e => String(e)); })"
            + "(document.querySelector('video'))"
        let end = "(v => v.ended || v.currentTime > 30.5)(document.querySelector('video'))"
        let ranges =
            "(v => Array.from({length: v.played.length}, (_, i) => v.played.start(i).toFixed(2) + '-' + "
            + "v.played.end(i).toFixed(2)).join(' '))(document.querySelector('video'))"
        let browsers: [(String, any Browser)] = [
            ("Chromium", try Chromium(profile: t.tmp.url.appendingPathComponent("chrome"))),
            ("Firefox", try Firefox(profile: t.tmp.url.appendingPathComponent("firefox"))),
        ]
        for (name, b) in browsers {
            try b.open(page)
            #expect(try b.eval("document.querySelector('.player').dataset.mode") as? String == "mse", "\(name)")
            _ = try b.eval(start)
            let ended = try b.waitFor(end, timeout: 60)
            let played = try b.eval(ranges) as? String ?? ""
            #expect(ended, "\(name) plays to the end: \(played)")
            #expect(played.split(separator: " ").count == 1 && played.hasPrefix("0.0"), "\(name) played \(played)")
        }
    }

    @Test func aChunkWorkerKilledMidEncodeIsSentAgainAndFinishedPartsAreKept() throws {
        let t = try site(chunk: 6)
        let clip = t.tmp.url.appendingPathComponent("talk.mp4")
        try makeClip(clip, size: "1280x720", seconds: 24)
        #expect(
            try vlog(["video", "add", clip.path, "--title", "Talk", "--slug", "talk", "--publish"], cwd: t.root)
                .status == 0)
        #expect(try vlog(["transcode", "--dispatch", "command"], cwd: t.root).status == 0)
        let parts = t.site.videosURL.appendingPathComponent(".work/talk/parts")
        let victim = parts.appendingPathComponent("chunk-0002")
        var encoding = false
        for _ in 0..<400 where !encoding {
            usleep(25_000)
            encoding = Worker.report(victim.appendingPathComponent("progress.json"))?.step == "transcode"
        }
        #expect(encoding, "the chunk's worker started encoding")
        // The worker says its pid in its report: only that process is killed.
        let pid = Worker.report(victim.appendingPathComponent("progress.json"))?.pid ?? 0
        #expect(pid > 0 && kill(pid, SIGKILL) == 0, "its worker was there to kill")
        // The other parts finish; their verified output is kept through the next attempt.
        let others = ["chunk-0000", "chunk-0001", "chunk-0003", "audio"]
        for _ in 0..<600 where !others.allSatisfy({ FileIO.exists(parts.appendingPathComponent("\($0)/result.json")) })
        {
            usleep(100_000)
        }
        #expect(!FileIO.exists(victim.appendingPathComponent("done")), "the killed chunk never finished")
        func inode(_ part: String) -> UInt64? {
            (try? FileManager.default.attributesOfItem(atPath: parts.appendingPathComponent("\(part)/done").path))?[
                .systemFileNumber] as? UInt64
        }
        let before = others.map(inode)
        #expect(before.allSatisfy { $0 != nil }, "the other parts are done")
        let resend = try vlog(["transcode", "--collect"], cwd: t.root)
        #expect(resend.stdout.contains("Sent again 1: talk"), "\(resend.stdout)\(resend.stderr)")
        #expect(others.map(inode) == before, "finished parts are not encoded again")
        // Every part done again: a collect killed while it joins them leaves the job to the next.
        for _ in 0..<600
        where (others + ["chunk-0002"]).contains(where: {
            Worker.report(parts.appendingPathComponent("\($0)/result.json"))?.job != "talk#2"
        }) {
            usleep(100_000)
        }
        let joining = try spawnVlog(["transcode", "--collect", "--site", t.root.path])
        let out = t.site.videosURL.appendingPathComponent(".work/talk/out")
        poll(seconds: 4, every: 0.02) { FileIO.exists(out.appendingPathComponent("720p.m3u8")) }
        kill(joining.processIdentifier, SIGKILL)
        joining.waitUntilExit()
        #expect(
            try t.store.db.queryOne("SELECT status FROM videos WHERE slug = 'talk'")?.string("status") == "processing",
            "killed while joining")
        let ready = try collectUntilReady(t, "talk")
        #expect(ready)
        #expect(try t.store.db.queryOne("SELECT attempt_number FROM transcoding_jobs")?.int("attempt_number") == 2)
        let video = try packets(t.site.mediaDir(slug: "talk"), rung: "720p", stream: "v:0")
        #expect(video.count == 720 && breaks(video, tolerance: 0.002, frame: 1.0 / 30).isEmpty, "\(video.count) frames")
    }

    /// A failed part is acted on only once no other part runs: sent again earlier, those would find
    /// their own worker busy and spend the attempt for nothing.
    @Test func aFailedPartWaitsForItsRunningSiblings() throws {
        let t = try fastSite()
        let cluster = Cluster(site: t.site)
        let work = t.tmp.url.appendingPathComponent("work")
        var spec = WorkerSpec(
            job: "talk#1", slug: "talk", source: "uploads/talk.mp4", work: "videos/.work/talk", storage: "/",
            settings: RenditionSettings(config: t.site.config))
        spec.parts = ["chunk-0000", "chunk-0001", "audio"]
        func write(_ part: String, _ report: WorkerReport) throws {
            let dir = work.appendingPathComponent("parts/\(part)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Worker.encoder.encode(report).write(to: dir.appendingPathComponent("result.json"))
        }
        let now = Date()
        var failed = WorkerReport(job: "talk#1", host: "h", pid: 1, step: "transcode", percent: 40, updatedAt: now)
        failed.ok = false
        failed.error = "ffmpeg failed"
        try write("chunk-0000", failed)
        var done = failed
        done.ok = true
        done.error = nil
        try write("audio", done)
        // chunk-0001 still runs: its worker holds its lock here.
        let lock = WorkerLock(url: work.appendingPathComponent("parts/chunk-0001/worker.lock"))
        #expect(try lock.tryAcquire().acquired)
        let gone = "cluster:command:\(WorkerLock.hostName):999999"
        let ids = "\(gone)+\(WorkerLock.hostName):999998+\(WorkerLock.hostName):999997"
        func observe(attempt: Int = 1) -> Cluster.Observation {
            cluster.observe(
                job: TranscodingJob(id: 1, videoID: 1, workerID: ids, attemptNumber: attempt), slug: "talk",
                worker: WorkerID(ids), work: WorkFolder(work), spec: spec)
        }
        var r = observe()
        #expect(r.result == nil && r.workerHere, "waits")
        lock.release()
        r = observe()
        #expect(r.result?.ok == false && r.result?.error == "ffmpeg failed", "acted on once nothing runs")
        // A permanent failure does not wait; a result of an earlier attempt is not taken.
        failed.permanent = true
        try write("chunk-0000", failed)
        #expect(try lock.tryAcquire().acquired)
        r = observe()
        #expect(r.result?.permanent == true)
        r = observe(attempt: 2)
        #expect(r.result == nil && r.progress == nil && r.workerHere, "an earlier attempt's results are not taken")
        lock.release()
    }
}
