import Foundation
import VLogSupport

/// Every key of `vlog.toml`, once: its dotted name and how its value is read into `SiteConfig`.
/// `SiteConfig.read` applies them; `ConfigCheck` takes the known keys of each table from them.
struct ConfigKey {
    let name: String
    let apply: (inout SiteConfig, TOMLValue) throws -> Void

    static func string(_ name: String, _ kp: WritableKeyPath<SiteConfig, String>) -> ConfigKey {
        ConfigKey(name: name) { c, v in c[keyPath: kp] = try text(v, name) }
    }

    static func optional(_ name: String, _ kp: WritableKeyPath<SiteConfig, String?>) -> ConfigKey {
        ConfigKey(name: name) { c, v in c[keyPath: kp] = try text(v, name) }
    }

    static func int(_ name: String, _ kp: WritableKeyPath<SiteConfig, Int>, min: Int = 0) -> ConfigKey {
        ConfigKey(name: name) { c, v in c[keyPath: kp] = try whole(v, name, min: min) }
    }

    static func number(_ name: String, _ kp: WritableKeyPath<SiteConfig, Double>) -> ConfigKey {
        ConfigKey(name: name) { c, v in c[keyPath: kp] = try positive(v, name) }
    }

    static func bool(_ name: String, _ kp: WritableKeyPath<SiteConfig, Bool>) -> ConfigKey {
        ConfigKey(name: name) { c, v in
            guard let b = v.bool else { throw VLogError.config("\(name) must be true or false") }
            c[keyPath: kp] = b
        }
    }

    static func strings(_ name: String, _ kp: WritableKeyPath<SiteConfig, [String]>) -> ConfigKey {
        ConfigKey(name: name) { c, v in
            guard let a = v.array, a.allSatisfy({ $0.string != nil }) else {
                throw VLogError.config("\(name) must be an array of strings")
            }
            c[keyPath: kp] = a.compactMap(\.string)
        }
    }

    /// One of a fixed set of words; the error lists them.
    static func choice<E: RawRepresentable & CaseIterable>(
        _ name: String, _ kp: WritableKeyPath<SiteConfig, E>, _ why: String = ""
    ) -> ConfigKey where E.RawValue == String {
        ConfigKey(name: name) { c, v in c[keyPath: kp] = try pick(v, name, E.self, why) }
    }

    static func choice<E: RawRepresentable & CaseIterable>(_ name: String, _ kp: WritableKeyPath<SiteConfig, E?>)
        -> ConfigKey where E.RawValue == String
    {
        ConfigKey(name: name) { c, v in c[keyPath: kp] = try pick(v, name, E.self, "") }
    }

    static func text(_ v: TOMLValue, _ name: String) throws -> String {
        guard let s = v.string else { throw VLogError.config("\(name) must be a string") }
        return s
    }

    static func whole(_ v: TOMLValue, _ name: String, min: Int) throws -> Int {
        guard let n = v.int, n >= min else { throw VLogError.config("\(name) must be a whole number >= \(min)") }
        return n
    }

    static func positive(_ v: TOMLValue, _ name: String) throws -> Double {
        guard let n = v.double, n > 0 else { throw VLogError.config("\(name) must be a positive number") }
        return n
    }

    static func pick<E: RawRepresentable & CaseIterable>(_ v: TOMLValue, _ name: String, _: E.Type, _ why: String)
        throws -> E where E.RawValue == String
    {
        let s = try text(v, name)
        guard let e = E(rawValue: s) else {
            let words = E.allCases.map { "\($0.rawValue)" }
            let list = words.dropLast().joined(separator: ", ") + " or " + (words.last ?? "")
            throw VLogError.config("\(name) = \"\(s)\" must be \(list)\(why)")
        }
        return e
    }
}

/// The words `analytics.viewer_id` and `transcription.output` take.
enum ViewerIdentity: String, CaseIterable { case anonymous, cookie }
enum TranscriptOutput: String, CaseIterable { case vtt, srt, json, pocketsphinx }

enum ConfigKeys {
    /// Keys of one `transcode.ladder` entry.
    static let ladderKeys = ["name", "height", "video_kbps", "audio_kbps"]

    /// Every key, in the order the file documents them.
    static var all: [ConfigKey] {
        [
            .string("title", \.title),
            .string("base_url", \.baseURL),
            .string("language", \.language),
            .string("description", \.description),
            .int("videos_per_page", \.videosPerPage, min: 1),
            .optional("media_base_url", \.mediaBaseURL),
            .optional("hls_js_url", \.hlsJSURL),

            .string("paths.database", \.databasePath),
            .string("paths.storage", \.storagePath),
            .string("paths.output", \.outputPath),

            .number("transcode.segment_seconds", \.segmentSeconds),
            .string("transcode.preset", \.preset),
            .string("transcode.segment_format", \.segmentFormat),
            .string("transcode.rate_control", \.rateControl),
            .optional("transcode.quality_preset", \.qualityPreset),
            .number("transcode.min_ssim", \.minimumSSIM),
            .strings("transcode.codecs", \.codecs),
            .int("transcode.max_attempts", \.maxAttempts, min: 1),
            .int("transcode.stale_timeout_seconds", \.staleTimeoutSeconds, min: 1),
            .int("transcode.workers", \.workers, min: 1),
            ConfigKey(name: "transcode.ladder") { c, v in c.ladder = try ladder(v) },

            .int("archive.retention_days", \.retentionDays),
            .optional("deploy.target", \.deployTarget),

            .choice("cluster.engine", \.cluster.engine),
            .strings("cluster.hosts", \.cluster.hosts),
            .optional("cluster.ssh", \.cluster.ssh),
            .string("cluster.vlog", \.cluster.vlog),
            .optional("cluster.command", \.cluster.command),
            .optional("cluster.storage", \.cluster.storage),
            .strings("cluster.slurm_options", \.cluster.slurmOptions),
            .optional("cluster.kubernetes_image", \.cluster.kubernetesImage),
            .optional("cluster.kubernetes_claim", \.cluster.kubernetesClaim),
            .string("cluster.kubernetes_mount", \.cluster.kubernetesMount),
            .int("cluster.parallelism", \.cluster.parallelism, min: 1),
            ConfigKey(name: "cluster.chunk_longer_than") { c, v in
                guard let n = v.double, n >= 0 else {
                    throw VLogError.config("cluster.chunk_longer_than must be a number of seconds >= 0 (0: never)")
                }
                c.cluster.chunkLongerThan = n
            },
            .number("cluster.chunk_seconds", \.cluster.chunkSeconds),

            .choice("transcription.engine", \.transcriptionEngine),
            .optional("transcription.command", \.transcriptionCommand),
            ConfigKey(name: "transcription.output") { c, v in
                c.transcriptionOutput = try ConfigKey.pick(v, "transcription.output", TranscriptOutput.self, "")
                    .rawValue
            },
            .optional("transcription.model", \.transcriptionModel),
            .optional("transcription.language", \.transcriptionLanguage),
            .int("transcription.max_attempts", \.transcriptionMaxAttempts, min: 1),

            .int("analytics.session_timeout_minutes", \.sessionTimeoutMinutes, min: 1),
            .number("analytics.completion_threshold", \.completionThreshold),
            .string("analytics.log_format", \.logFormat),
            .string("analytics.dashboard", \.dashboardPath),
            ConfigKey(name: "analytics.viewer_id") { c, v in
                let s = try ConfigKey.text(v, "analytics.viewer_id")
                guard ViewerIdentity(rawValue: s) != nil else {
                    throw VLogError.config("analytics.viewer_id = \"\(s)\" must be \"anonymous\" or \"cookie\"")
                }
                c.viewerIdentity = s
            },
            .bool("analytics.beacons", \.beacons),

            .bool("podcast.enabled", \.podcast.enabled),
            .string("podcast.author", \.podcast.author),
            .string("podcast.email", \.podcast.email),
            .string("podcast.category", \.podcast.category),
            .bool("podcast.explicit", \.podcast.explicit),
            .optional("podcast.artwork", \.podcast.artwork),
        ]
    }

    /// The known keys of each table ("" is the top level, "transcode.ladder[]" a ladder entry),
    /// for `ConfigCheck`.
    static var byTable: [String: [String]] {
        var out: [String: [String]] = ["transcode.ladder[]": ladderKeys]
        for key in all {
            let parts = key.name.split(separator: ".").map(String.init)
            let table = parts.dropLast().joined(separator: ".")
            out[table, default: []].append(parts.last!)
            if let first = parts.first, parts.count > 1, !(out[""] ?? []).contains(first) {
                out["", default: []].append(first)
            }
        }
        return out
    }

    static func ladder(_ v: TOMLValue) throws -> [Rung] {
        guard let arr = v.array, !arr.isEmpty else {
            throw VLogError.config("transcode.ladder must be a non-empty array")
        }
        return try arr.enumerated().map { i, r in
            let n = "transcode.ladder[\(i)]"
            guard let h = r["height"] else { throw VLogError.config("\(n) needs height") }
            guard let v = r["video_kbps"] else { throw VLogError.config("\(n) needs video_kbps") }
            let height = try ConfigKey.whole(h, "\(n).height", min: 32)
            let video = try ConfigKey.whole(v, "\(n).video_kbps", min: 1)
            let audio = try r["audio_kbps"].map { try ConfigKey.whole($0, "\(n).audio_kbps", min: 1) } ?? 128
            let name = try r["name"].map { try ConfigKey.text($0, "\(n).name") } ?? "\(height)p"
            return Rung(name: name, height: height, videoKbps: video, audioKbps: audio)
        }.sorted { $0.height > $1.height }
    }
}
