import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogMedia
@testable import VLogStore
@testable import VLogSupport
@testable import VLogTranscode

/// Transcoding on real engines started by the test: GNU parallel over SSH to this machine, a
/// one-node Slurm, a command per job; a Kubernetes manifest checked against the Job schema; and
/// the ways a cluster loses work (a worker killed, a result file lost, the dispatcher killed).
@Suite(.serialized, .tags(.ffmpeg, .cluster), .fullTierOnly) struct ClusterTests {
    func site(_ cluster: String, stale: Int = 1800) throws -> TestSite {
        try TestSite {
            $0 =
                $0.replacingOccurrences(of: "preset = \"veryfast\"", with: "preset = \"ultrafast\"")
                .replacingOccurrences(of: "segment_seconds = 6 ", with: "segment_seconds = 2 ")
                .replacingOccurrences(of: "stale_timeout_seconds = 1800", with: "stale_timeout_seconds = \(stale)")
                + "\n[cluster]\nvlog = \"\(vlogBinary)\"\n" + cluster + "\n"
        }
    }

    func add(_ t: TestSite, _ slug: String, size: String = "320x180", seconds: Double = 4) throws {
        let clip = t.tmp.url.appendingPathComponent("\(slug).mp4")
        try makeClip(clip, size: size, seconds: seconds)
        let r = try vlog(["video", "add", clip.path, "--title", slug, "--slug", slug, "--publish"], cwd: t.root)
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// Runs `vlog transcode --collect` until every video is ready (or `seconds` pass), five times a
    /// second: often enough to look while an engine is between two jobs.
    func collectUntilReady(_ t: TestSite, seconds: Double = 240) throws -> String {
        var said = ""
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let r = try vlog(["transcode", "--collect"], cwd: t.root)
            said += r.stdout + r.stderr
            // Done when nothing waits: every video ready or failed.
            let waiting = try t.store.db.queryOne(
                "SELECT COUNT(*) AS n FROM videos WHERE status IN ('pending', 'processing')")?.int("n")
            if waiting == 0 { return said }
            usleep(200_000)
        }
        return said
    }

    func workerID(_ t: TestSite, _ slug: String) throws -> String {
        try t.store.db.queryOne(
            "SELECT j.worker_id FROM transcoding_jobs j JOIN videos v ON v.id = j.video_id WHERE v.slug = ?", [slug]
        )?.string("worker_id") ?? ""
    }

    /// What went wrong, when `checkPublished` fails: the video's status and error, its job's.
    func why(_ t: TestSite, _ slug: String) throws -> String {
        let r = try t.store.db.queryOne(
            """
            SELECT v.status AS status, v.error_message AS error, j.current_step AS step, j.attempt_number AS attempt,
                   j.last_error AS last FROM videos v LEFT JOIN transcoding_jobs j ON j.video_id = v.id WHERE v.slug = ?
            """, [slug])
        return "\(slug): status \(r?.string("status") ?? "?"), error \(r?.string("error") ?? "-"), "
            + "job step \(r?.string("step") ?? "-") attempt \(r?.int("attempt") ?? 0), last error \(r?.string("last") ?? "-")"
    }

    /// Every ready video plays as a one-machine transcode would: its rungs verify and the build publishes it.
    func checkPublished(_ t: TestSite, _ slugs: [String], seconds: Double = 4, said: String = "") throws {
        let b = try vlog(["build", "--no-transcode"], cwd: t.root)
        #expect(b.status == 0, "\(b.stdout)\(b.stderr)")
        for slug in slugs {
            let dir = t.site.mediaDir(slug: slug)
            let because = try why(t, slug)
            #expect(FileIO.exists(dir.appendingPathComponent("master.m3u8")), "\(because)\n\(said.suffix(3000))")
            let rungs = try t.store.db.query(
                "SELECT q.quality FROM video_qualities q JOIN videos v ON v.id = q.video_id WHERE v.slug = ?", [slug])
            #expect(!rungs.isEmpty, "\(slug) has its qualities")
            for r in rungs {
                let name = try #require(r.string("quality"))
                #expect(throws: Never.self) { try HLS.verifyRung(dir: dir, rung: name, expectedDuration: seconds) }
            }
            #expect(FileIO.exists(t.site.outputURL.appendingPathComponent("v/\(slug)/index.html")))
        }
    }

    @Test func gnuParallelOverSSHRunsTheWorkersAndCollectPublishes() throws {
        let tmp = TempDir()
        let sshd = try SSHServer(dir: tmp.url.appendingPathComponent("sshd"))
        let t = try site(
            "engine = \"parallel\"\nhosts = [\"\(NSUserName())@127.0.0.1\"]\nparallelism = 1\nssh = \"\(sshd.ssh)\"\n"
                + "chunk_longer_than = 8\nchunk_seconds = 4")
        try add(t, "one")
        try add(t, "two", size: "640x360")
        try add(t, "long", seconds: 12)  // in 3 chunks and the audio: 4 more jobs
        let d = try vlog(["transcode", "--dispatch", "parallel"], cwd: t.root)
        #expect(d.status == 0 && d.stdout.contains("Dispatched 3"), "\(d.stdout)\(d.stderr)")
        let long = try workerID(t, "long")
        #expect(long.split(separator: "+").count == 4, "one engine job per part: \(long)")
        #expect(try workerID(t, "one").hasPrefix("cluster:parallel:"), "the engine's id is the worker_id")
        // A local transcode leaves dispatched videos to their workers.
        #expect(try vlog(["transcode"], cwd: t.root).stdout.contains("nothing to do"))
        let said = try collectUntilReady(t)
        #expect(said.contains("Collected"), "\(said)")
        #expect(sshd.log.contains("Accepted publickey"), "the workers ran over SSH")
        try checkPublished(t, ["one", "two"], said: said)
        try checkPublished(t, ["long"], seconds: 12, said: said)
        // Nothing was lost, so nothing was sent again: while parallel still had parts queued
        // (none of them running yet), collect knew its engine was there.
        let attempts = try t.store.db.query("SELECT attempt_number AS a FROM transcoding_jobs").compactMap {
            $0.int("a")
        }
        #expect(attempts.count == 3 && attempts.allSatisfy { $0 == 1 }, "\(attempts)\n\(said)")
    }

    /// With the fitted ladder, the dispatcher searches a chunked video's CRFs once: every chunk's
    /// spec carries the same ones, and the published rungs record them with their measured quality.
    @Test func chunksOfAFittedLadderShareTheDispatchersCRFs() throws {
        let tmp = TempDir()
        let sshd = try SSHServer(dir: tmp.url.appendingPathComponent("sshd"))
        let t = try site(
            "engine = \"parallel\"\nhosts = [\"\(NSUserName())@127.0.0.1\"]\nparallelism = 2\nssh = \"\(sshd.ssh)\"\n"
                + "chunk_longer_than = 8\nchunk_seconds = 4")
        let cfg = t.root.appendingPathComponent("vlog.toml")
        try String(contentsOf: cfg, encoding: .utf8)
            .replacingOccurrences(of: "rate_control = \"bitrate\"", with: "rate_control = \"quality\"")
            .write(to: cfg, atomically: true, encoding: .utf8)
        // A still picture with a small moving part: its rungs take a CRF.
        let clip = t.tmp.url.appendingPathComponent("long.mp4")
        let made = try runProcess(
            "/usr/bin/ffmpeg",
            [
                "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                "testsrc2=size=640x360:rate=1/4,fps=25[a];testsrc2=size=120x90:rate=25[b];[a][b]overlay=x=30*t",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "12", "-c:v", "libx264", "-preset",
                "ultrafast", "-crf", "8", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", clip.path,
            ])
        #expect(made.status == 0, "\(made.stderr)")
        let added = try vlog(
            ["video", "add", clip.path, "--title", "long", "--slug", "long", "--publish"], cwd: t.root)
        #expect(added.status == 0, "\(added.stderr)")
        let d = try vlog(["transcode", "--dispatch", "parallel"], cwd: t.root)
        #expect(d.status == 0 && d.stdout.contains("Dispatched 1"), "\(d.stdout)\(d.stderr)")
        let work = WorkFolder.of(slug: "long", videos: t.site.videosURL)
        let crf = try JSONDecoder().decode(
            [String: Int].self, from: Data(contentsOf: work.url.appendingPathComponent("crf.json")))
        var seen: [[String: Int]?] = []
        #expect(!crf.isEmpty, "a still picture's rungs take a CRF")
        for part in try FileManager.default.contentsOfDirectory(atPath: work.partsFolder.path)
        where part.hasPrefix("chunk-") {
            seen.append(try Worker.read(work.part(part).spec).settings.crf)
        }
        #expect(seen.count == 3 && seen.allSatisfy { $0 == crf }, "every chunk at the same CRFs: \(seen) \(crf)")
        let said = try collectUntilReady(t)
        #expect(said.contains("Collected"), "\(said)")
        try checkPublished(t, ["long"], seconds: 12)
        let v = try #require(try t.store.video(slug: "long"))
        let measured = try t.store.rungQuality(videoID: v.id)
        #expect(!measured.isEmpty && measured.allSatisfy { $0.value.ssim > 0.9 }, "\(measured)")
        for (rung, value) in crf { #expect(measured[rung]?.crf == value, "\(rung) recorded at CRF \(value)") }
    }

    @Test func slurmRunsAJobArrayAndCollectPublishes() throws {
        let tmp = TempDir()
        let slurm = try SlurmCluster(dir: tmp.url.appendingPathComponent("slurm"))
        try #require(slurm.ready, "Slurm did not start here: \(slurm.why)")
        let t = try site("engine = \"slurm\"\nchunk_longer_than = 8\nchunk_seconds = 4")
        try add(t, "one")
        try add(t, "two")
        try add(t, "long", seconds: 12)  // 3 chunks and the audio: array tasks 2 to 5
        let d = try vlog(["transcode", "--dispatch", "slurm"], cwd: t.root, env: slurm.env)
        #expect(d.status == 0 && d.stdout.contains("Dispatched 3"), "\(d.stdout)\(d.stderr)")
        let id = try workerID(t, "one")
        #expect(id.firstMatch(of: /^cluster:slurm:[0-9]+_[01]$/) != nil, "\(id)")
        let long = try workerID(t, "long")
        #expect(long.firstMatch(of: /^cluster:slurm:([0-9]+)_2\+\1_3\+\1_4\+\1_5$/) != nil, "\(long)")
        var said = ""
        for _ in 0..<180 {
            said += try vlog(["transcode", "--collect"], cwd: t.root, env: slurm.env).stdout
            if try t.store.db.queryOne("SELECT COUNT(*) AS n FROM videos WHERE status != 'ready'")?.int("n") == 0 {
                break
            }
            sleep(1)
        }
        #expect(said.contains("Collected"), "\(said)")
        try checkPublished(t, ["one", "two"])
        try checkPublished(t, ["long"], seconds: 12)
    }

    @Test func aKilledWorkerALostResultAndAKilledDispatcherAreSentAgain() throws {
        let t = try site("engine = \"command\"\ncommand = \"\(vlogBinary) worker run {spec}\"", stale: 30)
        try add(t, "walk", size: "1280x720", seconds: 10)
        // 1. kill -9 of the worker while it encodes.
        #expect(try vlog(["transcode", "--dispatch", "command"], cwd: t.root).status == 0)
        let progress = t.site.videosURL.appendingPathComponent(".work/walk/progress.json")
        var encoding = false
        for _ in 0..<200 where !encoding {
            usleep(100_000)
            encoding = Worker.report(progress)?.step == "transcode"
        }
        #expect(encoding, "the worker started encoding")
        // The worker says its pid in its report: only that process is killed.
        let pid = Worker.report(progress)?.pid ?? 0
        #expect(pid > 0 && kill(pid, SIGKILL) == 0, "a worker was there to kill")
        usleep(300_000)
        var said = try collectUntilReady(t)
        #expect(said.contains("Sent again 1: walk"), "\(said)")
        let job = try #require(try t.store.db.queryOne("SELECT attempt_number FROM transcoding_jobs"))
        #expect(job.int("attempt_number") == 2, "the lost attempt counted")
        try checkPublished(t, ["walk"], seconds: 10)

        // 2. A result file lost: the job is sent again, and the worker, finding its rendition
        //    verified, finishes without encoding again.
        try add(t, "sea")
        #expect(try vlog(["transcode", "--dispatch", "command"], cwd: t.root).status == 0)
        let result = t.site.videosURL.appendingPathComponent(".work/sea/result.json")
        poll(seconds: 30) { FileIO.exists(result) }
        usleep(300_000)
        try FileManager.default.removeItem(at: result)
        said = try collectUntilReady(t)
        #expect(said.contains("Sent again 1: sea"), "\(said)")
        try checkPublished(t, ["sea"])

        // 3. kill -9 of the dispatcher at different moments; collect always ends with the video ready.
        for (round, delay) in [0, 30, 80, 150].enumerated() {
            let slug = "hill-\(round)"
            try add(t, slug)
            let p = try spawnVlog(["transcode", "--dispatch", "command", "--site", t.root.path])
            usleep(UInt32(delay * 1000))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            // Killed before it claimed the video: it still waits, and the next dispatch takes it.
            // Killed after: collect finds the job and sends it again or publishes it.
            said = try vlog(["transcode", "--collect"], cwd: t.root).stdout
            if try t.store.db.queryOne("SELECT status FROM videos WHERE slug = ?", [slug])?.string("status")
                == "pending"
            {
                said += try vlog(["transcode", "--dispatch", "command"], cwd: t.root).stdout
            }
            said += try collectUntilReady(t, seconds: 60)
            let status = try t.store.db.queryOne("SELECT status FROM videos WHERE slug = ?", [slug])?.string("status")
            #expect(status == "ready", "round \(round) (kill after \(delay) ms): \(said)")
        }
    }

    @Test func aKubernetesManifestIsAValidIndexedJob() throws {
        let t = try site(
            "engine = \"kubernetes\"\nkubernetes_image = \"registry.example.org/vlog:1\"\nkubernetes_claim = \"vlog-media\"\nparallelism = 4\nstorage = \"/media\""
        )
        try add(t, "one")
        try add(t, "two")
        let d = try vlog(["transcode", "--dispatch", "kubernetes"], cwd: t.root)
        #expect(d.status == 0, "\(d.stderr)")
        let path = try #require(d.stdout.firstMatch(of: /apply (\S+\.yaml)/).map { String($0.1) }, "\(d.stdout)")
        let yaml = try String(contentsOfFile: path, encoding: .utf8)
        #expect(yaml.contains("completionMode: Indexed") && yaml.contains("completions: 2"))
        #expect(yaml.contains("\"--list\", \"/media/videos/.work/dispatch-"))
        // Checked against the Job schema of Kubernetes 1.30 by kubernetes-validate (PyPI).
        let venv = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("vlog-k8s-validate")
        if !FileManager.default.fileExists(atPath: venv.path + "/bin/kubernetes-validate") {
            _ = try runProcess("/usr/bin/python3", ["-m", "venv", venv.path])
            let pip = try runProcess(venv.path + "/bin/pip", ["install", "-q", "kubernetes-validate"])
            #expect(pip.status == 0, "pip: \(pip.stderr)")
        }
        let check = try runProcess(
            venv.path + "/bin/kubernetes-validate", ["--strict", "--kubernetes-version", "1.30", path])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        // A broken manifest fails the same check (the check can fail).
        let broken = path + ".broken.yaml"
        try yaml.replacingOccurrences(of: "completionMode: Indexed", with: "completionMode: 7").write(
            toFile: broken, atomically: true, encoding: .utf8)
        #expect(
            try runProcess(
                venv.path + "/bin/kubernetes-validate", ["--strict", "--kubernetes-version", "1.30", broken]
            ).status != 0)
    }
}
