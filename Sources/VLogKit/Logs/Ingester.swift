import Foundation

/// What an ingest did.
public struct IngestSummary: Sendable {
    public var files: [String] = []
    public var format = ""
    public var linesRead = 0
    public var alreadyIngested = 0
    public var segmentRequests = 0
    public var sessionsNew = 0
    public var sessionsExtended = 0
    public var sessionsWritten = 0
    public var skipped: [String: Int] = [:]
}

/// `vlog ingest`: access logs -> playback_sessions and viewers. Streams its input (memory does not
/// grow with the log), remembers per file where it stopped, and checkpoints in transactions so a
/// killed run, run again, ends with the same rows.
public struct Ingester {
    public let site: Site
    public var format: LogFormat?
    public var checkpointLines = 500_000
    public var progress: (@Sendable (_ fraction: Double, _ lines: Int) -> Void)?

    public init(site: Site, format: LogFormat? = nil) {
        self.site = site
        self.format = format
        if let n = ProcessInfo.processInfo.environment["VLOG_INGEST_CHECKPOINT_LINES"].flatMap(Int.init), n > 0 { checkpointLines = n }
    }

    public func run(inputs: [String]) throws -> IngestSummary {
        let lock = WorkerLock(url: site.root.appendingPathComponent(".vlog-ingest.lock"))
        guard try lock.tryAcquire().acquired else {
            throw VLogError.conflict("another `vlog ingest` is running on this site; run again when it has finished")
        }
        defer { lock.release() }
        let paths = try expand(inputs)
        let db = try site.openDatabase()
        var store = IngestStore(db: db, completionThreshold: site.config.completionThreshold)
        let resolver = try SegmentResolver(site: site, db: db)
        let sessions = Sessionizer(timeout: Double(site.config.sessionTimeoutMinutes * 60),
                                   completionThreshold: site.config.completionThreshold,
                                   durations: resolver.durations, carried: try store.loadOpenSessions())
        let viewers = ViewerKeys(secret: try salt())
        var summary = IngestSummary()
        summary.files = paths
        let configured = try format ?? LogFormat.named(site.config.logFormat)
        var closedWritten = 0
        var maxTime = 0.0

        for path in orderedByFirstTime(paths) {
            let reader = try LineReader(path: path)
            let head = path == "-" ? nil : LineReader.head(path: path)
            let identity = head.map { SHA256.hex($0) }
            let done = try identity.map { try store.fileOffset(identity: $0) } ?? 0
            guard let fmt = try configured ?? detect(path) else {
                summary.skipped["unrecognised log format (pass --format)", default: 0] += 1
                continue
            }
            summary.format = fmt.name
            var consumed: Int64 = 0
            var linesInFile = 0
            var sinceCheckpoint = 0
            func checkpoint() throws {
                let record = identity.map { [(identity: $0, path: path, head: $0, offset: reader.offset, lines: linesInFile)] } ?? []
                closedWritten += try store.checkpoint(closed: sessions.takeClosed(), open: Array(sessions.open.values), files: record)
                sinceCheckpoint = 0
            }
            try reader.forEachLine { item in
                switch item {
                case .incomplete:
                    summary.skipped["last line still being written (read next time)", default: 0] += 1
                    return
                case .tooLong:
                    summary.linesRead += 1
                    summary.skipped["line too long", default: 0] += 1
                    return
                case .line(let line):
                    consumed += Int64(line.count + 1)
                    if consumed <= done { summary.alreadyIngested += 1; return }
                    linesInFile += 1
                    summary.linesRead += 1
                    sinceCheckpoint += 1
                    if let reason = handle(line, fmt, resolver, viewers, sessions, &summary, &maxTime) {
                        summary.skipped[reason, default: 0] += 1
                    }
                    if sinceCheckpoint >= checkpointLines {
                        try checkpoint()
                        if let progress { progress(Double(reader.rawPosition) / Double(max(1, reader.compressedSize)), summary.linesRead) }
                    }
                }
            }
            if maxTime > 0 { sessions.sweep(now: maxTime) }
            try checkpoint()
        }
        summary.sessionsNew = sessions.newSessions
        summary.sessionsExtended = sessions.extendedSessions.count
        summary.sessionsWritten = closedWritten + sessions.open.count
        return summary
    }

    /// Classifies one line; returns why it was skipped, or nil when it fed a session.
    func handle(_ line: UnsafeBufferPointer<UInt8>, _ fmt: LogFormat, _ resolver: SegmentResolver, _ viewers: ViewerKeys,
                _ sessions: Sessionizer, _ summary: inout IngestSummary, _ maxTime: inout Double) -> String? {
        if line.isEmpty { return "empty line" }
        let p: ParsedLine
        if fmt.isCaddyJSON {
            guard let c = CaddyLine.parse(line) else { return "malformed line" }
            return feed(c.method == "GET", c.status, c.uri, c.ua, c.addr, c.cookie, c.time, resolver, viewers, sessions, &summary, &maxTime)
        }
        guard let parsed = fmt.parse(line) else {
            return line.contains(where: { $0 < 9 || ($0 > 13 && $0 < 32) }) ? "binary or garbage" : "malformed line"
        }
        p = parsed
        guard p.method.count == 3, line[p.method.lowerBound] == 71, line[p.method.lowerBound + 1] == 69,
              line[p.method.lowerBound + 2] == 84 else { return p.method.isEmpty || p.uri.isEmpty ? "malformed request" : "not GET" }
        guard p.status == 200 || p.status == 206 else { return "status not 200/206" }
        let time: Double
        if p.timeIsISO {
            guard let d = DBDate.parse(String(decoding: UnsafeBufferPointer(rebasing: line[p.time]), as: UTF8.self)) else { return "malformed time" }
            time = d.timeIntervalSince1970
        } else {
            guard let t = LogTime.parseLocal(line, p.time) else { return "malformed time" }
            time = t
        }
        switch resolver.resolve(line, p.uri) {
        case .notSegment: return "not a segment request"
        case .unknownVideo: return "unknown video"
        case let .segment(videoID, rung, start, duration):
            if BotFilter.isBot(line, p.ua) { return "bot or tool" }
            let addr = !p.forwarded.isEmpty && line[p.forwarded.lowerBound] != UInt8(ascii: "-") ? firstForwarded(line, p.forwarded) : p.addr
            let viewer = viewers.key(line, addr: addr, ua: p.ua, cookie: p.cookie, time: time)
            summary.segmentRequests += 1
            maxTime = max(maxTime, time)
            sessions.add(SegmentHit(time: time, viewer: viewer, videoID: videoID, rung: rung, start: start, duration: duration))
            return nil
        }
    }

    /// Caddy's fields arrive as Strings; they go through the same resolver.
    func feed(_ isGet: Bool, _ status: Int, _ uri: String, _ ua: String, _ addr: String, _ cookie: String, _ time: Double,
              _ resolver: SegmentResolver, _ viewers: ViewerKeys, _ sessions: Sessionizer, _ summary: inout IngestSummary,
              _ maxTime: inout Double) -> String? {
        guard isGet else { return "not GET" }
        guard status == 200 || status == 206 else { return "status not 200/206" }
        let bytes = Array("\(uri)\u{0}\(ua)\u{0}\(addr)\u{0}\(cookie)".utf8)
        return bytes.withUnsafeBufferPointer { b in
            let u = 0..<uri.utf8.count
            let a = (u.upperBound + 1)..<(u.upperBound + 1 + ua.utf8.count)
            let ad = (a.upperBound + 1)..<(a.upperBound + 1 + addr.utf8.count)
            let c = (ad.upperBound + 1)..<b.count
            switch resolver.resolve(b, u) {
            case .notSegment: return "not a segment request"
            case .unknownVideo: return "unknown video"
            case let .segment(videoID, rung, start, duration):
                if BotFilter.isBot(b, a) { return "bot or tool" }
                summary.segmentRequests += 1
                maxTime = max(maxTime, time)
                sessions.add(SegmentHit(time: time, viewer: viewers.key(b, addr: ad, ua: a, cookie: c, time: time),
                                        videoID: videoID, rung: rung, start: start, duration: duration))
                return nil
            }
        }
    }

    func firstForwarded(_ line: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Range<Int> {
        var e = r.lowerBound
        while e < r.upperBound, line[e] != UInt8(ascii: ","), line[e] != 32 { e += 1 }
        return r.lowerBound..<e
    }

    /// Files, globs and `-` (stdin), in the order given; missing ones are an error.
    func expand(_ inputs: [String]) throws -> [String] {
        guard !inputs.isEmpty else { throw VLogError.invalidInput("no log files given; e.g. `vlog ingest /var/log/nginx/access.log*` (or - for stdin)") }
        var out: [String] = []
        for i in inputs {
            if i == "-" { out.append(i); continue }
            if i.contains("*") || i.contains("?") || i.contains("[") {
                var g = glob_t()
                defer { globfree(&g) }
                if glob(i, 0, nil, &g) == 0 {
                    for k in 0..<Int(g.gl_pathc) { if let p = g.gl_pathv[k] { out.append(String(cString: p)) } }
                    continue
                }
                throw VLogError.notFound("no log files match \(i)")
            }
            guard FileManager.default.isReadableFile(atPath: i) else { throw VLogError.notFound("cannot read log \(i); check the path") }
            out.append(i)
        }
        return out
    }

    /// Oldest log first (rotated files hold older lines), so sessions grow in time order.
    func orderedByFirstTime(_ paths: [String]) -> [String] {
        func first(_ p: String) -> Double {
            guard let head = LineReader.head(path: p, bytes: 4096) else { return .infinity }
            let fmts = [LogFormat.combinedCookie, .combined, .common]
            return head.withUnsafeBufferPointer { b -> Double in
                guard let nl = b.firstIndex(of: 10) else { return .infinity }
                let line = UnsafeBufferPointer(rebasing: b[0..<nl])
                for f in fmts { if let p = f.parse(line), let t = LogTime.parseLocal(line, p.time) { return t } }
                if let c = CaddyLine.parse(line) { return c.time }
                return .infinity
            }
        }
        return paths.map { ($0, first($0)) }.sorted { a, b in a.1 == b.1 ? false : a.1 < b.1 }.map(\.0)
    }

    /// Picks the format from the first lines: Caddy JSON, combined + cookie, combined, or common.
    func detect(_ path: String) throws -> LogFormat? {
        guard let head = LineReader.head(path: path, bytes: 65536) else { return path == "-" ? LogFormat.combinedCookie : nil }
        let lines = head.split(separator: 10).prefix(50).map { Array($0) }
        for f in [LogFormat.caddy, .combinedCookie, .combined, .common] {
            let hits = lines.filter { l in
                l.withUnsafeBufferPointer { b in f.isCaddyJSON ? CaddyLine.parse(b) != nil : f.parse(b) != nil }
            }.count
            if hits > 0 && hits * 2 >= lines.count { return f }
        }
        return nil
    }

    /// A per-site secret the daily viewer salt is derived from (never stored with the data).
    func salt() throws -> [UInt8] {
        let url = site.root.appendingPathComponent(".vlog-salt")
        if let d = FileManager.default.contents(atPath: url.path), d.count >= 32 { return Array(d) }
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 { bytes[i] = UInt8.random(in: 0...255) }
        try FileIO.writeAtomically(Data(bytes), to: url)
        chmod(url.path, 0o600)
        return bytes
    }
}

/// Viewer keys: the `vlog_viewer` cookie when present, else IP + user agent with a salt that
/// changes every day (UTC), hashed; the raw IP is never stored. Cached per distinct input.
final class ViewerKeys {
    let secret: [UInt8]
    private var cache: [UInt64: String] = [:]
    init(secret: [UInt8]) { self.secret = secret }

    func key(_ line: UnsafeBufferPointer<UInt8>, addr: Range<Int>, ua: Range<Int>, cookie: Range<Int>, time: Double) -> String {
        let validCookie = cookie.count >= 16 && cookie.count <= 64 && cookie.allSatisfy { j in
            let c = line[j]; return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
        }
        var h: UInt64 = 0xcbf29ce484222325
        let day = Int(floor(time / 86400))
        if validCookie {
            for j in cookie { h = (h ^ UInt64(line[j])) &* 0x100000001b3 }
            h = (h ^ 0x63) &* 0x100000001b3
        } else {
            for j in addr { h = (h ^ UInt64(line[j])) &* 0x100000001b3 }
            h = (h ^ 0) &* 0x100000001b3
            for j in ua { h = (h ^ UInt64(line[j])) &* 0x100000001b3 }
            h = (h ^ UInt64(day)) &* 0x100000001b3
        }
        if let k = cache[h] { return k }
        var material: [UInt8]
        if validCookie {
            material = Array("cookie:".utf8) + Array(line[cookie]).map { ($0 >= 65 && $0 <= 70) ? $0 | 0x20 : $0 }
        } else {
            let salt = SHA256.hash(secret + Array("day:\(day)".utf8))
            material = Array("ipua:".utf8) + salt + Array(line[addr]) + [0] + Array(line[ua])
        }
        let k = SHA256.hex(material)
        if cache.count > 200_000 { cache.removeAll(keepingCapacity: true) }
        cache[h] = k
        return k
    }
}
