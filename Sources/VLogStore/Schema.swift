/// The VLog schema, as versioned migrations.
///
/// Migrations are frozen once shipped: never edit one, add a new one. The version lives in
/// `PRAGMA user_version`, so the database holds exactly the schema document's 8 tables plus
/// vlog's own bookkeeping tables (prefixed `vlog_`).
///
/// Databases made by the Python VLog have the same tables without DDL defaults. Migration 1 uses
/// `CREATE ... IF NOT EXISTS`, so it leaves such tables (and their rows) as they are; vlog supplies
/// every defaulted value itself on insert, so it works on either shape.
public enum Schema {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let apply: @Sendable (SQLiteConnection) throws -> Void

        /// A migration that is a fixed SQL script.
        init(version: Int, name: String, sql: String) {
            self.init(version: version, name: name) { try $0.exec(sql) }
        }

        init(version: Int, name: String, apply: @escaping @Sendable (SQLiteConnection) throws -> Void) {
            self.version = version
            self.name = name
            self.apply = apply
        }
    }

    public static let migrations: [Migration] = [
        Migration(version: 1, name: "vlog schema document tables", sql: v1),
        Migration(version: 2, name: "legacy databases: soft-delete column") { db in
            try addMissingColumn(db, table: "videos", column: "deleted_at", decl: "DATETIME")
            try db.exec("CREATE INDEX IF NOT EXISTS ix_videos_deleted_at ON videos (deleted_at)")
        },
        Migration(version: 3, name: "ingest bookkeeping", sql: v3),
        Migration(version: 4, name: "played intervals of sessions measured by the player", sql: v4),
        Migration(version: 5, name: "the segment estimator's priors, fitted on beacon sessions", sql: v5),
        Migration(version: 6, name: "attempts at each video's transcription", sql: v6),
        Migration(version: 7, name: "old slugs of videos, for redirects", sql: v7),
        Migration(version: 8, name: "how each session was measured, and its quality of experience", sql: v8),
        Migration(version: 9, name: "measured sessions by video", sql: v9),
        Migration(version: 10, name: "analytics rollups per video and day", sql: v10),
        Migration(
            version: 11, name: "rollups keep each viewer's and rung's sessions (summed again), and an index by video",
            sql: """
                INSERT OR IGNORE INTO vlog_rollup_dirty (day) VALUES ('*');
                CREATE INDEX IF NOT EXISTS ix_vlog_rollups_video ON vlog_rollups (video_id, day);
                """),
        Migration(version: 12, name: "each rung's measured quality", sql: v12),
        Migration(version: 13, name: "videos queued for a re-encode", sql: v13),
        Migration(version: 14, name: "per-video options: unlisted, downloadable", sql: v14),
    ]

    /// Runs every migration newer than the database's `user_version`, each in its own transaction.
    public static func migrate(_ db: SQLiteConnection) throws {
        let current = try db.queryOne("PRAGMA user_version")?.int("user_version") ?? 0
        for m in migrations where m.version > current {
            try db.transaction {
                try m.apply(db)
                try db.exec("PRAGMA user_version = \(m.version)")
            }
        }
    }

    static func addMissingColumn(_ db: SQLiteConnection, table: String, column: String, decl: String) throws {
        let cols = try db.query("PRAGMA table_info(\(table))").compactMap { $0.string("name") }
        if !cols.contains(column) {
            try db.exec("ALTER TABLE \(table) ADD COLUMN \(column) \(decl)")
        }
    }

    static let v1 = """
        CREATE TABLE IF NOT EXISTS categories (
            id INTEGER NOT NULL PRIMARY KEY,
            name VARCHAR(100) NOT NULL,
            slug VARCHAR(100) NOT NULL UNIQUE,
            description TEXT DEFAULT '',
            created_at DATETIME DEFAULT CURRENT_TIMESTAMP
        );
        CREATE TABLE IF NOT EXISTS videos (
            id INTEGER NOT NULL PRIMARY KEY,
            title VARCHAR(255) NOT NULL,
            slug VARCHAR(255) NOT NULL UNIQUE,
            description TEXT DEFAULT '',
            category_id INTEGER REFERENCES categories (id) ON DELETE SET NULL,
            duration FLOAT DEFAULT 0,
            source_width INTEGER DEFAULT 0,
            source_height INTEGER DEFAULT 0,
            status VARCHAR(20) DEFAULT 'pending',
            error_message TEXT,
            created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
            published_at DATETIME,
            deleted_at DATETIME
        );
        CREATE INDEX IF NOT EXISTS ix_videos_status ON videos (status);
        CREATE INDEX IF NOT EXISTS ix_videos_category_id ON videos (category_id);
        CREATE INDEX IF NOT EXISTS ix_videos_created_at ON videos (created_at);
        CREATE INDEX IF NOT EXISTS ix_videos_published_at ON videos (published_at);
        CREATE TABLE IF NOT EXISTS video_qualities (
            id INTEGER NOT NULL PRIMARY KEY,
            video_id INTEGER REFERENCES videos (id) ON DELETE CASCADE,
            quality VARCHAR(10),
            width INTEGER,
            height INTEGER,
            bitrate INTEGER
        );
        CREATE TABLE IF NOT EXISTS viewers (
            id INTEGER NOT NULL PRIMARY KEY,
            session_id VARCHAR(64) NOT NULL UNIQUE,
            first_seen DATETIME DEFAULT CURRENT_TIMESTAMP,
            last_seen DATETIME DEFAULT CURRENT_TIMESTAMP
        );
        CREATE TABLE IF NOT EXISTS playback_sessions (
            id INTEGER NOT NULL PRIMARY KEY,
            video_id INTEGER REFERENCES videos (id) ON DELETE CASCADE,
            viewer_id INTEGER REFERENCES viewers (id) ON DELETE SET NULL,
            session_token VARCHAR(64) NOT NULL,
            started_at DATETIME DEFAULT CURRENT_TIMESTAMP,
            ended_at DATETIME,
            duration_watched FLOAT DEFAULT 0,
            max_position FLOAT DEFAULT 0,
            quality_used VARCHAR(10),
            completed BOOLEAN DEFAULT FALSE
        );
        CREATE INDEX IF NOT EXISTS ix_playback_sessions_video_id ON playback_sessions (video_id);
        CREATE INDEX IF NOT EXISTS ix_playback_sessions_started_at ON playback_sessions (started_at);
        CREATE INDEX IF NOT EXISTS ix_playback_sessions_session_token ON playback_sessions (session_token);
        CREATE TABLE IF NOT EXISTS transcoding_jobs (
            id INTEGER NOT NULL PRIMARY KEY,
            video_id INTEGER UNIQUE REFERENCES videos (id) ON DELETE CASCADE,
            worker_id VARCHAR(36),
            current_step VARCHAR(50),
            progress_percent INTEGER DEFAULT 0,
            started_at DATETIME,
            last_checkpoint DATETIME,
            completed_at DATETIME,
            attempt_number INTEGER DEFAULT 1,
            max_attempts INTEGER DEFAULT 3,
            last_error TEXT
        );
        CREATE TABLE IF NOT EXISTS quality_progress (
            id INTEGER NOT NULL PRIMARY KEY,
            job_id INTEGER REFERENCES transcoding_jobs (id) ON DELETE CASCADE,
            quality VARCHAR(10) NOT NULL,
            status VARCHAR(20) NOT NULL DEFAULT 'pending',
            segments_total INTEGER,
            segments_completed INTEGER DEFAULT 0,
            progress_percent INTEGER DEFAULT 0,
            started_at DATETIME,
            completed_at DATETIME,
            error_message TEXT,
            CONSTRAINT uq_job_quality UNIQUE (job_id, quality)
        );
        CREATE TABLE IF NOT EXISTS transcriptions (
            id INTEGER NOT NULL PRIMARY KEY,
            video_id INTEGER UNIQUE REFERENCES videos (id) ON DELETE CASCADE,
            status VARCHAR(20) NOT NULL DEFAULT 'pending',
            language VARCHAR(10) DEFAULT 'en',
            started_at DATETIME,
            completed_at DATETIME,
            duration_seconds FLOAT,
            transcript_text TEXT,
            vtt_path VARCHAR(255),
            word_count INTEGER,
            error_message TEXT
        );
        """

    /// Where the log ingester stopped in each file, and the sessions still open at the end of a run.
    /// What a beacon session played, exactly: its merged intervals as JSON `[[start, end], ...]`
    /// (for audience retention); playback_sessions keeps only totals.
    /// Per session (by token, as `vlog_session_intervals`): how it was measured (`player`: beacons,
    /// `cmcd`: the player's media requests, `estimated`: segment requests alone) and its quality of
    /// experience: whether the picture started, startup (ms), stalls and their time, a media error,
    /// and the seconds watched on each rung (JSON object).
    /// Analytics rollups (`Rollups` in VLogAnalytics): a row per video and UTC day of the sums every
    /// report reads, and the days whose sessions changed since (marked by triggers, in the same
    /// transaction as the change, whoever makes it). A new database, or one made before rollups,
    /// starts with every day marked (`*`). The triggers insert only days not marked yet (an `OR
    /// IGNORE` inside a trigger gives way to the outer statement's policy: a cascade's ABORT).
    /// Each rung's picture quality as the transcode measured it against the source (SSIM, PSNR in
    /// dB) and the constant quality it was encoded at (x264 CRF; NULL: its fixed bitrate),
    /// replaced with `video_qualities` in the same transaction.
    /// Options of a video the schema document has no column for: unlisted (its page, embed and
    /// media exist, but it is in no list, feed, sitemap or search index); downloadable (`original`,
    /// or the rung whose progressive MP4 is offered).
    static let v14 = """
        CREATE TABLE IF NOT EXISTS vlog_video_options (
            video_id INTEGER PRIMARY KEY REFERENCES videos (id) ON DELETE CASCADE,
            unlisted BOOLEAN NOT NULL DEFAULT FALSE,
            downloadable TEXT
        );
        """

    /// `vlog transcode --reencode`'s queue: the rendition version each video is to get.
    static let v13 = """
        CREATE TABLE IF NOT EXISTS vlog_reencode (
            video_id INTEGER PRIMARY KEY REFERENCES videos (id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            requested_at TIMESTAMP NOT NULL
        );
        """

    static let v12 = """
        CREATE TABLE IF NOT EXISTS vlog_rung_quality (
            video_id INTEGER NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
            quality TEXT NOT NULL,
            ssim REAL NOT NULL,
            psnr REAL NOT NULL,
            crf INTEGER,
            measured_at TIMESTAMP NOT NULL,
            PRIMARY KEY (video_id, quality)
        ) WITHOUT ROWID;
        """

    static let v10 = """
        CREATE TABLE IF NOT EXISTS vlog_rollups (
            day TEXT NOT NULL,
            video_id INTEGER NOT NULL,
            views INTEGER NOT NULL,
            watched REAL NOT NULL,
            completed INTEGER NOT NULL,
            player INTEGER NOT NULL,
            cmcd INTEGER NOT NULL,
            estimated INTEGER NOT NULL,
            qualities TEXT NOT NULL,
            reach TEXT NOT NULL,
            qoe TEXT NOT NULL,
            viewers BLOB NOT NULL,
            PRIMARY KEY (day, video_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS vlog_rollup_dirty (day TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID;
        CREATE TRIGGER IF NOT EXISTS vlog_rollup_session_insert AFTER INSERT ON playback_sessions BEGIN
            INSERT INTO vlog_rollup_dirty (day) SELECT d FROM (SELECT date(NEW.started_at) AS d)
            WHERE d IS NOT NULL AND d NOT IN (SELECT day FROM vlog_rollup_dirty);
        END;
        CREATE TRIGGER IF NOT EXISTS vlog_rollup_session_update AFTER UPDATE ON playback_sessions BEGIN
            INSERT INTO vlog_rollup_dirty (day) SELECT d FROM (SELECT date(OLD.started_at) AS d UNION SELECT date(NEW.started_at))
            WHERE d IS NOT NULL AND d NOT IN (SELECT day FROM vlog_rollup_dirty);
        END;
        CREATE TRIGGER IF NOT EXISTS vlog_rollup_session_delete AFTER DELETE ON playback_sessions BEGIN
            INSERT INTO vlog_rollup_dirty (day) SELECT d FROM (SELECT date(OLD.started_at) AS d)
            WHERE d IS NOT NULL AND d NOT IN (SELECT day FROM vlog_rollup_dirty);
        END;
        CREATE TRIGGER IF NOT EXISTS vlog_rollup_video_duration AFTER UPDATE OF duration ON videos
        WHEN OLD.duration IS NOT NEW.duration BEGIN
            INSERT INTO vlog_rollup_dirty (day)
                SELECT DISTINCT date(started_at) AS d FROM playback_sessions
                WHERE video_id = NEW.id AND date(started_at) IS NOT NULL
                  AND date(started_at) NOT IN (SELECT day FROM vlog_rollup_dirty);
        END;
        INSERT OR IGNORE INTO vlog_rollup_dirty (day) VALUES ('*');
        """

    /// The video of each measured session, indexed: the ingest averages a video's measured
    /// sessions for each estimated session fetched in one burst, and going through every session
    /// of the video (the schema's index) grew with the site's history.
    static let v9 = """
        ALTER TABLE vlog_session_measures ADD COLUMN video_id INTEGER;
        UPDATE vlog_session_measures SET video_id =
            (SELECT p.video_id FROM playback_sessions p WHERE p.session_token = vlog_session_measures.session_token);
        CREATE INDEX IF NOT EXISTS ix_vlog_session_measures_video ON vlog_session_measures (video_id, kind);
        """

    static let v8 = """
        CREATE TABLE IF NOT EXISTS vlog_session_measures (
            session_token TEXT NOT NULL PRIMARY KEY,
            kind TEXT NOT NULL,
            started INTEGER NOT NULL DEFAULT 1,
            startup_ms INTEGER,
            rebuffers INTEGER,
            rebuffer_ms INTEGER,
            failed INTEGER NOT NULL DEFAULT 0,
            rung_seconds TEXT
        );
        """

    /// Every slug a video had before `video edit --slug`: the build answers each with a redirect
    /// to the video's page, so links already shared keep working.
    static let v7 = """
        CREATE TABLE IF NOT EXISTS vlog_slug_redirects (
            old_slug TEXT NOT NULL PRIMARY KEY,
            video_id INTEGER NOT NULL REFERENCES videos (id) ON DELETE CASCADE
        );
        """

    /// How many times each video's transcription was taken (the schema's row has no attempt
    /// column); a row taken `max_attempts` times without finishing ends `failed`.
    static let v6 = """
        CREATE TABLE IF NOT EXISTS vlog_transcription_attempts (
            video_id INTEGER NOT NULL PRIMARY KEY REFERENCES videos (id) ON DELETE CASCADE,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );
        """

    static let v5 = """
        CREATE TABLE IF NOT EXISTS vlog_estimator_samples (
            session_token TEXT NOT NULL PRIMARY KEY,
            sample TEXT NOT NULL
        );
        """

    static let v4 = """
        CREATE TABLE IF NOT EXISTS vlog_session_intervals (
            session_token TEXT NOT NULL PRIMARY KEY,
            intervals TEXT NOT NULL
        );
        """

    static let v3 = """
        CREATE TABLE IF NOT EXISTS vlog_ingest_files (
            identity TEXT NOT NULL PRIMARY KEY,
            path TEXT NOT NULL,
            head_hash TEXT NOT NULL,
            offset INTEGER NOT NULL DEFAULT 0,
            lines INTEGER NOT NULL DEFAULT 0,
            updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
        );
        CREATE TABLE IF NOT EXISTS vlog_open_sessions (
            session_token TEXT NOT NULL PRIMARY KEY,
            state TEXT NOT NULL
        );
        """
}
