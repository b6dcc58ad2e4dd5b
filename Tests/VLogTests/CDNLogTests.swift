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

    /// CloudFront standard logging v2 as JSON: an object per line keyed by the W3C field names,
    /// `timestamp(ms)` instead of date and time, the user agent percent-encoded.
    static func cloudfrontJSON(_ rs: [Request]) throws -> [String] {
        try rs.map { r in
            let parts = r.uri.split(separator: "?", maxSplits: 1).map(String.init)
            let obj: [String: Any] = [
                "timestamp(ms)": Int64(r.time * 1000), "x-edge-location": "FRA56-P1", "c-ip": r.ip,
                "cs-method": r.method,
                "cs-uri-stem": parts[0], "cs-uri-query": parts.count > 1 ? parts[1] : "-", "sc-status": r.status,
                "cs(User-Agent)": r.ua.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? r.ua,
                "cs(Cookie)": r.cookie.isEmpty ? "-" : "vlog_viewer=\(r.cookie)", "x-edge-result-type": "Hit",
                "sc-range-start": "-", "sc-range-end": "-",
            ]
            return String(
                decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self)
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

    static func clf(_ r: Request) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "dd/MMM/yyyy:HH:mm:ss"
        return "[\(f.string(from: Date(timeIntervalSince1970: r.time))) +0000]"
    }

    /// Amazon S3 server access log (the bucket's name begins the path).
    static func s3(_ rs: [Request]) -> [String] {
        rs.map { r in
            let key = String(r.uri.split(separator: "?")[0].dropFirst())
            return
                "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be vlog-media \(clf(r)) \(r.ip) - 3E57427F3EXAMPLE REST.GET.OBJECT \(key) \"\(r.method) /vlog-media\(r.uri) HTTP/1.1\" \(r.status) - \(r.bytes) \(r.bytes) 7 6 \"-\" \"\(r.ua)\" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader vlog-media.s3.us-west-1.amazonaws.com TLSv1.2 - -"
        }
    }

    /// Google Cloud Storage usage log: CSV with its header; object names in the JSON API's form.
    static func gcs(_ rs: [Request]) -> [String] {
        let header =
            #""time_micros","c_ip","c_ip_type","c_ip_region","cs_method","cs_uri","sc_status","cs_bytes","sc_bytes","time_taken_micros","cs_host","cs_referer","cs_user_agent","s_request_id","cs_operation","cs_bucket","cs_object""#
        return [header]
            + rs.map { r in
                let parts = r.uri.split(separator: "?", maxSplits: 1)
                let object = String(parts[0].dropFirst())
                let uri =
                    "/download/storage/v1/b/vlog-media/o/"
                    + object.replacingOccurrences(of: "/", with: "%2F") + "?alt=media"
                    + (parts.count > 1 ? "&" + parts[1] : "")
                return [
                    "\(Int64(r.time) * 1_000_000)", r.ip, "1", "", r.method, uri, "\(r.status)", "0", r.bytes, "2000",
                    "storage.googleapis.com", "", r.ua, "ADPycdtc", "GET_Object", "vlog-media", object,
                ].map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ",")
            }
    }

    /// Traefik's CLF access log: combined, then request count, router, server URL and duration.
    static func traefik(_ r: Request) -> String {
        "\(r.ip) - - \(clf(r)) \"\(r.method) \(r.uri) HTTP/2.0\" \(r.status) \(r.bytes) \"-\" \"\(r.ua)\" 1041 \"vlog@file\" \"http://10.0.0.2:80\" 3ms"
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

        let (cj, cjRows) = try ingest(try Self.cloudfrontJSON(requests) + [garbage], name: "cloudfront-v2.json")
        #expect(
            cj.format == "cloudfront-json" && cj.segmentRequests == ref.segmentRequests, "\(cj.format) \(cj.skipped)")
        #expect(cj.skipped["malformed line"] == 1 && cjRows == expected, "CloudFront v2 JSON: the same sessions")

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

        // S3, GCS and Traefik carry the address and no cookie: graded against an nginx log of the same.
        let plain = requests.map { r -> Request in
            var m = r
            m.cookie = ""
            return m
        }
        let (_, plainRows) = try ingest(plain.map(Self.nginx), name: "plain.log", identity: "anonymous")
        #expect(plainRows.count > 40)
        let (s3, s3Rows) = try ingest(
            Self.s3(plain) + [garbage], name: "2026-12-05-10-00-00-ABC", identity: "anonymous")
        #expect(s3.format == "s3" && s3.segmentRequests == ref.segmentRequests, "\(s3.format) \(s3.skipped)")
        #expect(s3.skipped["malformed line"] == 1 && s3Rows == plainRows, "S3: the same sessions")
        let (gc, gcRows) = try ingest(Self.gcs(plain) + [garbage], name: "usage_2026_12_05", identity: "anonymous")
        #expect(gc.format == "gcs" && gc.segmentRequests == ref.segmentRequests, "\(gc.format) \(gc.skipped)")
        #expect(gc.skipped["header line"] == 1 && gc.skipped["malformed line"] == 1 && gcRows == plainRows, "GCS")
        let (tr, trRows) = try ingest(plain.map(Self.traefik) + [garbage], name: "traefik.log", identity: "anonymous")
        #expect(
            tr.segmentRequests == ref.segmentRequests && trRows == plainRows, "Traefik (\(tr.format)): \(tr.skipped)")
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

extension CDNLogTests {
    /// A media request with CMCD in its query is the same segment request.
    @Test func cmcdQueriesDoNotHideTheSegment() throws {
        let (_, specs) = try analyticsSite([300, 600])
        var gen = TrafficGenerator(videos: specs, seed: 9)
        let (lines, _) = gen.traffic(sessions: 20, start: day0, days: 0.1, noise: false)
        // No `sid` (a viewer under Global Privacy Control): the requests are plain segment requests.
        let cmcd = "?CMCD=bl%3D21300%2Cbr%3D2800%2Cot%3Dav"
        let withQuery = lines.map { $0.replacingOccurrences(of: ".m4s HTTP", with: ".m4s\(cmcd) HTTP") }
        #expect(withQuery != lines)
        let (plain, plainRows) = try ingest(lines, name: "plain.log")
        let (q, qRows) = try ingest(withQuery, name: "cmcd.log")
        #expect(q.segmentRequests == plain.segmentRequests && qRows == plainRows)
    }
}
