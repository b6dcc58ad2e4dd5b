import Foundation
import Testing

@testable import VLogAnalytics
@testable import VLogContent
@testable import VLogStore

/// Reports read the rollups (sums per video and day), and every figure stays what a full
/// recomputation from `playback_sessions` says: after sessions are extended by a later ingest, a
/// video is purged, a backup is restored, and on a database written without rollups.
@Suite struct RollupTests {
    /// The figures of a period straight from the schema's tables, as plain SQL.
    struct Truth: Equatable {
        var views = 0
        var viewers = 0
        var hours = 0.0
        var completed = 0
        var videos: [String: [Double]] = [:]
        var days: [String: Int] = [:]
        var qualities: [String: Int] = [:]
        var categories: [String: Int] = [:]
    }

    static func truth(_ db: SQLiteConnection, from: Date, to: Date) throws -> Truth {
        let base = """
            FROM playback_sessions s JOIN videos v ON v.id = s.video_id LEFT JOIN categories c ON c.id = v.category_id
            WHERE julianday(s.started_at) >= julianday(?) AND julianday(s.started_at) < julianday(?)
            """
        let p: [any SQLBindable] = [from, to]
        var t = Truth()
        let o = try db.queryOne(
            "SELECT COUNT(*) AS n, COUNT(DISTINCT s.viewer_id) AS u, COALESCE(SUM(s.duration_watched), 0) AS w, COALESCE(SUM(s.completed), 0) AS c \(base)",
            p)
        t.views = o?.int("n") ?? 0
        t.viewers = o?.int("u") ?? 0
        t.hours = (o?.double("w") ?? 0) / 3600
        t.completed = o?.int("c") ?? 0
        for r in try db.query(
            "SELECT v.slug AS slug, COUNT(*) AS n, COUNT(DISTINCT s.viewer_id) AS u, SUM(s.duration_watched) AS w, SUM(s.completed) AS c \(base) GROUP BY v.id",
            p)
        {
            t.videos[r.string("slug") ?? ""] = [
                r.double("n") ?? 0, r.double("u") ?? 0, (r.double("w") ?? 0) / 3600, r.double("c") ?? 0,
            ]
        }
        for r in try db.query("SELECT date(s.started_at) AS d, COUNT(*) AS n \(base) GROUP BY d", p) {
            t.days[r.string("d") ?? ""] = r.int("n") ?? 0
        }
        for r in try db.query("SELECT COALESCE(s.quality_used, '?') AS q, COUNT(*) AS n \(base) GROUP BY q", p) {
            t.qualities[r.string("q") ?? ""] = r.int("n") ?? 0
        }
        for r in try db.query("SELECT COALESCE(c.name, '(no category)') AS k, COUNT(*) AS n \(base) GROUP BY c.id", p) {
            t.categories[r.string("k") ?? ""] = r.int("n") ?? 0
        }
        return t
    }

    /// What the report says, in the same shape (the top list holds every video here).
    static func said(_ r: AnalyticsReport) -> Truth {
        var t = Truth()
        t.views = r.overview.views
        t.viewers = r.overview.uniqueViewers
        t.hours = r.overview.watchHours
        t.completed = Int((r.overview.completionRate * Double(r.overview.views)).rounded())
        for v in r.videos {
            t.videos[v.slug] = [
                Double(v.views), Double(v.uniqueViewers), v.watchHours, (v.completionRate * Double(v.views)).rounded(),
            ]
        }
        for d in r.days where d.views > 0 { t.days[d.day] = d.views }
        for q in r.qualities { t.qualities[q.quality] = q.sessions }
        for c in r.categories { t.categories[c.category] = c.views }
        return t
    }

    static func expectSame(_ db: SQLiteConnection, from: Date, to: Date, _ what: String) throws {
        let report = try AnalyticsReport.load(db: db, from: from, to: to, top: 1000)
        let aligned =
            from.timeIntervalSince1970.truncatingRemainder(dividingBy: 86400) == 0
            && to.timeIntervalSince1970.truncatingRemainder(dividingBy: 86400) == 0
        #expect(!aligned || report.fromSessions.isEmpty, "\(what): whole days come from the rollups")
        var said = Self.said(report)
        let truth = try Self.truth(db, from: from, to: to)
        #expect(truth.views > 0, "\(what): the period has sessions")
        #expect(abs(said.hours - truth.hours) < 1e-6, "\(what): hours \(said.hours) against \(truth.hours)")
        said.hours = truth.hours
        for (k, v) in truth.videos {
            #expect(abs((said.videos[k]?[2] ?? -1) - v[2]) < 1e-6, "\(what): \(k)")
            said.videos[k]?[2] = v[2]
        }
        #expect(said == truth, "\(what)")
        // The same report from the sessions alone (a copy without rollups) agrees on everything,
        // quality of experience and retention included.
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("vlog-raw-\(UUID().uuidString).db")
        defer { try? FileManager.default.removeItem(at: copy) }
        try db.exec("VACUUM INTO '\(copy.path)'")
        let raw = try SQLiteConnection(path: copy.path)
        try raw.exec("DROP TABLE vlog_rollups; DROP TABLE vlog_rollup_dirty")
        let fromSessions = try AnalyticsReport.load(db: raw, from: from, to: to, top: 1000)
        #expect(fromSessions.qoe == report.qoe, "\(what): quality of experience")
        #expect(fromSessions.qoeByDay.map(\.qoe) == report.qoeByDay.map(\.qoe), "\(what): by day")
        #expect(fromSessions.qoeByVideo == report.qoeByVideo, "\(what): by video")
        for (slug, curve) in report.retentionByVideo {
            #expect(fromSessions.retentionByVideo[slug]?.map(\.share) == curve.map(\.share), "\(what): \(slug)")
        }
    }

    /// Every stored cell, viewers and their sessions included, equals the same cell summed from
    /// the sessions, and no day's sessions lack one.
    static func expectStoredCellsEqualSessions(_ db: SQLiteConnection) throws {
        let days = try db.query("SELECT DISTINCT date(started_at) AS d FROM playback_sessions").compactMap {
            $0.string("d")
        }
        #expect(!days.isEmpty)
        for day in days {
            let fresh = try Rollups.cells(db, day: day)
            let stored = try db.query("SELECT * FROM vlog_rollups WHERE day = ?", [day])
            #expect(stored.count == fresh.count, "\(day): one cell per video watched")
            for r in stored {
                var c = Rollups.cell(r)
                (c.viewers, c.viewerSessions) = RollupCodec.decodeViewers(Rollups.blob(r))
                var f = fresh[r.int("video_id") ?? -1] ?? RollupCell()
                f.snap()
                #expect(Rollups.same(c, f), "\(day), video \(r.int("video_id") ?? -1): \(c) against \(f)")
            }
        }
    }

    @Test func everyFigureEqualsARecomputationFromTheSessions() throws {
        let (t, specs) = try analyticsSite([120, 300, 600, 900])
        var gen = TrafficGenerator(videos: specs, seed: 11)
        let start = (Date().timeIntervalSince1970 / 86400).rounded(.down) * 86400 - 6 * 86400
        let (lines, _) = gen.traffic(sessions: 400, start: start, days: 5)
        // Two ingest runs, cut in the middle of sessions: the second extends sessions of the first.
        let a = t.tmp.url.appendingPathComponent("a.log")
        try writeLog(Array(lines.prefix(lines.count / 2)), to: a)
        _ = try Ingester(site: t.site).run(inputs: [a.path])
        try Self.expectStoredCellsEqualSessions(t.store.db)
        let from = Date(timeIntervalSince1970: start - 86400)
        let to = Date(timeIntervalSince1970: start + 7 * 86400)
        try Self.expectSame(t.store.db, from: from, to: to, "after the first run")
        let backup = t.tmp.url.appendingPathComponent("backup.db")
        try t.store.db.exec("VACUUM INTO '\(backup.path)'")
        try writeLog(lines, to: a)
        let second = try Ingester(site: t.site).run(inputs: [a.path])
        #expect(second.sessionsExtended > 0, "sessions were extended across runs")
        // The run moved its sessions' shares in the stored cells itself, nothing left to sum again.
        #expect(try t.store.db.query("SELECT day FROM vlog_rollup_dirty").isEmpty, "no day marked")
        try Self.expectStoredCellsEqualSessions(t.store.db)
        try Self.expectSame(t.store.db, from: from, to: to, "after the second run")
        // Sessions measured by the player (startup, stalls, played intervals), as beacons leave them.
        for i in 0..<60 {
            let token = "p\(String(format: "%023x", i))"
            let started = Date(timeIntervalSince1970: start + Double(i % 5) * 86400 + Double(i) * 97)
            try t.store.db.run(
                """
                INSERT INTO playback_sessions (video_id, viewer_id, session_token, started_at, ended_at, duration_watched,
                    max_position, quality_used, completed) VALUES (?, (SELECT MIN(id) FROM viewers) + ?, ?, ?, ?, ?, ?, '720p', ?)
                """,
                [
                    1 + i % 4, i % 7, token, started, started.addingTimeInterval(60), Double(30 + i), Double(40 + i),
                    i % 3 == 0,
                ])
            try t.store.db.run(
                """
                INSERT INTO vlog_session_measures (session_token, kind, started, startup_ms, rebuffers, rebuffer_ms, failed,
                    rung_seconds, video_id) VALUES (?, 'player', ?, ?, ?, ?, 0, ?, ?)
                """,
                [token, i % 11 != 0, 300 + (i * 37) % 900, i % 4, (i % 4) * 250, "{\"720p\":\(30 + i).0}", 1 + i % 4])
            try t.store.db.run(
                "INSERT INTO vlog_session_intervals (session_token, intervals) VALUES (?, ?)",
                [token, "[[0.00,\(20 + i).00],[\(50 + i).00,\(60 + i).00]]"])
        }
        try Self.expectSame(t.store.db, from: from, to: to, "with sessions measured by the player")
        // Periods that start and end inside days: their ends are read from the sessions.
        let partial = try AnalyticsReport.load(
            db: t.store.db, from: from.addingTimeInterval(86400 + 3600 * 13), to: to.addingTimeInterval(-3600 * 60))
        #expect(partial.fromSessions.count == 2, "\(partial.fromSessions)")
        // A period to now: its last day is after every session, so it is read whole from the rollups.
        let toNow = try AnalyticsReport.load(db: t.store.db, from: from, to: Date())
        #expect(toNow.fromSessions.isEmpty, "\(toNow.fromSessions)")
        try Self.expectSame(t.store.db, from: from, to: Date(), "a period to now")
        try Self.expectSame(
            t.store.db, from: from.addingTimeInterval(86400 + 3600 * 13), to: to.addingTimeInterval(-3600 * 60),
            "a period cut inside days")
        // A purged video takes its sessions (the schema's cascade) and its share of every figure.
        try t.store.db.run("DELETE FROM videos WHERE slug = 'video-1'")
        // A viewer forgotten (the schema's SET NULL on their sessions): one viewer fewer.
        try t.store.db.run("DELETE FROM viewers WHERE id = (SELECT MIN(viewer_id) FROM playback_sessions)")
        try Self.expectSame(t.store.db, from: from, to: to, "after a purge")
        // A backup restored over the database: its rollups are the backup's, true to its sessions.
        let restored = try SQLiteConnection(path: backup.path)
        try Self.expectSame(restored, from: from, to: to, "a restored backup")
        // A database written without rollups (an older vlog, the seed's own system): the
        // migration marks every day, and the first report sums them.
        let old = t.tmp.url.appendingPathComponent("old.db")
        try t.store.db.exec("VACUUM INTO '\(old.path)'")
        let legacy = try SQLiteConnection(path: old.path)
        try legacy.exec(
            """
            DROP TRIGGER vlog_rollup_session_insert; DROP TRIGGER vlog_rollup_session_update;
            DROP TRIGGER vlog_rollup_session_delete; DROP TRIGGER vlog_rollup_video_duration;
            DROP TABLE vlog_rollups; DROP TABLE vlog_rollup_dirty; PRAGMA user_version = 9;
            UPDATE playback_sessions SET duration_watched = duration_watched + 1 WHERE id % 3 = 0;
            """)
        let migrated = try VLogDatabase.open(path: old.path)
        try Self.expectSame(migrated, from: from, to: to, "a database written without rollups")
    }

    @Test func checkFindsRollupsThatDisagreeAndStatsRebuildsThem() throws {
        let (t, specs) = try analyticsSite([120, 300])
        var gen = TrafficGenerator(videos: specs, seed: 3)
        let start = (Date().timeIntervalSince1970 / 86400).rounded(.down) * 86400 - 3 * 86400
        let (lines, _) = gen.traffic(sessions: 60, start: start, days: 2)
        let log = t.tmp.url.appendingPathComponent("a.log")
        try writeLog(lines, to: log)
        let ingest = try vlog(["ingest", log.path], cwd: t.root)
        #expect(ingest.status == 0, "\(ingest.stderr)")
        #expect(
            try t.store.db.queryOne("SELECT COUNT(*) AS n FROM vlog_rollup_dirty")?.int("n") == 0,
            "ingest sums its days")
        #expect(try Rollups.verify(t.store.db).isEmpty)
        // Rows changed behind vlog's back (not through the sessions): check says so and how to fix it.
        try t.store.db.run(
            "UPDATE vlog_rollups SET views = views + 5 WHERE (day, video_id) = (SELECT day, video_id FROM vlog_rollups LIMIT 1)"
        )
        let check = try vlog(["check"], cwd: t.root)
        #expect(
            check.stdout.contains("analytics rollups") && check.stdout.contains("vlog stats --rebuild"),
            "\(check.stdout)")
        let stats = try vlog(["stats", "--rebuild", "--days", "5", "--json"], cwd: t.root)
        #expect(stats.status == 0, "\(stats.stderr)")
        #expect(stats.stderr.contains("rebuilt the analytics rollups"), "\(stats.stderr)")
        #expect(try Rollups.verify(t.store.db).isEmpty)
        let report = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any]
        let views = (report?["overview"] as? [String: Any])?["views"] as? Int
        let truth = try Self.truth(t.store.db, from: Date().addingTimeInterval(-5 * 86400), to: Date())
        #expect(views == truth.views, "\(stats.stdout)")
    }

    /// `stats` right after `ingest` counts a view that began this very second, or a little later
    /// today by a server clock ahead of this one (with "now" as the end, it was left out: DistTests
    /// once saw "views 0" right after "sessions: 1 new").
    @Test func statsRightAfterIngestCountsTheViewThatJustBegan() throws {
        let (t, specs) = try analyticsSite([120])
        var gen = TrafficGenerator(videos: specs, seed: 5)
        let now = Date().timeIntervalSince1970.rounded(.down)
        let midnight = ((now / 86400).rounded(.down) + 1) * 86400
        // Two minutes ahead unless today ends sooner (then this second).
        let start = midnight - now > 300 ? now + 120 : now
        let (lines, _) = gen.traffic(sessions: 1, start: start, days: 0, noise: false)
        let log = t.tmp.url.appendingPathComponent("a.log")
        try writeLog(lines, to: log)
        let ingest = try vlog(["ingest", log.path], cwd: t.root)
        #expect(ingest.status == 0 && ingest.stdout.contains("1 new"), "\(ingest.stdout)\(ingest.stderr)")
        let stats = try vlog(["stats"], cwd: t.root)
        #expect(stats.status == 0 && stats.stdout.contains("views 1 "), "\(stats.stdout)\(stats.stderr)")
        let week = try vlog(["stats", "--days", "7"], cwd: t.root)
        #expect(week.stdout.contains("views 1 "), "\(week.stdout)")
    }
}
