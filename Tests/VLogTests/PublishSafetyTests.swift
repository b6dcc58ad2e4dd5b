import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogSite
@testable import VLogSupport

/// What may be published and where vlog may write, tried as a hostile or careless user would:
/// attachments that are links, FIFOs, devices, folders or databases; backups, deploys and a
/// dashboard inside the output or the storage; a slug that climbs out of the storage; headers
/// that forge log lines; captions with NUL.
@Suite(.tags(.ffmpeg, .server), .fullTierOnly) struct PublishSafetyTests {
    /// One `error:` line on stderr that says `says`, no raw control bytes, a non-zero exit.
    func refusedInOneLine(_ r: ProcessResult, _ says: String, _ what: String) {
        expectOneLineError(r, what)
        #expect(r.stderr.contains(says), "\(what): \(r.stderr)")
        #expect(!r.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(what): raw bytes")
    }

    @Test func onlyRegularFilesAreAttachedAndPublished() throws {
        let t = try TestSite()
        _ = try insertReadyVideo(t, slug: "v", title: "V")
        let dir = t.tmp.url
        let link = dir.appendingPathComponent("db-link.jpg")
        symlink(t.site.databaseURL.path, link.path)
        let folder = dir.appendingPathComponent("slides")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let fifo = dir.appendingPathComponent("pipe.txt")
        mkfifo(fifo.path, 0o644)
        let dbCopy = dir.appendingPathComponent("copy.bin")
        try FileManager.default.copyItem(at: t.site.databaseURL, to: dbCopy)
        for (path, says) in [
            (link.path, "symbolic link"), (folder.path, "is a folder"), (fifo.path, "FIFO"), ("/dev/zero", "device"),
            (dbCopy.path, "SQLite database"),
        ] {
            let start = Date()
            let r = try vlog(["video", "attach", "v", path], cwd: t.root)
            refusedInOneLine(r, says, path)
            #expect(Date().timeIntervalSince(start) < 10, "\(path) did not hang")
        }
        #expect(Attachments(site: t.site).list(slug: "v").isEmpty, "nothing was attached")

        // Links put into the storage by hand (or by an older vlog) are never published.
        let files = Attachments(site: t.site).dir(slug: "v")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        symlink("/etc/passwd", files.appendingPathComponent("passwd.txt").path)
        symlink(t.site.databaseURL.path, t.site.mediaDir(slug: "v").appendingPathComponent("db.jpg").path)
        try Data("ok".utf8).write(to: files.appendingPathComponent("notes.txt"))
        let b = try vlog(["build"], cwd: t.root)
        #expect(b.stderr.contains("passwd.txt is a symbolic link") && b.stderr.contains("db.jpg"), "\(b.stderr)")
        let out = t.site.outputURL
        #expect(FileKind(path: out.path + "/v/v/notes.txt") == .regular)
        #expect(FileKind(path: out.path + "/v/v/passwd.txt") == .missing)
        #expect(FileKind(path: out.path + "/v/v/db.jpg") == .missing)
        #expect(try vlog(["check"], cwd: t.root).stdout.contains("is a symbolic link") == false)

        // A link planted in the output itself: nginx (disable_symlinks) refuses it, check reports it.
        symlink(t.site.databaseURL.path, out.path + "/v/v/planted.jpg")
        try FileManager.default.copyItem(at: t.site.databaseURL, to: out.appendingPathComponent("v/v/old.db"))
        let nginx = try Nginx(root: out, dir: t.tmp.url.appendingPathComponent("nginx"))
        func body(_ path: String) throws -> (String, String) {
            let r = try runProcess(
                "/usr/bin/curl", ["-s", "-w", "\n%{http_code}", "http://127.0.0.1:\(nginx.port)\(path)"])
            let code = String(r.stdout.split(separator: "\n").last ?? "")
            return (code, String(r.stdout.dropLast(code.count)))
        }
        #expect(try body("/v/v/notes.txt").0 == "200")
        let planted = try body("/v/v/planted.jpg")
        #expect(planted.0 != "200" && !planted.1.contains("SQLite format 3"), "nginx followed a link: \(planted.0)")
        let check = try vlog(["check"], cwd: t.root)
        #expect(check.status != 0, "\(check.stdout)")
        #expect(check.stdout.contains("v/v/planted.jpg is a symbolic link"), "\(check.stdout)")
        #expect(check.stdout.contains("v/v/old.db is a database"), "\(check.stdout)")
    }

    @Test func backupDeployAndDashboardStayOutOfEachOther() throws {
        let t = try TestSite()
        _ = try insertReadyVideo(t, slug: "v", title: "V")
        #expect(try vlog(["build"], cwd: t.root).status == 0)
        let out = t.site.outputURL.path
        refusedInOneLine(try vlog(["backup", out + "/bk"], cwd: t.root), "lies inside the output", "backup in output")
        refusedInOneLine(
            try vlog(["backup", t.site.storageURL.path + "/bk"], cwd: t.root), "lies inside the media storage",
            "backup in storage")
        refusedInOneLine(try vlog(["backup", t.root.path], cwd: t.root), "contains the output", "backup = site")
        let file = t.tmp.url.appendingPathComponent("a-file")
        try Data().write(to: file)
        refusedInOneLine(try vlog(["backup", file.path], cwd: t.root), "is a file, not a folder", "backup to a file")
        refusedInOneLine(
            try vlog(["backup", t.tmp.path("nowhere/bk")], cwd: t.root), "does not exist (is the disk mounted?)",
            "backup under a missing parent")
        #expect(!FileIO.exists(t.site.outputURL.appendingPathComponent("bk")))
        // A missing destination under an existing parent is made.
        let fresh = try vlog(["backup", t.tmp.path("backups")], cwd: t.root)
        #expect(fresh.status == 0, "\(fresh.stderr)")
        #expect(Backup.backups(in: t.tmp.url.appendingPathComponent("backups")).count == 1)

        refusedInOneLine(try vlog(["deploy", out + "/sub"], cwd: t.root), "lies inside the output", "deploy in output")
        refusedInOneLine(
            try vlog(["deploy", t.site.storageURL.path], cwd: t.root), "is the media storage", "deploy to storage")
        #expect(!FileIO.exists(t.site.outputURL.appendingPathComponent("sub")))

        // The private dashboard inside the public output: refused by build and reported by check.
        let cfg = t.root.appendingPathComponent("vlog.toml")
        let text = try String(contentsOf: cfg, encoding: .utf8)
        try text.replacingOccurrences(of: "dashboard = \"analytics\"", with: "dashboard = \"_site/analytics\"")
            .write(to: cfg, atomically: true, encoding: .utf8)
        refusedInOneLine(try vlog(["build"], cwd: t.root), "lies inside the output", "dashboard in output")
        let check = try vlog(["check"], cwd: t.root)
        #expect(check.status != 0 && check.stdout.contains("the analytics dashboard"), "\(check.stdout)")
    }

    @Test func anUnsafeSlugIsRenamedWithoutFollowingIt() throws {
        let t = try TestSite()
        // A folder outside the site, holding a user's document, that `../../../victim` reaches.
        let victim = t.tmp.url.appendingPathComponent("victim")
        try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: true)
        try Data("my thesis".utf8).write(to: victim.appendingPathComponent("thesis.odt"))
        let climb = "../../../victim"
        #expect(
            FileManager.default.fileExists(atPath: t.site.videosURL.appendingPathComponent(climb).path),
            "the slug does reach the folder")
        let id = try insertReadyVideo(t, slug: climb, title: "Hostile")
        let b = try vlog(["build"], cwd: t.root)
        #expect(b.stderr.contains("vlog video edit '\(climb)' --slug NEW-SLUG"), "\(b.stderr)")
        let r = try vlog(["video", "edit", climb, "--slug", "fixed"], cwd: t.root)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileIO.exists(victim.appendingPathComponent("thesis.odt")), "the folder outside stayed")
        #expect(!FileIO.exists(t.site.mediaDir(slug: "fixed")), "nothing was moved in")
        #expect(try t.store.video(id: id)?.slug == "fixed")
        // A slug that is unsafe but names a folder inside the storage brings that folder along.
        let spaced = "two words"
        let id2 = try insertReadyVideo(t, slug: spaced, title: "Spaced")
        let inside = t.site.videosURL.appendingPathComponent(spaced)
        try FileManager.default.createDirectory(at: inside, withIntermediateDirectories: true)
        try Data("#EXTM3U\n".utf8).write(to: inside.appendingPathComponent("master.m3u8"))
        #expect(try vlog(["video", "edit", spaced, "--slug", "two-words"], cwd: t.root).status == 0)
        #expect(FileIO.exists(t.site.mediaDir(slug: "two-words").appendingPathComponent("master.m3u8")))
        #expect(try t.store.video(id: id2)?.slug == "two-words")
    }

    @Test func servesLogEscapesControlCharactersAsNginxDoes() throws {
        let t = try TestSite()
        _ = try insertReadyVideo(t, slug: "v", title: "V")
        _ = try Builder(site: t.site).build()
        let log = t.tmp.url.appendingPathComponent("access.log")
        let server = try PreviewServer(
            root: t.site.outputURL, port: 0, accessLog: log, mediaRoot: t.site.videosURL)
        Thread { server.run() }.start()
        // A bare LF inside a header value, as a hostile client sends it.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(server.port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(ok == 0)
        let forged =
            "GET /v/v/ HTTP/1.1\r\nHost: x\r\nUser-Agent: evil\n1.2.3.4 - - [forged] \"GET /x\"\r\nConnection: close\r\n\r\n"
        _ = forged.withCString { send(fd, $0, strlen($0), 0) }
        var buf = [UInt8](repeating: 0, count: 65536)
        while recv(fd, &buf, buf.count, 0) > 0 {}
        var text = ""
        for _ in 0..<50 where text.isEmpty {
            usleep(100_000)
            text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        }
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1, "\(text)")
        #expect(text.contains("evil\\x0A1.2.3.4 - - [forged] \\x22GET /x\\x22"), "\(text)")
    }

    @Test func captionsWithNULAreRefusedAndBinaryIsNeverEchoed() throws {
        let t = try TestSite()
        _ = try insertReadyVideo(t, slug: "v", title: "V")
        let nul = t.tmp.url.appendingPathComponent("nul.srt")
        try Data("1\n00:00:01,000 --> 00:00:02,000\nHello\0world\n".utf8).write(to: nul)
        refusedInOneLine(try vlog(["captions", "add", "v", nul.path], cwd: t.root), "NUL", "captions with NUL")
        let binary = t.tmp.url.appendingPathComponent("bin.vtt")
        try Data([0x57, 0x45, 0x42, 0x56, 0x54, 0x54, 0x0A, 0x0A, 0x1B, 0x5B, 0x32, 0x4A, 0x07, 0x9B, 0x41, 0x0A])
            .write(to: binary)
        let r = try vlog(["captions", "add", "v", binary.path], cwd: t.root)
        refusedInOneLine(r, "bin.vtt", "binary captions")
        #expect(!r.stderr.contains("\u{1B}") && !r.stderr.contains("\u{07}"), "\(r.stderr.debugDescription)")
        #expect(!FileIO.exists(t.site.mediaDir(slug: "v").appendingPathComponent("captions.en.vtt")))
    }

    @Test func smallerMistakesGetOneLineAndLeaveNothingBehind() throws {
        let tmp = TempDir()
        for (args, says) in [
            (["--language", "e n"], "--language"), (["--title", "two\nlines"], "--title"),
        ] {
            let dir = tmp.path("site")
            refusedInOneLine(try vlog(["init", dir] + args), says, "init \(args)")
            #expect(!FileIO.exists(URL(fileURLWithPath: dir)), "init \(args) left a folder")
        }
        try Data().write(to: tmp.url.appendingPathComponent("file"))
        refusedInOneLine(try vlog(["init", tmp.path("file/site")]), "is a file, not a folder", "init under a file")
        #expect(try vlog(["init", tmp.path("site"), "--title", "Fine"]).status == 0, "the retry works")
        let root = URL(fileURLWithPath: tmp.path("site"))
        #expect(try vlog(["category", "add", "Travel"], cwd: root).status == 0)
        refusedInOneLine(try vlog(["category", "add", "travel"], cwd: root), "already exists", "a second Travel")
        refusedInOneLine(try vlog(["build", "--out", "/proc/x"], cwd: root), "/proc/x", "build --out /proc/x")
        // A JPEG named .mp4 is named for what it is.
        let jpeg = tmp.url.appendingPathComponent("photo.mp4")
        let ff = try runProcess(
            "/usr/bin/ffmpeg",
            [
                "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=64x36", "-frames:v", "1", "-f", "mjpeg",
                jpeg.path,
            ])
        #expect(ff.status == 0)
        #expect(try vlog(["video", "add", jpeg.path, "--title", "Photo"], cwd: root).status == 0)
        let tr = try vlog(["transcode"], cwd: root)
        #expect(tr.stdout.contains("still image"), "\(tr.stdout)\(tr.stderr)")
    }

    /// A build that finds another one running names the folder that one writes, not its own.
    @Test func aConcurrentBuildNamesTheFolderTheOtherOneWrites() throws {
        let t = try TestSite()
        for i in 0..<40 { _ = try insertReadyVideo(t, slug: "v\(i)", title: "V\(i)") }
        let first = t.tmp.url.appendingPathComponent("first-out")
        let p = try spawnVlog(["build", "--clean", "--out", first.path, "--site", t.root.path])
        // Stopped (SIGSTOP) the moment it holds the lock and has said what it writes.
        let lock = t.root.appendingPathComponent(".vlog-build.lock")
        var holding = false
        for _ in 0..<20_000 where !holding && p.isRunning {
            kill(p.processIdentifier, SIGSTOP)
            holding =
                WorkerLock.isHeld(lock)
                && ((try? String(contentsOf: lock, encoding: .utf8)) ?? "").contains("first-out")
            if !holding {
                kill(p.processIdentifier, SIGCONT)
                usleep(200)
            }
        }
        defer {
            kill(p.processIdentifier, SIGCONT)
            p.waitUntilExit()
        }
        try #require(holding, "caught the first build holding the lock")
        let second = t.tmp.url.appendingPathComponent("second-out")
        let r = try vlog(["build", "--clean", "--out", second.path], cwd: t.root)
        refusedInOneLine(r, "is writing into \(first.path)", "a second build")
        #expect(!r.stderr.contains("second-out"), "\(r.stderr)")
    }

    /// A backup onto a disk too small for it: one line saying so, and nothing left behind.
    @Test func aBackupOntoAFullDiskSaysSoAndLeavesNothing() throws {
        guard let disk = SmallDisk(sizeKB: 1024) else {
            print("skipped: this machine cannot mount a tmpfs (needs root)")
            return
        }
        let t = try TestSite()
        let big = t.dummyFile("big.mp4", bytes: 3_000_000)
        #expect(try vlog(["video", "add", big.path, "--title", "Big"], cwd: t.root).status == 0)
        let r = try vlog(["backup", disk.url.appendingPathComponent("bk").path], cwd: t.root)
        refusedInOneLine(r, "disk full while backing up", "backup onto a full disk")
        #expect(tree(disk.url.appendingPathComponent("bk")).isEmpty, "the incomplete copy was removed")
    }
}
