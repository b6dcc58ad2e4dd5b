import Foundation

/// What the player reported, from a `GET .../beacon.gif?v=SLUG&p=PAGEVIEW&e=EVENT&t=POS&r=RATE&h=HEIGHT&s=SEQ`
/// (`&f=FROM` on seeks) in the web server's log. Once the picture started, every beacon also
/// carries the startup time `su` (ms, play pressed to the first frame) and the stalls since, `rb`
/// (count) and `rt` (ms); `e=error` reports a media error (`c`: its code).
public struct BeaconHit: Sendable, Codable, Equatable {
    public enum Event: String, Sendable, Codable { case play, pause, seek, rate, ended, tick, hide, error }
    public var time: Double
    public var viewer: String
    public var viewerHash: UInt64 = 0
    public var videoID: Int
    public var pageView: String
    public var event: Event
    public var position: Double
    /// Where a seek started.
    public var from: Double?
    public var rate: Double
    /// The rung being played (from the rendition's height), when known.
    public var rung: String?
    public var seq: Int
    /// The startup and stall counters, once the picture started (packed: a hit is copied through
    /// every batch of lines, and three optional Ints made every line's outcome 48 bytes larger).
    public struct Counters: Sendable, Codable, Equatable {
        var startupMs: Int32
        var rebuffers: Int32
        var rebufferMs: Int32
    }
    public var counters: Counters? = nil
    public var startupMs: Int? { counters.map { Int($0.startupMs) } }
    public var rebuffers: Int? { counters.map { Int($0.rebuffers) } }
    public var rebufferMs: Int? { counters.map { Int($0.rebufferMs) } }

    /// The query of a beacon request: nil when it is not one (or is malformed).
    static func parseQuery(_ q: Substring) -> (
        slug: String, pageView: String, event: Event, position: Double,
        from: Double?, rate: Double, height: Int, seq: Int, qoe: Counters?
    )? {
        var f: [Substring: Substring] = [:]
        for pair in q.split(separator: "&") {
            guard let eq = pair.firstIndex(of: "=") else { continue }
            f[pair[..<eq]] = pair[pair.index(after: eq)...]
        }
        guard let v = f["v"].flatMap({ String($0).removingPercentEncoding }), !v.isEmpty,
            let p = f["p"], (8...32).contains(p.count), p.allSatisfy(\.isHexDigit),
            let e = f["e"].flatMap({ Event(rawValue: String($0)) }),
            let t = f["t"].flatMap({ Double($0) }), t.isFinite, t >= 0, t < 86400 * 2,
            let s = f["s"].flatMap({ Int($0) }), s >= 0
        else { return nil }
        let r = f["r"].flatMap { Double($0) }.flatMap { $0.isFinite && $0 > 0 && $0 <= 16 ? $0 : nil } ?? 1
        let from = f["f"].flatMap { Double($0) }.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
        func count(_ k: Substring, limit: Int) -> Int? {
            f[k].flatMap { Int($0) }.flatMap { (0...limit).contains($0) ? $0 : nil }
        }
        let qoe = count("su", limit: 600_000).map {
            Counters(
                startupMs: Int32($0), rebuffers: Int32(count("rb", limit: 100_000) ?? 0),
                rebufferMs: Int32(count("rt", limit: 86_400_000) ?? 0))
        }
        return (v, String(p), e, t, from, r, f["h"].flatMap { Int($0) } ?? 0, s, qoe)
    }

    /// True when the request path (before `?`) names the beacon file.
    static func isBeaconPath(_ path: Substring) -> Bool { path.hasSuffix("/beacon.gif") }
}

/// A page view's beacons turned into what was watched: the union of the intervals the playhead
/// crossed while playing (a range watched twice counts once; rate-aware, each interval bounded by
/// the wall time it took at the rate reported), the furthest position, completion (ended, or past
/// the threshold), and the rung played longest.
enum BeaconSessions {
    /// `segmentsUntil` and `fetchedEnd`: the last segment request of the same viewer and video
    /// while this page view was open, and how far they had fetched. When the beacons stop while
    /// playing (the browser was killed, or the last beacon was lost), playing is credited up to that
    /// request plus half a segment, never past what was fetched.
    static func summarize(
        _ beacons: [BeaconHit], duration: Double, threshold: Double,
        segmentsUntil: Double? = nil, fetchedEnd: Double? = nil, segmentLength: Double? = nil
    )
        -> (
            watched: Double, maxPosition: Double, completed: Bool, quality: String?, first: Double, last: Double,
            intervals: [[Double]], qoe: SessionQoE
        )
    {
        let events = beacons.sorted { ($0.seq, $0.time) < ($1.seq, $1.time) }
        var intervals: [(Double, Double)] = []
        var rungSeconds: [String: Double] = [:]
        var playingFrom: Double?
        var since = events.first?.time ?? 0
        var rate = 1.0
        var rung: String?
        var ended = false
        var maxPosition = 0.0
        func close(at pos: Double, time: Double, reported: String? = nil) {
            guard let a = playingFrom, pos > a else { return }
            let limit = max(0, time - since) * max(rate, 0.25) * 1.25 + 2
            let b = min(pos, a + limit)
            intervals.append((a, b))
            // The rung of the interval: as reported at its start, else at its end (the play beacon
            // goes before the first frame, with no height yet).
            if let r = rung ?? reported { rungSeconds[r, default: 0] += b - a }
            maxPosition = max(maxPosition, b)
        }
        for e in events {
            switch e.event {
            case .play:
                close(at: e.position, time: e.time)
                playingFrom = e.position
            case .tick, .hide:
                close(at: e.position, time: e.time, reported: e.rung)
                playingFrom = e.position
            case .rate:
                if playingFrom != nil {
                    close(at: e.position, time: e.time)
                    playingFrom = e.position
                }
            case .pause:
                close(at: e.position, time: e.time, reported: e.rung)
                playingFrom = nil
            case .seek:
                if playingFrom != nil {
                    close(at: e.from ?? e.position, time: e.time)
                    playingFrom = e.position
                }
            case .ended:
                close(at: e.position, time: e.time, reported: e.rung)
                playingFrom = nil
                ended = true
                maxPosition = max(maxPosition, e.position)
            case .error:
                close(at: e.position, time: e.time)
                playingFrom = nil
            }
            since = e.time
            rate = e.rate
            if let r = e.rung { rung = r }
        }
        var last = events.map(\.time).max() ?? 0
        if let a = playingFrom, events.last?.event != .hide, let until = segmentsUntil {
            // As the segment estimator does: it played on until its last request, and about half a
            // segment more (it stopped before the next fetch was due).
            let tail = (segmentLength ?? 0) / 2
            let end = max(until, since)
            let reach = min(
                a + (end - since) * rate + tail, fetchedEnd ?? .infinity, duration > 0 ? duration : .infinity)
            close(at: reach, time: end + tail + 1)
            last = end
        }
        let merged = Played.union(intervals)
        let watched = merged.reduce(0) { $0 + $1[1] - $1[0] }
        if duration > 0 { maxPosition = min(maxPosition, duration) }
        let completed = ended || (duration > 0 && maxPosition >= threshold * duration - 0.01)
        let quality = Played.longest(rungSeconds) ?? events.compactMap(\.rung).last
        // The counters only grow: the highest seen is the page view's (a lost beacon loses nothing).
        var qoe = SessionQoE(kind: .player)
        qoe.startupMs = events.compactMap(\.startupMs).first
        qoe.rebuffers = events.compactMap(\.rebuffers).max() ?? (qoe.startupMs == nil ? nil : 0)
        qoe.rebufferMs = events.compactMap(\.rebufferMs).max() ?? (qoe.startupMs == nil ? nil : 0)
        qoe.failed = events.contains { $0.event == .error }
        qoe.started = qoe.startupMs != nil || watched > 0.5
        // Watch time per rung, scaled to the union (a range watched twice counts once).
        let summed = rungSeconds.values.reduce(0, +)
        qoe.rungSeconds = summed > 0 ? rungSeconds.mapValues { $0 / summed * watched } : [:]
        return (watched, maxPosition, completed, quality, events.map(\.time).min() ?? 0, last, merged, qoe)
    }

}
