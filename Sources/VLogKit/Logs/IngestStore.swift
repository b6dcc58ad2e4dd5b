import Foundation

/// Writes sessions, viewers and ingest positions. Everything of one checkpoint goes in one
/// transaction, so a killed ingest resumes from a consistent point and ends with the same rows.
struct IngestStore {
    let db: SQLiteConnection
    let completionThreshold: Double
    private var sessionIDs: [String: Int] = [:]
    /// Viewers whose sessions changed in the current checkpoint.
    private var touchedViewers: Set<Int> = []

    init(db: SQLiteConnection, completionThreshold: Double) {
        self.db = db
        self.completionThreshold = completionThreshold
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
            touchedViewers = []
            for s in closed where !s.looksAutomated {
                try write(s.summary(completionThreshold: completionThreshold))
                written += 1
            }
            for s in closed where s.looksAutomated {
                if let row = try db.queryOne(
                    "SELECT viewer_id FROM playback_sessions WHERE session_token = ?", [s.token]),
                    let v = row.int("viewer_id")
                {
                    touchedViewers.insert(v)
                }
                try db.run("DELETE FROM playback_sessions WHERE session_token = ?", [s.token])
            }
            try db.run("DELETE FROM vlog_open_sessions")
            let encoder = JSONEncoder()
            for s in open {
                try db.run(
                    "INSERT INTO vlog_open_sessions (session_token, state) VALUES (?, ?)",
                    [s.token, String(decoding: try encoder.encode(s), as: UTF8.self)])
                if !s.looksAutomated { try write(s.summary(completionThreshold: completionThreshold)) }
            }
            try settleViewers()
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

    private mutating func viewerID(_ key: String, first: Date, last: Date) throws -> Int {
        let row = try db.queryOne(
            """
            INSERT INTO viewers (session_id, first_seen, last_seen) VALUES (?, ?, ?)
            ON CONFLICT (session_id) DO UPDATE SET session_id = excluded.session_id
            RETURNING id
            """, [key, first, last])
        guard let id = row?.int("id") else { throw VLogError.io("the database returned no viewer id for a session") }
        touchedViewers.insert(id)
        return id
    }

    /// first_seen and last_seen of every viewer this checkpoint touched, taken from its sessions,
    /// so the same log lines give the same rows however runs and checkpoints split them (an open
    /// session's provisional end, or a session later found automated, leaves no trace). A viewer
    /// vlog made whose only sessions were dropped goes too.
    private mutating func settleViewers() throws {
        for id in touchedViewers {
            let span = try db.queryOne(
                """
                SELECT MIN(started_at) AS first, MAX(ended_at) AS last, COUNT(*) AS n FROM playback_sessions WHERE viewer_id = ?
                """, [id])
            if let span, (span.int("n") ?? 0) > 0, let first = span.string("first"), let last = span.string("last") {
                try db.run("UPDATE viewers SET first_seen = ?, last_seen = ? WHERE id = ?", [first, last, id])
            } else {
                try db.run("DELETE FROM viewers WHERE id = ?", [id])
            }
        }
        touchedViewers = []
    }

    private mutating func write(_ s: SessionSummary) throws {
        let started = Date(timeIntervalSince1970: s.startedAt)
        let ended = Date(timeIntervalSince1970: s.endedAt)
        let viewer = try viewerID(s.viewer, first: started, last: ended)
        let values: [any SQLBindable] = [
            viewer, started, ended, (s.watched * 10).rounded() / 10, (s.maxPosition * 10).rounded() / 10,
            s.quality, s.completed,
        ]
        // Row ids of sessions this run wrote; others may exist from earlier runs (look them up).
        let known =
            try sessionIDs[s.token]
            ?? db.queryOne("SELECT id FROM playback_sessions WHERE session_token = ?", [s.token])?.int("id")
        if let id = known {
            try db.run(
                """
                UPDATE playback_sessions SET viewer_id = ?, started_at = ?, ended_at = ?, duration_watched = ?, max_position = ?,
                    quality_used = ?, completed = ? WHERE id = ?
                """, values + [id])
        } else {
            try db.run(
                """
                INSERT INTO playback_sessions (viewer_id, started_at, ended_at, duration_watched, max_position, quality_used,
                    completed, video_id, session_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values + [s.videoID, s.token])
            sessionIDs[s.token] = db.lastInsertRowID
        }
    }
}
