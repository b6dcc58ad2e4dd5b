import Foundation
import Testing

@testable import VLogConfig
@testable import VLogSite

/// `vlog nginx-config` and `vlog caddy-config`, each started as printed (ports and log paths
/// swapped for the test's) in front of a built site: status codes and headers for a page, a
/// playlist, a segment and a poster; compression; dotfiles; 301 for an old address.
@Suite(.serialized, .tags(.browser, .server), .fullTierOnly) struct ServerConfigTests {
    /// A built site with one video whose slug changed from `old-name` to `new-name`.
    func site(base: String) throws -> TestSite {
        let t = try TestSite {
            $0 = $0.replacingOccurrences(
                of: "base_url = \"https://videos.example.org\"", with: "base_url = \"\(base)\"")
        }
        try insertReadyVideo(t, slug: "old-name", title: "The viaduct")
        try Data(repeating: 7, count: 4000).write(
            to: t.site.mediaDir(slug: "old-name").appendingPathComponent("720p_0001.m4s"))
        #expect(try vlog(["video", "edit", "old-name", "--slug", "new-name"], cwd: t.root).status == 0)
        let svg = t.tmp.url.appendingPathComponent("diagram.svg")
        try Data(#"<svg xmlns="http://www.w3.org/2000/svg"><script>fetch('/ran')</script></svg>"#.utf8).write(to: svg)
        #expect(try vlog(["video", "attach", "new-name", svg.path], cwd: t.root).status == 0)
        let b = try vlog(["build", "--no-transcode"], cwd: t.root)
        #expect(b.status == 0, "\(b.stderr)")
        return t
    }

    struct Reply {
        var status = 0
        var headers: [String: String] = [:]
    }

    /// One request with curl; headers lowercased.
    func head(_ url: String, _ extra: [String] = []) throws -> Reply {
        for _ in 0..<60 {
            let r = try runProcess("/usr/bin/curl", ["-sk", "-o", "/dev/null", "-D", "-"] + extra + [url])
            if r.status == 0 {
                var reply = Reply()
                for line in r.stdout.split(separator: "\r\n") {
                    if line.hasPrefix("HTTP/") {
                        reply.status = Int(line.split(separator: " ")[1]) ?? 0
                    } else if let colon = line.firstIndex(of: ":") {
                        reply.headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
                            .trimmingCharacters(in: .whitespaces)
                    }
                }
                return reply
            }
            usleep(100_000)
        }
        return Reply()
    }

    /// What both servers must answer, for a site at `prefix` (`` or `/videos`).
    func checkServer(_ origin: String, prefix: String, server: String) throws {
        let page = try head("\(origin)\(prefix)/v/new-name/", ["-H", "Accept-Encoding: gzip"])
        #expect(page.status == 200, "\(server): page")
        #expect(page.headers["cache-control"] == "public, max-age=60", "\(server): \(page.headers)")
        #expect(page.headers["content-encoding"] == "gzip", "\(server): pages are compressed")
        let playlist = try head("\(origin)\(prefix)/v/new-name/720p.m3u8")
        #expect(playlist.status == 200)
        #expect(playlist.headers["content-type"]?.hasPrefix("application/vnd.apple.mpegurl") == true, "\(server)")
        #expect(playlist.headers["cache-control"] == "public, max-age=60", "\(server)")
        let segment = try head("\(origin)\(prefix)/v/new-name/720p_0001.m4s")
        #expect(segment.status == 200)
        #expect(segment.headers["content-type"] == "video/iso.segment", "\(server): \(segment.headers)")
        #expect(segment.headers["cache-control"] == "public, max-age=31536000, immutable", "\(server)")
        let poster = try head("\(origin)\(prefix)/v/new-name/thumbnail.jpg")
        #expect(poster.status == 200 && poster.headers["cache-control"]?.contains("immutable") == true, "\(server)")
        // The search manifest may change with any build; its shards, named by their bytes, never do.
        let manifest = try head("\(origin)\(prefix)/search/index.json", ["-H", "Accept-Encoding: gzip"])
        #expect(manifest.status == 200 && manifest.headers["cache-control"] == "public, max-age=60", "\(server)")
        let json = try runProcess("/usr/bin/curl", ["-sk", "\(origin)\(prefix)/search/index.json"]).stdout
        let shard = try #require(json.firstMatch(of: /"shards":\[\["[^"]*","([0-9a-f]+)"/)?.1, "\(server): \(json)")
        let shardReply = try head("\(origin)\(prefix)/search/w/\(shard).json")
        #expect(shardReply.status == 200, "\(server): a shard")
        #expect(shardReply.headers["cache-control"] == "public, max-age=31536000, immutable", "\(server)")
        #expect(try head("\(origin)\(prefix)/.vlog-manifest").status == 404, "\(server): dotfiles denied")
        #expect(try head("\(origin)\(prefix)/\(Redirects.nginxMap)").status == 404)
        // The headers a careful host sends (SecurityHeaders).
        #expect(page.headers["x-content-type-options"] == "nosniff", "\(server): \(page.headers)")
        #expect(page.headers["referrer-policy"] == "strict-origin-when-cross-origin", "\(server)")
        let policy = page.headers["content-security-policy"] ?? ""
        #expect(
            policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"), "\(server): \(policy)")
        #expect(segment.headers["x-content-type-options"] == "nosniff", "\(server): \(segment.headers)")
        let embedPage = try head("\(origin)\(prefix)/v/new-name/embed/")
        #expect(embedPage.status == 200, "\(server): embed")
        #expect(embedPage.headers["content-security-policy"]?.contains("frame-ancestors *") == true, "\(server)")
        let svg = try head("\(origin)\(prefix)/v/new-name/diagram.svg")
        #expect(svg.status == 200 && svg.headers["content-security-policy"] == "sandbox", "\(server): \(svg.headers)")
        #expect(svg.headers["x-content-type-options"] == "nosniff", "\(server)")
        #expect(
            !(page.headers["server"] ?? "").contains("/") && !(page.headers["server"] ?? "").contains("Caddy"),
            "\(server): no version disclosed: \(page.headers["server"] ?? "")")
        let missing = try head("\(origin)\(prefix)/v/nothing-here/")
        #expect(missing.status == 404, "\(server)")
        // The old address answers 301 to the new one, keeping the start time.
        let moved = try head("\(origin)\(prefix)/v/old-name/?t=30")
        #expect(moved.status == 301, "\(server): \(moved)")
        #expect(moved.headers["location"]?.hasSuffix("\(prefix)/v/new-name/?t=30") == true, "\(server): \(moved)")
        let embed = try head("\(origin)\(prefix)/v/old-name/embed/")
        #expect(embed.status == 301 && embed.headers["location"]?.hasSuffix("/v/new-name/embed/") == true)
    }

    @Test(arguments: ["https://example.org/", "https://example.org/videos/"])
    func nginxAsPrintedWithHTTPS(base: String) throws {
        let t = try site(base: base)
        let dir = t.tmp.url.appendingPathComponent("nginx")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cert = dir.appendingPathComponent("cert.pem").path
        let key = dir.appendingPathComponent("key.pem").path
        let ssl = try runProcess(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj",
                "/CN=localhost",
            ])
        #expect(ssl.status == 0, "\(ssl.stderr)")
        let conf = try vlog(["nginx-config", "--server-name", "localhost", "--cert", cert, "--key", key], cwd: t.root)
        #expect(conf.status == 0, "\(conf.stderr)")
        let nginx = try Nginx(dir: dir, ports: 2) { port in
            conf.stdout.replacingOccurrences(of: "listen 443", with: "listen 127.0.0.1:\(port)")
                .replacingOccurrences(of: "listen 80;", with: "listen 127.0.0.1:\(port + 1);")
        }
        #expect(!nginx.checked.contains("[warn]"), "\(nginx.checked)")
        let port = nginx.port
        let plain = port + 1
        let prefix = base.hasSuffix("/videos/") ? "/videos" : ""
        try checkServer("https://127.0.0.1:\(port)", prefix: prefix, server: "nginx")
        #expect(
            try head("https://127.0.0.1:\(port)\(prefix)/").headers["strict-transport-security"] == "max-age=31536000",
            "HSTS with --cert")
        let h2 = try runProcess(
            "/usr/bin/curl",
            ["-sk", "--http2", "-o", "/dev/null", "-w", "%{http_version}", "https://127.0.0.1:\(port)\(prefix)/"])
        #expect(h2.stdout == "2", "HTTP/2 over TLS")
        let http = try head("http://127.0.0.1:\(plain)\(prefix)/")
        #expect(http.status == 301 && http.headers["location"]?.hasPrefix("https://") == true)
        // The access log is what `vlog ingest` reads.
        let log = (try? String(contentsOfFile: dir.path + "/access.log", encoding: .utf8)) ?? ""
        #expect(log.contains("GET \(prefix)/v/new-name/720p_0001.m4s HTTP/"))
    }

    @Test(arguments: ["https://example.org/", "https://example.org/videos/"])
    func caddyAsPrinted(base: String) throws {
        let t = try site(base: base)
        let dir = t.tmp.url.appendingPathComponent("caddy")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let port = freePort()
        let conf = try vlog(["caddy-config", "--address", "http://127.0.0.1:\(port)"], cwd: t.root)
        #expect(conf.status == 0, "\(conf.stderr)")
        let file =
            "{\n    admin off\n}\n"
            + conf.stdout.replacingOccurrences(of: "/var/log/caddy/vlog.access.log", with: dir.path + "/access.log")
        let path = dir.appendingPathComponent("Caddyfile").path
        try file.write(toFile: path, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/caddy")
        p.arguments = ["run", "--config", path, "--adapter", "caddyfile"]
        p.environment = [
            "HOME": dir.path, "XDG_DATA_HOME": dir.path, "XDG_CONFIG_HOME": dir.path, "PATH": "/usr/bin:/bin",
        ]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        defer {
            p.terminate()
            p.waitUntilExit()
        }
        let prefix = base.hasSuffix("/videos/") ? "/videos" : ""
        try checkServer("http://127.0.0.1:\(port)", prefix: prefix, server: "caddy")
        // The JSON access log is one `vlog ingest --format caddy` reads.
        usleep(300_000)
        let ingest = try vlog(["ingest", "--format", "caddy", dir.path + "/access.log"], cwd: t.root)
        #expect(ingest.status == 0, "\(ingest.stdout)\(ingest.stderr)")
    }

    /// On a host without the server rules (here `vlog serve`), the static page at the old address
    /// sends a real browser on, keeping the start time and the fragment.
    @Test func aBrowserFollowsTheStaticRedirectPage() throws {
        let t = try site(base: "http://127.0.0.1:8080/")
        let port = freePort()
        let serve = try spawnVlog(["serve", "--no-transcode", "--port", "\(port)", "--site", t.root.path])
        defer {
            serve.terminate()
            serve.waitUntilExit()
        }
        #expect(try head("http://127.0.0.1:\(port)/v/old-name/").status == 200)
        let page = read(t, "v/old-name/index.html")
        #expect(page.contains("<link rel=\"canonical\" href=\"http://127.0.0.1:8080/v/new-name/\">"))
        let browser = try Chromium(profile: t.tmp.url.appendingPathComponent("chromium"))
        try browser.session.call("Page.navigate", ["url": "http://127.0.0.1:\(port)/v/old-name/?t=30#t=1m"])
        #expect(
            try browser.waitFor(
                "location.pathname === '/v/new-name/' && location.search === '?t=30' && location.hash === '#t=1m'",
                timeout: 20), "\(String(describing: try? browser.eval("location.href")))")
        #expect(try browser.eval("document.querySelector('h1')?.textContent") as? String == "The viaduct")
    }
}
