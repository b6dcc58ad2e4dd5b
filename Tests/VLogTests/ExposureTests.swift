import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogSite
@testable import VLogStore
@testable import VLogSupport

/// Text that would break output (issue 9, part 4) and crashes, hangs and exposure (part 5).
@Suite(.tags(.server), .fullTierOnly) struct ExposureTests {
    @Test func controlCharactersNeverReachXML() throws {
        let t = try TestSite()
        let clip = t.dummyFile()
        let r = try vlog(["video", "add", clip.path, "--title", "ctl\u{01}\u{0b}"], cwd: t.root)
        #expect(r.status != 0 && r.stderr.contains("control character"), "\(r.stderr)")
        #expect(try vlog(["category", "add", "Bad\u{07}"], cwd: t.root).status != 0)
        // Rows written by another tool may still hold them: the feeds stay well-formed.
        try t.store.db.run(
            "INSERT INTO categories (name, slug, description) VALUES (?, 'cat', ?)", ["Cat\u{02}", "d\u{1b}x"])
        let cat = t.store.db.lastInsertRowID
        _ = try insertReadyVideo(
            t, slug: "ctl", title: "ctl\u{01}\u{0b}\u{FFFE}", description: "a\u{0}b\u{08}c", category: cat)
        _ = try Builder(site: t.site).build()
        for file in ["feed.xml", "sitemap.xml", "c/cat/feed.xml"] {
            let text = read(t, file)
            #expect(text.contains("/v/ctl/"), "\(file) lists the video")
            #expect(xmlError(text) == nil, "\(file) is well-formed: \(xmlError(text) ?? "")")
        }
    }

    @Test func aDescriptionWithNULIsRefusedNotCut() throws {
        let t = try TestSite()
        let md = t.tmp.url.appendingPathComponent("d.md")
        try Data("first part\u{0}second part\n".utf8).write(to: md)
        let r = try vlog(
            ["video", "add", t.dummyFile().path, "--title", "T", "--description-file", md.path], cwd: t.root)
        #expect(r.status != 0 && r.stderr.contains("NUL") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(try t.store.videos().isEmpty)
    }

    @Test func slugsArePercentEncodedInURLs() throws {
        let t = try TestSite()
        _ = try insertReadyVideo(t, slug: "café's", title: "Café")
        _ = try Builder(site: t.site).build()
        let sitemap = read(t, "sitemap.xml")
        #expect(sitemap.contains("<loc>https://videos.example.org/v/caf%C3%A9%27s/</loc>"), "\(sitemap)")
        #expect(!sitemap.contains("café"))
        #expect(
            FileIO.exists(t.site.outputURL.appendingPathComponent("v/café's/index.html")), "the folder keeps its name")
    }

    @Test func badSourcesAndPortsAreRefusedAtOnce() throws {
        let t = try TestSite()
        let fifo = t.tmp.path("fifo.mp4")
        mkfifo(fifo, 0o644)
        // A FIFO must not block: the command ends within 10 s (killed otherwise, and the test fails).
        let p = try spawnVlog(["video", "add", fifo, "--title", "F", "--site", t.root.path])
        var waited = 0
        while p.isRunning && waited < 100 {
            usleep(100_000)
            waited += 1
        }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        #expect(waited < 100 && p.terminationStatus != 0, "video add FIFO blocked or was accepted")
        let start = Date()
        for source in ["/dev/null", t.tmp.url.path] {
            let r = try vlog(["video", "add", source, "--title", "X"], cwd: t.root)
            #expect(r.status != 0 && r.stderr.split(separator: "\n").count == 1, "\(source): \(r.stderr)")
        }
        #expect(Date().timeIntervalSince(start) < 10, "a FIFO does not block")
        #expect(try t.store.videos().isEmpty)
        let serve = try vlog(["serve", "--port", "99999", "--no-transcode"], cwd: t.root)
        #expect(
            serve.status != 0 && serve.status < 128 && serve.stderr.contains("--port"),
            "\(serve.status) \(serve.stderr)")
        #expect(!FileIO.exists(t.site.outputURL), "refused before building")
    }

    @Test func thePreviewServerServesOnlyTheSite() throws {
        let t = try TestSite()
        _ = try insertReadyVideo(t, slug: "v", title: "V")
        _ = try Builder(site: t.site).build()
        symlink("/etc/passwd", t.site.outputURL.appendingPathComponent("passwd").path)
        symlink(t.site.databaseURL.path, t.site.outputURL.appendingPathComponent("db").path)
        let server = try PreviewServer(root: t.site.outputURL, port: 0, accessLog: nil, mediaRoot: t.site.videosURL)
        Thread { server.run() }.start()
        let base = "http://127.0.0.1:\(server.port)"
        func status(_ path: String) throws -> String {
            try runProcess(
                "/usr/bin/curl",
                ["-s", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", "-m", "5", base + path]
            ).stdout
        }
        #expect(try status("/v/v/") == "200" && status("/v/v/720p_0000.ts") == "200", "media links into storage work")
        for path in ["/passwd", "/db", "/.vlog-manifest", "/.vlog-fingerprint"] {
            #expect(try status(path) == "404", "\(path)")
        }
        #expect(try status("/%c0%ae%c0%ae/vlog.db") == "400")
        #expect(try status("/%zz") == "400")
        // 200 idle connections do not starve a normal request.
        var idle: [Int32] = []
        for _ in 0..<200 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(server.port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            idle.append(fd)
        }
        defer { for fd in idle { close(fd) } }
        let start = Date()
        #expect(try status("/") == "200")
        #expect(Date().timeIntervalSince(start) < 3, "answered while 200 clients sit idle")
    }

    @Test func nginxConfigIsCleanSafeAndHonoursASubPath() throws {
        let t = try TestSite {
            $0 = $0.replacingOccurrences(
                of: "base_url = \"https://videos.example.org\"",
                with: "base_url = \"https://example.org/videos/\"")
        }
        _ = try insertReadyVideo(t, slug: "v", title: "V")
        #expect(try vlog(["build", "--no-transcode"], cwd: t.root).status == 0)
        let bad = try vlog(["nginx-config", "--server-name", "x; include /etc/passwd;"], cwd: t.root)
        #expect(bad.status != 0 && bad.stdout.isEmpty)
        let conf = try vlog(["nginx-config", "--server-name", "localhost"], cwd: t.root)
        #expect(conf.status == 0 && conf.stdout.contains("location ^~ /videos/"))
        let nginx = try Nginx(dir: t.tmp.url.appendingPathComponent("nginx"), ports: 1) { port in
            conf.stdout.replacingOccurrences(of: "listen 80;", with: "listen 127.0.0.1:\(port);")
        }
        #expect(!nginx.checked.contains("[warn]"), "\(nginx.checked)")
        let port = nginx.port
        func get(_ path: String) throws -> String {
            let r = try runProcess(
                "/usr/bin/curl",
                ["-s", "-o", "/dev/null", "-w", "%{http_code} %{content_type}", "http://127.0.0.1:\(port)\(path)"])
            return r.status == 0 ? r.stdout : "unreachable"
        }
        #expect(try get("/videos/v/v/").hasPrefix("200"))
        #expect(try get("/videos/v/v/master.m3u8") == "200 application/vnd.apple.mpegurl")
        #expect(try get("/videos/assets/style.css").hasPrefix("200"))
        #expect(try get("/videos/.vlog-manifest").hasPrefix("404"))
        #expect(try get("/videos/nope").hasPrefix("404"))
    }
}
