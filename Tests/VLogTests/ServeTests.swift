import Foundation
import Testing

@testable import VLogConfig
@testable import VLogSite
@testable import VLogSupport

/// `vlog serve` as a previewer: its own output folder, a sub-path base_url, pages that reload
/// themselves after a rebuild (in a real Chromium), `--bind`, a dashboard for this machine only,
/// and no chatter.
@Suite(.serialized, .tags(.browser, .server), .fullTierOnly) struct ServeTests {
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
        // Only the main page and pages named by a slug: nothing else of the folder, nothing outside it.
        #expect(try get("\(origin)/__vlog/dashboard/.vlog-manifest").0 == 404)
        #expect(try get("\(origin)/__vlog/dashboard/videos/..%2F..%2Fvlog.toml.html").0 == 404)
        #expect(try get("\(origin)/__vlog/dashboard/videos/../../vlog.toml").0 == 404)

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

    /// A client on another address, inside a network namespace this test makes (a veth pair with
    /// 10.200.0.1, loopback up); no traffic leaves this machine. Skipped where namespaces are not
    /// allowed.
    @Test func bindAndAForeignClientGetsNoDashboard() throws {
        let t = try TestSite()
        try insertReadyVideo(t, slug: "one", title: "One")
        _ = try Builder(site: t.site).build()
        let bad = try vlog(["serve", "--bind", "everywhere", "--port", "0", "--no-transcode"], cwd: t.root)
        #expect(bad.status != 0 && bad.stderr.contains("--bind"), "\(bad.stderr)")
        let script = """
            set -e
            ip link set lo up
            ip link add vlogt0 type veth peer name vlogt1
            ip addr add 10.200.0.1/24 dev vlogt0
            ip link set vlogt0 up; ip link set vlogt1 up
            echo namespace-ready
            cd \(Format.shellQuoted(t.root.path))
            \(Format.shellQuoted(vlogBinary)) serve --bind 0.0.0.0 --port 8080 --no-transcode >/dev/null 2>&1 &
            pid=$!
            trap 'kill $pid; wait $pid 2>/dev/null || true' EXIT
            for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:8080/ && break; sleep 0.1; done
            code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$1"; }
            echo "loopback=$(code http://127.0.0.1:8080/) foreign=$(code http://10.200.0.1:8080/) \\
            dashboard=$(code http://10.200.0.1:8080/__vlog/dashboard/) local-dashboard=$(code http://127.0.0.1:8080/__vlog/dashboard/)"
            """
        let r = try runProcess("/usr/bin/unshare", ["--net", "/bin/sh", "-c", script])
        guard r.stdout.contains("namespace-ready") else {
            print("ServeTests: no network namespace here (\(r.stderr)); the foreign-client check is skipped")
            return
        }
        #expect(r.stdout.contains("loopback=200 foreign=200 dashboard=403"), "\(r.stdout) \(r.stderr)")
        #expect(!r.stdout.contains("local-dashboard=403"), "\(r.stdout)")
    }
}
