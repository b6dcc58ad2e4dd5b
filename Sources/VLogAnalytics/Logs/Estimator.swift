import Foundation

/// How watching is estimated from segment requests alone (no beacons: pages without script, embeds
/// elsewhere, apps, a CDN's log).
///
/// Players keep a buffer ahead of the playhead, measured in wall seconds of playback: at the start of
/// a run (play, or a seek) they fetch a burst of about `burst` seconds (Chromium 12 s, hls.js 30 s),
/// then request again whenever the buffer falls to `refill` seconds (Chromium about 5.5 s, in
/// batches of several segments; hls.js one segment at a time). At rate r both are r times as much
/// content. So, per run:
/// - the rate is the content a refill batch fetched over the wall time until the next batch (the
///   player consumed what it topped up), snapped to the usual rates; with no such interval, the burst
///   against the site's usual burst;
/// - the buffer left at a refill, R, is measured at the first refill (burst end minus the content
///   played since the burst at that rate), else the site's `refill` times the rate;
/// - the playhead at a refill batch is "fetched end before the batch - R" (pauses do not disturb it);
/// - after the last batch the viewer stopped before the next request was due (fetched end - R):
///   the middle of that window is credited, or up to a seek that ended the run;
/// - fetched to the end of the video: nothing in the log says where they stopped. A viewer still
///   there at the playhead p reaches the completion threshold T with probability S(T) / S(p), S the
///   site's audience retention (the share of sessions still watching at each tenth of a video:
///   measured on its beacon sessions, else an even decline to a third finishing). Where that is
///   certain enough (a 40 min video fetched to its end is past T already) it decides; an uncertain
///   session (a 10 s clip fetched whole in the first burst) is counted by error diffusion, so the
///   number of completions is the expected number and the likelier sessions get them.
/// The priors (`refill`, `burst`, retention) are fitted on the site's own sessions measured by the
/// player's beacons, where there are any (see `learn`), so the fallback follows the site's audience.
public struct EstimatorPriors: Codable, Sendable, Equatable {
    /// Sums and counts of what beacon sessions showed (refill level and burst in wall seconds).
    public var refillSum = 0.0, refillCount = 0
    public var burstSum = 0.0, burstCount = 0
    /// Sessions measured by the player, and how many of them reached each twentieth of their video
    /// (index 20: the completion threshold).
    public var sessions = 0
    public var reached: [Int] = Array(repeating: 0, count: 21)
    /// Completions owed (positive) or given ahead (negative) by the error diffusion.
    public var completionDebt = 0.0

    /// Chromium's native HLS (the most common player) as measured here, and a third of viewers
    /// finishing; each worth two sessions until the site's own beacons outweigh it.
    static let defaultRefill = 5.5, defaultBurst = 12.0, defaultFinish = 0.35, weight = 2.0

    public init() {}

    public var refill: Double { (refillSum + Self.defaultRefill * Self.weight) / (Double(refillCount) + Self.weight) }
    public var burst: Double { (burstSum + Self.defaultBurst * Self.weight) / (Double(burstCount) + Self.weight) }

    /// The share of sessions still watching at `fraction` of the video (1: at the completion threshold).
    public func staying(_ fraction: Double) -> Double {
        let f = min(1, max(0, fraction))
        let prior = 1 - (1 - Self.defaultFinish) * f
        guard sessions > 0, reached.count == 21 else { return prior }
        let x = f * 20
        let i = min(19, Int(x))
        let measured = (Double(reached[i]) + (x - Double(i)) * Double(reached[i + 1] - reached[i])) / Double(sessions)
        return (measured * Double(sessions) + prior * Self.weight) / (Double(sessions) + Self.weight)
    }

    /// Adds (or, with `sign` -1, takes away) one session's sample.
    mutating func add(_ o: EstimatorPriors, sign: Int = 1) {
        refillSum += Double(sign) * o.refillSum
        refillCount += sign * o.refillCount
        burstSum += Double(sign) * o.burstSum
        burstCount += sign * o.burstCount
        sessions += sign * o.sessions
        if reached.count != 21 { reached = Array(repeating: 0, count: 21) }
        for i in 0..<min(21, o.reached.count) { reached[i] += sign * o.reached[i] }
    }

    /// Where a viewer still watching at `a` leaves, given that they leave before `mark`:
    /// a + the integral of (S(x) - S(mark)) over [a, mark] / (S(a) - S(mark)).
    func expectedLeave(from a: Double, before mark: Double) -> Double {
        guard mark > a else { return a }
        let sm = staying(1)
        let sa = staying(a / mark)
        guard sa - sm > 1e-6 else { return (a + mark) / 2 }
        let steps = 40
        let dx = (mark - a) / Double(steps)
        var area = 0.0
        for i in 0..<steps {
            let x = a + (Double(i) + 0.5) * dx
            area += (staying(x / mark) - sm) * dx
        }
        return min(mark, a + area / (sa - sm))
    }

    /// Decides an uncertain completion of probability `chance`: true when the completions owed reach
    /// half a session.
    mutating func decide(_ chance: Double) -> Bool {
        completionDebt += chance
        guard completionDebt >= 0.5 else { return false }
        completionDebt -= 1
        return true
    }

    /// Fits the priors on a session measured by the player: whether it completed, and where the
    /// beacons say the playhead was when the first burst ended and the next request came.
    public mutating func learn(from s: SessionState, summary: SessionSummary, threshold: Double) {
        guard let beacons = s.beacons, s.videoDuration > 0 else { return }
        sessions += 1
        if reached.count != 21 { reached = Array(repeating: 0, count: 21) }
        let furthest = summary.completed ? 1 : summary.maxPosition / (s.videoDuration * threshold)
        for i in 0...20 where furthest >= Double(i) / 20 - 1e-9 { reached[i] += 1 }
        guard let hits = s.segmentLog, !hits.isEmpty else { return }
        let d = s.videoDuration
        let events = beacons.sorted { ($0.seq, $0.time) < ($1.seq, $1.time) }
        guard let play = events.first(where: { $0.event == .play }) else { return }
        // The burst: requests from the play on, without a gap of 1.5 s, contiguous from the playhead.
        let after = hits.filter { $0[0] >= play.time - 1 }.sorted { $0[0] < $1[0] }
        guard let first = after.first, first[1] <= play.position + 0.5 else { return }
        var end = first[2]
        var last = first[0]
        var refillAt: Double?
        for h in after.dropFirst() {
            if h[0] - last >= 1.5 {
                refillAt = h[0]
                break
            }
            if h[1] <= end + 0.5 { end = max(end, h[2]) }
            last = h[0]
        }
        let r = max(0.25, play.rate)
        if end < d - 0.5 {
            burstSum += min(120, (end - play.position) / r)
            burstCount += 1
        }
        // The refill level, when the playhead moved steadily from the play to the refill.
        if let t1 = refillAt,
            !events.contains(where: { $0.time <= t1 && $0.seq > play.seq && [.pause, .seek, .rate].contains($0.event) })
        {
            let level = (end - (play.position + r * (t1 - play.time))) / r
            if level >= 0 {
                refillSum += min(120, level)
                refillCount += 1
            }
        }
    }
}

extension SessionState {
    /// Rates players offer; a measured rate is snapped to the nearest.
    static func snapRate(_ r: Double) -> Double {
        if r < 1.15 { return 1 }  // slower than real time is a pause far more often than 0.75x
        return min(2, (r * 4).rounded() / 4)
    }

    /// The run's playback rate (see `EstimatorPriors`).
    static func rate(_ r: Run, videoDuration: Double, priors: EstimatorPriors) -> Double {
        if let samples = r.rates, !samples.isEmpty {
            let sorted = samples.sorted()
            return snapRate(sorted[sorted.count / 2])
        }
        let burstEnd = r.burstEnd ?? r.fetchedEnd
        guard videoDuration <= 0 || burstEnd < videoDuration - 0.5 else { return 1 }
        return snapRate((burstEnd - r.startPos) / priors.burst)
    }

    /// Where the run ended (its last position) and how long after its last request, given the wall
    /// time until the next run began (`tailLimit`, after a seek) or nil at the end of the session.
    /// Fetched to the end of the video: `end` if the viewer finished, `notFinished` if not, and the
    /// chance they finished.
    static func estimate(
        _ r: Run, videoDuration d: Double, threshold: Double, tailLimit: Double?, priors: EstimatorPriors
    )
        -> (end: Double, tail: Double, notFinished: Double?, chance: Double)
    {
        let rate = Self.rate(r, videoDuration: d, priors: priors)
        var level = priors.refill * rate
        if let e0 = r.burstEnd, let t1 = r.firstRefill {
            let measured = e0 - (r.startPos + rate * (t1 - r.startTime))
            if measured >= 0 { level = measured }
        }
        let a = max(r.startPos, r.batchFrom.map { $0 - level } ?? r.startPos)
        let toEnd = d > 0 && r.fetchedEnd >= d - 0.5
        let due = toEnd ? d : max(a, r.fetchedEnd - level)
        if let tailLimit {
            let end = min(due, a + rate * max(0, tailLimit))
            return (end, (end - a) / rate, nil, 0)
        }
        let lastBatch = r.batchStart ?? r.startTime
        func tail(_ end: Double) -> Double { max(0, (end - a) / rate - (r.lastTime - lastBatch)) }
        let mark = threshold * d
        guard toEnd, a < mark - 0.01 else { return ((a + due) / 2, tail((a + due) / 2), nil, 0) }
        let chance = min(1, priors.staying(1) / max(0.001, priors.staying(a / mark)))
        // Not finished: where viewers still there at `a` leave before the threshold, by the site's
        // retention (the middle of the window for an even decline).
        return (d, tail(d), priors.expectedLeave(from: a, before: mark), chance)
    }
}
