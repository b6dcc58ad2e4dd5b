import Foundation
import VLogSupport

/// Checks `vlog.toml` beyond its syntax: every key is one vlog knows (a misspelt `wokers = 4` or a
/// `[transcoding]` table would otherwise be ignored in silence), and values are in range. Each
/// error names the key, its line and, for a misspelling, the key that was probably meant.
enum ConfigCheck {
    /// Known keys per table ("" is the top level; "transcode.ladder[]" is a ladder entry), from
    /// the one list of keys `SiteConfig.read` applies.
    static let known: [String: [String]] = ConfigKeys.byTable

    /// libx264's presets.
    static let presets = [
        "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo",
    ]

    /// Unknown keys in `table`, reported with their line in `text`.
    static func checkKeys(_ table: [String: TOMLValue], text: String) throws {
        func walk(_ t: [String: TOMLValue], _ path: String) throws {
            let allowed = known[path] ?? []
            for (key, value) in t.sorted(by: { $0.key < $1.key }) {
                guard allowed.contains(key) else {
                    let full = path.isEmpty ? key : "\(path.replacingOccurrences(of: "[]", with: "")).\(key)"
                    let isTable = value.table != nil
                    var msg = isTable ? "unknown table [\(full)]" : "unknown key `\(full)`"
                    if let near = suggestion(key, among: allowed) {
                        msg +=
                            "; did you mean `\(path.isEmpty ? near : "\(path.replacingOccurrences(of: "[]", with: "")).\(near)")`?"
                    } else {
                        msg += "; known keys here: \(allowed.joined(separator: ", "))"
                    }
                    throw VLogError.config("line \(line(of: key, table: isTable, in: text)): \(msg)")
                }
                if let sub = value.table, known[path.isEmpty ? key : "\(path).\(key)"] != nil {
                    try walk(sub, path.isEmpty ? key : "\(path).\(key)")
                }
                if key == "ladder", path == "transcode", let items = value.array {
                    for item in items { if let sub = item.table { try walk(sub, "transcode.ladder[]") } }
                }
            }
        }
        try walk(table, "")
    }

    /// The closest known key within two edits, if any.
    static func suggestion(_ key: String, among keys: [String]) -> String? {
        let best = keys.map { ($0, distance(key.lowercased(), $0)) }.min { $0.1 < $1.1 }
        guard let (k, d) = best, d <= max(2, key.count / 3) else { return nil }
        return k
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var prev = row[0]
            row[0] = i
            for j in 1...max(1, b.count) where !b.isEmpty {
                let cur = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }

    /// The line where `key` is set (or `[key]` opens), 1 when it cannot be found.
    static func line(of key: String, table: Bool, in text: String) -> Int {
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let l = raw.trimmingCharacters(in: .whitespaces)
            // A table's header, not a comment that mentions the word.
            if table, l.hasPrefix("["), l.prefix { $0 != "#" }.contains(key) { return i + 1 }
            if l.hasPrefix(key), l.dropFirst(key.count).trimmingCharacters(in: .whitespaces).hasPrefix("=") {
                return i + 1
            }
            if l.contains("\(key) =") || l.contains("\(key)=") || l.contains(".\(key)") { return i + 1 }
        }
        return 1
    }

    /// Values that parse but cannot work.
    static func checkValues(_ c: SiteConfig, text: String) throws {
        func fail(_ key: String, _ msg: String) -> VLogError {
            let leaf = String(key.split(separator: ".").last ?? Substring(key))
            return .config("line \(line(of: leaf, table: false, in: text)): \(key) \(msg)")
        }
        for (key, value) in [("base_url", c.baseURL), ("media_base_url", c.mediaBaseURL)] {
            guard let value else { continue }
            guard let u = URL(string: value), ["http", "https"].contains(u.scheme?.lowercased() ?? ""),
                u.host?.isEmpty == false
            else {
                throw fail(key, "= \"\(value)\" is not an http(s) URL; use e.g. https://videos.example.org/")
            }
        }
        guard c.completionThreshold > 0 && c.completionThreshold <= 1 else {
            throw fail(
                "analytics.completion_threshold",
                "= \(c.completionThreshold) must be between 0 and 1 (0.9 is 90% watched)")
        }
        guard c.segmentSeconds >= 1 && c.segmentSeconds <= 60 else {
            throw fail("transcode.segment_seconds", "= \(c.segmentSeconds) must be 1-60 seconds")
        }
        guard ["cmaf", "ts"].contains(c.segmentFormat) else {
            throw fail(
                "transcode.segment_format",
                "= \"\(c.segmentFormat)\" must be \"cmaf\" (fragmented MP4, every browser) or \"ts\" (MPEG-TS, old devices)"
            )
        }
        guard ["quality", "bitrate"].contains(c.rateControl) else {
            throw fail(
                "transcode.rate_control",
                "= \"\(c.rateControl)\" must be \"quality\" (constant quality capped at each rung's bitrate) or \"bitrate\" (fixed)"
            )
        }
        guard c.minimumSSIM > 0 && c.minimumSSIM < 1 else {
            throw fail("transcode.min_ssim", "= \(c.minimumSSIM) must be between 0 and 1 (0.95 is a typical floor)")
        }
        if !c.codecs.contains("h264") || !c.codecs.allSatisfy({ ["h264", "av1"].contains($0) }) {
            throw fail(
                "transcode.codecs",
                "= \(c.codecs) must hold \"h264\" (every player plays it) and may add \"av1\": [\"h264\", \"av1\"]")
        }
        if let q = c.qualityPreset, !presets.contains(q) {
            throw fail(
                "transcode.quality_preset", "= \"\(q)\" is not a libx264 preset (\(presets.joined(separator: ", ")))")
        }
        guard presets.contains(c.preset) else {
            let near = suggestion(c.preset, among: presets).map { "; did you mean `\($0)`?" } ?? ""
            throw fail(
                "transcode.preset",
                "= \"\(c.preset)\" is not a libx264 preset (\(presets.joined(separator: ", ")))\(near)")
        }
        var names = Set<String>()
        var heights = Set<Int>()
        for r in c.ladder {
            guard !r.name.isEmpty, r.name.count <= 32,
                r.name.unicodeScalars.allSatisfy({
                    $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_")
                })
            else {
                throw fail(
                    "transcode.ladder",
                    "has the rung name `\(r.name)`; use letters, digits, - and _ only (e.g. \"720p\")")
            }
            guard names.insert(r.name.lowercased()).inserted else {
                throw fail("transcode.ladder", "names `\(r.name)` twice")
            }
            guard heights.insert(r.height).inserted else {
                throw fail("transcode.ladder", "has two rungs of height \(r.height)")
            }
            guard r.height <= 4320 else {
                throw fail("transcode.ladder", "rung `\(r.name)` is taller than 4320 pixels")
            }
        }
        let lang = c.language
        guard SiteConfig.isLanguageTag(lang) else {
            throw fail("language", "= \"\(lang)\" is not a language tag; use e.g. \"en\" or \"pt-BR\"")
        }
        guard c.videosPerPage <= 1000 else { throw fail("videos_per_page", "must be at most 1000") }
        try TextCheck.singleLine(c.title, what: "title in vlog.toml")
    }
}

extension SiteConfig {
    /// The site's `language`: a language tag such as `en` or `pt-BR` (ASCII letters, digits and
    /// hyphens), checked the same in `vlog.toml` and by `vlog init --language`.
    public static func isLanguageTag(_ lang: String) -> Bool {
        !lang.isEmpty && lang.count <= 35
            && lang.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
    }
}
