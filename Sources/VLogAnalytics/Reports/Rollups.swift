import Foundation
import VLogStore
import VLogSupport

/// The rollups beside the schema's tables: `vlog_rollups`, one row per video and UTC day
/// (`RollupCell`), so a report over a month reads about 30 rows per video instead of every session
/// (docs/analytics.md, Rollups). The schema's tables stay the truth:
/// - Triggers on `playback_sessions` (and on a video's duration) mark the day of every session
///   inserted, changed or deleted in `vlog_rollup_dirty`, in the same transaction as the change,
///   whoever makes it: `vlog ingest`, a `video purge` (its cascade), the seed's own system. So a
///   session extended by a later run moves from its old day to its new one and is never counted
///   twice.
/// - `refresh` recomputes the marked days from the sessions (through the `started_at` index) and
///   clears the marks, in one transaction: `vlog ingest` runs it at its end, every report before it
///   reads. `*` (a new or restored database without rollups, a video's new duration) rebuilds every
///   day.
public enum Rollups {
    /// Recomputes the marked days; returns how many. Throws when the database cannot be written
    /// (a reader then computes those days from the sessions: `AnalyticsReport`).
    @discardableResult
    public static func refresh(_ db: SQLiteConnection) throws -> Int {
        let marked = try db.query("SELECT day FROM vlog_rollup_dirty").compactMap { $0.string("day") }
        guard !marked.isEmpty else { return 0 }
        return try db.transaction {
            var days = marked.filter { $0 != "*" }
            if marked.contains("*") {
                try db.exec("DELETE FROM vlog_rollups")
                days = try db.query(
                    "SELECT DISTINCT date(started_at) AS day FROM playback_sessions WHERE date(started_at) IS NOT NULL"
                ).compactMap { $0.string("day") }
            }
            for day in days {
                try db.run("DELETE FROM vlog_rollups WHERE day = ?", [day])
                for (video, cell) in try cells(db, day: day) { try store(db, day: day, video: video, cell) }
            }
            try db.exec("DELETE FROM vlog_rollup_dirty")
            return days.count
        }
    }

    /// Marks every day for recomputing, then recomputes them (`vlog stats --rebuild`).
    public static func rebuild(_ db: SQLiteConnection) throws -> Int {
        try db.transaction {
            try db.run("INSERT OR IGNORE INTO vlog_rollup_dirty (day) VALUES ('*')")
            return try refresh(db)
        }
    }

    /// The bounds on the stored text of `started_at` that hold every session started in [a, b),
    /// for the index: 14 hours either side (the widest UTC offset a time may be written with;
    /// a `T` sorts after the space vlog writes, so both spellings fall inside). Callers decide
    /// exactly with `date()` or `julianday()`, as reports always have.
    static func textRange(_ a: Date, _ b: Date) -> (String, String) {
        let hi = DBDate.format(b.addingTimeInterval(14 * 3600)).replacingOccurrences(of: " ", with: "T")
        return (DBDate.format(a.addingTimeInterval(-14 * 3600)), hi + "~")
    }

    /// The cells of one day, from the sessions (`day`: YYYY-MM-DD, UTC); with `videos`, only
    /// theirs (`vlog check`'s sample: the day's index range, without the joins of other videos).
    static func cells(_ db: SQLiteConnection, day: String, videos: Set<Int>? = nil) throws -> [Int: RollupCell] {
        guard let d = DBDate.parse(day + " 00:00:00") else { return [:] }
        let (lo, hi) = textRange(d, d.addingTimeInterval(86400))
        // `+s.video_id`: the started_at index, not the video's (a popular video has every day).
        let only = videos.map { " AND +s.video_id IN (\($0.sorted().map(String.init).joined(separator: ",")))" } ?? ""
        var out: [Int: RollupCell] = [:]
        try db.forEach(
            """
            SELECT \(RollupCell.columns) \(RollupCell.joins)
            WHERE s.started_at >= ? AND s.started_at < ? AND date(s.started_at) = ?\(only)
            """, [lo, hi, day]
        ) { r in
            guard let video = r.int("vid") else { return }
            out[video, default: RollupCell()].add(r)
        }
        for k in Array(out.keys) { out[k]?.finish() }
        return out
    }

    static func store(_ db: SQLiteConnection, day: String, video: Int, _ c: RollupCell) throws {
        var c = c
        c.snap()
        try db.run(
            """
            INSERT OR REPLACE INTO vlog_rollups (day, video_id, views, watched, completed, player, cmcd, estimated, qualities,
                reach, qoe, viewers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                day, video, c.views, c.watched, c.completed, c.player, c.cmcd, c.estimated,
                RollupCodec.qualities(c.qualities), RollupCodec.reach(c), RollupCodec.qoe(c.qoe),
                SQLValue.blob(RollupCodec.viewers(c.viewers, sessions: c.viewerSessions)),
            ])
    }

    /// A stored row as a cell (its viewers left in the blob: `blob`).
    static func cell(_ r: Row) -> RollupCell { cell(r, qoe: bytes(r["qoe"]), startups: true) }

    /// `qoe`: the row's qoe bytes; without `startups`, its startup times are left out.
    static func cell(_ r: Row, qoe: [UInt8], startups: Bool) -> RollupCell {
        var c = RollupCell()
        c.views = r.int("views") ?? 0
        c.watched = r.double("watched") ?? 0
        c.completed = r.int("completed") ?? 0
        c.player = r.int("player") ?? 0
        c.cmcd = r.int("cmcd") ?? 0
        c.estimated = r.int("estimated") ?? 0
        c.qualities = RollupCodec.qualities(bytes(r["qualities"]))
        RollupCodec.reach(bytes(r["reach"]), into: &c)
        c.qoe = RollupCodec.qoe(qoe, startups: startups)
        return c
    }

    static func bytes(_ v: SQLValue) -> [UInt8] {
        switch v {
        case .text(let s): Array(s.utf8)
        case .blob(let b): b
        default: []
        }
    }

    static func blob(_ r: Row) -> [UInt8] {
        if case .blob(let b) = r["viewers"] { return b }
        return []
    }

    /// `vlog check`: the stored cells of up to `sample` (video, day) pairs, spread over the
    /// stored ones, against the same cells computed again from the sessions. One line per
    /// difference (days still marked for recomputing are skipped: they are recomputed, not wrong).
    public static func verify(_ db: SQLiteConnection, sample: Int = 40) throws -> [String] {
        let marked = Set(try db.query("SELECT day FROM vlog_rollup_dirty").compactMap { $0.string("day") })
        if marked.contains("*") { return [] }
        let total = try db.queryOne("SELECT COUNT(*) AS n FROM vlog_rollups")?.int("n") ?? 0
        guard total > 0 else { return [] }
        let step = max(1, total / sample)
        var problems: [String] = []
        let rows = try db.query(
            "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY day, video_id) AS k FROM vlog_rollups) WHERE (k - 1) % ? = 0",
            [step])
        // The sampled videos of each day, recomputed in one pass over the day's sessions.
        var sampled: [String: Set<Int>] = [:]
        for r in rows {
            if let day = r.string("day"), let video = r.int("video_id") { sampled[day, default: []].insert(video) }
        }
        var byDay: [String: [Int: RollupCell]] = [:]
        for r in rows {
            guard let day = r.string("day"), let video = r.int("video_id"), !marked.contains(day) else { continue }
            if byDay[day] == nil { byDay[day] = try cells(db, day: day, videos: sampled[day]) }
            var stored = cell(r)
            (stored.viewers, stored.viewerSessions) = RollupCodec.decodeViewers(blob(r))
            var fresh = byDay[day]?[video] ?? RollupCell()
            fresh.snap()
            if !same(stored, fresh) {
                problems.append(
                    "analytics rollups: video \(video) on \(day) says \(stored.views) views and \(stored.viewers.count) viewers, its sessions \(fresh.views) and \(fresh.viewers.count)"
                )
            }
        }
        return problems
    }

    /// Equal, sums of seconds to the rounding of their storage.
    static func same(_ a: RollupCell, _ b: RollupCell) -> Bool {
        var a = a
        var b = b
        guard abs(a.watched - b.watched) < 0.01, abs(a.qoe.timedWatch - b.qoe.timedWatch) < 0.01,
            abs(a.qoe.report.rebufferSeconds - b.qoe.report.rebufferSeconds) < 0.01
        else { return false }
        for k in Set(a.qualities.keys).union(b.qualities.keys) {
            guard abs((a.qualities[k]?.watched ?? -1) - (b.qualities[k]?.watched ?? -1)) < 0.01 else { return false }
            a.qualities[k]?.watched = 0
            b.qualities[k]?.watched = 0
        }
        for k in Set(a.qoe.rungTotals.keys).union(b.qoe.rungTotals.keys) {
            guard abs((a.qoe.rungTotals[k] ?? -1) - (b.qoe.rungTotals[k] ?? -1)) < 0.01 else { return false }
        }
        a.qoe.rungTotals = [:]
        b.qoe.rungTotals = [:]
        (a.watched, b.watched) = (0, 0)
        (a.qoe.timedWatch, b.qoe.timedWatch) = (0, 0)
        (a.qoe.report.rebufferSeconds, b.qoe.report.rebufferSeconds) = (0, 0)
        return a == b
    }
}
