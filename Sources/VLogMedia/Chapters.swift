import Foundation
import VLogConfig
import VLogSupport

/// A video's chapters: from `vlog chapters set` (a WebVTT chapters file, or lines like
/// `1:02:30 Q&A`), kept as `chapters.vtt` in the video's media folder; else from its description,
/// by YouTube's convention (lines starting with a time, the first at 0:00, at least three, each at
/// least 10 s long; a description that breaks a rule simply has none, as on YouTube).
public struct Chapter: Sendable, Equatable {
    public var start: Double
    public var title: String
    public init(start: Double, title: String) {
        self.start = start
        self.title = title
    }
}

public enum Chapters {
    /// The fewest chapters and the shortest one YouTube accepts.
    public static let minimumCount = 3
    public static let minimumSeconds = 10.0

    /// The chapters of a video: its chapters file, else its description's; [] if neither has any.
    public static func of(dir: URL, description: String, duration: Double) -> [Chapter] {
        let file = dir.appendingPathComponent(MediaLayout.chapters)
        if let data = FileManager.default.contents(atPath: file.path),
            let set = try? parse(Captions.decode(data), name: MediaLayout.chapters, duration: duration)
        {
            return set
        }
        let found = lines(description)
        return problem(found, duration: duration) == nil ? found : []
    }

    /// A chapters file: WebVTT (each cue's text is a chapter's title) or `TIME TITLE` lines.
    /// Errors say which rule is broken and where.
    public static func parse(_ text: String, name: String, duration: Double) throws -> [Chapter] {
        let chapters: [Chapter]
        if text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("WEBVTT") {
            chapters = try Captions.parse(text, name: name, duration: duration).cues.map {
                Chapter(start: $0.start, title: Captions.plain($0.text).trimmingCharacters(in: .whitespaces))
            }
        } else {
            chapters = lines(text)
        }
        if let why = problem(chapters, duration: duration) {
            throw VLogError.invalidInput("\(name): \(why)")
        }
        return chapters
    }

    /// What breaks YouTube's rules, or nil.
    public static func problem(_ chapters: [Chapter], duration: Double) -> String? {
        guard chapters.count >= minimumCount else {
            return
                "\(chapters.count) chapter(s) found; give at least \(minimumCount), one per line, like `0:00 Intro`"
        }
        guard chapters[0].start == 0 else {
            return "the first chapter starts at \(Format.duration(chapters[0].start)), not 0:00"
        }
        for (i, c) in chapters.enumerated() {
            guard !c.title.isEmpty else { return "the chapter at \(Format.duration(c.start)) has no title" }
            let end = i + 1 < chapters.count ? chapters[i + 1].start : duration
            if duration > 0 || i + 1 < chapters.count, end - c.start < minimumSeconds {
                return
                    "the chapter `\(c.title)` at \(Format.duration(c.start)) lasts \(Format.number(max(0, end - c.start))) s; each must last at least \(Int(minimumSeconds)) s, in order"
            }
        }
        return nil
    }

    /// Lines that start with a time (`0:00`, `12:30`, `1:02:30`, optionally after `-`, `*` or `•`,
    /// or in brackets), then the title after an optional `-`, `–`, `—`, `:` or `|`.
    static func lines(_ text: String) -> [Chapter] {
        var out: [Chapter] = []
        for raw in text.split(whereSeparator: \.isNewline) {
            var line = Substring(raw).drop { $0 == " " || $0 == "\t" }
            if let f = line.first, "-*•".contains(f) { line = line.dropFirst().drop { $0 == " " } }
            let bracket = line.first == "(" || line.first == "["
            if bracket { line = line.dropFirst() }
            let stamp = line.prefix { $0.isASCII && ($0.isNumber || $0 == ":") }
            guard stamp.contains(":"), let t = seconds(stamp) else { continue }
            var rest = line.dropFirst(stamp.count)
            if bracket, let f = rest.first, f == ")" || f == "]" { rest = rest.dropFirst() }
            rest = rest.drop { " \t-–—:|".contains($0) }
            out.append(Chapter(start: t, title: String(rest).trimmingCharacters(in: .whitespaces)))
        }
        return out
    }

    /// `1:02:30` or `12:30` (minutes and seconds below 60 after the first part).
    static func seconds(_ s: Substring) -> Double? {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count) else { return nil }
        var total = 0
        for (i, p) in parts.enumerated() {
            guard !p.isEmpty, p.count <= 2, let n = Int(p), i == 0 || n < 60 else { return nil }
            total = total * 60 + n
        }
        return Double(total)
    }

    /// A WebVTT chapters track: one cue per chapter, up to the next (the last to the end).
    public static func vtt(_ chapters: [Chapter], duration: Double) -> String {
        var out = "WEBVTT\n"
        for (i, c) in chapters.enumerated() {
            let end = i + 1 < chapters.count ? chapters[i + 1].start : max(duration, c.start + 1)
            out +=
                "\n\(i + 1)\n\(stamp(c.start)) --> \(stamp(end))\n\(c.title.replacingOccurrences(of: "\n", with: " "))\n"
        }
        return out
    }

    /// `00:01:02.500`.
    static func stamp(_ t: Double) -> String {
        let ms = Int((t * 1000).rounded())
        return String(format: "%02d:%02d:%02d.%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
    }

    /// The JSON chapters of Podcasting 2.0 and of vlog's player: `[[0, "Intro"], [62, "Setup"]]`.
    public static func playerJSON(_ chapters: [Chapter]) -> String {
        let list: [[Any]] = chapters.map { [Int($0.start.rounded(.down)), $0.title] }
        let data = (try? JSONSerialization.data(withJSONObject: list, options: [.withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

extension Chapters {
    /// `vlog chapters set`: the file read (a regular file, text), checked against the video's
    /// length, and kept as WebVTT in the video's media folder (it stays through re-transcodes, slug
    /// changes, delete and restore, and backups, like captions).
    public static func set(site: Site, slug: String, file: URL, duration: Double) throws -> [Chapter] {
        let kind = FileKind(path: file.resolvingSymlinksInPath().path)
        guard kind == .regular else {
            throw VLogError.invalidInput(
                kind == .missing
                    ? "\(file.path) does not exist; give a WebVTT chapters file or lines like `0:00 Intro`"
                    : "\(file.path) is \(kind.described), not a chapters file")
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw VLogError.invalidInput("cannot read \(file.path); check the path")
        }
        let text = Captions.decode(data)
        try TextCheck.multiLine(text, what: "chapters file \(file.lastPathComponent)")
        let chapters = try parse(text, name: file.lastPathComponent, duration: duration)
        let dir = site.mediaDir(slug: slug)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try site.changingMedia(slug: slug) {
            try FileIO.writeAtomically(
                Data(vtt(chapters, duration: duration).utf8), to: dir.appendingPathComponent(MediaLayout.chapters))
        }
        return chapters
    }

    /// `vlog chapters clear`: the chapters file goes (the description's chapters, if any, apply again).
    public static func clear(site: Site, slug: String) throws -> Bool {
        let file = site.mediaDir(slug: slug).appendingPathComponent(MediaLayout.chapters)
        return try site.changingMedia(slug: slug) {
            guard FileIO.exists(file) else { return false }
            try FileManager.default.removeItem(at: file)
            return true
        }
    }
}

extension Chapters {
    /// Podcasting 2.0's JSON chapters (`application/json+chapters`, version 1.2.0).
    public static func podcastJSON(_ chapters: [Chapter]) -> String {
        let list: [[String: Any]] = chapters.map { ["startTime": Int($0.start.rounded(.down)), "title": $0.title] }
        let doc: [String: Any] = ["version": "1.2.0", "chapters": list]
        let data =
            (try? JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
