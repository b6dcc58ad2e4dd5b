import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogStore
@testable import VLogSupport
@testable import VLogTranscode

/// Transcoding under bad sources, bad configuration, kill -9 and a full disk (issue 9, part 6).
@Suite(.serialized, .tags(.ffmpeg), .fullTierOnly) struct TranscodeSafetyTests {
    @Test func anMPEGTSSourceGetsItsPoster() throws {
        let t = try fastSite()
        let url = t.tmp.url.appendingPathComponent("camera.ts")
        try makeClip(url, size: "640x360", seconds: 4)
        var new = NewVideo(source: url, title: "Camera")
        new.slug = "camera"
        _ = try Videos(site: t.site, store: t.store).add(new)
        let s = try Transcoder(site: t.site).run()
        #expect(s.ready == ["camera"], "\(s.failed)")
        #expect(FileIO.exists(t.site.mediaDir(slug: "camera").appendingPathComponent("thumbnail.jpg")))
    }

    /// ffmpeg processes writing into `work`.
    func ffmpegs(writingInto work: String) -> [Int32] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return pids.compactMap(Int32.init).filter { pid in
            guard let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return false }
            return cmd.hasPrefix("ffmpeg") || cmd.contains("/ffmpeg\u{0}") ? cmd.contains(work) : false
        }
    }

    @Test func anFFmpegOrphanedByKillDashNineDies() throws {
        let t = try TestSite { $0 = $0.replacingOccurrences(of: "preset = \"veryfast\"", with: "preset = \"medium\"") }
        _ = try addClip(t, "long", size: "640x360", seconds: 60)
        let work = t.site.videosURL.appendingPathComponent(".work/long").path
        var orphans = 0
        for round in 0..<3 {
            let p = try spawnVlog(["transcode", "--site", t.root.path])
            var started = false
            for _ in 0..<200 where !started {
                usleep(50_000)
                started = !ffmpegs(writingInto: work).isEmpty
            }
            #expect(started, "round \(round): ffmpeg started")
            usleep(UInt32.random(in: 100_000...700_000))
            killAfter(p, ms: 0)
            usleep(1_500_000)
            let left = ffmpegs(writingInto: work)
            orphans += left.count
            for pid in left { kill(pid, SIGKILL) }
        }
        #expect(orphans == 0, "ffmpeg kept running after vlog was killed")
        // Three killed attempts used them all: the next run fails the video and leaves no ffmpeg behind.
        let r = try vlog(["transcode"], cwd: t.root)
        let status = try t.store.video(slug: "long")?.status
        #expect(r.status != 0 && status == "failed", "\(r.stdout)")
        #expect(ffmpegs(writingInto: work).isEmpty)
    }

    /// `vlog transcode --reencode` killed at random moments: the video stays ready with a
    /// rendition that verifies at every step, and the next `vlog transcode` finishes the work.
    @Test func aKilledReencodeIsFinishedByTheNextTranscode() throws {
        let t = try fastSite()
        _ = try addClip(t, "walk", size: "854x480", seconds: 10)
        #expect(try Transcoder(site: t.site).run().ready == ["walk"])
        let media = t.site.mediaDir(slug: "walk")
        let before = Set(t.files(in: media).filter { $0.hasSuffix(".m4s") })
        var rng = SystemRandomNumberGenerator()
        for round in 0..<2 {
            let args = round == 0 ? ["transcode", "--reencode", "walk"] : ["transcode"]
            let p = try spawnVlog(args + ["--site", t.root.path])
            killAfter(p, ms: Int.random(in: 300...2500, using: &rng))
            let check = try vlog(["check", "--site", t.root.path])
            #expect(!check.stdout.contains("walk:"), "round \(round): \(check.stdout)")
            #expect(try t.store.video(slug: "walk")?.status == "ready")
        }
        // The next transcode finishes it (or finds it finished: a kill can come after a quick
        // re-encode's swap; the checks below hold either way).
        let r = try vlog(["transcode", "--site", t.root.path])
        #expect(
            r.status == 0 && (r.stdout.contains("Re-encoded 1: walk") || r.stdout.contains("nothing to do")),
            "\(r.stdout)\(r.stderr)")
        let after = Set(t.files(in: media).filter { $0.hasSuffix(".m4s") })
        #expect(before.isDisjoint(with: after) && after.allSatisfy { $0.contains(".v2_") }, "\(after.sorted())")
        let db = try t.site.openDatabase(.read)
        #expect(try db.queryOne("SELECT COUNT(*) AS n FROM vlog_reencode")?.int("n") == 0)
        #expect(try db.queryOne("SELECT COUNT(*) AS n FROM video_qualities")?.int("n") == 2)
        #expect(!FileIO.exists(WorkFolder.reencode(slug: "walk", videos: t.site.videosURL)), "no work left")
        #expect(try vlog(["transcode", "--site", t.root.path]).stdout.contains("nothing to do"))
    }

    /// A site with one transcoded 6 s video, `walk`, and its media folder.
    func transcodedWalk() throws -> (TestSite, URL) {
        let t = try fastSite()
        _ = try addClip(t, "walk", size: "640x360", seconds: 6)
        #expect(try Transcoder(site: t.site).run().ready == ["walk"])
        return (t, t.site.mediaDir(slug: "walk"))
    }

    /// An edit of a video's media folder and a re-encode's carry-over and swap take turns on the
    /// media lock (`Site.changingMedia`): an edit while the lock is held waits, and so does the
    /// swap of a finished re-encode, so an edit never lands in the folder the swap throws away.
    @Test func editsAndAReencodesSwapTakeTurnsOnTheMediaFolder() throws {
        let (t, media) = try transcodedWalk()
        let vtt = t.tmp.url.appendingPathComponent("de.vtt")
        try "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHallo\n".write(to: vtt, atomically: true, encoding: .utf8)
        let notes = t.tmp.url.appendingPathComponent("notes.txt")
        try "slides and links\n".write(to: notes, atomically: true, encoding: .utf8)
        /// True once `p` waits in flock(2) for a lock someone holds (a `->` line of /proc/locks).
        func waitsForALock(_ p: Process) -> Bool {
            poll(seconds: 120, every: 0.1) {
                let locks = (try? String(contentsOfFile: "/proc/locks", encoding: .utf8)) ?? ""
                return locks.split(separator: "\n").contains { line in
                    let f = line.split(separator: " ", omittingEmptySubsequences: true)
                    return f.count > 5 && f[1] == "->" && f[2] == "FLOCK" && f[5] == "\(p.processIdentifier)"
                }
            }
        }
        let lock = WorkerLock(url: t.site.mediaLockURL(slug: "walk"))

        // 1. An edit waits while the lock is held, then lands.
        try lock.acquire()
        let add = try spawnVlog(["captions", "add", "walk", vtt.path, "--lang", "de", "--site", t.root.path])
        #expect(waitsForALock(add), "captions add waits for the media lock")
        #expect(!FileIO.exists(media.appendingPathComponent("captions.de.vtt")))
        lock.release()
        add.waitUntilExit()
        #expect(add.terminationStatus == 0 && FileIO.exists(media.appendingPathComponent("captions.de.vtt")))

        // 2. A finished re-encode waits before it carries the folder's files over and swaps; an
        // edit made meanwhile is in the folder after the swap, whichever goes first.
        let segments = { Set(t.files(in: media).filter { $0.hasSuffix(".m4s") && !$0.hasPrefix("audio.") }) }
        let before = segments()
        try lock.acquire()
        let reencode = try spawnVlog(["transcode", "--reencode", "walk", "--site", t.root.path])
        #expect(waitsForALock(reencode), "the re-encode waits for the media lock before its swap")
        #expect(segments() == before, "nothing swapped while the lock is held")
        let attach = try spawnVlog(["video", "attach", "walk", notes.path, "--site", t.root.path])
        #expect(waitsForALock(attach))
        lock.release()
        reencode.waitUntilExit()
        attach.waitUntilExit()
        #expect(reencode.terminationStatus == 0 && attach.terminationStatus == 0)
        let after = segments()
        #expect(before.isDisjoint(with: after) && after.allSatisfy { $0.contains(".v2_") }, "\(after.sorted())")
        #expect(FileIO.exists(media.appendingPathComponent("captions.de.vtt")))
        #expect(
            FileIO.exists(media.appendingPathComponent(MediaLayout.attachments).appendingPathComponent("notes.txt")))
    }

    /// What a killed `vlog audio add` leaves (its encode folder, `.audio-TOKEN/`, its lock free)
    /// is deleted by the next add or remove; the folder of an add still at work (its lock held) is
    /// kept.
    @Test func aKilledAudioAddsLeftoversAreClearedAndARunningOnesAreKept() throws {
        let (t, media) = try transcodedWalk()
        let dub = t.tmp.url.appendingPathComponent("dub.m4a")
        #expect(
            try runProcess(
                "/usr/bin/ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "sine=f=330:d=6", "-c:a", "aac", dub.path]
            ).status == 0)
        let killed = media.appendingPathComponent(".audio-0badc0")
        let running = media.appendingPathComponent(".audio-0a1b2c")
        for dir in [killed, running] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data(repeating: 7, count: 4096).write(to: dir.appendingPathComponent("audio.de.0badc0.m4a"))
        }
        FileManager.default.createFile(atPath: killed.appendingPathComponent("held.lock").path, contents: Data())
        let held = WorkerLock(url: running.appendingPathComponent("held.lock"))
        #expect(try held.tryAcquire().acquired)
        let add = try vlog(["audio", "add", "walk", dub.path, "--lang", "de", "--site", t.root.path])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(!FileIO.exists(killed), "a killed add's folder is gone")
        #expect(FileIO.exists(running.appendingPathComponent("audio.de.0badc0.m4a")), "a running add's is kept")
        #expect(AudioTracks.list(dir: media).map(\.lang) == ["de"])
        let left = try FileManager.default.contentsOfDirectory(atPath: media.path).filter { $0.hasPrefix(".audio-") }
        #expect(left == [".audio-0a1b2c"], "the add's own encode folder is gone too: \(left)")
        held.release()
        #expect(try vlog(["audio", "remove", "walk", "--lang", "de", "--site", t.root.path]).status == 0)
        #expect(!FileIO.exists(running), "once its lock is free, the next remove clears it")
    }

    @Test func aBadConfigurationTouchesNoJob() throws {
        let t = try fastSite()
        _ = try addClip(t, "one", size: "320x240", seconds: 2)
        let cfg = t.root.appendingPathComponent("vlog.toml")
        let good = try String(contentsOf: cfg, encoding: .utf8)
        let bad: [(String, String, String)] = [
            ("preset = \"ultrafast\"", "preset = \"warp9\"", "not a libx264 preset"),
            ("name = \"720p\"", "name = \"../../../x\"", "rung name"),
            ("name = \"480p\"", "name = \"360p\"", "twice"),
        ]
        for (from, to, message) in bad {
            try good.replacingOccurrences(of: from, with: to).write(to: cfg, atomically: true, encoding: .utf8)
            let r = try vlog(["transcode"], cwd: t.root)
            #expect(
                r.status != 0 && r.stderr.contains(message) && r.stderr.contains("vlog.toml line "),
                "\(to): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1)
        }
        try good.write(to: cfg, atomically: true, encoding: .utf8)
        #expect(
            try t.store.db.queryOne("SELECT COUNT(*) AS n FROM transcoding_jobs")?.int("n") == 0, "no job was touched")
        #expect(try t.store.video(slug: "one")?.status == "pending")
        #expect(!FileIO.exists(t.site.storageURL.deletingLastPathComponent().appendingPathComponent("x")))
    }

    @Test func aFullDiskIsSaidAndSpendsNoAttempt() throws {
        guard let disk = SmallDisk(sizeKB: 4096) else {
            print("skipped: this machine cannot mount a tmpfs (needs root)")
            return
        }
        let t = try fastSite()
        let storage = disk.url.appendingPathComponent("media")
        try FileManager.default.moveItem(at: t.site.storageURL, to: storage)
        let env = ["VLOG_STORAGE_PATH": storage.path]
        let clip = t.tmp.url.appendingPathComponent("big.mp4")
        try makeClip(clip, size: "640x360", seconds: 6)
        let add = try vlog(["video", "add", clip.path, "--title", "Big", "--slug", "big"], cwd: t.root, env: env)
        #expect(add.status == 0, "\(add.stderr)")
        // Leave about 100 kB: the upload fits, its HLS ladder does not.
        disk.fill()
        _ = try runProcess("/usr/bin/truncate", ["-s", "-100K", "\(disk.url.path)/filler"])
        let r = try vlog(["transcode"], cwd: t.root, env: env)
        #expect(r.status != 0 && r.stderr.contains("disk full"), "\(r.stdout) \(r.stderr)")
        let v = try #require(try t.store.video(slug: "big"))
        #expect(v.status == "pending", "not failed: \(v.status) \(v.errorMessage ?? "")")
        #expect(try JobStore(db: t.store.db).job(videoID: v.id)?.attemptNumber == 0, "no attempt spent")
        disk.free()
        let again = try vlog(["transcode"], cwd: t.root, env: env)
        #expect(again.status == 0 && again.stdout.contains("1 ready"), "\(again.stdout) \(again.stderr)")
    }

    @Test func nothingToDoMentionsFailedVideos() throws {
        let t = try fastSite()
        let junk = t.dummyFile("junk.mp4", bytes: 4096)
        #expect(try vlog(["video", "add", junk.path, "--title", "Junk"], cwd: t.root).status == 0)
        #expect(try vlog(["transcode"], cwd: t.root).status != 0)
        let r = try vlog(["transcode"], cwd: t.root)
        #expect(!r.stdout.contains("every video is ready"), "\(r.stdout)")
        #expect(r.stdout.contains("junk") && r.stdout.contains("--retry-failed"), "\(r.stdout)")
    }
}
