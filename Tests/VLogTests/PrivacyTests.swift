import Foundation
import Testing

@testable import VLogAnalytics
@testable import VLogConfig
@testable import VLogContent
@testable import VLogSite
@testable import VLogStore

/// Viewer identity: anonymous by default (no cookie; a daily-salted hash of IP and user agent, IPv6
/// cut to its /64), the first-party cookie only when the publisher chooses it.
@Suite struct PrivacyTests {
    let ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"

    func line(_ ip: String, _ t: Double, _ seg: Int, cookie: String = "-") -> String {
        "\(ip) - - [\(TrafficGenerator.clf(t))] \"GET /v/video-0/480p_\(String(format: "%04d", seg)).ts HTTP/1.1\" 200 1 \"-\" \"\(ua)\" \"\(cookie)\""
    }

    @Test func theDefaultSetsNoCookie() throws {
        let t = try TestSite()
        #expect(t.site.config.viewerIdentity == "anonymous")
        _ = try insertReadyVideo(t, slug: "v", title: "V")
        _ = try Builder(site: t.site).build()
        #expect(!read(t, "v/v/index.html").contains("data-cookie"))
        let c = try TestSite {
            $0 = $0.replacingOccurrences(of: "viewer_id = \"anonymous\"", with: "viewer_id = \"cookie\"")
        }
        _ = try insertReadyVideo(c, slug: "v", title: "V")
        _ = try Builder(site: c.site).build()
        #expect(read(c, "v/v/index.html").contains("data-cookie"))
    }

    @Test func anonymousViewersIgnoreCookiesAndShareA64() throws {
        let (t, _) = try analyticsSite([600], identity: "anonymous")
        var lines: [String] = []
        // One day (the salt changes at midnight). Same IP and agent, two cookies: one viewer. Two
        // addresses of one IPv6 /64: one viewer.
        for i in 0..<5 {
            lines.append(line("10.1.1.1", day0 + Double(i) * 6, i, cookie: "0123456789abcdef0123456789abcdef"))
        }
        for i in 0..<5 {
            lines.append(line("10.1.1.1", day0 + 7200 + Double(i) * 6, i, cookie: "fedcba9876543210fedcba9876543210"))
        }
        for i in 0..<5 { lines.append(line("2001:db8:1:2:aaaa::1", day0 + 10000 + Double(i) * 6, i)) }
        for i in 0..<5 { lines.append(line("2001:db8:1:2:bbbb::7", day0 + 14000 + Double(i) * 6, i)) }
        for i in 0..<5 { lines.append(line("2001:db8:1:3::1", day0 + 18000 + Double(i) * 6, i)) }
        let log = t.tmp.url.appendingPathComponent("a.log")
        try writeLog(lines, to: log)
        _ = try Ingester(site: t.site).run(inputs: [log.path])
        let perViewer = try t.store.db.query(
            "SELECT viewer_id, COUNT(*) AS n FROM playback_sessions GROUP BY viewer_id ORDER BY n DESC")
        #expect(perViewer.map { $0.int("n") } == [2, 2, 1], "cookie ignored, one /64 is one viewer: \(perViewer)")
        let stored =
            try Data(contentsOf: t.site.databaseURL)
            + ((try? Data(contentsOf: URL(fileURLWithPath: t.site.databaseURL.path + "-wal"))) ?? Data())
        for raw in ["10.1.1.1", "2001:db8", "0123456789abcdef0123456789abcdef"] {
            #expect(stored.range(of: Data(raw.utf8)) == nil, "\(raw) is not stored")
        }
    }

    @Test func aSessionCrossingMidnightStaysOne() throws {
        let (t, _) = try analyticsSite([600], identity: "anonymous")
        let midnight = (day0 / 86400).rounded(.up) * 86400
        let lines = (0..<20).map { line("10.2.2.2", midnight - 60 + Double($0) * 6, $0) }
        let log = t.tmp.url.appendingPathComponent("m.log")
        try writeLog(lines, to: log)
        _ = try Ingester(site: t.site).run(inputs: [log.path])
        #expect(try sessionRows(t.store.db).count == 1)
    }
}
