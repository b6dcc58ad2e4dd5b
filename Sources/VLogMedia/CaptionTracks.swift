import Foundation
import VLogConfig
import VLogSupport

/// A video's subtitle tracks: `captions.LANG.vtt` in its media folder (the label on the WEBVTT
/// line), plus `captions.vtt` (the site's language) from sites made before languages.
public struct CaptionTracks {
    public struct Track: Sendable, Equatable {
        public var lang: String
        public var label: String
        public var file: String
    }
    public let site: Site

    public init(site: Site) { self.site = site }

    /// `de`, `pt-BR`, `zh-Hant`.
    public static func checkLanguage(_ lang: String) throws {
        let parts = lang.split(separator: "-", omittingEmptySubsequences: false)
        let ok =
            (2...3).contains(parts[0].count) && parts[0].allSatisfy { $0.isASCII && $0.isLowercase }
            && parts.dropFirst().allSatisfy {
                (2...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
            }
        guard ok else {
            throw VLogError.invalidInput("--lang `\(lang)` is not a language code; give e.g. en, de or pt-BR")
        }
    }

    /// The language's name in itself (`Deutsch` for de), else the code.
    public static func name(_ lang: String) -> String {
        let n = Locale(identifier: lang).localizedString(forIdentifier: lang) ?? lang
        return n.prefix(1).uppercased() + n.dropFirst()
    }

    /// The track shown by default and read as the transcript: the site's language (brought, else
    /// automatic), else the first.
    public static func main(_ tracks: [Track], siteLanguage: String) -> Track? {
        tracks.first { $0.lang == siteLanguage } ?? tracks.first
    }

    /// A track's cues, when its file reads.
    public static func cues(of track: Track, in dir: URL) -> Captions? {
        guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent(track.file).path) else {
            return nil
        }
        return try? Captions.parse(Captions.decode(data), name: track.file, duration: 0)
    }

    public func list(slug: String) -> [Track] {
        Self.list(dir: site.mediaDir(slug: slug), siteLanguage: site.config.language)
    }

    public static func list(dir: URL, siteLanguage: String) -> [Track] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        var out: [Track] = []
        for f in files.sorted() where f.hasPrefix("captions") && f.hasSuffix(".vtt") {
            let lang = f == "captions.vtt" ? siteLanguage : String(f.dropFirst(9).dropLast(4))
            guard f == "captions.vtt" || (f.hasPrefix("captions.") && (try? Self.checkLanguage(lang)) != nil) else {
                continue
            }
            if f == "captions.vtt" && out.contains(where: { $0.lang == lang }) { continue }
            let head =
                (try? FileHandle(forReadingFrom: dir.appendingPathComponent(f)).readData(ofLength: 200))
                .map { String(decoding: $0, as: UTF8.self) } ?? ""
            let first = head.split(separator: "\n").first.map(String.init) ?? ""
            let label = first.hasPrefix("WEBVTT - ") ? String(first.dropFirst(9)) : Self.name(lang)
            out.removeAll { $0.lang == lang && $0.file == "captions.vtt" }
            out.append(Track(lang: lang, label: label, file: f))
        }
        // Automatic transcripts, in languages nobody brought subtitles for.
        for f in files.sorted() where f.hasPrefix("transcript.") && f.hasSuffix(".vtt") {
            let lang = String(f.dropFirst(11).dropLast(4))
            guard (try? checkLanguage(lang)) != nil, !out.contains(where: { $0.lang == lang }) else { continue }
            out.append(Track(lang: lang, label: name(lang) + " (automatic)", file: f))
        }
        return out
    }

    /// Adds (or replaces) the track of a language from an SRT or WebVTT file.
    @discardableResult
    public func add(slug: String, file: URL, lang: String?, label: String?, duration: Double) throws -> Track {
        let lang = lang ?? site.config.language
        try Self.checkLanguage(lang)
        let captions = try Captions.read(file, duration: duration)
        let label = label ?? captions.label ?? Self.name(lang)
        try TextCheck.singleLine(label, what: "--label")
        let dir = site.mediaDir(slug: slug)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let name = "captions.\(lang).vtt"
        // A hand-made captions.vtt of the same language stays on disk; `list` shows this one instead.
        try site.changingMedia(slug: slug) {
            try FileIO.writeAtomically(Data(captions.vtt(label: label).utf8), to: dir.appendingPathComponent(name))
        }
        return Track(lang: lang, label: label, file: name)
    }

    public func remove(slug: String, lang: String) throws {
        guard let t = list(slug: slug).first(where: { $0.lang == lang }) else {
            throw VLogError.invalidInput("`\(slug)` has no \(lang) captions (`vlog captions list \(slug)` shows them)")
        }
        try site.changingMedia(slug: slug) { _ = unlink(site.mediaDir(slug: slug).appendingPathComponent(t.file).path) }
    }
}
