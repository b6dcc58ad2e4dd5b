import Foundation
import Testing

@testable import VLogAnalytics
@testable import VLogContent
@testable import VLogStore
@testable import VLogSupport

/// CMCD read from media requests: a page view's requests are one session, joined with its beacons
/// across logs. (Graded against real browsers in `BlockedBeaconsTests`.)
@Suite struct CMCDTests {
    let ua = "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0"

    @Test func payloadsOfDifferentPlayersParse() {
        // hls.js (v1, sid a UUID, cid a URL with a comma in it), vlog's player (v2 keys).
        let hls = CMCDData.parse(
            payload:
                #"bl=21300,br=3200,cid="https://x.org/v/walk/master.m3u8,x",d=4004,ot=v,sf=h,sid="6e2fb550-c457-11e9-bb97-0800200c9a66",su"#
        )
        #expect(hls?.sid == "6e2fb550-c457-11e9-bb97-0800200c9a66" && hls?.bufferLength == 21.3 && hls?.startup == true)
        #expect(hls?.cid == "https://x.org/v/walk/master.m3u8,x" && hls?.objectType == "v" && hls?.isMedia == true)
        let vlog = CMCDData.parse(
            payload: #"bl=4000,bs,cid="walk",msd=1732,ot=av,pr=1.5,pt=12000,sid="163d23b2",sta=r"#)
        #expect(vlog?.playhead == 12 && vlog?.startDelay == 1.732 && vlog?.rate == 1.5 && vlog?.starved == true)
        #expect(vlog?.state == "r" && vlog?.startup == false)
        #expect(CMCDData.parse(payload: "nonsense") == nil && CMCDData.parse(payload: "bl=-5") == nil)
    }

    func line(_ t: Double, _ uri: String, cookie: String = "c0ffee00c0ffee00c0ffee00c0ffee00", status: Int = 200)
        -> String
    {
        CDNLogTests.nginx(
            .init(
                ip: "203.0.113.7", method: "GET", uri: uri, ua: ua, cookie: cookie, status: status, time: t,
                bytes: "100"))
    }

    /// vlog's player on a 120 s video (6 s segments): a 30 s burst, then a segment whenever the
    /// buffer falls under 30 s; the viewer leaves at `leave` s.
    func mediaRequests(sid: String, leave: Double, from t0: Double) -> [String] {
        let q = { (s: String) in "?CMCD=" + s.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }
        var out = [line(t0, "/v/video-0/master.m3u8" + q("cid=\"video-0\",ot=m,pt=0,sid=\"\(sid)\",sta=s,su"))]
        var fetchedEnd = 0.0
        var t = t0
        while t - t0 < leave {
            let playhead = max(0, t - t0 - 1)
            while fetchedEnd - playhead < 30 && fetchedEnd < 120 {
                let bl = fetchedEnd - playhead
                let payload =
                    "bl=\(Int(bl * 1000)),br=1400,cid=\"video-0\",ot=av,pt=\(Int(playhead * 1000)),sid=\"\(sid)\",sta=p"
                    + (playhead == 0 ? ",su" : "")
                out.append(line(t, "/v/video-0/480p_\(String(format: "%04d", Int(fetchedEnd / 6))).m4s" + q(payload)))
                fetchedEnd += 6
            }
            t += 1
        }
        return out
    }

    @Test func aPageViewsMediaRequestsAreOneMeasuredSession() throws {
        let (t, _) = try analyticsSite([120])
        let log = t.tmp.url.appendingPathComponent("access.log")
        try writeLog(mediaRequests(sid: "aa11bb22cc33dd44", leave: 50, from: day0), to: log)
        let s = try Ingester(site: t.site).run(inputs: [log.path])
        let rows = try sessionRows(t.store.db)
        #expect(rows.count == 1 && s.sessionsNew == 1, "\(rows)")
        // Left at 50 s: the last request (playhead 49) says so, give or take a segment.
        #expect(rows.first.map { abs($0.watched - 50) <= 4 && !$0.completed } == true, "\(rows)")
        let kind = try t.store.db.queryOne("SELECT kind FROM vlog_session_measures")?.string("kind")
        #expect(kind == "cmcd")
    }

    @Test func beaconsOnThePageHostAndCMCDOnTheCDNAreOneSession() throws {
        let (t, _) = try analyticsSite([120])
        let pv = "0123456789abcdef"
        // The page host's log: the beacons (play, ticks, a pause at 35 s).
        var page: [String] = []
        for (i, (e, pos)) in [("play", 0.0), ("tick", 10), ("tick", 20), ("tick", 30), ("pause", 35)].enumerated() {
            page.append(line(day0 + 1 + pos, "/beacon.gif?v=video-0&p=\(pv)&e=\(e)&t=\(pos)&r=1&h=480&s=\(i)"))
        }
        let pageLog = t.tmp.url.appendingPathComponent("page.log")
        try writeLog(page, to: pageLog)
        // The CDN's log (CloudFront): the same page view's media requests.
        let cdn = CDNLogTests.cloudfront(mediaRequests(sid: pv, leave: 36, from: day0).compactMap(CDNLogTests.parse))
        let cdnLog = t.tmp.url.appendingPathComponent("E2Q.2026-12-05-10.a1b2c3")
        try writeLog(cdn, to: cdnLog)
        _ = try Ingester(site: t.site).run(inputs: [pageLog.path, cdnLog.path])
        let rows = try sessionRows(t.store.db)
        #expect(rows.count == 1, "one page view, one session: \(rows)")
        #expect(rows.first.map { abs($0.watched - 35) < 0.5 } == true, "the beacons measure it: \(rows)")
        #expect(try t.store.db.queryOne("SELECT kind FROM vlog_session_measures")?.string("kind") == "player")
    }

    @Test func aWholeVideoBurstTakesTheVideosMeasuredFigures() throws {
        let (t, _) = try analyticsSite([60])
        // Two measured viewers (beacons): one watched 30 s, one all 60 s.
        var lines: [String] = []
        for (n, watched) in [(0, 30.0), (1, 60.0)] {
            let pv = "feedface0000000\(n)"
            let c = String(repeating: "\(n)a", count: 16)
            lines.append(
                line(day0 + Double(n) * 10, "/beacon.gif?v=video-0&p=\(pv)&e=play&t=0&r=1&h=480&s=0", cookie: c))
            let last = watched == 60 ? "ended" : "pause"
            lines.append(
                line(
                    day0 + Double(n) * 10 + watched,
                    "/beacon.gif?v=video-0&p=\(pv)&e=\(last)&t=\(watched)&r=1&h=480&s=1",
                    cookie: c))
        }
        // A desktop player: all ten segments within a second, nothing else.
        let desktop = String(repeating: "d", count: 32)
        for i in 0..<10 {
            lines.append(line(day0 + 400, "/v/video-0/480p_\(String(format: "%04d", i)).m4s", cookie: desktop))
        }
        let log = t.tmp.url.appendingPathComponent("access.log")
        try writeLog(lines.sorted { CDNLogTests.parse($0)!.time < CDNLogTests.parse($1)!.time }, to: log)
        _ = try Ingester(site: t.site).run(inputs: [log.path])
        let burst = try t.store.db.queryOne(
            """
            SELECT s.duration_watched AS w, s.completed AS c FROM playback_sessions s
            WHERE substr(s.session_token, 1, 1) != 'p'
            """)
        // The measured sessions' average (45 s; half completed), not "fetched 60 s, so watched 60 s".
        #expect(burst.map { abs(($0.double("w") ?? 0) - 45) < 0.5 } == true, "\(String(describing: burst))")
        let stats = try vlog([
            "stats", "--video", "video-0", "--since", "2025-11-20", "--until", "2025-11-30", "--site", t.root.path,
        ])
        #expect(stats.stdout.contains("2 from the player's beacons, 0 from its media requests (CMCD), 1 estimated"))
    }

    @Test func theFastlyFormatPrintedIsOneIngestReads() throws {
        let printed = try vlog(["cdn-log-format", "fastly", "--cookie"])
        #expect(printed.status == 0)
        let format = try #require(printed.stdout.split(separator: "\n").first { $0.hasPrefix("%h") }.map(String.init))
        let unknown = try vlog(["cdn-log-format", "akamai-edge"])
        expectOneLineError(unknown, "an unknown CDN")
        #expect(unknown.stderr.contains("unknown CDN"))
        // Fastly's renderer, directive by directive, on the same requests as an nginx log.
        let (_, specs) = try analyticsSite([300, 600])
        var gen = TrafficGenerator(videos: specs, seed: 5)
        let requests = gen.traffic(sessions: 30, start: day0, days: 0.1, noise: false).0.compactMap(CDNLogTests.parse)
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "dd/MMM/yyyy:HH:mm:ss"
        let fastly = requests.map { r in
            format.replacingOccurrences(of: "%{Referer}i", with: "-")
                .replacingOccurrences(of: "%{User-Agent}i", with: r.ua)
                .replacingOccurrences(of: "%{vlog_viewer}C", with: r.cookie.isEmpty ? "-" : r.cookie)
                .replacingOccurrences(of: "%h", with: r.ip).replacingOccurrences(of: "%l", with: "-")
                .replacingOccurrences(of: "%u", with: "-")
                .replacingOccurrences(of: "%t", with: "[\(f.string(from: Date(timeIntervalSince1970: r.time))) +0000]")
                .replacingOccurrences(of: "%r", with: "\(r.method) \(r.uri) HTTP/1.1")
                .replacingOccurrences(of: "%>s", with: "\(r.status)").replacingOccurrences(of: "%b", with: r.bytes)
        }
        let tests = CDNLogTests()
        let (ref, expected) = try tests.ingest(requests.map(CDNLogTests.nginx), name: "nginx.log")
        let (got, rows) = try tests.ingest(fastly + ["garbage"], name: "fastly.log")
        #expect(got.segmentRequests == ref.segmentRequests && rows == expected && got.skipped["malformed line"] == 1)
    }
}
