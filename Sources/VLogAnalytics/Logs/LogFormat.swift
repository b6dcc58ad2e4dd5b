import Foundation
import VLogSupport

/// The fields vlog reads from an access log line.
public enum LogField: String, Sendable {
    case remoteAddr = "remote_addr"
    case remoteUser = "remote_user"
    case timeLocal = "time_local"
    case timeISO = "time_iso8601"
    case request
    case method = "request_method"
    case uri = "request_uri"
    case status
    case bytes = "body_bytes_sent"
    case referer = "http_referer"
    case userAgent = "http_user_agent"
    case viewerCookie = "cookie_vlog_viewer"
    case forwardedFor = "http_x_forwarded_for"
    case requestTime = "request_time"
    case other
}

/// A line format: literals and fields, as an nginx `log_format` string spells it. `combined`,
/// `common` and `combined + "$cookie_vlog_viewer"` are presets; Apache's combined/common lines
/// are the same shape. Caddy's JSON log is handled separately.
public struct LogFormat: Sendable, Equatable {
    public struct Token: Sendable, Equatable {
        public var literal: [UInt8]
        public var field: LogField?
    }
    public let name: String
    public let tokens: [Token]
    /// Read record by record (Caddy JSON, W3C/CloudFront, Cloudflare, Bunny) instead of by tokens.
    public let record: RecordFormat?
    public var isCaddyJSON: Bool { record == .caddy }
    /// Whether lines carry a user agent (common format does not).
    public let hasUserAgent: Bool
    /// The tokens as plain values over one buffer of literal bytes, for `parse`: reading the
    /// tokens' arrays retained and released each of them for every field of every line (a tenth of
    /// the classifier's time).
    struct Step: Sendable, Equatable {
        var literalStart: Int
        var literalCount: Int
        var field: LogField?
        /// The field is inside quotes (its literal ends with one).
        var quoted: Bool
        /// The first byte of the next literal (0: none), and whether there is no next literal.
        var stop: UInt8
        var nextEmpty: Bool
    }
    let steps: [Step]
    let literals: [UInt8]
    let hasStatus: Bool

    init(name: String, tokens: [Token], record: RecordFormat? = nil) {
        self.name = name
        self.tokens = tokens
        self.record = record
        hasUserAgent = record != nil || tokens.contains { $0.field == .userAgent }
        var literals: [UInt8] = []
        var steps: [Step] = []
        for (k, t) in tokens.enumerated() {
            let next = k + 1 < tokens.count ? tokens[k + 1].literal : []
            steps.append(
                Step(
                    literalStart: literals.count, literalCount: t.literal.count, field: t.field,
                    quoted: t.literal.last == UInt8(ascii: "\""), stop: next.first ?? 0, nextEmpty: next.isEmpty))
            literals += t.literal
        }
        self.steps = steps
        self.literals = literals
        hasStatus = tokens.contains { $0.field == .status }
    }

    /// A format read record by record.
    public static func records(_ r: RecordFormat) -> LogFormat { LogFormat(name: r.name, tokens: [], record: r) }

    public static let combinedSpec =
        #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#
    public static let commonSpec = #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent"#
    public static let combined = try! nginx(combinedSpec, name: "combined")
    public static let common = try! nginx(commonSpec, name: "common")
    public static let combinedCookie = try! nginx(combinedSpec + #" "$cookie_vlog_viewer""#, name: "combined+cookie")
    public static let caddy = records(.caddy)
    public static let cloudflare = records(.cloudflare)
    public static let cloudfrontJSON = records(.cloudfrontJSON)
    public static let bunny = records(.bunny)
    /// Amazon S3 server access logs (bucket owner, bucket, time, IP, ... "request", status, ...).
    public static let s3 = try! nginx(
        #"$bucket_owner $bucket [$time_local] $remote_addr $requester $request_id $operation $key "$request" $status $error_code $bytes_sent $object_size $total_time $turn_around "$http_referer" "$http_user_agent""#,
        name: "s3")

    /// Compiles an nginx `log_format` string (quotes around the whole string are allowed).
    public static func nginx(_ spec: String, name: String = "custom") throws -> LogFormat {
        var s = spec.trimmingCharacters(in: .whitespaces)
        if s.count >= 2, let f = s.first, f == "'" || f == "\"", s.last == f { s = String(s.dropFirst().dropLast()) }
        var tokens: [Token] = []
        var literal: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "$") {
                var j = i + 1
                let braced = j < b.count && b[j] == UInt8(ascii: "{")
                if braced { j += 1 }
                let start = j
                while j < b.count,
                    b[j] == 95 || (b[j] >= 48 && b[j] <= 57) || (b[j] >= 97 && b[j] <= 122)
                        || (b[j] >= 65 && b[j] <= 90)
                { j += 1 }
                let varName = String(decoding: b[start..<j], as: UTF8.self)
                if braced { j += 1 }
                guard !varName.isEmpty else {
                    throw VLogError.config("log format: `$` without a variable name in \(spec)")
                }
                if let last = tokens.last, last.literal.isEmpty, literal.isEmpty {
                    throw VLogError.config(
                        "log format: $\(tokens.count > 0 ? "\(last.field?.rawValue ?? "?")" : "") and $\(varName) have nothing between them, so they cannot be told apart"
                    )
                }
                tokens.append(Token(literal: literal, field: LogField(rawValue: varName.lowercased()) ?? .other))
                literal = []
                i = j
            } else {
                literal.append(b[i])
                i += 1
            }
        }
        if !literal.isEmpty { tokens.append(Token(literal: literal, field: nil)) }
        let fields = tokens.compactMap(\.field)
        guard fields.contains(.timeLocal) || fields.contains(.timeISO) else {
            throw VLogError.config("log format needs $time_local or $time_iso8601: \(spec)")
        }
        guard fields.contains(.request) || fields.contains(.uri) else {
            throw VLogError.config("log format needs $request or $request_uri: \(spec)")
        }
        return LogFormat(name: name, tokens: tokens)
    }

    /// `auto`, `combined`, `common`, `caddy`, or an nginx log_format string.
    public static func named(_ s: String) throws -> LogFormat? {
        switch s.lowercased() {
        case "auto", "": return nil
        case "combined": return combined
        case "common": return common
        case "combined+cookie", "vlog": return combinedCookie
        case "caddy", "json": return caddy
        case "cloudflare": return cloudflare
        case "cloudfront-json": return cloudfrontJSON
        case "bunny": return bunny
        case "s3": return s3
        default: return try nginx(s)
        }
    }
}

/// Byte ranges of one parsed line (into the line's buffer).
public struct ParsedLine {
    public var addr = 0..<0, user = 0..<0, time = 0..<0, method = 0..<0, uri = 0..<0
    public var status = 0, ua = 0..<0, cookie = 0..<0, forwarded = 0..<0
    public var timeIsISO = false
}

extension LogFormat {
    /// Matches a line; nil when it does not fit the format.
    public func parse(_ line: UnsafeBufferPointer<UInt8>) -> ParsedLine? {
        steps.withUnsafeBufferPointer { steps in
            literals.withUnsafeBufferPointer { literals in parse(line, steps, literals) }
        }
    }

    private func parse(
        _ line: UnsafeBufferPointer<UInt8>, _ steps: UnsafeBufferPointer<Step>, _ literals: UnsafeBufferPointer<UInt8>
    ) -> ParsedLine? {
        var p = ParsedLine()
        var pos = 0
        let n = line.count
        var sawStatus = false
        for t in steps {
            // The literal before the field.
            if t.literalCount > 0 {
                guard pos + t.literalCount <= n else { return nil }
                for j in 0..<t.literalCount where line[pos + j] != literals[t.literalStart + j] { return nil }
                pos += t.literalCount
            }
            guard let field = t.field else { continue }
            var endPos = n
            if t.quoted {
                // Up to the closing quote; \" (Apache) inside is part of the value.
                var j = pos
                while true {
                    guard j < n, let q = memchr(line.baseAddress! + j, 34, n - j) else {
                        j = n
                        break
                    }
                    let at = line.baseAddress!.distance(to: q.assumingMemoryBound(to: UInt8.self))
                    // Escaped when preceded by an odd number of backslashes.
                    var k = at - 1
                    var slashes = 0
                    while k >= pos, line[k] == 92 {
                        slashes += 1
                        k -= 1
                    }
                    if slashes % 2 == 0 {
                        j = at
                        break
                    }
                    j = at + 1
                }
                guard j < n || t.nextEmpty else { return nil }
                endPos = min(j, n)
            } else if !t.nextEmpty {
                guard pos < n, let q = memchr(line.baseAddress! + pos, Int32(t.stop), n - pos) else { return nil }
                endPos = line.baseAddress!.distance(to: q.assumingMemoryBound(to: UInt8.self))
            } else {
                var j = pos
                while j < n, line[j] != 32 { j += 1 }
                endPos = j
            }
            let r = pos..<endPos
            switch field {
            case .remoteAddr: p.addr = r
            case .remoteUser: p.user = r
            case .timeLocal: p.time = r
            case .timeISO:
                p.time = r
                p.timeIsISO = true
            case .request:
                // METHOD SP URI SP PROTOCOL
                var a = r.lowerBound
                while a < r.upperBound, line[a] != 32 { a += 1 }
                p.method = r.lowerBound..<a
                var b = a + 1
                while b < r.upperBound, line[b] != 32 { b += 1 }
                p.uri = min(a + 1, r.upperBound)..<b
            case .method: p.method = r
            case .uri: p.uri = r
            case .status:
                var v = 0
                guard r.count == 3 else { return nil }
                for j in r {
                    let d = Int(line[j]) - 48
                    guard d >= 0 && d <= 9 else { return nil }
                    v = v * 10 + d
                }
                p.status = v
                sawStatus = true
            case .userAgent: p.ua = r
            case .viewerCookie: p.cookie = r
            case .forwardedFor: p.forwarded = r
            case .bytes, .referer, .requestTime, .other: break
            }
            pos = endPos
        }
        guard sawStatus || !hasStatus, !p.addr.isEmpty, !p.time.isEmpty else {
            return nil
        }
        return p
    }
}

/// Parses `25/Nov/2026:08:49:18 +0000` into seconds since 1970, without allocating.
public enum LogTime {
    public static func parseLocal(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Double? {
        guard r.count >= 26 else { return nil }
        let s = r.lowerBound
        func num(_ at: Int, _ len: Int) -> Int? {
            var v = 0
            for j in at..<(at + len) {
                let d = Int(b[j]) - 48
                guard d >= 0 && d <= 9 else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard let day = num(s, 2), let year = num(s + 7, 4), let hh = num(s + 12, 2), let mm = num(s + 15, 2),
            let ss = num(s + 18, 2), let oh = num(s + 22, 2), let om = num(s + 24, 2)
        else { return nil }
        let m0 = b[s + 3] | 0x20
        let m1 = b[s + 4] | 0x20
        let m2 = b[s + 5] | 0x20
        let month: Int
        switch (m0, m1, m2) {
        case (106, 97, 110): month = 1
        case (102, 101, 98): month = 2
        case (109, 97, 114): month = 3
        case (97, 112, 114): month = 4
        case (109, 97, 121): month = 5
        case (106, 117, 110): month = 6
        case (106, 117, 108): month = 7
        case (97, 117, 103): month = 8
        case (115, 101, 112): month = 9
        case (111, 99, 116): month = 10
        case (110, 111, 118): month = 11
        case (100, 101, 99): month = 12
        default: return nil
        }
        guard (1...31).contains(day), hh < 24, mm < 60, ss < 61 else { return nil }
        let sign = b[s + 21] == UInt8(ascii: "-") ? -1 : 1
        let days = daysFromCivil(year, month, day)
        return Double(days * 86400 + hh * 3600 + mm * 60 + ss - sign * (oh * 3600 + om * 60))
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
