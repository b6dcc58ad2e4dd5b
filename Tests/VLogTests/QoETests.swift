import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogStore
@testable import VLogSupport

/// Quality of experience from a real browser: a viewer on a link slower than the lowest rung (the
/// picture stalls), and a viewer of a video whose first segment is missing (the player gives up
/// and says so). What the browser went through, against what `vlog stats` reports from nginx's log.
@Suite(.serialized, .tags(.ffmpeg, .browser, .server), .fullTierOnly) struct QoETests {
    @Test func stallsStartupAndFailuresReachTheReport() throws {
        let t = try fastSite()
        for slug in ["walk", "broken"] {
            let clip = t.tmp.url.appendingPathComponent("\(slug).mp4")
            try makeClip(clip, size: "640x360", seconds: 30)
            #expect(
                try vlog([
                    "video", "add", clip.path, "--title", slug, "--slug", slug, "--publish", "--site", t.root.path,
                ]).status == 0)
        }
        #expect(try vlog(["build", "--site", t.root.path]).status == 0)
        // The broken video's first segments are missing (an upload to the CDN that did not finish).
        for segment in try FileManager.default.contentsOfDirectory(atPath: t.site.outputURL.path + "/v/broken")
        where segment.hasSuffix("_0000.m4s") {
            try FileManager.default.removeItem(at: t.site.outputURL.appendingPathComponent("v/broken/\(segment)"))
        }
        let nginx = try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx"))
        let c = try Chromium(profile: t.tmp.url.appendingPathComponent("chrome"))
        // 1. A link of 40 KB/s, under the lowest rung: it starts, then stalls and resumes.
        try c.throttle(bytesPerSecond: 40_000)
        try c.open("http://127.0.0.1:\(nginx.port)/v/walk/")
        _ = try c.eval(
            """
            window.stalls = 0; var v = document.querySelector('video');
            v.addEventListener('waiting', () => { if (v.currentTime > 0 && !v.seeking) window.stalls++; });
            v.play().catch(() => {}); 1
            """)
        let started = try c.waitFor("document.querySelector('video').currentTime > 1", timeout: 60)
        #expect(
            started,
            "it started: \(String(describing: try? c.eval("JSON.stringify([document.querySelector('video').currentTime, document.querySelector('video').readyState, document.querySelector('.player').dataset.mode])")))"
        )
        _ = try c.waitFor(
            "window.stalls > 0 && !document.querySelector('video').paused && document.querySelector('video').readyState > 2",
            timeout: 60)
        let stalls = try c.eval("window.stalls") as? Int ?? 0
        #expect(stalls > 0, "the picture stalled on a slow link")
        try c.throttle(bytesPerSecond: 0)
        try c.open("about:blank")
        // 2. The broken video: a playback failure.
        try c.open("http://127.0.0.1:\(nginx.port)/v/broken/")
        _ = try c.eval("document.querySelector('video').play().catch(() => {}), 1")
        // The player retries, then says so (and reports it); it does not fetch the broken segment forever.
        let failed = try c.waitFor("!document.querySelector('.player-msg').hidden", timeout: 30)
        #expect(failed, "the viewer is told the video could not be played")
        sleep(3)
        let fetches = nginx.log().split(separator: "\n").filter {
            $0.contains("/v/broken/") && $0.contains("_0000.m4s")
        }
        #expect(fetches.count <= 3, "the broken segment was fetched \(fetches.count) times")
        try c.open("about:blank")
        _ = poll(seconds: 10) { nginx.log().contains("e=error") }

        let ingest = try vlog(["ingest", nginx.accessLog.path, "--site", t.root.path])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let json = try vlog(["stats", "--json", "--site", t.root.path])
        let obj = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let qoe = obj?["qoe"] as? [String: Any] ?? [:]
        let byVideo = obj?["qoeByVideo"] as? [String: [String: Any]] ?? [:]
        print("QoE: \(qoe), browser stalls \(stalls)")
        #expect(qoe["sessions"] as? Int == 2, "\(qoe)")
        #expect(byVideo["broken"]?["failures"] as? Int == 1, "the broken video's failure: \(byVideo)")
        #expect(byVideo["walk"]?["failures"] as? Int == 0)
        let reported = byVideo["walk"]?["rebuffers"] as? Int ?? 0
        #expect(reported >= 1 && reported <= stalls, "stalls: reported \(reported), the browser saw \(stalls)")
        #expect((byVideo["walk"]?["rebufferSeconds"] as? Double ?? 0) > 0)
        #expect((byVideo["walk"]?["startupMedianMs"] as? Int).map { $0 > 0 } == true, "startup measured")
        let text = try vlog(["stats", "--site", t.root.path])
        #expect(text.stdout.contains("playback failures   1 (50.0% of views)"), "\(text.stdout)")
    }
}
