import Foundation
import Testing

@testable import VLogConfig
@testable import VLogStore
@testable import VLogSupport

@Suite struct SchemaTests {
    let tmp = TempDir()

    func freshDB() throws -> SQLiteConnection { try VLogDatabase.open(path: tmp.path("vlog.db"), mode: .create) }

    /// name -> (declared type, notnull, default) for a table.
    func columns(_ db: SQLiteConnection, _ table: String) throws -> [String: (String, Bool, String?)] {
        var out: [String: (String, Bool, String?)] = [:]
        for r in try db.query("PRAGMA table_info(\(table))") {
            out[r.string("name")!] = (r.string("type")!, r.bool("notnull"), r.string("dflt_value"))
        }
        return out
    }

    @Test func theEightTablesWithDeclaredTypes() throws {
        let db = try freshDB()
        let tables = Set(
            try db.query(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'vlog_%'"
            ).compactMap { $0.string("name") })
        #expect(
            tables == [
                "categories", "videos", "video_qualities", "viewers", "playback_sessions",
                "transcoding_jobs", "quality_progress", "transcriptions",
            ])
        let expected: [String: [String: String]] = [
            "categories": [
                "id": "INTEGER", "name": "VARCHAR(100)", "slug": "VARCHAR(100)", "description": "TEXT",
                "created_at": "DATETIME",
            ],
            "videos": [
                "id": "INTEGER", "title": "VARCHAR(255)", "slug": "VARCHAR(255)", "description": "TEXT",
                "category_id": "INTEGER", "duration": "FLOAT", "source_width": "INTEGER", "source_height": "INTEGER",
                "status": "VARCHAR(20)", "error_message": "TEXT", "created_at": "DATETIME",
                "published_at": "DATETIME", "deleted_at": "DATETIME",
            ],
            "video_qualities": [
                "id": "INTEGER", "video_id": "INTEGER", "quality": "VARCHAR(10)", "width": "INTEGER",
                "height": "INTEGER", "bitrate": "INTEGER",
            ],
            "viewers": [
                "id": "INTEGER", "session_id": "VARCHAR(64)", "first_seen": "DATETIME", "last_seen": "DATETIME",
            ],
            "playback_sessions": [
                "id": "INTEGER", "video_id": "INTEGER", "viewer_id": "INTEGER", "session_token": "VARCHAR(64)",
                "started_at": "DATETIME", "ended_at": "DATETIME", "duration_watched": "FLOAT",
                "max_position": "FLOAT", "quality_used": "VARCHAR(10)", "completed": "BOOLEAN",
            ],
            "transcoding_jobs": [
                "id": "INTEGER", "video_id": "INTEGER", "worker_id": "VARCHAR(36)", "current_step": "VARCHAR(50)",
                "progress_percent": "INTEGER", "started_at": "DATETIME", "last_checkpoint": "DATETIME",
                "completed_at": "DATETIME", "attempt_number": "INTEGER", "max_attempts": "INTEGER",
                "last_error": "TEXT",
            ],
            "quality_progress": [
                "id": "INTEGER", "job_id": "INTEGER", "quality": "VARCHAR(10)", "status": "VARCHAR(20)",
                "segments_total": "INTEGER", "segments_completed": "INTEGER", "progress_percent": "INTEGER",
                "started_at": "DATETIME", "completed_at": "DATETIME", "error_message": "TEXT",
            ],
            "transcriptions": [
                "id": "INTEGER", "video_id": "INTEGER", "status": "VARCHAR(20)", "language": "VARCHAR(10)",
                "started_at": "DATETIME", "completed_at": "DATETIME", "duration_seconds": "FLOAT",
                "transcript_text": "TEXT", "vtt_path": "VARCHAR(255)", "word_count": "INTEGER", "error_message": "TEXT",
            ],
        ]
        for (table, cols) in expected {
            let actual = try columns(db, table)
            #expect(Set(actual.keys) == Set(cols.keys), "columns of \(table)")
            for (name, type) in cols { #expect(actual[name]?.0 == type, "\(table).\(name)") }
        }
        let notNull: [(String, String)] = [
            ("categories", "name"), ("categories", "slug"), ("videos", "title"), ("videos", "slug"),
            ("viewers", "session_id"), ("playback_sessions", "session_token"),
            ("quality_progress", "quality"), ("quality_progress", "status"), ("transcriptions", "status"),
        ]
        for (t, c) in notNull { #expect(try columns(db, t)[c]?.1 == true, "\(t).\(c) NOT NULL") }
        #expect(try columns(db, "videos")["published_at"]?.1 == false)
    }

    @Test func namedIndexesAndUniqueConstraints() throws {
        let db = try freshDB()
        let idx = Set(
            try db.query("SELECT name FROM sqlite_master WHERE type='index'").compactMap { $0.string("name") })
        for name in [
            "ix_videos_status", "ix_videos_category_id", "ix_videos_created_at", "ix_videos_published_at",
            "ix_videos_deleted_at", "ix_playback_sessions_video_id", "ix_playback_sessions_started_at",
            "ix_playback_sessions_session_token",
        ] {
            #expect(idx.contains(name), "index \(name)")
        }
        let qpSQL = try db.queryOne("SELECT sql FROM sqlite_master WHERE name='quality_progress'")?.string("sql") ?? ""
        #expect(qpSQL.contains("CONSTRAINT uq_job_quality UNIQUE (job_id, quality)"))
        try db.exec("INSERT INTO videos (title, slug) VALUES ('a', 'a')")
        #expect(throws: SQLiteError.self) { try db.exec("INSERT INTO videos (title, slug) VALUES ('b', 'a')") }
        try db.exec("INSERT INTO transcoding_jobs (video_id) VALUES (1)")
        #expect(throws: SQLiteError.self) { try db.exec("INSERT INTO transcoding_jobs (video_id) VALUES (1)") }
        try db.exec("INSERT INTO quality_progress (job_id, quality) VALUES (1, '720p')")
        #expect(throws: SQLiteError.self) {
            try db.exec("INSERT INTO quality_progress (job_id, quality) VALUES (1, '720p')")
        }
        try db.exec("INSERT INTO viewers (session_id) VALUES ('v')")
        #expect(throws: SQLiteError.self) { try db.exec("INSERT INTO viewers (session_id) VALUES ('v')") }
        #expect(throws: SQLiteError.self) { try db.exec("INSERT INTO categories (name) VALUES ('no slug')") }
    }

    @Test func defaultsLiveInTheDatabase() throws {
        let db = try freshDB()
        try db.exec(
            """
            INSERT INTO categories (name, slug) VALUES ('C', 'c');
            INSERT INTO videos (title, slug) VALUES ('V', 'v');
            INSERT INTO viewers (session_id) VALUES ('s');
            INSERT INTO playback_sessions (video_id, session_token) VALUES (1, 't');
            INSERT INTO transcoding_jobs (video_id) VALUES (1);
            INSERT INTO quality_progress (job_id, quality) VALUES (1, '360p');
            INSERT INTO transcriptions (video_id) VALUES (1);
            """)
        let c = try #require(try db.queryOne("SELECT * FROM categories"))
        #expect(c.string("description") == "")
        #expect(c.date("created_at") != nil)
        let v = try #require(try db.queryOne("SELECT * FROM videos"))
        #expect(v.string("description") == "" && v.double("duration") == 0 && v.int("source_width") == 0)
        #expect(v.string("status") == "pending" && v.date("created_at") != nil)
        let w = try #require(try db.queryOne("SELECT * FROM viewers"))
        #expect(w.date("first_seen") != nil && w.date("last_seen") != nil)
        let p = try #require(try db.queryOne("SELECT * FROM playback_sessions"))
        #expect(
            p.double("duration_watched") == 0 && p.double("max_position") == 0 && p.int("completed") == 0
                && p.date("started_at") != nil)
        let j = try #require(try db.queryOne("SELECT * FROM transcoding_jobs"))
        #expect(j.int("progress_percent") == 0 && j.int("attempt_number") == 1 && j.int("max_attempts") == 3)
        let q = try #require(try db.queryOne("SELECT * FROM quality_progress"))
        #expect(q.string("status") == "pending" && q.int("segments_completed") == 0 && q.int("progress_percent") == 0)
        let t = try #require(try db.queryOne("SELECT * FROM transcriptions"))
        #expect(t.string("status") == "pending" && t.string("language") == "en")
        // The schema document's stale-job query works on vlog's date format.
        try db.run("UPDATE transcoding_jobs SET last_checkpoint = ?", [Date().addingTimeInterval(-3600)])
        let stale = try db.query(
            "SELECT * FROM transcoding_jobs WHERE completed_at IS NULL AND last_checkpoint < datetime('now', '-30 minutes')"
        )
        #expect(stale.count == 1)
    }

    @Test func cascadesAsTheDocumentSays() throws {
        let db = try freshDB()
        func onDelete(_ table: String, _ parent: String) throws -> String? {
            try db.query("PRAGMA foreign_key_list(\(table))").first { $0.string("table") == parent }?.string(
                "on_delete")
        }
        #expect(try onDelete("video_qualities", "videos") == "CASCADE")
        #expect(try onDelete("playback_sessions", "videos") == "CASCADE")
        #expect(try onDelete("transcoding_jobs", "videos") == "CASCADE")
        #expect(try onDelete("transcriptions", "videos") == "CASCADE")
        #expect(try onDelete("quality_progress", "transcoding_jobs") == "CASCADE")
        #expect(try onDelete("playback_sessions", "viewers") == "SET NULL")
        #expect(try onDelete("videos", "categories") == "SET NULL")

        try db.exec(
            """
            INSERT INTO categories (name, slug) VALUES ('C', 'c');
            INSERT INTO videos (title, slug, category_id) VALUES ('V', 'v', 1);
            INSERT INTO video_qualities (video_id, quality) VALUES (1, '720p');
            INSERT INTO viewers (session_id) VALUES ('s');
            INSERT INTO playback_sessions (video_id, viewer_id, session_token) VALUES (1, 1, 't');
            INSERT INTO transcoding_jobs (video_id) VALUES (1);
            INSERT INTO quality_progress (job_id, quality) VALUES (1, '360p');
            INSERT INTO transcriptions (video_id) VALUES (1);
            """)
        try db.exec("DELETE FROM viewers")
        #expect(try db.queryOne("SELECT viewer_id FROM playback_sessions")?.int("viewer_id") == nil)
        try db.exec("DELETE FROM categories")
        #expect(try db.queryOne("SELECT category_id FROM videos")?.int("category_id") == nil)
        try db.exec("DELETE FROM videos")
        for t in ["video_qualities", "playback_sessions", "transcoding_jobs", "quality_progress", "transcriptions"] {
            #expect(try db.queryOne("SELECT COUNT(*) AS n FROM \(t)")?.int("n") == 0, "\(t) cascaded")
        }
    }

    @Test func connectionSettingsAndVersionedMigrations() throws {
        let db = try freshDB()
        #expect(try db.queryOne("PRAGMA journal_mode")?.string("journal_mode") == "wal")
        #expect(try db.queryOne("PRAGMA foreign_keys")?.int("foreign_keys") == 1)
        #expect(try db.queryOne("PRAGMA user_version")?.int("user_version") == Schema.migrations.last!.version)
        // Opening again runs nothing new and keeps rows.
        try db.exec("INSERT INTO videos (title, slug) VALUES ('keep', 'keep')")
        let again = try VLogDatabase.open(path: tmp.path("vlog.db"))
        #expect(try again.queryOne("SELECT COUNT(*) AS n FROM videos")?.int("n") == 1)
    }

    @Test func datesRoundTripAsUTCText() throws {
        let d = try #require(DBDate.parse("2025-12-03 19:39:36.123456"))
        #expect(DBDate.format(d) == "2025-12-03 19:39:36")
        #expect(DBDate.parse("2025-12-03T20:39:36+01:00") == DBDate.parse("2025-12-03 19:39:36"))
        #expect(DBDate.parse("2025-12-03")!.timeIntervalSince1970 == 1_764_720_000)
        #expect(DBDate.parse("2025-02-30") == nil)
        #expect(DBDate.parse("tomorrow") == nil)
    }
}
