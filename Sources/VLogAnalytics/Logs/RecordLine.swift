import Foundation
import VLogSupport

/// Log formats read record by record into the fields vlog needs (time, method, URI, status, client
/// address, user agent, viewer cookie), rather than by an nginx `log_format` pattern: Caddy's JSON,
/// the W3C extended format (CloudFront standard logs and IIS, laid out by their `#Fields:` line),
/// Cloudflare Logpush `http_requests` (NDJSON) and Bunny CDN's pipe-separated lines. Each goes
/// through the same resolver, bot filter and viewer keys as an nginx line.
public enum RecordFormat: Sendable, Equatable {
    case caddy
    /// W3C extended: the field names of the `#Fields:` line, and whether values are separated by
    /// tabs (CloudFront) or spaces (IIS).
    case w3c(fields: [String], tabs: Bool)
    case cloudflare
    /// CloudFront standard logging v2 delivered as JSON: one object per line, keyed by the W3C
    /// field names (`date`, `time` or `timestamp`, `c-ip`, `cs-uri-stem`, ...).
    case cloudfrontJSON
    case bunny
    /// Google Cloud Storage usage logs: CSV, every value quoted, the field names in the first line.
    case gcs(fields: [String])

    public var name: String {
        switch self {
        case .caddy: "caddy"
        case .w3c(let fields, let tabs): tabs && fields.contains("x-edge-location") ? "cloudfront" : "w3c"
        case .cloudflare: "cloudflare"
        case .cloudfrontJSON: "cloudfront-json"
        case .bunny: "bunny"
        case .gcs: "gcs"
        }
    }

    func parse(_ line: UnsafeBufferPointer<UInt8>) -> RecordLine? {
        switch self {
        case .caddy: CaddyLine.parse(line)
        case .w3c(let fields, let tabs): RecordLine.w3c(line, fields: fields, tabs: tabs)
        case .cloudflare: RecordLine.cloudflare(line)
        case .cloudfrontJSON: RecordLine.cloudfrontJSON(line)
        case .bunny: RecordLine.bunny(line)
        case .gcs(let fields): RecordLine.gcs(line, fields: fields)
        }
    }

    /// A header line rather than a request: W3C's `#` lines, the CSV's field names.
    func isHeader(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        if line.first == UInt8(ascii: "#") { return true }
        if case .gcs = self { return line.starts(with: Array(#""time_micros""#.utf8)) }
        return false
    }

    /// A GCS usage log, by its header line.
    static func gcs(head: [UInt8]) -> RecordFormat? {
        guard let first = head.split(separator: 10).first, first.starts(with: Array(#""time_micros""#.utf8)) else {
            return nil
        }
        let fields = RecordLine.csv(String(decoding: first, as: UTF8.self))
        return fields.contains("cs_uri") ? .gcs(fields: fields) : nil
    }

    /// The W3C layout named by the `#Fields:` line among `head`'s first lines, if there is one.
    static func w3c(head: [UInt8]) -> RecordFormat? {
        let lines = head.split(separator: 10).prefix(20).map { String(decoding: $0, as: UTF8.self) }
        guard let header = lines.first(where: { $0.hasPrefix("#Fields:") }) else { return nil }
        let fields = header.dropFirst("#Fields:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            .map { $0.lowercased() }
        guard fields.contains("cs-uri-stem"), fields.contains("date") || fields.contains("time") else { return nil }
        let data = lines.first { !$0.hasPrefix("#") && !$0.isEmpty }
        return .w3c(fields: fields, tabs: data?.contains("\t") ?? true)
    }
}

/// One request, whatever the log it came from.
struct RecordLine {
    var time: Double
    var method: String
    var uri: String
    var status: Int
    var addr: String
    var ua: String
    var cookie: String

    init(time: Double, method: String, uri: String, status: Int, addr: String, ua: String, cookie: String) {
        (self.time, self.method, self.uri, self.status) = (time, method, uri, status)
        (self.addr, self.ua, self.cookie) = (addr, ua, cookie)
    }

    /// `vlog_viewer` out of a Cookie header.
    static func viewerCookie(_ header: String) -> String {
        for part in header.split(separator: ";") {
            let kv = part.trimmingCharacters(in: .whitespaces)
            if kv.hasPrefix("vlog_viewer=") { return String(kv.dropFirst("vlog_viewer=".count)) }
        }
        return ""
    }

    /// A W3C extended line (`date time ... cs-uri-stem ...` as the `#Fields:` line says).
    /// CloudFront percent-encodes the user agent; IIS writes its spaces as `+`.
    static func w3c(_ line: UnsafeBufferPointer<UInt8>, fields: [String], tabs: Bool) -> RecordLine? {
        guard let first = line.first, first != UInt8(ascii: "#") else { return nil }
        let values = String(decoding: line, as: UTF8.self).split(
            separator: tabs ? "\t" : " ", omittingEmptySubsequences: false)
        guard values.count == fields.count else { return nil }
        var v: [String: String] = [:]
        for (k, value) in zip(fields, values) { v[k] = String(value) }
        return w3c(v, plusIsSpace: !tabs)
    }

    /// A W3C record as field name -> value (`-`: none).
    static func w3c(_ v: [String: String], plusIsSpace: Bool) -> RecordLine? {
        func field(_ k: String) -> String? {
            guard let s = v[k], s != "-", !s.isEmpty else { return nil }
            return s
        }
        let time: Double
        if let date = field("date"), let clock = field("time"),
            let t = DBDate.parse("\(date)T\(clock)Z")?.timeIntervalSince1970
        {
            time = t
        } else if let ms = field("timestamp(ms)").flatMap({ Double($0) }) {
            time = ms / 1000
        } else if let stamp = field("timestamp").flatMap({ Double($0) }) {
            time = stamp > 1e11 ? stamp / 1000 : stamp
        } else {
            return nil
        }
        guard let stem = field("cs-uri-stem"), let status = field("sc-status").flatMap({ Int($0) }) else { return nil }
        let query = field("cs-uri-query").map { "?" + $0 } ?? ""
        func decoded(_ s: String?) -> String {
            guard let s else { return "" }
            let spaced = plusIsSpace ? s.replacingOccurrences(of: "+", with: " ") : s
            return spaced.removingPercentEncoding ?? spaced
        }
        let forwarded = field("x-forwarded-for").flatMap { $0.split(separator: ",").first.map(String.init) }
        return RecordLine(
            time: time, method: field("cs-method") ?? "GET", uri: stem + query, status: status,
            addr: forwarded ?? field("c-ip") ?? "", ua: decoded(field("cs(user-agent)")),
            cookie: viewerCookie(decoded(field("cs(cookie)"))))
    }

    /// CloudFront standard logging v2 in JSON: the W3C fields as keys (numbers allowed as values).
    static func cloudfrontJSON(_ line: UnsafeBufferPointer<UInt8>) -> RecordLine? {
        guard let first = line.first(where: { $0 != 32 }), first == UInt8(ascii: "{"),
            let obj = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], obj["cs-uri-stem"] != nil
        else { return nil }
        var v: [String: String] = [:]
        for (k, value) in obj {
            if let s = value as? String {
                v[k.lowercased()] = s
            } else if let n = value as? NSNumber {
                v[k.lowercased()] = n.stringValue
            }
        }
        return w3c(v, plusIsSpace: false)
    }

    /// A Cloudflare Logpush `http_requests` record (one JSON object per line).
    static func cloudflare(_ line: UnsafeBufferPointer<UInt8>) -> RecordLine? {
        guard let first = line.first(where: { $0 != 32 }), first == UInt8(ascii: "{"),
            let obj = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
            let uri = obj["ClientRequestURI"] as? String, let start = obj["EdgeStartTimestamp"]
        else { return nil }
        let time: Double
        if let n = (start as? NSNumber)?.doubleValue {
            // Logpush's timestamp options: unixnano (the default), unix, or RFC 3339 (below).
            time = n > 1e17 ? n / 1e9 : n > 1e14 ? n / 1e6 : n > 1e11 ? n / 1e3 : n
        } else if let s = start as? String, let d = DBDate.parse(s) {
            time = d.timeIntervalSince1970
        } else {
            return nil
        }
        return RecordLine(
            time: time, method: obj["ClientRequestMethod"] as? String ?? "GET", uri: uri,
            status: (obj["EdgeResponseStatus"] as? NSNumber)?.intValue ?? 0, addr: obj["ClientIP"] as? String ?? "",
            ua: obj["ClientRequestUserAgent"] as? String ?? "",
            cookie: viewerCookie(obj["RequestHeaders"].flatMap { ($0 as? [String: Any])?["cookie"] as? String } ?? ""))
    }

    /// A Bunny CDN line: `cache|status|epoch ms|bytes|zone|ip|referer|url|edge|user agent|id|country`
    /// (IPs masked by default: the last octet 0). Every request is a GET.
    static func bunny(_ line: UnsafeBufferPointer<UInt8>) -> RecordLine? {
        let f = String(decoding: line, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false)
        guard f.count >= 10, let status = Int(f[1]), let ms = Double(f[2]), ms > 1e11,
            let url = URLComponents(string: String(f[7])), !url.percentEncodedPath.isEmpty
        else { return nil }
        let uri = url.percentEncodedPath + (url.percentEncodedQuery.map { "?" + $0 } ?? "")
        return RecordLine(
            time: ms / 1000, method: "GET", uri: uri, status: status, addr: String(f[5]), ua: String(f[9]), cookie: "")
    }

    /// The values of a CSV line (quotes around values, `""` inside them).
    static func csv(_ line: String) -> [String] {
        var out: [String] = []
        var cur = ""
        var quoted = false
        var chars = line.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? chars.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let n = chars.next() {
                        if n == "\"" {
                            cur.append("\"")
                        } else {
                            quoted = false
                            pending = n
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    cur.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                out.append(cur)
                cur = ""
            } else if c != "\r" {
                cur.append(c)
            }
        }
        out.append(cur)
        return out
    }

    /// A Google Cloud Storage usage log line: `time_micros`, `c_ip`, `cs_method`, `cs_uri`,
    /// `sc_status`, `cs_user_agent` by the header's names. An object name in the JSON API's form
    /// (`/download/storage/v1/b/BUCKET/o/v%2Fslug%2F720p_0001.m4s`) is read with its slashes.
    static func gcs(_ line: UnsafeBufferPointer<UInt8>, fields: [String]) -> RecordLine? {
        let values = csv(String(decoding: line, as: UTF8.self))
        guard values.count == fields.count else { return nil }
        var v: [String: String] = [:]
        for (k, value) in zip(fields, values) { v[k] = value }
        guard let micros = v["time_micros"].flatMap(Double.init), let uri = v["cs_uri"], uri.hasPrefix("/"),
            let status = v["sc_status"].flatMap({ Int($0) })
        else { return nil }
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0]).replacingOccurrences(of: "%2F", with: "/", options: .caseInsensitive)
        return RecordLine(
            time: micros / 1e6, method: v["cs_method"] ?? "GET", uri: path + (parts.count > 1 ? "?" + parts[1] : ""),
            status: status, addr: v["c_ip"] ?? "", ua: v["cs_user_agent"] ?? "", cookie: "")
    }
}
