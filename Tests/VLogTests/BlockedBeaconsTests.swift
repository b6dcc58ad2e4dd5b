import Foundation
import Testing

@testable import VLogAnalytics
@testable import VLogConfig
@testable import VLogContent
@testable import VLogStore
@testable import VLogSupport

/// The scenarios of `PlaybackTruthTests` on a 60 s video: long enough that vlog's player (30 s
/// ahead) keeps requesting while people watch, so its CMCD says where they are.
let longScenarioScript = scenarioPage(
    steps: """
        full:async function(){await v.play();await untilEnded(v);},
        abandon:async function(){await v.play();await sleep(20);},
        seekfwd:async function(){await v.play();await sleep(4);v.currentTime=44;await untilEnded(v);},
        seekback:async function(){await v.play();await sleep(20);v.currentTime=5;await sleep(8);},
        pause:async function(){await v.play();await sleep(8);v.pause();await sleep(6);await v.play();await sleep(8);},
        fast:async function(){v.playbackRate=2;await v.play();await untilEnded(v);},
        rate15:async function(){v.playbackRate=1.5;await v.play();await sleep(10);},
        short:async function(){await v.play();await sleep(5);},
        noplay:async function(){await sleep(6);}
        """)

/// Viewers who block trackers. uBlock Origin with its default lists (Debian's
/// `webext-ublock-origin-firefox`, installed into Firefox ESR over WebDriver BiDi) blocks vlog's
/// beacons; what is left in nginx's log is the media requests, with the CMCD vlog's player puts on
/// them. Graded against the `<video>` element's own `played` ranges. The site also has viewers
/// whose beacons arrive (Chromium): they are what the site's audience retention is learned from,
/// as on a real site.
@Suite(.serialized, .tags(.ffmpeg, .browser, .server), .fullTierOnly) struct BlockedBeaconsTests {
    static let uBlock = "/usr/share/mozilla/extensions/{ec8030f7-c20a-464f-9b0e-13a3a9e97384}/uBlock0@raymondhill.net"
    let scenarios = ["full", "abandon", "seekfwd", "seekback", "pause", "fast", "rate15", "short", "noplay"]
    let duration = 60.0

    @Test func viewersWhoBlockTrackersAreMeasuredFromTheirMediaRequests() throws {
        #expect(
            FileManager.default.fileExists(atPath: Self.uBlock), "scripts/install-deps.sh test installs uBlock Origin")
        let t = try fastSite(identity: "cookie")
        try installPageScript(t, longScenarioScript)
        let clip = t.tmp.url.appendingPathComponent("walk.mp4")
        try makeClip(clip, size: "640x360", seconds: duration)
        #expect(
            try vlog([
                "video", "add", clip.path, "--title", "Walk", "--slug", "walk", "--publish", "--site", t.root.path,
            ]).status == 0)
        let build = try vlog(["build", "--site", t.root.path])
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        FileManager.default.createFile(atPath: t.site.outputURL.appendingPathComponent("truth").path, contents: Data())
        let nginx = try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx"))
        let page = "http://127.0.0.1:\(nginx.port)/v/walk/"
        let truthTests = PlaybackTruthTests()

        // 1. Chromium viewers whose beacons arrive: exact, as in PlaybackTruthTests.
        for batch in stride(from: 0, to: scenarios.count, by: 3).map({ Array(scenarios[$0..<min(9, $0 + 3)]) }) {
            DispatchQueue.concurrentPerform(iterations: batch.count) { i in
                let name = batch[i]
                _ = try? playInChromium(
                    "\(page)#s=\(name)", profile: t.tmp.url.appendingPathComponent("chrome-\(name)"), seconds: 100
                ) { nginx.log().contains(" /truth?n=\(name)&") }
            }
        }
        let chromiumLog = nginx.log()
        let chromium = PlaybackTruthTests.truths(in: chromiumLog, duration: duration)
        #expect(Set(chromium.keys) == Set(scenarios), "every Chromium scenario reported: \(chromium.keys.sorted())")
        let chromiumFile = t.tmp.url.appendingPathComponent("chromium.log")
        try chromiumLog.write(to: chromiumFile, atomically: true, encoding: .utf8)
        let exact = try truthTests.grade(t, log: chromiumFile, truth: chromium, label: "Chromium, beacons")
        #expect(exact.missing.isEmpty && exact.extra.isEmpty && exact.noPlayViews == 0)
        #expect(exact.totalError <= 0.02 && exact.completionRight == exact.sessions, "beacons: exact")

        // 2. The same log without the beacons (CMCD kept): what blocking Chromium viewers leave.
        let mediaOnly = t.tmp.url.appendingPathComponent("chromium-media.log")
        try chromiumLog.split(separator: "\n").filter { !$0.contains("/beacon.gif?") }.joined(separator: "\n")
            .appending("\n").write(to: mediaOnly, atomically: true, encoding: .utf8)
        try reset(t)
        let cmcd = try truthTests.grade(t, log: mediaOnly, truth: chromium, label: "Chromium, media requests + CMCD")
        #expect(cmcd.missing.isEmpty && cmcd.extra.isEmpty && cmcd.noPlayViews == 0, "one session per page view")
        #expect(cmcd.totalError <= 0.05, "total watch within 5%: \(cmcd.totalError)")
        #expect(Double(cmcd.completionRight) >= 0.85 * Double(cmcd.sessions), "completions right for 85%")
        let stats = try vlog(["stats", "--video", "walk", "--site", t.root.path])
        #expect(
            stats.stdout.contains("0 from the player's beacons, 8 from its media requests (CMCD)"), "\(stats.stdout)")

        // The same without CMCD either (a 30 s-buffer player that says nothing): estimated.
        let bare = t.tmp.url.appendingPathComponent("chromium-bare.log")
        try chromiumLog.split(separator: "\n").filter { !$0.contains("/beacon.gif?") }
            .map { $0.replacing(#/\?CMCD=[^ "]*/#, with: "") }.joined(separator: "\n").appending("\n")
            .write(to: bare, atomically: true, encoding: .utf8)
        try reset(t)
        let estimated = try truthTests.grade(t, log: bare, truth: chromium, label: "Chromium, segments only, no CMCD")
        #expect(estimated.missing.isEmpty && estimated.extra.isEmpty && estimated.noPlayViews == 0)

        // The same real traffic (beacons, CMCD) as each CDN writes it: the same sessions.
        try sameSessionsInEveryFormat(t, log: chromiumLog)

        // 3. Firefox ESR with uBlock Origin: three viewers at once, three page views each (each a
        // new viewer: no cookies).
        let lanes = [["full", "short", "noplay"], ["abandon", "seekback", "rate15"], ["seekfwd", "pause", "fast"]]
        let blocked = LockedBox<[String]>([])
        DispatchQueue.concurrentPerform(iterations: lanes.count) { lane in
            do {
                let f = try Firefox(profile: t.tmp.url.appendingPathComponent("firefox-\(lane)"))
                _ = try f.installExtension(folder: Self.uBlock)
                try f.open(page + "#ready")
                // uBlock loads its lists once, at its first start: wait until it blocks.
                let ready = try f.waitFor(
                    "fetch('/probe/beacon.gif?x=1').then(() => false, () => true)", timeout: 120)
                blocked.withLock { $0.append(ready ? "lane \(lane): blocking" : "lane \(lane): never blocked") }
                for name in lanes[lane] {
                    try f.open("about:blank")
                    try f.deleteCookies()
                    try f.open("\(page)#s=\(name)")
                    // This page view's truth (Chromium's, of the same name, are in the log already).
                    _ = poll(seconds: 100, every: 0.25) {
                        nginx.log().split(separator: "\n").contains {
                            $0.contains(" /truth?n=\(name)&") && $0.contains("Firefox/")
                        }
                    }
                }
            } catch {
                blocked.withLock { $0.append("lane \(lane): \(error)") }
            }
        }
        #expect(blocked.value.allSatisfy { $0.hasSuffix("blocking") }, "\(blocked.value)")
        let fullLog = nginx.log()
        let firefoxLines = fullLog.split(separator: "\n").filter { $0.contains("Firefox/") }
        #expect(
            !firefoxLines.filter { $0.contains(".m4s?CMCD=") }.isEmpty,
            "Firefox played through vlog's player: \(firefoxLines.suffix(40).joined(separator: "\n"))")
        #expect(
            firefoxLines.filter { $0.contains("beacon.gif?v=") }.isEmpty, "uBlock Origin blocked every beacon")
        var firefox = PlaybackTruthTests.truths(in: firefoxLines.joined(separator: "\n"), duration: duration)
        firefox = firefox.filter { scenarios.contains($0.key) }
        #expect(Set(firefox.keys) == Set(scenarios), "every Firefox scenario reported: \(firefox.keys.sorted())")
        // The whole log: Chromium's measured sessions first (the site's audience), then Firefox's.
        try reset(t)
        let g = try truthTests.grade(t, log: nginx.accessLog, truth: firefox, label: "Firefox + uBlock Origin")
        #expect(g.missing.isEmpty && g.extra.isEmpty, "one session per played page view: \(g.missing) \(g.extra)")
        #expect(g.noPlayViews == 0, "no row for a page left without play")
        for r in g.rows {
            // Within max(2 s, 5%), plus the seconds the browser stalled in that view (on a starved
            // machine: the media requests' timing cannot place a stall it does not report).
            #expect(
                abs(r.watched - r.truth.watched) <= max(2, 0.05 * r.truth.watched) + r.truth.stalled,
                "\(r.name): watched \(r.watched) s, truth \(r.truth.watched) s, stalled \(r.truth.stalled) s")
            #expect(
                abs(r.maxPosition - r.truth.maxPosition) <= 3,
                "\(r.name): furthest \(r.maxPosition) s, truth \(r.truth.maxPosition) s")
            #expect(r.completed == r.truth.completed, "\(r.name): completed \(r.completed), truth \(r.truth.completed)")
        }
    }

    /// Ingests `log` (nginx) rewritten in each CDN's format, each into an empty database: the same
    /// rows as the nginx log (formats without a cookie against the nginx log without one).
    func sameSessionsInEveryFormat(_ t: TestSite, log: String) throws {
        let requests = log.split(separator: "\n").compactMap { CDNLogTests.parse(String($0)) }
        #expect(requests.count == log.split(separator: "\n").count, "every nginx line read back")
        func rows(_ lines: [String], _ name: String) throws -> (IngestSummary, [String]) {
            try reset(t)
            let url = t.tmp.url.appendingPathComponent(name)
            try writeLog(lines, to: url)
            let s = try Ingester(site: t.site).run(inputs: [url.path])
            let r = try t.store.db.query(
                """
                SELECT s.duration_watched AS w, s.max_position AS m, s.completed AS c, s.quality_used AS q, x.kind AS k
                FROM playback_sessions s LEFT JOIN vlog_session_measures x ON x.session_token = s.session_token
                """
            ).map {
                "\($0.double("w") ?? -1) \($0.double("m") ?? -1) \($0.bool("c")) \($0.string("q") ?? "-") \($0.string("k") ?? "-")"
            }
            let viewers = try t.store.db.queryOne("SELECT COUNT(*) AS n FROM viewers")?.int("n") ?? -1
            return (s, r.sorted() + ["viewers \(viewers)"])
        }
        let garbage = "not a request at all"
        let (_, withCookie) = try rows(requests.map(CDNLogTests.nginx), "nginx.log")
        let plain = requests.map { r -> CDNLogTests.Request in
            var m = r
            m.cookie = ""
            return m
        }
        let (_, noCookie) = try rows(plain.map(CDNLogTests.nginx), "plain.log")
        #expect(withCookie.count == 9 && noCookie.count == 9, "\(withCookie) \(noCookie)")
        let cases: [(String, [String], [String])] = [
            ("cloudfront", CDNLogTests.cloudfront(requests), withCookie),
            ("cloudfront-json", try CDNLogTests.cloudfrontJSON(requests), withCookie),
            ("cloudflare", try CDNLogTests.cloudflare(requests), withCookie),
            ("bunny", CDNLogTests.bunny(plain), noCookie),
            ("s3", CDNLogTests.s3(plain), noCookie),
            ("gcs", CDNLogTests.gcs(plain), noCookie),
            ("traefik", plain.map(CDNLogTests.traefik), noCookie),
        ]
        for (name, lines, expected) in cases {
            let (s, got) = try rows(lines + [garbage], "\(name).log")
            #expect(got == expected, "\(name) (read as \(s.format)): \(got) vs \(expected)")
            #expect(s.skipped["malformed line"] == 1, "\(name): \(s.skipped)")
        }
    }

    func reset(_ t: TestSite) throws {
        for table in [
            "playback_sessions", "viewers", "vlog_ingest_files", "vlog_open_sessions", "vlog_estimator_samples",
        ] {
            try t.store.db.run("DELETE FROM \(table)")
        }
    }
}
