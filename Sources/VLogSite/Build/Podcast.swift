import Foundation
import VLogConfig
import VLogContent
import VLogMedia
import VLogSupport

/// The podcast feed (`podcast.xml`, per site and per category): RSS 2.0 with the `itunes:` tags
/// Apple Podcasts requires (artwork, category, explicit, owner, language, duration) and
/// Podcasting 2.0's `podcast:transcript` (each captions track) and `podcast:chapters` (JSON).
/// Each episode's enclosure is the progressive MP4 it offers, else its audio (`audio.m4a`, a
/// stream copy of the AAC); its guid is its id on the site's host, so it stays through slug changes.
struct Podcast: Sendable {
    let config: SiteConfig
    let context: PageContext
    static let feed = "podcast.xml"
    /// Where the build puts the show's artwork (`podcast.jpg` or `.png`), from `podcast.artwork`.
    static func artwork(_ config: SiteConfig) -> String? {
        guard let a = config.podcast.artwork, !a.isEmpty else { return nil }
        return "podcast-artwork." + (URL(fileURLWithPath: a).pathExtension.lowercased() == "png" ? "png" : "jpg")
    }

    func x(_ s: String) -> String { HTML.escape(s) }

    func feed(_ videos: [PublishedVideo], title: String, link: String, description: String, selfPath: String)
        -> String
    {
        let urls = context.urls
        let p = config.podcast
        let host = URL(string: urls.absoluteBase)?.host ?? "vlog"
        var out = Feeds.channel(
            namespaces:
                "xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\" xmlns:podcast=\"https://podcastindex.org/namespace/1.0\"",
            title: title, link: link, description: description, language: config.language,
            feed: urls.absolute(selfPath))
        out += """
            <itunes:author>\(x(p.author.isEmpty ? config.title : p.author))</itunes:author>
            <itunes:owner><itunes:name>\(x(p.author.isEmpty ? config.title : p.author))</itunes:name>\
            <itunes:email>\(x(p.email))</itunes:email></itunes:owner>
            <itunes:explicit>\(p.explicit ? "true" : "false")</itunes:explicit>
            <itunes:category text="\(x(p.category))"/>
            <itunes:type>episodic</itunes:type>

            """
        if let art = Self.artwork(config) {
            out += "<itunes:image href=\"\(x(urls.absolute(art)))\"/>\n"
            out +=
                "<image><url>\(x(urls.absolute(art)))</url><title>\(x(title))</title><link>\(x(link))</link></image>\n"
        }
        if let latest = videos.first?.video.publishedAt {
            out += "<lastBuildDate>\(Format.rfc822(latest))</lastBuildDate>\n"
        }
        for v in videos {
            guard let enclosure = enclosure(v) else { continue }
            let slug = v.video.slug
            let page = urls.absolute("v/\(SiteURLs.encode(slug))/")
            let summary = Markdown.plainText(html: Markdown.html(v.video.description))
            out += """
                <item>
                <title>\(x(v.video.title))</title>
                <link>\(x(page))</link>
                <guid isPermaLink="false">\(x("\(host)-video-\(v.video.id)"))</guid>
                <pubDate>\(Format.rfc822(v.video.publishedAt))</pubDate>
                <description>\(x(summary.isEmpty ? v.video.title : summary))</description>
                <enclosure url="\(x(enclosure.url))" length="\(enclosure.length)" type="\(enclosure.type)"/>
                <itunes:duration>\(Int(v.video.duration.rounded()))</itunes:duration>
                <itunes:explicit>\(p.explicit ? "true" : "false")</itunes:explicit>
                <itunes:episodeType>full</itunes:episodeType>

                """
            for t in context.tracks(slug) {
                out +=
                    "<podcast:transcript url=\"\(x(urls.absoluteMedia(slug, t.file)))\" type=\"text/vtt\" language=\"\(x(t.lang))\" rel=\"captions\"/>\n"
            }
            if !context.chapters(v).isEmpty {
                out +=
                    "<podcast:chapters url=\"\(x(page + MediaLayout.chaptersJSON))\" type=\"application/json+chapters\"/>\n"
            }
            out += "</item>\n"
        }
        return out + "</channel>\n</rss>\n"
    }

    /// The MP4 the video offers, else its audio; nil when neither file is there.
    func enclosure(_ v: PublishedVideo) -> (url: String, length: Int, type: String)? {
        if let mp4 = context.enclosure(v) { return mp4 }
        let file = context.mediaDir(v.video.slug).appendingPathComponent(MediaLayout.audio)
        guard let size = FileIO.size(file) else { return nil }
        return (context.urls.absoluteMedia(v.video.slug, MediaLayout.audio), size, "audio/mp4")
    }
}
