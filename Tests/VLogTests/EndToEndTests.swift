import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogSite
@testable import VLogStore
@testable import VLogSupport

/// A real nginx on 127.0.0.1, stopped when the value goes away: the one nginx harness of the
/// tests. It serves a folder (`root:`), or a server block as `vlog nginx-config` prints it
/// (`server:`, given the ports it gets), inside a main configuration of its own.
final class Nginx: @unchecked Sendable {
    let dir: URL
    let port: Int
    let process: Process
    /// What `nginx -t` said of the configuration (warnings included).
    let checked: String
    var accessLog: URL { dir.appendingPathComponent("access.log") }
    var config: URL { dir.appendingPathComponent("nginx.conf") }

    /// Serves `root` (with `/probe` answering 204, and `extra` locations).
    convenience init(root: URL, dir: URL, extra more: String = "") throws {
        let extra = "    location = /probe { return 204; }\n" + more
        try self.init(dir: dir) { port in
            NginxConfig.standalone(dir: dir.path, root: root.path, port: port, extra: extra)
        }
    }

    /// Serves the server block `server(ports)` returns (`ports` holds `count` free ones), its
    /// access log in `dir`; throws when `nginx -t` refuses it.
    convenience init(dir: URL, ports count: Int, server: (Int) -> String) throws {
        try self.init(dir: dir, count: count) { port in
            """
            daemon off; worker_processes 1; pid \(dir.path)/nginx.pid; error_log \(dir.path)/error.log;
            events { worker_connections 64; }
            http { include /etc/nginx/mime.types; default_type application/octet-stream;
            client_body_temp_path \(dir.path)/b; proxy_temp_path \(dir.path)/p; fastcgi_temp_path \(dir.path)/f;
            uwsgi_temp_path \(dir.path)/u; scgi_temp_path \(dir.path)/s;
            \(server(port).replacingOccurrences(of: "/var/log/nginx/vlog.access.log", with: dir.path + "/access.log"))
            }
            """
        }
    }

    private init(dir: URL, count: Int = 1, main: (Int) -> String) throws {
        self.dir = dir
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let conf = dir.appendingPathComponent("nginx.conf")
        (port, process, checked) = try onFreePort(count: count) { port in
            try main(port).write(to: conf, atomically: true, encoding: .utf8)
            let test = try runProcess("/usr/sbin/nginx", ["-t", "-c", conf.path])
            guard test.status == 0 else { throw VLogError.invalidInput("nginx -t: \(test.stderr)") }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
            p.arguments = ["-c", conf.path]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            // Serving, or gone (the port was taken after the check): then another port.
            poll(seconds: 5) { !p.isRunning || listening(port) }
            guard p.isRunning, listening(port) else {
                if p.isRunning { p.terminate() }
                p.waitUntilExit()
                return nil
            }
            return (port, p, test.stderr)
        }
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }

    func log() -> String { (try? String(contentsOf: accessLog, encoding: .utf8)) ?? "" }
}

/// Opens `url` in headless Chromium (muted autoplay allowed) until `until` holds or time runs out.
func playInChromium(_ url: String, profile: URL, seconds: Int = 40, until: () -> Bool) throws -> Bool {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
    p.arguments = [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--mute-audio", "--no-first-run",
        "--autoplay-policy=no-user-gesture-required", "--user-data-dir=\(profile.path)", url,
    ]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try runInOwnGroup(p)
    defer { killGroup(p) }
    for _ in 0..<(seconds * 4) {
        usleep(250_000)
        if until() { return true }
    }
    return false
}

/// The probe a test page sends once playback passed 2 s: a script file in the site's public/
/// (the pages' Content-Security-Policy allows the site's own script files, no inline script).
let probeScript = """
    document.addEventListener("DOMContentLoaded",function(){var v=document.querySelector("video");if(!v)return;var s=false;
    v.addEventListener("timeupdate",function(){if(!s&&v.currentTime>2){s=true;fetch("/probe?t="+v.currentTime);}});});
    """

/// Puts a test's page script into a site: `public/test-page.js`, loaded (before the player's
/// deferred script) by `templates/extra-head.mustache`, as a publisher adds a script of their own.
func installPageScript(_ t: TestSite, _ script: String) throws {
    for dir in ["templates", "public"] {
        try FileManager.default.createDirectory(
            at: t.root.appendingPathComponent(dir), withIntermediateDirectories: true)
    }
    try script.write(to: t.root.appendingPathComponent("public/test-page.js"), atomically: true, encoding: .utf8)
    try "<script src=\"/test-page.js\"></script>\n".write(
        to: t.root.appendingPathComponent("templates/extra-head.mustache"), atomically: true, encoding: .utf8)
}

@Suite(.serialized, .tags(.ffmpeg, .browser, .server), .fullTierOnly) struct EndToEndTests {
    /// Transcode a generated clip, build, serve with nginx, play in Chromium: playback advances.
    @Test func chromiumPlaysTheBuiltSiteThroughNginx() throws {
        let t = try fastSite(identity: "cookie")
        try installPageScript(t, probeScript)
        let clip = t.tmp.url.appendingPathComponent("walk.mp4")
        try makeClip(clip, size: "854x480", seconds: 10)
        #expect(
            try vlog(["video", "add", clip.path, "--title", "A walk", "--publish", "--site", t.root.path]).status == 0)
        let build = try vlog(["build", "--site", t.root.path])
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        #expect(build.stdout.contains("1 ready"))

        let nginx = try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx"))
        let played = try playInChromium(
            "http://127.0.0.1:\(nginx.port)/v/a-walk/?autoplay=1",
            profile: t.tmp.url.appendingPathComponent("chrome")
        ) {
            nginx.log().contains("GET /probe?t=")
        }
        let log = nginx.log()
        #expect(played, "playback passed 2 s; nginx log:\n\(log)")
        #expect(log.contains("GET /v/a-walk/master.m3u8"))
        #expect(log.range(of: #"GET /v/a-walk/(480p|360p)_0000\.m4s"#, options: .regularExpression) != nil)
        // The player set the viewer cookie and nginx logged it.
        let probeLine = log.split(separator: "\n").first { $0.contains("/probe?t=") } ?? ""
        #expect(
            probeLine.range(of: #""[0-9a-f]{32}"$"#, options: .regularExpression) != nil, "cookie logged: \(probeLine)")

        // Ingest nginx's own log: one playback session of that video, tied to the cookie's viewer.
        let cookie = String(probeLine.split(separator: "\"").last ?? "")
        let ingest = try vlog(["ingest", nginx.accessLog.path, "--site", t.root.path])
        #expect(ingest.status == 0 && ingest.stdout.contains("combined+cookie"), "\(ingest.stdout)\(ingest.stderr)")
        let sessions = try t.store.db.query(
            """
            SELECT s.*, v.slug, w.session_id FROM playback_sessions s JOIN videos v ON v.id = s.video_id
            JOIN viewers w ON w.id = s.viewer_id
            """)
        #expect(sessions.count == 1)
        #expect(sessions.first?.string("slug") == "a-walk")
        #expect(sessions.first?.string("session_id") == SHA256.hex("cookie:" + cookie))
        #expect((sessions.first?.double("duration_watched") ?? 0) > 0)
        let stats = try vlog(["stats", "--json", "--site", t.root.path])
        #expect(stats.stdout.contains("\"views\" : 1"), "\(stats.stdout)")
    }

    /// `vlog serve`: range requests, HLS MIME types, combined log with the cookie, rebuild on database and template changes.
    @Test func previewServer() throws {
        let t = try TestSite()
        try insertReadyVideo(t, slug: "one", title: "One")
        let log = t.tmp.url.appendingPathComponent("access.log")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: vlogBinary)
        p.arguments = ["serve", "--port", "0", "--no-transcode", "--access-log", log.path, "--site", t.root.path]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer {
            p.terminate()
            p.waitUntilExit()
        }
        var port = ""
        var seen = ""
        while port.isEmpty {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
            if let r = seen.range(of: #"127\.0\.0\.1:[0-9]+"#, options: .regularExpression) { port = String(seen[r]) }
        }
        #expect(!port.isEmpty, "serve printed its address: \(seen)")
        let ranged = try runProcess(
            "/usr/bin/curl",
            [
                "-s", "-D-", "-o", "/dev/null", "-H", "Range: bytes=0-1",
                "-H", "Cookie: a=b; vlog_viewer=feedbeef", "http://\(port)/v/one/720p_0000.ts",
            ])
        #expect(ranged.stdout.contains("206 Partial Content") && ranged.stdout.contains("Content-Range: bytes 0-1/2"))
        #expect(ranged.stdout.contains("Content-Type: video/mp2t"))
        let m3u8 = try runProcess(
            "/usr/bin/curl", ["-s", "-D-", "-o", "/dev/null", "http://\(port)/v/one/master.m3u8"])
        #expect(m3u8.stdout.contains("Content-Type: application/vnd.apple.mpegurl"))
        let missing = try runProcess(
            "/usr/bin/curl",
            ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--path-as-is", "http://\(port)/../vlog.toml"])
        #expect(missing.stdout == "404")
        let logged = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(logged.contains("\"GET /v/one/720p_0000.ts HTTP/1.1\" 206 2 \"-\" \"curl/"))
        #expect(logged.contains("\"feedbeef\""))
        // A change in the database is picked up without restarting.
        try insertReadyVideo(t, slug: "two", title: "Two")
        var rebuilt = false
        for _ in 0..<40 where !rebuilt {
            usleep(250_000)
            rebuilt = try runProcess("/usr/bin/curl", ["-s", "http://\(port)/"]).stdout.contains("/v/two/")
        }
        #expect(rebuilt)
        // So is a template the site overrides (here the empty extra-head hook).
        let templates = t.root.appendingPathComponent("templates")
        try FileManager.default.createDirectory(at: templates, withIntermediateDirectories: true)
        try "<meta name=\"x-edited\" content=\"yes\">\n".write(
            to: templates.appendingPathComponent("extra-head.mustache"), atomically: true, encoding: .utf8)
        rebuilt = false
        for _ in 0..<40 where !rebuilt {
            usleep(250_000)
            rebuilt = try runProcess("/usr/bin/curl", ["-s", "http://\(port)/v/two/"]).stdout.contains("x-edited")
        }
        #expect(rebuilt, "a template edit is picked up")
    }
}
