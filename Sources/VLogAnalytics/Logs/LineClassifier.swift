import Foundation
import VLogSupport

/// What one log line is: a segment request of a known video by a viewer, or why it is skipped.
enum Outcome: ExpressibleByStringLiteral {
    case hit(SegmentHit)
    /// Boxed: a beacon is larger than a segment hit, and most lines are not beacons.
    indirect case beacon(BeaconHit)
    case skip(String)
    /// Read by an earlier ingest (before the file's recorded offset).
    case already
    init(stringLiteral value: String) { self = .skip(value) }
}

/// Turns lines into outcomes. Holds per-thread caches (user agents, viewer keys, playlists), so
/// the ingester runs several, each over a contiguous part of each chunk of lines.
final class LineClassifier: @unchecked Sendable {
    let resolver: SegmentResolver
    let viewers: ViewerKeys
    let bots = BotFilter.Cache()
    /// Times outside [2000-01-01, now + 1 day] are a broken clock or a forged line, not a view.
    let earliest = 946_684_800.0
    let latest: Double

    /// Seconds after midnight (UTC) in which a hit may continue a session keyed under yesterday's
    /// salt: the session timeout.
    let midnightWindow: Double

    init(resolver: SegmentResolver, viewers: ViewerKeys, now: Date = Date(), midnightWindow: Double = 1800) {
        self.resolver = resolver
        self.viewers = viewers
        self.midnightWindow = midnightWindow
        latest = now.timeIntervalSince1970 + 86400
    }

    static let outOfRange = "timestamp out of range (before 2000 or in the future)"

    /// Classifies one line: a segment hit, or why it was skipped.
    func classify(_ line: UnsafeBufferPointer<UInt8>, _ fmt: LogFormat) -> Outcome {
        if line.isEmpty { return "empty line" }
        let p: ParsedLine
        if let record = fmt.record {
            if record.isHeader(line) { return "header line" }
            guard let r = record.parse(line) else { return "malformed line" }
            return self.record(r)
        }
        guard let parsed = fmt.parse(line) else {
            return line.contains(where: { $0 < 9 || ($0 > 13 && $0 < 32) }) ? "binary or garbage" : "malformed line"
        }
        p = parsed
        let isGET =
            p.method.count == 3 && line[p.method.lowerBound] == 71 && line[p.method.lowerBound + 1] == 69
            && line[p.method.lowerBound + 2] == 84
        // A beacon sent as the page closes is a POST (navigator.sendBeacon).
        let isPOST = p.method.count == 4 && line[p.method.lowerBound] == 80 && line[p.method.lowerBound + 1] == 79
        guard isGET || isPOST else { return p.method.isEmpty || p.uri.isEmpty ? "malformed request" : "not GET" }
        let beaconQuery = Self.beaconQuery(line, p.uri)
        guard isGET || beaconQuery != nil else { return "not GET" }
        guard p.status == 200 || p.status == 206 || (beaconQuery != nil && p.status < 500) else {
            return "status not 200/206"
        }
        let time: Double
        if p.timeIsISO {
            guard let d = DBDate.parse(String(decoding: UnsafeBufferPointer(rebasing: line[p.time]), as: UTF8.self))
            else { return "malformed time" }
            time = d.timeIntervalSince1970
        } else {
            guard let t = LogTime.parseLocal(line, p.time) else { return "malformed time" }
            time = t
        }
        guard time >= earliest && time <= latest else { return .skip(Self.outOfRange) }
        let isSegment: (videoID: Int, rung: String, start: Double, duration: Double)?
        var cmcd: CMCDData?
        if beaconQuery == nil {
            switch resolver.resolve(line, p.uri) {
            case .notSegment:
                // A playlist or init request of a player sending CMCD: when it asked (startup).
                guard let c = CMCDData.parse(line, p.uri), c.sid != nil, let id = resolver.videoID(cmcd: c) else {
                    return "not a segment request"
                }
                cmcd = c
                isSegment = (id, "", 0, 0)
            case .unknownVideo: return "unknown video"
            case .segment(let videoID, let rung, let start, let duration):
                isSegment = (videoID, rung, start, duration)
                cmcd = CMCDData.parse(line, p.uri)
            }
        } else {
            isSegment = nil
        }
        // A beacon or a segment request of a known video: who asked?
        let uaHash = FNV.words(line, p.ua)
        // Formats without a user agent (common) leave that test to behaviour (looksAutomated).
        if fmt.hasUserAgent && BotFilter.isBot(line, p.ua, uaHash: uaHash, cache: bots) { return "bot or tool" }
        let addr =
            !p.forwarded.isEmpty && line[p.forwarded.lowerBound] != UInt8(ascii: "-")
            ? firstForwarded(line, p.forwarded) : p.addr
        let (viewer, viewerHash) = viewers.key(line, addr: addr, ua: p.ua, uaHash: uaHash, cookie: p.cookie, time: time)
        if let query = beaconQuery { return beacon(query, time: time, viewer: viewer, viewerHash: viewerHash) }
        guard let seg = isSegment else { return "not a segment request" }
        var hit = SegmentHit(
            time: time, viewer: viewer, viewerHash: viewerHash, videoID: seg.videoID, rung: seg.rung, start: seg.start,
            duration: seg.duration)
        hit.cmcd = cmcd
        if time.truncatingRemainder(dividingBy: 86400) < midnightWindow {
            hit.previousViewerHash =
                viewers.previous(line, addr: addr, ua: p.ua, uaHash: uaHash, cookie: p.cookie, time: time)?.1 ?? 0
        }
        return .hit(hit)
    }

    /// A record's fields arrive as Strings; they go through the same resolver.
    func record(_ l: RecordLine) -> Outcome {
        let (uri, ua, addr, cookie, time) = (l.uri, l.ua, l.addr, l.cookie, l.time)
        let isBeacon = uri.split(separator: "?", maxSplits: 1).first.map { BeaconHit.isBeaconPath($0) } ?? false
        guard l.method == "GET" || (isBeacon && l.method == "POST") else { return "not GET" }
        guard l.status == 200 || l.status == 206 || (isBeacon && l.status < 500) else { return "status not 200/206" }
        guard time >= earliest && time <= latest else { return .skip(Self.outOfRange) }
        let bytes = Array("\(uri)\u{0}\(ua)\u{0}\(addr)\u{0}\(cookie)".utf8)
        return bytes.withUnsafeBufferPointer { b -> Outcome in
            let u = 0..<uri.utf8.count
            let a = (u.upperBound + 1)..<(u.upperBound + 1 + ua.utf8.count)
            let ad = (a.upperBound + 1)..<(a.upperBound + 1 + addr.utf8.count)
            let c = (ad.upperBound + 1)..<b.count
            if isBeacon, let query = Self.beaconQuery(b, u) {
                let uaHash = FNV.words(b, a)
                if BotFilter.isBot(b, a, uaHash: uaHash, cache: bots) { return "bot or tool" }
                let (viewer, viewerHash) = viewers.key(b, addr: ad, ua: a, uaHash: uaHash, cookie: c, time: time)
                return beacon(query, time: time, viewer: viewer, viewerHash: viewerHash)
            }
            var resolved = resolver.resolve(b, u)
            let cmcd = CMCDData.parse(b, u)
            if case .notSegment = resolved, let c = cmcd, c.sid != nil, let id = resolver.videoID(cmcd: c) {
                resolved = .segment(videoID: id, rung: "", start: 0, duration: 0)
            }
            switch resolved {
            case .notSegment: return "not a segment request"
            case .unknownVideo: return "unknown video"
            case .segment(let videoID, let rung, let start, let duration):
                let uaHash = FNV.words(b, a)
                if BotFilter.isBot(b, a, uaHash: uaHash, cache: bots) { return "bot or tool" }
                let (viewer, viewerHash) = viewers.key(b, addr: ad, ua: a, uaHash: uaHash, cookie: c, time: time)
                var hit = SegmentHit(
                    time: time, viewer: viewer, viewerHash: viewerHash, videoID: videoID, rung: rung, start: start,
                    duration: duration)
                hit.cmcd = cmcd
                hit.previousViewerHash =
                    viewers.previous(b, addr: ad, ua: a, uaHash: uaHash, cookie: c, time: time)?.1 ?? 0
                return .hit(hit)
            }
        }
    }

    static let beaconSuffix = Array("/beacon.gif".utf8)

    /// The query of a beacon request (`.../beacon.gif?...`), or nil.
    static func beaconQuery(_ line: UnsafeBufferPointer<UInt8>, _ uri: Range<Int>) -> Substring? {
        guard uri.count > 12 else { return nil }
        var q = uri.lowerBound
        while q < uri.upperBound, line[q] != UInt8(ascii: "?") { q += 1 }
        guard q < uri.upperBound, q - uri.lowerBound >= 11 else { return nil }
        for (i, b) in Self.beaconSuffix.enumerated() where line[q - Self.beaconSuffix.count + i] != b { return nil }
        return Substring(String(decoding: UnsafeBufferPointer(rebasing: line[(q + 1)..<uri.upperBound]), as: UTF8.self))
    }

    func beacon(_ query: Substring, time: Double, viewer: String, viewerHash: UInt64) -> Outcome {
        guard let b = BeaconHit.parseQuery(query) else { return "malformed beacon" }
        guard let id = resolver.videoID(slug: b.slug) else { return "unknown video" }
        return .beacon(
            BeaconHit(
                time: time, viewer: viewer, viewerHash: viewerHash, videoID: id, pageView: b.pageView,
                event: b.event, position: b.position, from: b.from, rate: b.rate,
                rung: resolver.rung(videoID: id, height: b.height), seq: b.seq, counters: b.qoe))
    }

    func firstForwarded(_ line: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Range<Int> {
        var e = r.lowerBound
        while e < r.upperBound, line[e] != UInt8(ascii: ","), line[e] != 32 { e += 1 }
        return r.lowerBound..<e
    }

}
