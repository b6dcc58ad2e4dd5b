import Foundation
import Testing

@testable import VLogAnalytics
@testable import VLogContent
@testable import VLogStore
@testable import VLogSupport

/// CDN and cloud log formats, each written from the vendor's published field layout and holding
/// the same traffic as an nginx log: detected by themselves, they ingest to the same sessions as
/// the nginx log, and a malformed line of each is counted and skipped.
@Suite struct CDNLogTests {
    /// One generated nginx line (combined + `vlog_viewer` cookie), taken apart.
    struct Request {
        var ip, method, uri, ua, cookie: String
        var status: Int
        var time: Double
        var bytes: String
    }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func parse(_ line: String) -> Request? {
        let re =
            #/^(\S+) - \S+ \[(\d+)/(\w+)/(\d+):(\d+):(\d+):(\d+) \+0000\] "(\S+) (\S+) [^"]*" (\d+) (\S+) "[^"]*" "([^"]*)" "([^"]*)"$/#
        guard let m = line.wholeMatch(of: re), let month = months.firstIndex(of: String(m.3)) else { return nil }
        var c = DateComponents()
        (c.year, c.month, c.day) = (Int(m.4), month + 1, Int(m.2))
        (c.hour, c.minute, c.second) = (Int(m.5), Int(m.6), Int(m.7))
        c.timeZone = TimeZone(identifier: "UTC")
        guard let date = Calendar(identifier: .gregorian).date(from: c) else { return nil }
        return Request(
            ip: String(m.1), method: String(m.8), uri: String(m.9), ua: String(m.12),
            cookie: m.13 == "-" ? "" : String(m.13), status: Int(m.10)!, time: date.timeIntervalSince1970,
            bytes: String(m.11))
    }

    static func nginx(_ r: Request) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "dd/MMM/yyyy:HH:mm:ss"
        let when = f.string(from: Date(timeIntervalSince1970: r.time))
        return
            "\(r.ip) - - [\(when) +0000] \"\(r.method) \(r.uri) HTTP/1.1\" \(r.status) \(r.bytes) \"-\" \"\(r.ua)\" \"\(r.cookie.isEmpty ? "-" : r.cookie)\""
    }

    /// CloudFront standard log (legacy), all 33 fields, tab-separated, user agent percent-encoded.
    static func cloudfront(_ rs: [Request]) -> [String] {
        let fields =
            "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end"
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.timeZone = TimeZone(identifier: "UTC")
        day.dateFormat = "yyyy-MM-dd\tHH:mm:ss"
        let encode = { (s: String) in s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }
        return ["#Version: 1.0", "#Fields: " + fields]
            + rs.map { r in
                let parts = r.uri.split(separator: "?", maxSplits: 1).map(String.init)
                return [
                    day.string(from: Date(timeIntervalSince1970: r.time)), "FRA56-P1", r.bytes, r.ip, r.method,
                    "d111111abcdef8.cloudfront.net", parts[0], "\(r.status)", "-", encode(r.ua),
                    parts.count > 1 ? parts[1] : "-", r.cookie.isEmpty ? "-" : "vlog_viewer=\(r.cookie)", "Hit",
                    "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==", "videos.example.org", "https", "140",
                    "0.002", "-", "TLSv1.3", "TLS_AES_128_GCM_SHA256", "Hit", "HTTP/2.0", "-", "-", "11040", "0.002",
                    "Hit", "video/iso.segment", r.bytes, "-", "-",
                ].joined(separator: "\t")
            }
    }

    /// Cloudflare Logpush `http_requests`, NDJSON, EdgeStartTimestamp in nanoseconds (the default).
    static func cloudflare(_ rs: [Request]) throws -> [String] {
        try rs.map { r in
            var o: [String: Any] = [
                "ClientIP": r.ip, "ClientRequestHost": "videos.example.org", "ClientRequestMethod": r.method,
                "ClientRequestURI": r.uri, "ClientRequestUserAgent": r.ua, "EdgeResponseStatus": r.status,
                "EdgeStartTimestamp": Int64(r.time) * 1_000_000_000, "CacheCacheStatus": "hit",
                "EdgeResponseBytes": Int(r.bytes) ?? 0, "RayID": "8c0b1f2a3d4e5f60",
            ]
            if !r.cookie.isEmpty { o["RequestHeaders"] = ["cookie": "vlog_viewer=\(r.cookie)"] }
            return String(
                decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
        }
    }

    /// Bunny CDN: `cache|status|epoch ms|bytes|zone|ip|referer|url|edge|user agent|request id|country`.
    static func bunny(_ rs: [Request]) -> [String] {
        rs.map { r in
            [
                "HIT", "\(r.status)", "\(Int64(r.time) * 1000)", r.bytes, "1234567", r.ip, "-",
                "https://vlog.b-cdn.net\(r.uri)", "DE", r.ua, "9f2c4b1d0e8a7c6b5a4f3e2d1c0b9a8f", "DE",
            ].joined(separator: "|")
        }
    }

    /// Sessions without their token (keyed by a salt of each site's own when there is no cookie).
    func rows(_ db: SQLiteConnection) throws -> [String] {
        try sessionRows(db).map { "\($0.video) \($0.watched) \($0.maxPos) \($0.completed) \($0.quality ?? "-")" }
            .sorted()
    }

    func ingest(_ lines: [String], name: String, identity: String = "cookie") throws -> (IngestSummary, [String]) {
        let (t, _) = try analyticsSite([300, 600], identity: identity)
        let log = t.tmp.url.appendingPathComponent(name)
        try writeLog(lines, to: log)
        let s = try Ingester(site: t.site).run(inputs: [log.path])
        return (s, try rows(t.store.db))
    }

    @Test func cdnLogsIngestToTheSameSessionsAsTheNginxLog() throws {
        let (_, specs) = try analyticsSite([300, 600])
        var gen = TrafficGenerator(videos: specs, seed: 31)
        let (lines, _) = gen.traffic(sessions: 80, start: day0, days: 0.3, noise: false)
        let requests = lines.compactMap(Self.parse)
        #expect(requests.count == lines.count && requests.count > 500, "\(requests.count) of \(lines.count) lines")
        let (ref, expected) = try ingest(requests.map(Self.nginx), name: "nginx.log")
        #expect(ref.sessionsNew > 40, "\(ref.sessionsNew) sessions")
        let garbage = "this line is not a request"

        let (cf, cfRows) = try ingest(Self.cloudfront(requests) + [garbage], name: "E2Q.2026-12-05-10.a1b2c3")
        #expect(cf.format == "cloudfront" && cf.segmentRequests == ref.segmentRequests, "\(cf.format) \(cf.skipped)")
        #expect(cf.skipped["header line"] == 2 && cf.skipped["malformed line"] == 1, "\(cf.skipped)")
        #expect(cfRows == expected, "CloudFront: the same sessions")

        let (cl, clRows) = try ingest(try Self.cloudflare(requests) + [garbage], name: "20261205T100000Z.log")
        #expect(cl.format == "cloudflare" && cl.segmentRequests == ref.segmentRequests, "\(cl.format) \(cl.skipped)")
        #expect(cl.skipped["malformed line"] == 1 && clRows == expected, "Cloudflare: the same sessions")

        // Bunny masks the last octet and carries no cookie: graded against an nginx log of the same.
        let masked = requests.map { r -> Request in
            var m = r
            m.ip = r.ip.split(separator: ".").prefix(3).joined(separator: ".") + ".0"
            m.cookie = ""
            return m
        }
        let (_, maskedRows) = try ingest(masked.map(Self.nginx), name: "masked.log", identity: "anonymous")
        let (bn, bnRows) = try ingest(Self.bunny(masked) + [garbage], name: "bunny.log", identity: "anonymous")
        #expect(bn.format == "bunny" && bn.segmentRequests == ref.segmentRequests, "\(bn.format) \(bn.skipped)")
        #expect(bn.skipped["malformed line"] == 1 && bnRows == maskedRows, "Bunny: the same sessions")
    }

    /// IIS writes W3C extended lines separated by spaces, its user agent's spaces as `+`.
    @Test func iisW3CLinesAreReadByTheirFieldsLine() throws {
        let (t, _) = try analyticsSite([300])
        let log = t.tmp.url.appendingPathComponent("u_ex261205.log")
        let ua = "Mozilla/5.0+(X11;+Linux+x86_64;+rv:133.0)+Gecko/20100101+Firefox/133.0"
        var lines = [
            "#Software: Microsoft Internet Information Services 10.0", "#Version: 1.0", "#Date: 2025-11-24 16:00:00",
            "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken",
        ]
        for k in 0..<10 {
            lines.append(
                "2025-11-24 16:00:\(String(format: "%02d", k * 6)) 10.0.0.5 GET /v/video-0/480p_\(String(format: "%04d", k)).m4s - 443 - 203.0.113.9 \(ua) - 200 0 0 12"
            )
        }
        lines.append("2025-11-24 16:01:00 10.0.0.5 GET broken")
        try writeLog(lines, to: log)
        let s = try Ingester(site: t.site).run(inputs: [log.path])
        #expect(s.format == "w3c" && s.segmentRequests == 10 && s.skipped["malformed line"] == 1, "\(s)")
        #expect(try sessionRows(t.store.db).count == 1)
    }
}
