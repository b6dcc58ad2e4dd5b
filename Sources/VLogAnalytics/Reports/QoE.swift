import Foundation
import VLogStore
import VLogSupport

/// Quality of experience over a set of sessions, the figures Mux Data and YouTube show: startup
/// (play pressed to the first frame), exits before the picture started, playback failures,
/// rebuffering, and the share of watch time on each rung. Each figure says on how many sessions
/// it rests: startup and stall time come from the player (its beacons, or CMCD `msd`), stall counts
/// also from CMCD `bs`; estimated sessions carry only their rungs.
public struct QoEReport: Codable, Sendable, Equatable {
    public struct Rung: Codable, Sendable, Equatable {
        public var rung: String
        public var seconds: Double
        public var share: Double
        /// Under 1% of watch time: a candidate to drop from the ladder.
        public var rarelyWatched: Bool
    }
    public var sessions = 0
    public var startupMeasured = 0
    public var startupMedianMs: Int?
    public var startupP90Ms: Int?
    public var exitsBeforeStart = 0
    public var failures = 0
    /// Sessions whose stalls are known, those with any, the stalls, and their time where known.
    public var rebufferMeasured = 0
    public var sessionsWithRebuffering = 0
    public var rebuffers = 0
    public var rebufferSeconds = 0.0
    /// Stall time over the watch time of the sessions whose stall time is known.
    public var rebufferShare: Double?
    public var rungs: [Rung] = []

    public var exitBeforeStartRate: Double { sessions > 0 ? Double(exitsBeforeStart) / Double(sessions) : 0 }
    public var failureRate: Double { sessions > 0 ? Double(failures) / Double(sessions) : 0 }

    /// One session's measures (a row of `vlog_session_measures`, or none: an estimated session
    /// from before they were kept).
    struct Sample {
        var started = true
        var startupMs: Int?
        var rebuffers: Int?
        var rebufferMs: Int?
        var failed = false
        var watched = 0.0
        var rungSeconds: [String: Double] = [:]
    }

    /// Sums sessions as they are read: startup times are kept as counts per millisecond value (for
    /// exact percentiles), so a report over millions of sessions holds a few thousand numbers, and
    /// sums of days and videos merge (`merge`).
    struct Accumulator: Equatable {
        var report = QoEReport()
        var startups: [Int32: Int] = [:]
        var timedWatch = 0.0
        var rungTotals: [String: Double] = [:]
        /// Sessions with time on each rung: a rung goes when its last session is taken away.
        var rungSessions: [String: Int] = [:]

        mutating func add(_ s: Sample) {
            report.sessions += 1
            if let ms = s.startupMs { startups[Int32(clamping: ms), default: 0] += 1 }
            if !s.started { report.exitsBeforeStart += 1 }
            if s.failed { report.failures += 1 }
            if let n = s.rebuffers {
                report.rebufferMeasured += 1
                report.rebuffers += n
                if n > 0 { report.sessionsWithRebuffering += 1 }
            }
            if let ms = s.rebufferMs {
                report.rebufferSeconds += Double(ms) / 1000
                timedWatch += s.watched
            }
            for (k, v) in s.rungSeconds {
                rungTotals[k, default: 0] += v
                rungSessions[k, default: 0] += 1
            }
        }

        /// Adds (`sign` 1) or takes away (-1) another accumulator's sums.
        mutating func merge(_ o: Accumulator, sign: Int = 1) {
            report.sessions += sign * o.report.sessions
            report.exitsBeforeStart += sign * o.report.exitsBeforeStart
            report.failures += sign * o.report.failures
            report.rebufferMeasured += sign * o.report.rebufferMeasured
            report.rebuffers += sign * o.report.rebuffers
            report.sessionsWithRebuffering += sign * o.report.sessionsWithRebuffering
            report.rebufferSeconds += Double(sign) * o.report.rebufferSeconds
            timedWatch += Double(sign) * o.timedWatch
            for (k, v) in o.startups { startups[k, default: 0] += sign * v }
            for (k, v) in o.rungTotals { rungTotals[k, default: 0] += Double(sign) * v }
            for (k, v) in o.rungSessions { rungSessions[k, default: 0] += sign * v }
        }

        /// Rungs and startup times left without sessions go (`RollupCell.prune`).
        mutating func prune() {
            startups = startups.filter { $0.value != 0 }
            for (k, n) in rungSessions where n == 0 {
                rungSessions[k] = nil
                rungTotals[k] = nil
            }
        }

        func finish() -> QoEReport {
            var r = report
            let values = startups.sorted { $0.key < $1.key }
            let count = values.reduce(0) { $0 + $1.value }
            /// The value at sorted position `k` (0-based).
            func at(_ k: Int) -> Int {
                var seen = 0
                for (v, n) in values {
                    seen += n
                    if k < seen { return Int(v) }
                }
                return Int(values.last?.key ?? 0)
            }
            r.startupMeasured = count
            if count > 0 {
                r.startupMedianMs = at(count / 2)
                r.startupP90Ms = at(min(count - 1, Int((Double(count) * 0.9).rounded(.up)) - 1))
            }
            // Sums of seconds to the precision they are stored at (0.1 s, stalls 1 ms): the same
            // sessions summed in another order (by day, by video) give the same figures.
            r.rebufferSeconds = (r.rebufferSeconds * 1000).rounded() / 1000
            let timed = (timedWatch * 10).rounded() / 10
            if timed > 0 { r.rebufferShare = r.rebufferSeconds / (timed + r.rebufferSeconds) }
            let rounded = rungTotals.mapValues { ($0 * 10).rounded() / 10 }
            let total = rounded.sorted { $0.key < $1.key }.reduce(0) { $0 + $1.value }
            r.rungs = rounded.map {
                Rung(rung: $0.key, seconds: $0.value, share: total > 0 ? $0.value / total : 0, rarelyWatched: false)
            }.sorted { ($0.seconds, $1.rung) > ($1.seconds, $0.rung) }
            if r.rungs.count > 1 {
                for i in r.rungs.indices where r.rungs[i].share < 0.01 { r.rungs[i].rarelyWatched = true }
            }
            return r
        }
    }

    public init() {}

    static func decodeRungs(_ json: String?) -> [String: Double] {
        guard let json, let obj = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            return [:]
        }
        return obj.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }

    /// Lines of `vlog stats`.
    func text() -> String {
        guard sessions > 0 else { return "" }
        func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
        func secs(_ ms: Int) -> String { String(format: "%.2f s", Double(ms) / 1000) }
        var out = "\nQuality of experience\n"
        if let median = startupMedianMs, let p90 = startupP90Ms {
            out +=
                "  startup             median \(secs(median)), 90th percentile \(secs(p90)) (\(startupMeasured) sessions)\n"
        } else {
            out += "  startup             not measured (no session's player said)\n"
        }
        out += "  exits before start  \(exitsBeforeStart) (\(pct(exitBeforeStartRate)) of views)\n"
        out += "  playback failures   \(failures) (\(pct(failureRate)) of views)\n"
        if rebufferMeasured > 0 {
            var line =
                "  rebuffering         \(rebuffers) stalls in \(sessionsWithRebuffering) of \(rebufferMeasured) sessions"
            if let share = rebufferShare {
                line += String(format: ", %.1f s", rebufferSeconds) + " (\(pct(share)) of watch time)"
            }
            out += line + "\n"
        }
        if !rungs.isEmpty {
            out += "  watch time by rung  " + rungs.map { "\($0.rung) \(pct($0.share))" }.joined(separator: "  ") + "\n"
            let rare = rungs.filter(\.rarelyWatched).map(\.rung)
            if !rare.isEmpty {
                out +=
                    "  hint: \(rare.joined(separator: ", ")) carried under 1% of watch time: a candidate to drop from the ladder\n"
            }
        }
        return out
    }
}
