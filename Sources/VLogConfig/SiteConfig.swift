import Foundation
import VLogSupport

/// Where `vlog transcode --dispatch` sends work.
public enum ClusterEngine: String, Sendable, CaseIterable, Codable {
    /// GNU parallel over SSH.
    case parallel
    /// A Slurm job array.
    case slurm
    /// A Kubernetes Indexed Job.
    case kubernetes
    /// A command of the publisher's, once per job spec.
    case command
}

/// Who writes automatic captions.
public enum TranscriptionEngine: String, Sendable, CaseIterable {
    case off, pocketsphinx
    case whisperCpp = "whisper-cpp"
    case fasterWhisper = "faster-whisper"
    case command

    /// Whisper engines need a model file.
    public var needsModel: Bool { self == .whisperCpp || self == .fasterWhisper }
}

/// `[cluster]` in vlog.toml.
/// `[podcast]` in vlog.toml.
public struct PodcastConfig: Sendable, Equatable {
    public var enabled = false
    public var author = ""
    public var email = ""
    public var category = "Education"
    public var explicit = false
    /// A square image in the site folder (relative paths resolved there).
    public var artwork: String?
    public init() {}
}

public struct ClusterConfig: Sendable, Equatable {
    public var engine: ClusterEngine?
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
    /// `bitrate`: every rung at its fixed bitrate (the seed system's way); `quality`: each rung at
    /// a constant quality (x264 CRF, searched per video on samples), capped at the rung's bitrate.
    /// Not the default yet: its samples judge the whole a little better than it is (up to 0.0028
    /// of SSIM lost on a talking head; docs/usage.md, Bytes per quality).
    public var rateControl = "bitrate"
    /// The libx264 preset the fitted ladder (`rate_control = "quality"`) is encoded at; nil: `preset`.
    /// `preset` stays the fixed ladder's, and so the quality each fitted rung keeps: a slower
    /// preset here spends CPU to reach that quality in fewer bytes.
    public var qualityPreset: String?
    /// A rung whose measured SSIM against its source falls under this is reported (`vlog video
    /// show`, the transcode's output): raise its `video_kbps`.
    public var minimumSSIM = 0.95
    /// The ladders each video gets: `h264` always (every browser and native HLS player), and
    /// `av1` beside it where asked (libsvtav1 at the CRF that matches each H.264 rung's SSIM; vlog's
    /// player picks it where the browser decodes it smoothly). Off by default: on 2 cores it
    /// takes longer than the whole H.264 ladder (docs/usage.md, Bytes per quality).
    public var codecs = ["h264"]
    /// Automatic transcription: `off`, `pocketsphinx`, `whisper-cpp`, `faster-whisper` or `command`
    /// (then `transcriptionCommand` and `transcriptionOutput`).
    public var transcriptionEngine = TranscriptionEngine.off
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
    /// `[cluster]`: where `vlog transcode --dispatch` sends work (docs/cluster.md).
    public var cluster = ClusterConfig()
    /// `[podcast]`: a podcast feed of the site and of each category (`podcast.xml`), with the
    /// tags Apple Podcasts and Podcasting 2.0 apps read.
    public var podcast = PodcastConfig()

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

    /// Reads every key of `ConfigKeys.all` that the file sets, then the rules between keys.
    static func read(_ t: TOMLValue) throws -> SiteConfig {
        var c = SiteConfig()
        for key in ConfigKeys.all {
            var v: TOMLValue? = t
            for part in key.name.split(separator: ".") { v = v?[String(part)] }
            if let v { try key.apply(&c, v) }
        }
        if !c.baseURL.hasSuffix("/") { c.baseURL += "/" }
        if c.transcriptionEngine == .command && (c.transcriptionCommand ?? "").isEmpty {
            throw VLogError.config(
                "transcription.engine = \"command\" needs transcription.command (see docs/usage.md: Transcription)")
        }
        if c.transcriptionEngine.needsModel && (c.transcriptionModel ?? "").isEmpty {
            throw VLogError.config(
                "transcription.engine = \"\(c.transcriptionEngine.rawValue)\" needs transcription.model (see docs/usage.md: Transcription)"
            )
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

            [transcription]            # automatic captions after transcoding (docs/usage.md: Transcription)
            engine = "off"             # off, pocketsphinx, whisper-cpp, faster-whisper, command
            # max_attempts = 2         # tries per video before its transcription ends failed

            [transcode]
            segment_seconds = 6        # env VLOG_HLS_SEGMENT_DURATION
            segment_format = "cmaf"    # cmaf (fragmented MP4, every browser) or ts (MPEG-TS, old devices)
            preset = "veryfast"        # libx264 preset: ultrafast ... veryslow
            rate_control = "bitrate"   # bitrate (fixed) or quality (a CRF per video and rung, capped at its bitrate)
            # quality_preset = "medium" # with rate_control = "quality": the fitted rungs' preset (default: preset)
            # min_ssim = 0.95          # a rung measured under this is reported: raise its video_kbps
            codecs = ["h264"]          # add "av1" for an AV1 ladder beside it (browsers that decode it smoothly)
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

            [podcast]                  # podcast.xml for the site and each category (docs/site.md, Podcast)
            enabled = false
            # author = "Your Name"
            # email = "you@example.org"  # itunes:owner, where Apple writes about the show
            # category = "Education"     # an Apple Podcasts category
            explicit = false
            # artwork = "podcast.jpg"    # square JPEG or PNG, 1400 to 3000 pixels (Apple's rule)

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

extension SiteConfig {
    /// When a transcoding job's worker is presumed gone: no checkpoint for longer than `timeout`
    /// (`transcode.stale_timeout_seconds`). `JobStore.isStale` is this rule, and `vlog video
    /// delete` asks it too.
    public static func jobIsStale(lastCheckpoint: Date?, now: Date, timeout: TimeInterval) -> Bool {
        (lastCheckpoint.map { now.timeIntervalSince($0) } ?? .infinity) > timeout
    }
}
