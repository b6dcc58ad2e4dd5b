import Foundation
import Testing

@testable import VLogKit

/// `vlog serve` as a previewer: its own output folder, a sub-path base_url, pages that reload
/// themselves after a rebuild (in a real Chromium), `--bind`, a dashboard for this machine only,
/// and no chatter.
@Suite(.serialized) struct ServeTests {
    /// Starts `vlog serve`; returns the process, its port and what it printed so far.
    func serve(_ t: TestSite, _ extra: [String] = []) throws -> (Process, Int, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: vlogBinary)
        p.arguments = ["serve", "--port", "0", "--no-transcode", "--site", t.root.path] + extra
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        var seen = ""
        while true {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
            if let r = seen.firstMatch(of: /Previewing at http:\/\/[0-9.]+:([0-9]+)/), seen.contains("dashboard:") {
                return (p, Int(r.1)!, pipe)
            }
        }
        throw VLogError.io("serve printed no address: \(seen)")
    }

    func get(_ url: String) throws -> (Int, String) {
        let r = try runProcess("/usr/bin/curl", ["-s", "-w", "\n%{http_code}", url])
        let parts = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(parts.last ?? "") ?? 0, parts.dropLast().joined(separator: "\n"))
    }

    @Test func previewsASubPathSiteInItsOwnFolderAndReloadsOpenPages() throws {
        let t = try TestSite {
            $0 = $0.replacingOccurrences(
                of: "base_url = \"https://videos.example.org\"", with: "base_url = \"https://example.org/videos/\"")
        }
        try insertReadyVideo(t, slug: "one", title: "One")
        let (p, port, pipe) = try serve(t)
        defer {
            p.terminate()
            p.waitUntilExit()
        }
        #expect(!FileIO.exists(t.site.outputURL), "the production output is not touched")
        let origin = "http://127.0.0.1:\(port)"
        #expect(try get("\(origin)/videos/").0 == 200)
        #expect(try get("\(origin)/videos/assets/player.js").0 == 200, "assets under the sub-path")
        #expect(try get("\(origin)/videos/v/one/master.m3u8").0 == 200)
        #expect(try get("\(origin)/videos").0 == 301)
        #expect(try get("\(origin)/v/one/").0 == 404, "outside the base path")
        // The private dashboard, from this machine.
        #expect(try get("\(origin)/__vlog/dashboard/").0 != 403)

        // A page open in a browser reloads itself when a rebuild changes the site.
        let browser = try Chromium(profile: t.tmp.url.appendingPathComponent("chromium"))
        try browser.open("\(origin)/videos/")
        _ = try browser.eval("window.vlogMarker = 1")
        #expect(try browser.eval("document.body.innerHTML.includes('/videos/v/two/')") as? Bool == false)
        try insertReadyVideo(t, slug: "two", title: "Two")
        #expect(
            try browser.waitFor(
                "window.vlogMarker === undefined && !!document.body && document.body.innerHTML.includes('/videos/v/two/')",
                timeout: 20),
            "the page reloaded with the new video: \(String(describing: try? browser.eval("[window.vlogMarker, location.href, document.body.innerHTML.includes('/v/two/'), document.body.innerHTML.length]")))"
        )
        // Quiet: nothing about transcoding, nothing on the schedule check.
        p.terminate()
        p.waitUntilExit()
        let printed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(!printed.contains("Transcode"), "\(printed)")
    }

    @Test func bindAndAForeignClientGetsNoDashboard() throws {
        let ip = try runProcess("/usr/bin/hostname", ["-I"]).stdout.split(separator: " ").first.map(String.init) ?? ""
        let t = try TestSite()
        try insertReadyVideo(t, slug: "one", title: "One")
        let (p, port, _) = try serve(t, ["--bind", "0.0.0.0"])
        defer {
            p.terminate()
            p.waitUntilExit()
        }
        #expect(try get("http://127.0.0.1:\(port)/").0 == 200)
        guard !ip.isEmpty, !ip.hasPrefix("127."), ip.contains(".") else {
            print("ServeTests: this machine has no address besides loopback; the foreign-client check is skipped")
            return
        }
        #expect(try get("http://\(ip):\(port)/").0 == 200, "reachable on \(ip)")
        #expect(try get("http://\(ip):\(port)/__vlog/dashboard/").0 == 403, "the dashboard is for this machine")
        let bad = try vlog(["serve", "--bind", "everywhere", "--port", "0", "--no-transcode"], cwd: t.root)
        #expect(bad.status != 0 && bad.stderr.contains("--bind"), "\(bad.stderr)")
    }
}
