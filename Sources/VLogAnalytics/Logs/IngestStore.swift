import Foundation
import VLogStore
import VLogSupport

/// Writes sessions, viewers and ingest positions. Everything of one checkpoint goes in one
/// transaction, so a killed ingest resumes from a consistent point and ends with the same rows.
struct IngestStore {
    let db: SQLiteConnection
    let completionThreshold: Double
    /// The estimator's priors, fitted on the beacon sessions written so far.
    private(set) var priors = EstimatorPriors()
    /// Samples this run has written, by session token (an open session is seen at every checkpoint).
    private var samples: [String: String] = [:]
    /// Sessions with a row: those this run wrote, as last written (and their share of the rollups).
    private var sessionIDs: [String: Written] = [:]
    struct Written {
        let id: Int
        let viewer: Int
        let started: Date
        let ended: Date
        /// The session as the rollups read it (`RollupCell.columns`), its share and its cell.
        let row: Row
        let share: RollupCell
        let cell: RollupDelta.Key
    }
    /// Viewers whose sessions changed in the current checkpoint.
    private var touchedViewers: Set<Int> = []
    /// What this checkpoint changes in the rollups.
    private var rollups = RollupDelta()
    /// Videos' durations, for the sessions' shares of the rollups (retention).
    private var durations: [Int: SQLValue] = [:]
    /// The latest start of a session in the database when this run began: an estimated session
    /// that starts later cannot have a row yet (its token holds its start), so it is not looked up.
    private var latestStart = Double.infinity

    init(db: SQLiteConnection, completionThreshold: Double) {
        self.db = db
        self.completionThreshold = completionThreshold
    }

    /// The priors: the sum of every beacon session's sample (one row per session, replaced as the
    /// session grows, so a session still open counts once), and the error diffusion's state.
    mutating func loadPriors() throws {
        let latest = try db.queryOne("SELECT MAX(started_at) AS m FROM playback_sessions")
        latestStart = latest?.date("m")?.timeIntervalSince1970 ?? (latest?.string("m") == nil ? -1 : .infinity)
        var p = EstimatorPriors()
        let decoder = JSONDecoder()
        try db.forEach("SELECT session_token, sample FROM vlog_estimator_samples") { r in
            guard let json = r.string("sample"),
                let s = try? decoder.decode(EstimatorPriors.self, from: Data(json.utf8))
            else { return }
            if r.string("session_token") == Self.debtToken { p.completionDebt = s.completionDebt } else { p.add(s) }
        }
        priors = p
    }
    static let debtToken = "~completion-debt"

    /// A beacon session's sample replaces its earlier one.
    private mutating func learn(_ s: SessionState, _ summary: SessionSummary) throws {
        var sample = EstimatorPriors()
        sample.learn(from: s, summary: summary, threshold: completionThreshold)
        let json = String(decoding: try JSONEncoder().encode(sample), as: UTF8.self)
        let known =
            try samples[s.token]
            ?? db.queryOne("SELECT sample FROM vlog_estimator_samples WHERE session_token = ?", [s.token])?.string(
                "sample")
        samples[s.token] = json
        if let old = known {
            if old == json { return }
            if let o = try? JSONDecoder().decode(EstimatorPriors.self, from: Data(old.utf8)) { priors.add(o, sign: -1) }
        }
        priors.add(sample)
        try db.run(
            """
            INSERT INTO vlog_estimator_samples (session_token, sample) VALUES (?, ?)
            ON CONFLICT (session_token) DO UPDATE SET sample = excluded.sample
            """, [s.token, json])
    }

    func loadOpenSessions() throws -> [SessionState] {
        let decoder = JSONDecoder()
        return try db.query("SELECT state FROM vlog_open_sessions").compactMap {
            guard let s = $0.string("state") else { return nil }
            return try? decoder.decode(SessionState.self, from: Data(s.utf8))
        }
    }

    func fileOffset(identity: String) throws -> Int64 {
        Int64(
            try db.queryOne("SELECT offset FROM vlog_ingest_files WHERE identity = ?", [identity])?.int("offset") ?? 0)
    }

    /// One checkpoint: finished sessions, the open ones (rows and state), and where each file stands.
    mutating func checkpoint(
        closed: [SessionState], open: [SessionState],
        files: [(identity: String, path: String, head: String, offset: Int64, lines: Int)]
    ) throws -> Int {
        var written = 0
        try db.transaction {
            // A video purged since a session began (possibly carried over from the last run) has
            // no row to point at: its sessions are dropped, and the nightly job goes on.
            var exists: [Int: Bool] = [:]
            func live(_ s: SessionState) throws -> Bool {
                if let known = exists[s.videoID] { return known }
                let found = try db.queryOne("SELECT 1 AS x FROM videos WHERE id = ?", [s.videoID]) != nil
                exists[s.videoID] = found
                return found
            }
            let closed = try closed.filter(live)
            let open = try open.filter(live)
            // Beacon sessions first, closed and open: what they show is used for the estimated ones.
            let debt = priors.completionDebt
            for s in closed where !s.dropped && s.beacons != nil {
                let summary = s.summary(completionThreshold: completionThreshold)
                try learn(s, summary)
                try write(summary)
                forget(s.token)
                written += 1
            }
            for s in open where s.beacons != nil { try learn(s, s.summary(completionThreshold: completionThreshold)) }
            // Then the other measured sessions (CMCD), then the estimated ones, each in log order
            // (the sweep's order is a dictionary's), so the error diffusion is repeatable; an
            // estimated session may take the figures of its video's measured ones (written by then).
            let measuredFirst = { (a: SessionState, b: SessionState) in
                (a.media == nil ? 1 : 0, a.firstTime, a.token) < (b.media == nil ? 1 : 0, b.firstTime, b.token)
            }
            let estimated = closed.filter { !$0.dropped && $0.beacons == nil }.sorted(by: measuredFirst)
            let openWritten = open.filter { !$0.looksAutomated && !$0.covered }.sorted(by: measuredFirst)
            var averages: [Int: MeasuredAverage] = [:]
            func sameVideo(_ s: SessionState) throws -> MeasuredAverage? {
                guard s.fetchedWholeInOneBurst(priors: priors) else { return nil }
                if let known = averages[s.videoID] { return known }
                let r = try db.queryOne(
                    """
                    SELECT COUNT(*) AS n, AVG(s.duration_watched) AS w, AVG(s.max_position) AS m,
                           AVG(CASE WHEN s.completed THEN 1.0 ELSE 0.0 END) AS c
                    FROM vlog_session_measures x CROSS JOIN playback_sessions s ON s.session_token = x.session_token
                    WHERE x.video_id = ? AND x.kind IN ('player', 'cmcd')
                    """, [s.videoID])
                let avg = MeasuredAverage(
                    sessions: r?.int("n") ?? 0, watched: r?.double("w") ?? 0, maxPosition: r?.double("m") ?? 0,
                    completed: r?.double("c") ?? 0)
                averages[s.videoID] = avg
                return avg
            }
            for s in openWritten where s.beacons != nil || s.media != nil {
                try write(s.summary(completionThreshold: completionThreshold, priors: priors))
            }
            for s in estimated {
                var p = priors
                try write(
                    s.summary(completionThreshold: completionThreshold, priors: p, sameVideo: try sameVideo(s)) {
                        p.decide($0)
                    })
                priors = p
                forget(s.token)
                written += 1
            }
            if priors.completionDebt != debt {
                var state = EstimatorPriors()
                state.completionDebt = priors.completionDebt
                try db.run(
                    """
                    INSERT INTO vlog_estimator_samples (session_token, sample) VALUES (?, ?)
                    ON CONFLICT (session_token) DO UPDATE SET sample = excluded.sample
                    """, [Self.debtToken, String(decoding: try JSONEncoder().encode(state), as: UTF8.self)])
            }
            for s in closed where s.dropped { try drop(s) }
            try db.run("DELETE FROM vlog_open_sessions")
            let encoder = JSONEncoder()
            for s in open {
                try db.run(
                    "INSERT INTO vlog_open_sessions (session_token, state) VALUES (?, ?)",
                    [s.token, String(decoding: try encoder.encode(s), as: UTF8.self)])
                if s.covered { try drop(s) }
            }
            for s in openWritten where s.beacons == nil && s.media == nil {
                try write(
                    s.summary(completionThreshold: completionThreshold, priors: priors, sameVideo: try sameVideo(s)))
            }
            try settleViewers()
            // The sessions' shares move in the rollups here (this connection's triggers are off).
            try rollups.apply(db)
            for f in files {
                try db.run(
                    """
                    INSERT INTO vlog_ingest_files (identity, path, head_hash, offset, lines, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (identity) DO UPDATE SET path = excluded.path, offset = max(offset, excluded.offset),
                        lines = excluded.lines, updated_at = excluded.updated_at
                    """, [f.identity, f.path, f.head, Int(f.offset), f.lines, Date()])
            }
        }
        return written
    }

    /// A closed session is written for the last time: what this run kept of it goes, so memory
    /// follows the sessions open, not every session of the log.
    private mutating func forget(_ token: String) {
        sessionIDs[token] = nil
        samples[token] = nil
    }

    /// Removes a session an earlier checkpoint wrote that is now dropped (automated, or covered by
    /// beacons); its viewer's span is settled again.
    private mutating func drop(_ s: SessionState) throws {
        if let row = try stored(s.token) {
            touchedViewers.insert(row.viewer)
            rollups.add(row.cell, row.share, sign: -1)
            try db.run("DELETE FROM playback_sessions WHERE session_token = ?", [s.token])
        }
        try db.run("DELETE FROM vlog_session_intervals WHERE session_token = ?", [s.token])
        try db.run("DELETE FROM vlog_session_measures WHERE session_token = ?", [s.token])
        sessionIDs[s.token] = nil
    }

    /// A date's UTC day as SQLite's `date()` gives it for the stored text.
    static func day(_ d: Date) -> String { String(DBDate.format(d).prefix(10)) }

    /// A viewer's row: first_seen and last_seen only ever widen (a session's start is fixed and
    /// its end only grows), so they do not depend on where runs and checkpoints split the log.
    private mutating func viewerID(_ key: String, first: Date, last: Date) throws -> Int {
        let row = try db.queryOne(
            """
            INSERT INTO viewers (session_id, first_seen, last_seen) VALUES (?, ?, ?)
            ON CONFLICT (session_id) DO UPDATE SET
                first_seen = CASE WHEN julianday(excluded.first_seen) < julianday(first_seen)
                                  THEN excluded.first_seen ELSE first_seen END,
                last_seen = CASE WHEN julianday(excluded.last_seen) > julianday(last_seen)
                                 THEN excluded.last_seen ELSE last_seen END
            RETURNING id
            """, [key, first, last])
        guard let id = row?.int("id") else { throw VLogError.io("the database returned no viewer id for a session") }
        return id
    }

    /// Viewers of sessions dropped as automated after an earlier checkpoint had written them: their
    /// first_seen and last_seen are taken again from the sessions they keep (one grouped pass), and a
    /// viewer left without sessions goes, so the rows equal those of a single run.
    private mutating func settleViewers() throws {
        let ids = Array(touchedViewers)
        touchedViewers = []
        for start in stride(from: 0, to: ids.count, by: 500) {
            let part = Array(ids[start..<min(ids.count, start + 500)])
            let marks = part.map { _ in "?" }.joined(separator: ",")
            var kept: Set<Int> = []
            try db.forEach(
                """
                SELECT viewer_id, MIN(started_at) AS first, MAX(ended_at) AS last FROM playback_sessions
                WHERE viewer_id IN (\(marks)) GROUP BY viewer_id
                """, part
            ) { r in
                guard let id = r.int("viewer_id"), let first = r.string("first"), let last = r.string("last") else {
                    return
                }
                kept.insert(id)
                try db.run("UPDATE viewers SET first_seen = ?, last_seen = ? WHERE id = ?", [first, last, id])
            }
            for id in part where !kept.contains(id) { try db.run("DELETE FROM viewers WHERE id = ?", [id]) }
        }
    }

    /// A session's row as the database holds it, with its share of the rollups.
    private func stored(_ token: String) throws -> Written? {
        guard
            let r = try db.queryOne(
                """
                SELECT s.id AS id, s.started_at AS sa, s.ended_at AS ea, date(s.started_at) AS day, \(RollupCell.columns)
                \(RollupCell.joins) WHERE s.session_token = ?
                """, [token]),
            let id = r.int("id"), let started = r.date("sa"), let day = r.string("day"), let video = r.int("vid")
        else { return nil }
        let row = Row(columns: RollupCell.names, values: RollupCell.names.map { r[$0] })
        return Written(
            id: id, viewer: r.int("viewer") ?? 0, started: started, ended: r.date("ea") ?? started, row: row,
            share: RollupCell.session(row), cell: RollupDelta.Key(day: day, video: video))
    }

    private mutating func duration(_ video: Int) throws -> SQLValue {
        if let d = durations[video] { return d }
        let d = try db.queryOne("SELECT duration FROM videos WHERE id = ?", [video])?["duration"] ?? .null
        durations[video] = d
        return d
    }

    private mutating func write(_ s: SessionSummary) throws {
        // The session's row before this write: this run's, or an earlier run's.
        var known = sessionIDs[s.token]
        let surelyNew = !s.token.hasPrefix(SessionState.playerTokenPrefix) && s.startedAt > latestStart + 1
        if known == nil, !surelyNew { known = try stored(s.token) }
        var measures: [SQLValue]? = nil
        var intervalsJSON: String? = nil
        if let intervals = s.intervals {
            let json = "[" + intervals.map { String(format: "[%.2f,%.2f]", $0[0], $0[1]) }.joined(separator: ",") + "]"
            intervalsJSON = json
            try db.run(
                """
                INSERT INTO vlog_session_intervals (session_token, intervals) VALUES (?, ?)
                ON CONFLICT (session_token) DO UPDATE SET intervals = excluded.intervals
                """, [s.token, json])
        }
        // Estimated sessions keep no row: their kind is in the token, their rung in quality_used
        // (a row per session costs a tenth of the ingest on a log without beacons or CMCD).
        if let q = s.qoe, q.kind != .estimated {
            let rungs = q.rungSeconds.sorted { $0.key < $1.key }.map {
                "\"\($0.key)\":" + String(format: "%.1f", $0.value)
            }
            let m: [SQLValue] = [
                .text(q.kind.rawValue), q.started.sqlValue, q.startupMs.sqlValue, q.rebuffers.sqlValue,
                q.rebufferMs.sqlValue, q.failed.sqlValue, .text("{" + rungs.joined(separator: ",") + "}"),
            ]
            measures = m
            try db.run(
                """
                INSERT INTO vlog_session_measures (session_token, kind, started, startup_ms, rebuffers, rebuffer_ms, failed, rung_seconds, video_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (session_token) DO UPDATE SET kind = excluded.kind, started = excluded.started, video_id = excluded.video_id,
                    startup_ms = excluded.startup_ms, rebuffers = excluded.rebuffers, rebuffer_ms = excluded.rebuffer_ms,
                    failed = excluded.failed, rung_seconds = excluded.rung_seconds
                """, [s.token] + m + [s.videoID.sqlValue])
        }
        let started = Date(timeIntervalSince1970: s.startedAt)
        let ended = Date(timeIntervalSince1970: s.endedAt)
        let viewer = try viewerID(s.viewer, first: started, last: ended)
        let watched = (s.watched * 10).rounded() / 10
        let maxPosition = (s.maxPosition * 10).rounded() / 10
        let values: [any SQLBindable] = [viewer, started, ended, watched, maxPosition, s.quality, s.completed]
        // The row as the rollups will read it (the video is never changed by an update).
        let video = known?.cell.video ?? s.videoID
        let old = known?.row
        let row = Row(
            columns: RollupCell.names,
            values: [
                .int(Int64(video)), .int(Int64(viewer)), .double(watched), .double(maxPosition),
                s.completed.sqlValue, s.quality.sqlValue, .text(s.token), try duration(video),
            ] + (measures ?? ["kind", "started", "su", "rb", "rt", "failed", "rungs"].map { old?[$0] ?? .null })
                + [intervalsJSON.map { .text($0) } ?? old?["iv"] ?? .null])
        let cell = RollupDelta.Key(day: Self.day(started), video: video)
        let share = RollupCell.session(row)
        if let k = known {
            rollups.add(k.cell, k.share, sign: -1)
            // An open session's provisional end can be later than its final one: its viewer's
            // span is then taken again from the sessions (rare; widening is done by viewerID).
            if ended < k.ended || started > k.started || k.viewer != viewer { touchedViewers.insert(k.viewer) }
            try db.run(
                """
                UPDATE playback_sessions SET viewer_id = ?, started_at = ?, ended_at = ?, duration_watched = ?, max_position = ?,
                    quality_used = ?, completed = ? WHERE id = ?
                """, values + [k.id])
            sessionIDs[s.token] = Written(
                id: k.id, viewer: viewer, started: started, ended: ended, row: row, share: share, cell: cell)
        } else {
            try db.run(
                """
                INSERT INTO playback_sessions (viewer_id, started_at, ended_at, duration_watched, max_position, quality_used,
                    completed, video_id, session_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values + [s.videoID, s.token])
            sessionIDs[s.token] = Written(
                id: db.lastInsertRowID, viewer: viewer, started: started, ended: ended, row: row, share: share,
                cell: cell)
        }
        rollups.add(cell, share, sign: 1)
    }
}
