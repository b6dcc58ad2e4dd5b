import Foundation

/// One media request of a player that sends CMCD, as kept in its session.
public struct MediaSample: Codable, Sendable, Equatable {
    /// Log time; the object's media range (0, 0 for a playlist or init request); its rung.
    var t: Double
    var s: Double
    var e: Double
    var q: String
    /// The playhead when it asked (`pt`, else the object's start minus `bl`), if it said.
    var p: Double?
    var bl: Double?
    var pr: Double
    var su: Bool
    var bs: Bool
    var st: String?
    var msd: Double?

    init(_ h: SegmentHit, _ c: CMCDData) {
        t = h.time
        s = h.start
        e = h.start + h.duration
        q = h.rung
        bl = c.bufferLength
        if h.duration > 0 { p = c.playhead ?? c.bufferLength.map { max(0, h.start - $0) } }
        pr = c.rate ?? 1
        su = c.startup
        bs = c.starved
        st = c.state
        msd = c.startDelay
    }

    var isMedia: Bool { e > s }
}

/// Quality of experience of one session, and how it was measured.
public struct SessionQoE: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// The player's beacons.
        case player
        /// What the player put on its media requests (CMCD).
        case cmcd
        /// Segment requests alone (native players, apps, embeds that send neither).
        case estimated
    }
    public var kind: Kind
    /// False: play was pressed, and the viewer left before the first frame.
    public var started = true
    /// Play pressed to the first frame, when the player said.
    public var startupMs: Int?
    /// Times the picture stalled after it started, and for how long (ms), when known.
    public var rebuffers: Int?
    public var rebufferMs: Int?
    /// The player reported a media error.
    public var failed = false
    /// Seconds watched on each rung.
    public var rungSeconds: [String: Double] = [:]
}

/// A page view measured from its player's CMCD (beacons blocked or turned off): the playhead is
/// known at every media request (`pt`, or the object's start minus the buffer `bl`), so what was
/// played between requests is measured. After the last request the viewer played on for at most
/// what was still buffered above the player's refill level (its own steady `bl`): the middle of
/// that window is credited. A player that had fetched the rest of the video says nothing more:
/// whether the viewer finished is then drawn from the site's audience retention, as for estimated
/// sessions (`EstimatorPriors`).
enum MediaSessions {
    struct Result {
        var watched: Double
        var maxPosition: Double
        var completed: Bool
        var quality: String?
        var first: Double
        var last: Double
        var intervals: [[Double]]
        var finishChance: Double?
        var qoe: SessionQoE
    }

    static func summarize(
        _ samples: [MediaSample], duration d: Double, threshold: Double, priors: EstimatorPriors,
        decide: ((Double) -> Bool)?
    ) -> Result {
        let all = samples.sorted { $0.t < $1.t }
        let first = all.first?.t ?? 0
        var last = all.last?.t ?? first
        var qoe = SessionQoE(kind: .cmcd)
        qoe.startupMs = all.compactMap(\.msd).first.map { Int(($0 * 1000).rounded()) }
        var stalls = 0
        var previousState: String?
        for x in all {
            if x.bs || (x.st == "r" && previousState != "r") { stalls += 1 }
            previousState = x.st
        }
        qoe.rebuffers = stalls
        qoe.failed = all.contains { $0.st == "f" }
        let media = all.filter { $0.isMedia }
        guard let head = media.first else {
            qoe.started = false
            return Result(
                watched: 0, maxPosition: 0, completed: false, quality: nil, first: first, last: last, intervals: [],
                qoe: qoe)
        }
        func position(_ x: MediaSample) -> Double { x.p ?? x.s }
        var intervals: [(Double, Double)] = []
        var prev = head
        var runEnd = head.e
        for x in media.dropFirst() {
            let dt = max(0, x.t - prev.t)
            let rate = max(0.25, max(prev.pr, x.pr))
            let a = position(prev)
            let b = position(x)
            if b >= a - 1, b <= a + dt * rate * 1.25 + 2 {
                if b > a { intervals.append((a, b)) }
                runEnd = max(runEnd, x.e)
            } else {
                // A seek in between: played on from `a` until it (the request after a seek comes at once).
                if prev.st != "a" { intervals.append((a, min(runEnd, a + dt * max(0.25, prev.pr)))) }
                runEnd = x.e
            }
            prev = x
        }
        // After the last request.
        let a = position(prev)
        let rate = max(0.25, prev.pr)
        let mark = threshold * d
        var finishChance: Double?
        var tailEnd = a
        if d > 0, runEnd >= d - 0.5 {
            if a >= mark - 0.01 {
                tailEnd = d
            } else {
                let chance = min(1, priors.staying(1) / max(0.001, priors.staying(a / mark)))
                finishChance = chance
                tailEnd = (decide?(chance) ?? (chance >= 0.5)) ? d : priors.expectedLeave(from: a, before: mark)
            }
        } else if prev.st != "a" {
            // The next request was due when the buffer fell to the player's refill level: the buffer
            // it asks at while playing steadily (the top of what it reported; lower values are the
            // first burst filling up, or a seek).
            let levels = media.filter { !$0.su && ($0.st == nil || $0.st == "p") }.compactMap(\.bl).sorted()
            // Too few of those (it left soon after the start): the most it ever had ahead when asking.
            let asked = media.compactMap(\.bl).max()
            let refill = levels.count >= 3 ? levels[Int(Double(levels.count - 1) * 0.9)] : asked ?? priors.refill * rate
            let window = max(0, runEnd - a - refill) + min(1, (prev.e - prev.s) / 2)
            tailEnd = min(runEnd, a + window / 2)
        }
        if tailEnd > a { intervals.append((a, tailEnd)) }
        last = max(last, prev.t + (tailEnd - a) / rate)
        let merged = Played.union(intervals.map { ($0.0, d > 0 ? min($0.1, d) : $0.1) })
        let watched = merged.reduce(0) { $0 + $1[1] - $1[0] }
        let maxPosition = merged.map { $0[1] }.max() ?? 0
        let completed = all.contains { $0.st == "e" } || (d > 0 && maxPosition >= mark - 0.01)
        // Watch time per rung: the parts of the fetched objects that were played.
        for x in media {
            var overlap = 0.0
            for m in merged { overlap += max(0, min(x.e, m[1]) - max(x.s, m[0])) }
            if overlap > 0 { qoe.rungSeconds[x.q, default: 0] += overlap }
        }
        qoe.started = qoe.startupMs != nil || all.contains { !$0.su } || runEnd >= d - 0.5 || watched > 1
        let quality = Played.longest(qoe.rungSeconds)
        return Result(
            watched: watched, maxPosition: maxPosition, completed: completed, quality: quality, first: first,
            last: last, intervals: merged, finishChance: finishChance, qoe: qoe)
    }
}
