import Foundation
import VLogStore
import VLogSupport

/// What one video's sessions started on one UTC day add up to: the unit of `vlog_rollups`, and
/// the unit every report sums. A report over stored days and one over the raw rows of a part of a
/// day make their cells with the same `add`, so the rollups can only differ from the sessions
/// when the sessions changed after them (which `Rollups` tracks).
struct RollupCell: Equatable {
    struct Quality: Equatable {
        var sessions = 0
        var watched = 0.0
        mutating func add(_ w: Double) {
            sessions += 1
            watched += w
        }
    }
    var views = 0
    var watched = 0.0
    var completed = 0
    var player = 0
    var cmcd = 0
    var estimated = 0
    /// By `quality_used` ("?" when it is unknown).
    var qualities: [String: Quality] = [:]
    /// Audience retention: the sessions of a video with a known duration, and how many of them
    /// reached 0%, 10%, ... 100% of it.
    var reachSessions = 0
    var reach = [Int](repeating: 0, count: 11)
    var qoe = QoEReport.Accumulator()
    /// The distinct viewers, ascending (sessions without one are not counted, as in SQL's
    /// `COUNT(DISTINCT viewer_id)`), and how many of the cell's sessions each has: a session that
    /// moves or goes takes its viewer out only with its last session (`RollupDelta`).
    var viewers: [Int] = []
    var viewerSessions: [Int] = []

    /// The columns a raw session is read with (`playback_sessions` as `s`, `videos` as `v`, the
    /// session's measures as `m`, its played intervals as `i`).
    static let columns = """
        s.video_id AS vid, s.viewer_id AS viewer, s.duration_watched AS w, s.max_position AS mp, s.completed AS c,
        s.quality_used AS q, s.session_token AS tok, v.duration AS d, m.kind AS kind, m.started AS started,
        m.startup_ms AS su, m.rebuffers AS rb, m.rebuffer_ms AS rt, m.failed AS failed, m.rung_seconds AS rungs,
        i.intervals AS iv
        """
    /// The names `columns` gives its columns, in order (a row built in memory uses them too).
    static let names = columns.split(separator: ",").compactMap { $0.split(separator: " ").last.map(String.init) }
    static let joins = """
        FROM playback_sessions s JOIN videos v ON v.id = s.video_id
        LEFT JOIN vlog_session_measures m ON m.session_token = s.session_token
        LEFT JOIN vlog_session_intervals i ON i.session_token = s.session_token
        """

    /// Adds one session, a row read with `columns`. Viewers are collected unsorted: `finish`.
    mutating func add(_ r: Row) {
        let w = r.double("w") ?? 0
        views += 1
        watched += w
        if r.bool("c") { completed += 1 }
        let token = r.string("tok") ?? ""
        let measured = r.string("kind")
        let kind =
            measured.flatMap { SessionQoE.Kind(rawValue: $0) }
            ?? (token.hasPrefix(SessionState.playerTokenPrefix) ? .player : .estimated)
        switch kind {
        case .player: player += 1
        case .cmcd: cmcd += 1
        case .estimated: estimated += 1
        }
        let q = r.string("q")
        qualities[q ?? "?", default: Quality()].add(w)
        var x = QoEReport.Sample(watched: w)
        if measured != nil {
            x.started = r.bool("started")
            x.startupMs = r.int("su")
            x.rebuffers = r.int("rb")
            x.rebufferMs = r.int("rt")
            x.failed = r.bool("failed")
            x.rungSeconds = QoEReport.decodeRungs(r.string("rungs"))
        } else if let q {
            x.rungSeconds = [q: w]
        }
        qoe.add(x)
        if let viewer = r.int("viewer") { viewers.append(viewer) }
        // What the session covered, as shares of its video: exactly (the played intervals) for
        // sessions measured by the player, from the start to the furthest point otherwise.
        let d = r.double("d") ?? 0
        guard d > 0 else { return }
        var ranges: [ClosedRange<Double>] = [0...min(1, (r.double("mp") ?? 0) / d)]
        if let json = r.string("iv"), let parsed = Self.intervals(json) {
            ranges = parsed.compactMap { a, b in
                let (lo, hi) = (max(0, a) / d, min(d, b) / d)
                return lo <= hi ? lo...hi : nil
            }
        }
        reachSessions += 1
        for p in 0...10 {
            let at = Double(p) / 10
            // The first point counts every session that started; the others, those playing there.
            if p == 0 || ranges.contains(where: { $0.lowerBound <= at + 0.005 && $0.upperBound >= at - 0.005 }) {
                reach[p] += 1
            }
        }
    }

    /// `[[start, end], ...]` as vlog writes it (`IngestStore`), the pairs with end >= start; nil
    /// when it is not that.
    static func intervals(_ json: String) -> [(Double, Double)]? {
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[Double]] else { return nil }
        return parsed.filter { $0.count == 2 && $0[1] >= $0[0] }.map { ($0[0], $0[1]) }
    }

    /// Sorts the viewers and counts their sessions once every session is added.
    mutating func finish() {
        var counts: [Int: Int] = [:]
        for v in viewers { counts[v, default: 0] += 1 }
        viewers = counts.keys.sorted()
        viewerSessions = viewers.map { counts[$0] ?? 0 }
    }

    /// One session's share, a row read with `columns`.
    static func session(_ r: Row) -> RollupCell {
        var c = RollupCell()
        c.add(r)
        c.finish()
        return c
    }

    /// Adds (`sign` 1) or takes away (-1) another cell's sums, not its viewers (a report counts
    /// them as sets, `ViewerSet`; a stored cell keeps them with their sessions, `RollupDelta`).
    mutating func merge(_ o: RollupCell, sign: Int = 1) {
        let f = Double(sign)
        views += sign * o.views
        watched += f * o.watched
        completed += sign * o.completed
        player += sign * o.player
        cmcd += sign * o.cmcd
        estimated += sign * o.estimated
        for (k, v) in o.qualities {
            var q = qualities[k] ?? Quality()
            q.sessions += sign * v.sessions
            q.watched += f * v.watched
            qualities[k] = q
        }
        reachSessions += sign * o.reachSessions
        for p in reach.indices { reach[p] += sign * o.reach[p] }
        qoe.merge(o.qoe, sign: sign)
    }

    /// A quality, rung or startup time left without sessions goes, as if its sessions had never
    /// been summed (a stored cell after changes; within the changes a count may pass zero).
    mutating func prune() {
        qualities = qualities.filter { $0.value.sessions != 0 }
        qoe.prune()
    }

    /// Sums of seconds back on the grid they are stored at (tenths; stalls in ms) when adding and
    /// taking away left them a rounding error off it, so a cell moved by deltas stores the same
    /// numbers as one summed again from its sessions.
    mutating func snap() {
        watched = Self.snap(watched, 10)
        for (k, q) in qualities { qualities[k]?.watched = Self.snap(q.watched, 10) }
        qoe.timedWatch = Self.snap(qoe.timedWatch, 10)
        qoe.report.rebufferSeconds = Self.snap(qoe.report.rebufferSeconds, 1000)
        for (k, v) in qoe.rungTotals { qoe.rungTotals[k] = Self.snap(v, 10) }
    }
    static func snap(_ x: Double, _ grid: Double) -> Double {
        let r = (x * grid).rounded() / grid
        return abs(r - x) < 1e-6 ? r : x
    }
}

/// Viewer ids counted once each: a bit per id (ids are the `viewers` table's, dense from 1).
struct ViewerSet {
    private var bits: [UInt64] = []
    private(set) var count = 0

    mutating func insert(_ id: Int) {
        guard id >= 0 else { return }
        let word = id >> 6
        if word >= bits.count {
            bits.append(contentsOf: repeatElement(0, count: max(word + 1 - bits.count, bits.count)))
        }
        let mask = UInt64(1) << UInt64(id & 63)
        if bits[word] & mask == 0 {
            bits[word] |= mask
            count += 1
        }
    }

    /// Adds the ids of a `RollupCodec.viewers` blob.
    mutating func insert(blob: [UInt8]) {
        RollupCodec.eachViewer(blob) { insert($0) }
    }
}
