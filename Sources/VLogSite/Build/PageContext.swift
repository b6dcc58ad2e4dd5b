import Foundation
import VLogConfig
import VLogContent
import VLogMedia
import VLogSupport
import VLogTemplate
import VLogTranscode

/// The values templates see (documented in docs/site.md, Templates).
struct PageContext: Sendable {
    let config: SiteConfig
    let urls: SiteURLs
    /// Storage's videos folder, to find optional files such as captions.vtt.
    let mediaRoot: String
    /// Storage's uploads folder (an original offered as a download).
    let uploads: URL

    var site: TemplateValue {
        var s: [String: TemplateValue] = [
            "title": .string(config.title), "description": .string(config.description),
            "language": .string(config.language), "base": .string(urls.base),
            "url": .string(urls.absoluteBase),
        ]
        s["languageName"] = .string(
            Locale(identifier: "en").localizedString(forLanguageCode: config.language) ?? config.language)
        if config.beacons { s["beacon"] = .string(urls.base + "beacon.gif") }
        if config.viewerIdentity == "cookie" { s["viewerCookie"] = .bool(true) }
        return .object(s)
    }

    /// A video in a list: title, links, poster, duration, date, category.
    func card(_ v: PublishedVideo) -> [String: TemplateValue] {
        var c: [String: TemplateValue] = [
            "title": .string(v.video.title), "url": .string(urls.video(v.video.slug)),
            "thumb": .string(
                urls.media(v.video.slug, MediaLayout.smallPoster) + version(v.video.slug, MediaLayout.smallPoster)),
            "duration": .string(Format.duration(v.video.duration)), "date": .string(Format.date(v.video.publishedAt)),
            "dateISO": .string(Format.iso(v.video.publishedAt)),
        ]
        if let cat = v.category {
            c["category"] = ["name": .string(cat.name), "url": .string(urls.category(cat.slug))]
        }
        return c
    }

    /// What the player (and so the embed page) needs: the card plus stream, poster, size, captions.
    /// `card` is the video's card when already made.
    /// `tracks`: the video's subtitle tracks when already listed.
    func player(
        _ v: PublishedVideo, card made: TemplateValue? = nil, tracks listed: [CaptionTracks.Track]? = nil,
        chapters found: [Chapter]? = nil
    ) -> [String: TemplateValue] {
        let slug = v.video.slug
        let (width, height) = size(v)
        var c: [String: TemplateValue]
        if case .object(let o) = made { c = o } else { c = card(v) }
        c["slug"] = .string(slug)
        if v.unlisted { c["unlisted"] = .bool(true) }
        c["absoluteURL"] = .string(urls.absolute("v/\(SiteURLs.encode(slug))/"))
        c["absoluteEmbed"] = .string(urls.absolute("v/\(SiteURLs.encode(slug))/embed/"))
        let tag = version(slug, MediaLayout.poster)
        c["poster"] = .string(urls.media(slug, MediaLayout.poster) + tag)
        c["absolutePoster"] = .string(urls.absoluteMedia(slug, MediaLayout.poster) + tag)
        c["master"] = .string(urls.media(slug, MediaLayout.master))
        c["seconds"] = .int(Int(v.video.duration.rounded()))
        if let d = download(v) {
            c["download"] = [
                "url": .string(urls.video(slug) + d.file),
                "absoluteURL": .string(urls.absolute("v/\(SiteURLs.encode(slug))/" + d.file)),
                "size": .string(Format.bytes(d.bytes)), "type": .string(d.type), "label": .string(d.label),
                "filename": .string(d.filename), "mp4": .bool(d.isMP4),
            ]
        }
        c["width"] = .int(width)
        c["height"] = .int(height)
        let tracks = listed ?? self.tracks(slug)
        if let first = CaptionTracks.main(tracks, siteLanguage: config.language) {
            c["captions"] = .string(urls.media(slug, first.file))
            c["tracks"] = .list(
                tracks.map {
                    [
                        "src": .string(urls.media(slug, $0.file)), "lang": .string($0.lang), "label": .string($0.label),
                        "default": .bool($0.file == first.file),
                    ]
                })
        }
        if access(mediaRoot + "/" + slug + "/" + MediaLayout.storyboard, F_OK) == 0 {
            c["storyboard"] = .string(urls.media(slug, MediaLayout.storyboard))
        }
        // Audio tracks (`vlog audio add`) for the player's audio menu: the video's own first.
        let audio = AudioTracks.list(dir: mediaDir(slug))
        if !audio.isEmpty {
            var list: [[String: Any]] = [["label": CaptionTracks.name(config.language), "lang": config.language]]
            list += audio.map {
                ["label": $0.label, "lang": $0.lang, "src": urls.media(slug, $0.file), "ad": $0.describesVideo]
            }
            let data = (try? JSONSerialization.data(withJSONObject: list, options: [.withoutEscapingSlashes])) ?? Data()
            c["audioJSON"] = .string(String(decoding: data, as: UTF8.self))
        }
        let chapters = found ?? self.chapters(v)
        if !chapters.isEmpty {
            c["chaptersJSON"] = .string(Chapters.playerJSON(chapters))
            c["chaptersVTT"] = .string(urls.video(slug) + MediaLayout.chapters)
            c["hasChapters"] = .bool(true)
            c["chapters"] = .list(
                chapters.map {
                    [
                        "seconds": .int(Int($0.start)), "time": .string(Format.duration($0.start)),
                        "title": .string($0.title),
                    ]
                })
        }
        return c
    }

    /// A download offered beside the page: where, how big, what.
    struct Download {
        var file: String
        var bytes: Int
        var type: String
        var label: String
        /// The name a browser saves it under.
        var filename: String
        var isMP4: Bool { type == "video/mp4" }
    }

    /// The video's download (`vlog video edit --downloadable`), when its file is there.
    func download(_ v: PublishedVideo) -> Download? {
        guard let what = v.downloadable else { return nil }
        let slug = v.video.slug
        if what == "original" {
            guard let src = Site.sourceFile(slug: slug, in: uploads), let size = FileIO.size(src) else {
                return nil
            }
            let ext = src.pathExtension.lowercased()
            return Download(
                file: "original.\(ext)", bytes: size, type: Self.mimeTypes[ext] ?? "application/octet-stream",
                label: "the original (\(ext.uppercased()))", filename: "\(slug).\(ext)")
        }
        let file = "download.\(what).mp4"
        guard let size = FileIO.size(mediaDir(slug).appendingPathComponent(file)) else { return nil }
        return Download(
            file: file, bytes: size, type: "video/mp4", label: "MP4, \(what)", filename: "\(slug)-\(what).mp4")
    }

    /// The feed enclosure of a video that offers a progressive MP4.
    func enclosure(_ v: PublishedVideo) -> (url: String, length: Int, type: String)? {
        guard let d = download(v), d.isMP4 else { return nil }
        return (urls.absolute("v/\(SiteURLs.encode(v.video.slug))/" + d.file), d.bytes, d.type)
    }

    static let mimeTypes = [
        "mp4": "video/mp4", "m4v": "video/mp4", "mov": "video/quicktime", "mkv": "video/x-matroska",
        "webm": "video/webm",
        "avi": "video/x-msvideo", "ts": "video/mp2t", "mts": "video/mp2t",
    ]

    /// `?v=` and the poster's modification time: posters are cached for a year as immutable, and a
    /// poster chosen again (`vlog video thumbnail`) or re-made keeps its name.
    func version(_ slug: String, _ file: String) -> String {
        var st = stat()
        guard stat(mediaRoot + "/" + slug + "/" + file, &st) == 0 else { return "" }
        return "?v=" + String(st.st_mtim.tv_sec, radix: 36)
    }

    /// The video's chapters (`vlog chapters set`, else its description's).
    func chapters(_ v: PublishedVideo) -> [Chapter] {
        Chapters.of(dir: mediaDir(v.video.slug), description: v.video.description, duration: v.video.duration)
    }

    /// The whole video page: the player's values plus description, qualities and JSON-LD; and
    /// what the page says, for the search index (its description as plain text and the cues of
    /// its transcript).
    func video(_ v: PublishedVideo, card made: TemplateValue? = nil) -> (
        value: TemplateValue, description: String, transcript: [String]
    ) {
        let slug = v.video.slug
        let descriptionHTML = Markdown.html(v.video.description)
        let plain = Markdown.plainText(html: descriptionHTML)
        let summary = plain.isEmpty ? v.video.title : plain
        let tracks = self.tracks(slug)
        let chapters = self.chapters(v)
        var c = player(v, card: made, tracks: tracks, chapters: chapters)
        c["summary"] = .string(summary)
        c["descriptionHTML"] = .string(descriptionHTML)
        c["qualities"] = .list(
            v.qualities.map { ["name": .string($0.quality), "resolution": .string("\($0.width)x\($0.height)")] })
        c["hasQualities"] = .bool(!v.qualities.isEmpty)
        let (width, height) = size(v)
        var ld: [String: Any] = [
            "@context": "https://schema.org", "@type": "VideoObject", "name": v.video.title, "description": summary,
            "thumbnailUrl": [urls.absoluteMedia(slug, MediaLayout.poster)],
            "uploadDate": Format.iso(v.video.publishedAt),
            "duration": Format.isoDuration(v.video.duration),
            "contentUrl": urls.absoluteMedia(slug, MediaLayout.master),
            "embedUrl": urls.absolute("v/\(SiteURLs.encode(slug))/embed/"),
            "url": urls.absolute("v/\(SiteURLs.encode(slug))/"),
            "width": width, "height": height,
        ]
        if let cat = v.category { ld["genre"] = cat.name }
        // Chapters as "key moments": a Clip each, with its start, end and link.
        if !chapters.isEmpty {
            let page = urls.absolute("v/\(SiteURLs.encode(slug))/")
            ld["hasPart"] = chapters.enumerated().map { i, ch -> [String: Any] in
                let end = i + 1 < chapters.count ? chapters[i + 1].start : v.video.duration
                return [
                    "@type": "Clip", "name": ch.title, "startOffset": Int(ch.start),
                    "endOffset": Int(end.rounded(.up)), "url": page + "?t=\(Int(ch.start))",
                ]
            }
        }
        // The transcript: the site language's track (brought, else automatic) as text with times.
        var spoken: [String] = []
        if let track = CaptionTracks.main(tracks, siteLanguage: config.language),
            let captions = CaptionTracks.cues(of: track, in: mediaDir(slug))
        {
            let cues = captions.cues.map { Captions.plain($0.text) }
            let keys = ["time", "seconds", "text"]
            c["transcript"] = .list(
                zip(captions.cues, cues).map { cue, text in
                    .record(
                        TemplateRecord(
                            keys: keys,
                            values: [.string(Format.duration(cue.start)), .int(Int(cue.start)), .string(text)]))
                })
            c["transcriptLabel"] = .string(track.label)
            c["hasTranscript"] = .bool(!cues.isEmpty)
            ld["transcript"] = cues.joined(separator: " ")
            spoken = cues
        }
        c["jsonLD"] = .string(HTML.scriptJSON(ld))
        // The search index finds a video by its chapters' titles too.
        let searchable = chapters.isEmpty ? plain : ([plain] + chapters.map(\.title)).joined(separator: " ")
        return (.object(c), searchable, spoken)
    }

    func mediaDir(_ slug: String) -> URL { URL(fileURLWithPath: mediaRoot + "/" + slug) }
    func tracks(_ slug: String) -> [CaptionTracks.Track] {
        CaptionTracks.list(dir: mediaDir(slug), siteLanguage: config.language)
    }

    /// The top rendition's size, else the source's, else 1280x720.
    func size(_ v: PublishedVideo) -> (Int, Int) {
        let top = v.qualities.first
        return (
            top?.width ?? (v.video.sourceWidth > 0 ? v.video.sourceWidth : 1280),
            top?.height ?? (v.video.sourceHeight > 0 ? v.video.sourceHeight : 720)
        )
    }
}
