import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogStore
@testable import VLogSupport

/// A vlog.db as the Python VLog (SQLAlchemy) made it: defaults in Python, not in the DDL.
let pythonVLogDDL = """
    CREATE TABLE categories (
        id INTEGER NOT NULL, name VARCHAR(100) NOT NULL, slug VARCHAR(100) NOT NULL, description TEXT,
        created_at DATETIME, PRIMARY KEY (id), UNIQUE (slug));
    CREATE TABLE videos (
        id INTEGER NOT NULL, title VARCHAR(255) NOT NULL, slug VARCHAR(255) NOT NULL, description TEXT,
        category_id INTEGER, duration FLOAT, source_width INTEGER, source_height INTEGER, status VARCHAR(20),
        error_message TEXT, created_at DATETIME, published_at DATETIME, deleted_at DATETIME,
        PRIMARY KEY (id), UNIQUE (slug), FOREIGN KEY(category_id) REFERENCES categories (id));
    CREATE INDEX ix_videos_status ON videos (status);
    CREATE TABLE video_qualities (
        id INTEGER NOT NULL, video_id INTEGER, quality VARCHAR(10), width INTEGER, height INTEGER, bitrate INTEGER,
        PRIMARY KEY (id), FOREIGN KEY(video_id) REFERENCES videos (id) ON DELETE CASCADE);
    CREATE TABLE viewers (
        id INTEGER NOT NULL, session_id VARCHAR(64) NOT NULL, first_seen DATETIME, last_seen DATETIME,
        PRIMARY KEY (id), UNIQUE (session_id));
    CREATE TABLE playback_sessions (
        id INTEGER NOT NULL, video_id INTEGER NOT NULL, viewer_id INTEGER, session_token VARCHAR(64) NOT NULL,
        started_at DATETIME, ended_at DATETIME, duration_watched FLOAT, max_position FLOAT, quality_used VARCHAR(10),
        completed BOOLEAN, PRIMARY KEY (id), FOREIGN KEY(video_id) REFERENCES videos (id) ON DELETE CASCADE,
        FOREIGN KEY(viewer_id) REFERENCES viewers (id) ON DELETE SET NULL);
    CREATE TABLE transcoding_jobs (
        id INTEGER NOT NULL, video_id INTEGER NOT NULL, worker_id VARCHAR(36), current_step VARCHAR(50),
        progress_percent INTEGER, started_at DATETIME, last_checkpoint DATETIME, completed_at DATETIME,
        attempt_number INTEGER, max_attempts INTEGER, last_error TEXT, PRIMARY KEY (id), UNIQUE (video_id),
        FOREIGN KEY(video_id) REFERENCES videos (id) ON DELETE CASCADE);
    CREATE TABLE quality_progress (
        id INTEGER NOT NULL, job_id INTEGER NOT NULL, quality VARCHAR(10) NOT NULL, status VARCHAR(20) NOT NULL,
        segments_total INTEGER, segments_completed INTEGER, progress_percent INTEGER, started_at DATETIME,
        completed_at DATETIME, error_message TEXT, PRIMARY KEY (id), CONSTRAINT uq_job_quality UNIQUE (job_id, quality),
        FOREIGN KEY(job_id) REFERENCES transcoding_jobs (id) ON DELETE CASCADE);
    CREATE TABLE transcriptions (
        id INTEGER NOT NULL, video_id INTEGER NOT NULL, status VARCHAR(20) NOT NULL, language VARCHAR(10),
        started_at DATETIME, completed_at DATETIME, duration_seconds FLOAT, transcript_text TEXT, vtt_path VARCHAR(255),
        word_count INTEGER, error_message TEXT, PRIMARY KEY (id), UNIQUE (video_id),
        FOREIGN KEY(video_id) REFERENCES videos (id) ON DELETE CASCADE);
    INSERT INTO categories VALUES (1, 'Travel', 'travel', 'Trains', '2025-12-01 10:00:00.000001');
    INSERT INTO videos VALUES (1, 'Old one', 'old-one', 'desc', 1, 61.5, 1920, 1080, 'ready', NULL,
        '2025-12-03 19:39:36.123456', '2025-12-03 19:40:00.5', NULL);
    INSERT INTO video_qualities VALUES (1, 1, '1080p', 1920, 1080, 5000);
    INSERT INTO viewers VALUES (1, 'abc', '2025-12-03 19:41:00.1', '2025-12-03 19:45:00.2');
    INSERT INTO playback_sessions VALUES (1, 1, 1, 'tok', '2025-12-03 19:41:00.1', '2025-12-03 19:42:00.1', 60.0, 61.0, '1080p', 1);
    """

@Suite struct LegacyDatabaseTests {
    @Test func vlogWorksOnAPythonVLogDatabaseWithoutLosingARow() throws {
        let t = try TestSite()
        // Replace the new site's database with a Python-made one.
        let dbPath = t.site.databaseURL.path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dbPath + suffix) }
        let raw = try SQLiteConnection(path: dbPath)
        try raw.exec(pythonVLogDDL)

        let store = Store(try t.site.openDatabase())
        let old = try #require(try store.video(slug: "old-one"))
        #expect(old.title == "Old one" && old.duration == 61.5 && old.status == "ready")
        #expect(old.createdAt.map(DBDate.format) == "2025-12-03 19:39:36")
        #expect(old.publishedAt != nil)
        #expect(try store.qualities(videoID: old.id).first?.quality == "1080p")

        // New rows get every defaulted value from vlog itself (the DDL has no defaults).
        let cat = try Categories(store: store).add(name: "Music")
        #expect(cat.createdAt != nil && cat.description == "")
        let v = try Videos(site: t.site, store: store).add(NewVideo(source: t.dummyFile(), title: "New one"))
        let row = try #require(try store.db.queryOne("SELECT * FROM videos WHERE id = ?", [v.id]))
        #expect(row.string("status") == "pending" && row.double("duration") == 0 && row.int("source_width") == 0)
        #expect(row.string("description") == "" && row.date("created_at") != nil)

        // Category delete nulls the videos' category (the legacy FK has no action).
        try Categories(store: store).delete("travel")
        #expect(try store.video(slug: "old-one")?.categoryID == nil)
        for (table, n) in [("videos", 2), ("video_qualities", 1), ("viewers", 1), ("playback_sessions", 1)] {
            #expect(try store.db.queryOne("SELECT COUNT(*) AS n FROM \(table)")?.int("n") == n, "\(table) rows kept")
        }
    }

    @Test func legacyDatabaseWithoutSoftDeleteColumnGetsOne() throws {
        let t = TempDir()
        let path = t.path("vlog.db")
        let raw = try SQLiteConnection(path: path)
        try raw.exec(
            pythonVLogDDL.replacingOccurrences(
                of: "published_at DATETIME, deleted_at DATETIME,", with: "published_at DATETIME,"
            )
            .replacingOccurrences(of: "'2025-12-03 19:40:00.5', NULL)", with: "'2025-12-03 19:40:00.5')"))
        let db = try VLogDatabase.open(path: path)
        let v = try #require(try Store(db).video(slug: "old-one"))
        #expect(v.deletedAt == nil && v.title == "Old one")
    }
}
