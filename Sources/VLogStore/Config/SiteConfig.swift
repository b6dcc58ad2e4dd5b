import Foundation

/// `[cluster]` in vlog.toml.
public struct ClusterConfig: Sendable, Equatable {
    public static let engines = ["parallel", "slurm", "kubernetes", "command"]
    /// One of `engines`.
    public var engine: String?
    /// GNU parallel's `--sshlogin` entries (`user@host`, `4/host`, `:` for this machine).
    public var hosts: [String] = []
    /// GNU parallel's `--ssh` (e.g. `ssh -p 2222 -i ~/.ssh/vlog`).
    public var ssh: String?
    /// vlog on the workers.
    public var vlog = "vlog"
    /// The `command` engine's template: `{spec}` is a job spec's path.
    public var command: String?
    /// Where the media storage is mounted on the workers (default: the same path as here).
    public var storage: String?
    public var slurmOptions: [String] = []
    public var kubernetesImage: String?
    public var kubernetesClaim: String?
    public var kubernetesMount = "/media"
    /// Jobs at once (Kubernetes `parallelism`, parallel's jobs per host).
    public var parallelism = 1
    /// Videos longer than this many seconds are cut into chunks that different workers encode at
    /// once (0: never).
    public var chunkLongerThan = 1200.0
    /// A chunk's length in seconds (rounded down to whole segments).
    public var chunkSeconds = 300.0
    public init() {}
}

/// One rung of the HLS ladder.
public struct Rung: Sendable, Equatable, Codable {
    public var name: String
    public var height: Int
    public var videoKbps: Int
    public var audioKbps: Int
    public init(name: String, height: Int, videoKbps: Int, audioKbps: Int) {
        self.name = name
        self.height = height
        self.videoKbps = videoKbps
        self.audioKbps = audioKbps
    }

    /// The Python VLog's ladder.
    public static let defaultLadder: [Rung] = [
        Rung(name: "2160p", height: 2160, videoKbps: 15000, audioKbps: 192),
        Rung(name: "1440p", height: 1440, videoKbps: 8000, audioKbps: 192),
        Rung(name: "1080p", height: 1080, videoKbps: 5000, audioKbps: 128),
        Rung(name: "720p", height: 720, videoKbps: 2500, audioKbps: 128),
        Rung(name: "480p", height: 480, videoKbps: 1000, audioKbps: 96),
        Rung(name: "360p", height: 360, videoKbps: 600, audioKbps: 96),
    ]
}

/// A site's settings: `vlog.toml` in the site folder, then environment overrides.
public struct SiteConfig: Sendable {
    public static let fileName = "vlog.toml"

    public var title = "My Videos"
    public var baseURL = "http://localhost:8080/"
    public var language = "en"
    public var description = ""
    /// Paths; relative ones are resolved against the site folder.
    public var databasePath = "vlog.db"
    public var storagePath = "media"
    public var outputPath = "_site"
    public var mediaBaseURL: String? = nil
    public var hlsJSURL: String? = nil
    public var videosPerPage = 24

    public var ladder = Rung.defaultLadder
    public var segmentSeconds = 6.0
    public var preset = "veryfast"
    /// `cmaf` (fragmented-MP4 segments: MSE players in every browser, Safari, native players) or
    /// `ts` (MPEG-TS, for devices that play nothing else; vlog's player then needs native HLS).
    public var segmentFormat = "cmaf"
    /// Automatic transcription: `off`, `pocketsphinx`, `whisper-cpp`, `faster-whisper` or `command`
    /// (then `transcriptionCommand` and `transcriptionOutput`).
    public var transcriptionEngine = "off"
    public var transcriptionCommand: String?
    public var transcriptionOutput = "vtt"
    public var transcriptionModel: String?
    /// The language spoken in the videos (default: the site's).
    public var transcriptionLanguage: String?
    /// Times a video's transcription is tried before its row ends `failed`.
    public var transcriptionMaxAttempts = 2
    public var maxAttempts = 3
    public var staleTimeoutSeconds = 1800
    public var workers = 1

    public var retentionDays = 30
    /// Where `vlog deploy` publishes: an rsync destination (`user@host:/var/www/vlog/`,
    /// `rsync://host/module/`, a folder) or `rclone:REMOTE:PATH`.
    public var deployTarget: String?
    /// `[cluster]`: where `vlog transcode --dispatch` sends work (README: Transcoding on a cluster).
    public var cluster = ClusterConfig()

    public var sessionTimeoutMinutes = 30
    public var completionThreshold = 0.9
    public var logFormat = "auto"
    public var dashboardPath = "analytics"
    /// The player reports what it plays (play, pause, seek, rate, ended, every 10 s while playing,
    /// page hidden) with GET requests for `beacon.gif`, which the web server logs.
    public var beacons = true
    /// How viewers are told apart: `anonymous` (no cookie; a daily-salted hash of IP and user
    /// agent) or `cookie` (the player's first-party `vlog_viewer` cookie).
    public var viewerIdentity = "anonymous"

    /// Process settings from the environment only (not in vlog.toml): how long a command waits
    /// for another's database lock, and how many log lines an ingest reads between checkpoints.
    public var busyTimeoutMs = 5000
    public var ingestCheckpointLines = 500_000

    public init() {}

    /// Reads `vlog.toml` from `siteDir` and applies environment overrides.
    public static func load(siteDir: URL, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> SiteConfig
    {
        let file = siteDir.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw VLogError.config(
                "\(siteDir.path) is not a vlog site (no \(fileName)); run `vlog init DIR` or pass --site DIR")
        }
        let text: String
        do { text = try String(contentsOf: file, encoding: .utf8) } catch {
            throw VLogError.config("cannot read \(file.path) as UTF-8 text: \(FileIO.reason(error))")
        }
        var config: SiteConfig
        do { config = try parse(text) } catch let e as TOMLError {
            throw VLogError.config("\(file.path) \(e.description)")
        } catch let e as VLogError where e.description.hasPrefix("line ") {
            throw VLogError.config("\(file.path) \(e.description)")
        } catch let e as VLogError {
            throw VLogError.config("\(file.path): \(e.description)")
        }
        try config.applyEnvironment(environment)
        return config
    }

    public static func parse(_ text: String) throws -> SiteConfig {
        let doc = try TOMLParser.parse(text)
        try ConfigCheck.checkKeys(doc, text: text)
        let c = try read(TOMLValue.table(doc))
        try ConfigCheck.checkValues(c, text: text)
        return c
    }

    static func read(_ t: TOMLValue) throws -> SiteConfig {
        var c = SiteConfig()
        func str(_ v: TOMLValue?, _ name: String) throws -> String? {
            guard let v else { return nil }
            guard let s = v.string else { throw VLogError.config("\(name) must be a string") }
            return s
        }
        func int(_ v: TOMLValue?, _ name: String, min: Int = 0) throws -> Int? {
            guard let v else { return nil }
            guard let n = v.int, n >= min else { throw VLogError.config("\(name) must be a whole number >= \(min)") }
            return n
        }
        func num(_ v: TOMLValue?, _ name: String) throws -> Double? {
            guard let v else { return nil }
            guard let n = v.double, n > 0 else { throw VLogError.config("\(name) must be a positive number") }
            return n
        }
        c.title = try str(t["title"], "title") ?? c.title
        c.baseURL = try str(t["base_url"], "base_url") ?? c.baseURL
        if !c.baseURL.hasSuffix("/") { c.baseURL += "/" }
        c.language = try str(t["language"], "language") ?? c.language
        c.description = try str(t["description"], "description") ?? c.description
        c.videosPerPage = try int(t["videos_per_page"], "videos_per_page", min: 1) ?? c.videosPerPage
        c.mediaBaseURL = try str(t["media_base_url"], "media_base_url")
        c.hlsJSURL = try str(t["hls_js_url"], "hls_js_url")

        let p = t["paths"]
        c.databasePath = try str(p?["database"], "paths.database") ?? c.databasePath
        c.storagePath = try str(p?["storage"], "paths.storage") ?? c.storagePath
        c.outputPath = try str(p?["output"], "paths.output") ?? c.outputPath

        let tr = t["transcode"]
        c.segmentSeconds = try num(tr?["segment_seconds"], "transcode.segment_seconds") ?? c.segmentSeconds
        c.preset = try str(tr?["preset"], "transcode.preset") ?? c.preset
        c.segmentFormat = try str(tr?["segment_format"], "transcode.segment_format") ?? c.segmentFormat
        c.maxAttempts = try int(tr?["max_attempts"], "transcode.max_attempts", min: 1) ?? c.maxAttempts
        c.staleTimeoutSeconds =
            try int(tr?["stale_timeout_seconds"], "transcode.stale_timeout_seconds", min: 1) ?? c.staleTimeoutSeconds
        c.workers = try int(tr?["workers"], "transcode.workers", min: 1) ?? c.workers
        if let rungs = tr?["ladder"] {
            guard let arr = rungs.array, !arr.isEmpty else {
                throw VLogError.config("transcode.ladder must be a non-empty array")
            }
            c.ladder = try arr.enumerated().map { i, r in
                let n = "transcode.ladder[\(i)]"
                guard let h = try int(r["height"], "\(n).height", min: 32) else {
                    throw VLogError.config("\(n) needs height")
                }
                guard let v = try int(r["video_kbps"], "\(n).video_kbps", min: 1) else {
                    throw VLogError.config("\(n) needs video_kbps")
                }
                let a = try int(r["audio_kbps"], "\(n).audio_kbps", min: 1) ?? 128
                let name = try str(r["name"], "\(n).name") ?? "\(h)p"
                return Rung(name: name, height: h, videoKbps: v, audioKbps: a)
            }.sorted { $0.height > $1.height }
        }
        c.retentionDays = try int(t["archive"]?["retention_days"], "archive.retention_days") ?? c.retentionDays
        c.deployTarget = try str(t["deploy"]?["target"], "deploy.target")
        if let cl = t["cluster"] {
            func strings(_ key: String) throws -> [String]? {
                guard let v = cl[key] else { return nil }
                guard let a = v.array, a.allSatisfy({ $0.string != nil }) else {
                    throw VLogError.config("cluster.\(key) must be an array of strings")
                }
                return a.compactMap(\.string)
            }
            c.cluster.engine = try str(cl["engine"], "cluster.engine")
            if let e = c.cluster.engine, !ClusterConfig.engines.contains(e) {
                throw VLogError.config("cluster.engine = \"\(e)\" must be parallel, slurm, kubernetes or command")
            }
            c.cluster.hosts = try strings("hosts") ?? []
            c.cluster.ssh = try str(cl["ssh"], "cluster.ssh")
            c.cluster.vlog = try str(cl["vlog"], "cluster.vlog") ?? c.cluster.vlog
            c.cluster.command = try str(cl["command"], "cluster.command")
            c.cluster.storage = try str(cl["storage"], "cluster.storage")
            c.cluster.slurmOptions = try strings("slurm_options") ?? []
            c.cluster.kubernetesImage = try str(cl["kubernetes_image"], "cluster.kubernetes_image")
            c.cluster.kubernetesClaim = try str(cl["kubernetes_claim"], "cluster.kubernetes_claim")
            c.cluster.kubernetesMount =
                try str(cl["kubernetes_mount"], "cluster.kubernetes_mount") ?? c.cluster.kubernetesMount
            c.cluster.parallelism = try int(cl["parallelism"], "cluster.parallelism", min: 1) ?? c.cluster.parallelism
            if let v = cl["chunk_longer_than"] {
                guard let n = v.double, n >= 0 else {
                    throw VLogError.config("cluster.chunk_longer_than must be a number of seconds >= 0 (0: never)")
                }
                c.cluster.chunkLongerThan = n
            }
            c.cluster.chunkSeconds = try num(cl["chunk_seconds"], "cluster.chunk_seconds") ?? c.cluster.chunkSeconds
        }

        let tr2 = t["transcription"]
        c.transcriptionEngine = try str(tr2?["engine"], "transcription.engine") ?? c.transcriptionEngine
        guard ["off", "pocketsphinx", "whisper-cpp", "faster-whisper", "command"].contains(c.transcriptionEngine) else {
            throw VLogError.config(
                "transcription.engine = \"\(c.transcriptionEngine)\" must be off, pocketsphinx, whisper-cpp, faster-whisper or command"
            )
        }
        c.transcriptionCommand = try str(tr2?["command"], "transcription.command")
        c.transcriptionOutput = try str(tr2?["output"], "transcription.output") ?? c.transcriptionOutput
        guard ["vtt", "srt", "json", "pocketsphinx"].contains(c.transcriptionOutput) else {
            throw VLogError.config(
                "transcription.output = \"\(c.transcriptionOutput)\" must be vtt, srt, json or pocketsphinx")
        }
        c.transcriptionModel = try str(tr2?["model"], "transcription.model")
        c.transcriptionLanguage = try str(tr2?["language"], "transcription.language")
        c.transcriptionMaxAttempts =
            try int(tr2?["max_attempts"], "transcription.max_attempts", min: 1) ?? c.transcriptionMaxAttempts
        if c.transcriptionEngine == "command" && (c.transcriptionCommand ?? "").isEmpty {
            throw VLogError.config("transcription.engine = \"command\" needs transcription.command (see the README)")
        }
        if ["whisper-cpp", "faster-whisper"].contains(c.transcriptionEngine) && (c.transcriptionModel ?? "").isEmpty {
            throw VLogError.config(
                "transcription.engine = \"\(c.transcriptionEngine)\" needs transcription.model (see the README)")
        }

        let a = t["analytics"]
        c.sessionTimeoutMinutes =
            try int(a?["session_timeout_minutes"], "analytics.session_timeout_minutes", min: 1)
            ?? c.sessionTimeoutMinutes
        c.completionThreshold =
            try num(a?["completion_threshold"], "analytics.completion_threshold") ?? c.completionThreshold
        c.logFormat = try str(a?["log_format"], "analytics.log_format") ?? c.logFormat
        c.dashboardPath = try str(a?["dashboard"], "analytics.dashboard") ?? c.dashboardPath
        if let id = try str(a?["viewer_id"], "analytics.viewer_id") {
            guard ["anonymous", "cookie"].contains(id) else {
                throw VLogError.config("analytics.viewer_id = \"\(id)\" must be \"anonymous\" or \"cookie\"")
            }
            c.viewerIdentity = id
        }
        if let b = a?["beacons"] {
            guard let v = b.bool else { throw VLogError.config("analytics.beacons must be true or false") }
            c.beacons = v
        }
        return c
    }

    /// Environment overrides, named as the Python VLog named them: the one place vlog reads its
    /// environment variables (`VLOG_SHARE_DIR`, where vlog's own templates live, is read by
    /// `Resources`).
    public mutating func applyEnvironment(_ env: [String: String]) throws {
        func intVar(_ name: String, min: Int) throws -> Int? {
            guard let raw = env[name], !raw.isEmpty else { return nil }
            guard let n = Int(raw), n >= min else {
                throw VLogError.config("\(name)=\(raw) must be a whole number >= \(min)")
            }
            return n
        }
        if let v = env["VLOG_DATABASE_PATH"], !v.isEmpty { databasePath = v }
        if let v = env["VLOG_STORAGE_PATH"], !v.isEmpty { storagePath = v }
        if let v = try intVar("VLOG_ARCHIVE_RETENTION_DAYS", min: 0) { retentionDays = v }
        if let raw = env["VLOG_HLS_SEGMENT_DURATION"], !raw.isEmpty {
            guard let v = Double(raw), v > 0 else {
                throw VLogError.config("VLOG_HLS_SEGMENT_DURATION=\(raw) must be a positive number of seconds")
            }
            segmentSeconds = v
        }
        if let v = try intVar("VLOG_MAX_RETRY_ATTEMPTS", min: 1) { maxAttempts = v }
        if let v = try intVar("VLOG_JOB_STALE_TIMEOUT", min: 1) { staleTimeoutSeconds = v }
        if let v = try intVar("VLOG_BUSY_TIMEOUT_MS", min: 0) { busyTimeoutMs = v }
        if let v = try intVar("VLOG_INGEST_CHECKPOINT_LINES", min: 1) { ingestCheckpointLines = v }
    }

    /// The `vlog.toml` that `vlog init` writes.
    public static func initialFile(title: String, baseURL: String, language: String) -> String {
        let ladder = Rung.defaultLadder.map {
            "  { name = \"\($0.name)\", height = \($0.height), video_kbps = \($0.videoKbps), audio_kbps = \($0.audioKbps) },"
        }.joined(separator: "\n")
        return """
            # vlog site configuration. Relative paths are resolved against this folder.
            title = \(tomlQuote(title))
            base_url = \(tomlQuote(baseURL))
            language = \(tomlQuote(language))
            description = ""
            videos_per_page = 24
            # media_base_url = "https://cdn.example.org/media/"  # serve HLS and posters from another host
            # hls_js_url = "/hls.min.js"  # hls.js for browsers without native HLS (self-hosted copy)

            [paths]
            database = "vlog.db"   # env VLOG_DATABASE_PATH
            storage = "media"      # uploads/, videos/, archive/ (may be a NAS mount); env VLOG_STORAGE_PATH
            output = "_site"       # the built static site

            [transcription]            # automatic captions after transcoding (README: Transcription)
            engine = "off"             # off, pocketsphinx, whisper-cpp, faster-whisper, command
            # max_attempts = 2         # tries per video before its transcription ends failed

            [transcode]
            segment_seconds = 6        # env VLOG_HLS_SEGMENT_DURATION
            segment_format = "cmaf"    # cmaf (fragmented MP4, every browser) or ts (MPEG-TS, old devices)
            preset = "veryfast"        # libx264 preset: ultrafast ... veryslow
            max_attempts = 3           # env VLOG_MAX_RETRY_ATTEMPTS
            stale_timeout_seconds = 1800  # env VLOG_JOB_STALE_TIMEOUT
            workers = 1
            ladder = [
            \(ladder)
            ]

            [archive]
            retention_days = 30        # env VLOG_ARCHIVE_RETENTION_DAYS

            [analytics]
            session_timeout_minutes = 30
            completion_threshold = 0.9
            log_format = "auto"        # auto, combined, common, caddy, or an nginx log_format string
            dashboard = "analytics"    # private dashboard folder (outside the public site)
            viewer_id = "anonymous"    # anonymous (no cookie, daily-salted IP+UA hash) or cookie (first-party vlog_viewer cookie)
            beacons = true             # the player reports what it plays (requests for beacon.gif, in your web server's log)

            """
    }

    static func tomlQuote(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if ch.value < 0x20 { out += String(format: "\\u%04X", ch.value) } else { out.unicodeScalars.append(ch) }
            }
        }
        return out + "\""
    }
}
