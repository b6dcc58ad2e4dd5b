import Foundation
import Testing

@testable import VLogConfig

/// The headers of the printed server configurations, judged by tools no one here wrote: gixy-ng
/// (nginx's configuration analyser, from PyPI) on the printed nginx config, and a real Chromium
/// that must not run an attachment's script while vlog's own pages still work.
@Suite(.tags(.ffmpeg, .browser, .server), .fullTierOnly) struct SecurityHeaderTests {
    /// gixy-ng in a virtual environment of its own (PyPI); nil where it cannot be installed.
    static let gixy: String? = {
        let venv = FileManager.default.temporaryDirectory.appendingPathComponent("vlog-test-gixy")
        let exe = venv.appendingPathComponent("bin/gixy").path
        if FileManager.default.isExecutableFile(atPath: exe) { return exe }
        guard (try? runProcess("/usr/bin/python3", ["-m", "venv", venv.path]))?.status == 0,
            (try? runProcess(venv.path + "/bin/pip", ["install", "-q", "gixy-ng"]))?.status == 0
        else { return nil }
        return exe
    }()

    @Test(arguments: [
        ("https://videos.example.org/", true), ("https://videos.example.org/", false),
        ("https://example.org/videos/", false),
    ])
    func gixyFindsNothingInThePrintedNginxConfig(base: String, https: Bool) throws {
        guard let gixy = Self.gixy else {
            print("SecurityHeaderTests: gixy-ng could not be installed from PyPI here; skipped")
            return
        }
        let t = try TestSite {
            $0 = $0.replacingOccurrences(
                of: "base_url = \"https://videos.example.org\"", with: "base_url = \"\(base)\"")
        }
        let conf = try vlog(
            ["nginx-config"] + (https ? ["--cert", "/etc/ssl/vlog.pem", "--key", "/etc/ssl/vlog.key"] : []), cwd: t.root
        )
        #expect(conf.status == 0, "\(conf.stderr)")
        #expect(conf.stdout.contains("server_tokens off;") && conf.stdout.contains("disable_symlinks on"))
        let file = t.tmp.url.appendingPathComponent("nginx.conf")
        try "events {}\nhttp {\n\(conf.stdout)\n}\n".write(to: file, atomically: true, encoding: .utf8)
        let r = try runProcess(gixy, [file.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("Total issues") && !r.stdout.contains(">> Problem"), "\(r.stdout)")
    }

    /// An attached HTML page and SVG that load an attached script: behind the printed nginx
    /// config the browser runs neither (sandbox); the same files behind a location without the
    /// headers do run it, so the test can tell. The player, search and embed work under the CSP.
    @Test func attachedScriptsDoNotRunAndThePagesStillWork() throws {
        let t = try fastSite()
        let clip = t.tmp.url.appendingPathComponent("clip.mp4")
        try makeClip(clip, size: "320x180", seconds: 4)
        #expect(
            try vlog(["video", "add", clip.path, "--title", "Clip", "--slug", "clip", "--publish"], cwd: t.root).status
                == 0)
        let files: [(String, String)] = [
            ("evil.js", "fetch('/ran-' + (location.pathname.startsWith('/raw/') ? 'raw' : 'site'))"),
            ("notes.html", #"<!doctype html><p>notes</p><script src="evil.js"></script>"#),
            ("diagram.svg", #"<svg xmlns="http://www.w3.org/2000/svg"><script href="evil.js"/></svg>"#),
        ]
        for (name, body) in files {
            try Data(body.utf8).write(to: t.tmp.url.appendingPathComponent(name))
        }
        let attach = try vlog(["video", "attach", "clip"] + files.map { t.tmp.path($0.0) }, cwd: t.root)
        #expect(attach.status == 0, "\(attach.stderr)")
        let b = try vlog(["build"], cwd: t.root)
        #expect(b.status == 0, "\(b.stderr)")
        let raw = "    location /raw/ { alias \(t.site.outputURL.path)/v/clip/; add_header X-Test raw; }\n"
        let nginx = try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx"), extra: raw)
        let origin = "http://127.0.0.1:\(nginx.port)"
        let chromium = try Chromium(profile: t.tmp.url.appendingPathComponent("chromium"))
        for page in ["/v/clip/notes.html", "/v/clip/diagram.svg"] { try chromium.open(origin + page) }
        try chromium.open(origin + "/raw/notes.html")
        var log = ""
        for _ in 0..<50 where !log.contains("/ran-raw") {
            usleep(100_000)
            log = nginx.log()
        }
        #expect(log.contains("/ran-raw"), "without the headers the script runs (the test can tell)")
        #expect(!log.contains("/ran-site"), "an attachment's script ran on the site's origin")

        // vlog's own pages under the same CSP: the player plays, search answers, the embed plays.
        try chromium.open(origin + "/v/clip/")
        #expect(try chromium.eval("document.querySelector('.player').dataset.mode") as? String == "mse")
        _ = try chromium.eval("document.querySelector('video').play().then(() => 1)")
        #expect(
            try chromium.waitFor(
                "(() => { const v = document.querySelector('video'); return v && v.currentTime > 0.5 })()", timeout: 30),
            "the player plays under the CSP")
        try chromium.open(origin + "/v/clip/embed/?autoplay=1")
        #expect(
            try chromium.waitFor(
                "(() => { const v = document.querySelector('video'); return v && v.currentTime > 0.5 })()", timeout: 30),
            "the embed plays under the CSP")
        try chromium.open(origin + "/search/?q=clip")
        #expect(
            try chromium.waitFor("document.querySelectorAll('a[href*=\"/v/clip/\"]').length > 0", timeout: 15),
            "search answers under the CSP")
    }
}
