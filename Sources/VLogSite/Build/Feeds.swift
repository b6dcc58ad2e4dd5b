import Foundation
import VLogConfig
import VLogContent
import VLogSupport

/// RSS with Media RSS enclosures, and sitemap.xml with the video extension.
enum Feeds {
    /// A video's file for a feed's `<enclosure>` (the progressive MP4 it offers), else nil: the
    /// HLS stream.
    typealias Enclosures = @Sendable (PublishedVideo) -> (url: String, length: Int, type: String)?

    static func x(_ s: String) -> String { HTML.escape(s) }

    /// The site's feed: its newest videos.
    static func rss(
        snapshot: SiteSnapshot, config: SiteConfig, urls: SiteURLs, limit: Int = 50,
        enclosure: Enclosures = { _ in nil }
    ) -> String {
        rss(
            snapshot.videos, title: config.title, link: urls.absoluteBase,
            description: config.description.isEmpty ? config.title : config.description,
            selfPath: "feed.xml", config: config, urls: urls, limit: limit, enclosure: enclosure)
    }

    /// A category's feed (`c/SLUG/feed.xml`), as Hugo writes one per section and YouTube per channel.
    static func rss(
        category: Category, videos: [PublishedVideo], summary: String, config: SiteConfig, urls: SiteURLs,
        limit: Int = 50, enclosure: Enclosures = { _ in nil }
    ) -> String {
        rss(
            videos, title: "\(category.name) · \(config.title)",
            link: urls.absolute("c/\(SiteURLs.encode(category.slug))/"),
            description: summary.isEmpty ? category.name : summary,
            selfPath: "c/\(SiteURLs.encode(category.slug))/feed.xml",
            config: config, urls: urls, limit: limit, enclosure: enclosure)
    }

    /// An RSS 2.0 document's start: the channel's title, link, description, language and own
    /// address; `namespaces` beside Atom's.
    static func channel(
        namespaces: String, title: String, link: String, description: String, language: String, feed: String
    ) -> String {
        """
        <?xml version="1.0" encoding="utf-8"?>
        <rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" \(namespaces)>
        <channel>
        <title>\(x(title))</title>
        <link>\(x(link))</link>
        <description>\(x(description))</description>
        <language>\(x(language))</language>
        <atom:link href="\(x(feed))" rel="self" type="application/rss+xml"/>

        """
    }

    /// RSS 2.0 of `videos` (newest first).
    static func rss(
        _ videos: [PublishedVideo], title: String, link: String, description: String, selfPath: String,
        config: SiteConfig, urls: SiteURLs, limit: Int, enclosure: Enclosures
    ) -> String {
        var out = channel(
            namespaces: "xmlns:media=\"http://search.yahoo.com/mrss/\"", title: title, link: link,
            description: description, language: config.language, feed: urls.absolute(selfPath))
        if let latest = videos.first?.video.publishedAt {
            out += "<lastBuildDate>\(Format.rfc822(latest))</lastBuildDate>\n"
        }
        for v in videos.prefix(limit) {
            let slug = v.video.slug
            let link = urls.absolute("v/\(SiteURLs.encode(slug))/")
            let master = urls.absoluteMedia(slug, MediaLayout.master)
            let poster = urls.absoluteMedia(slug, MediaLayout.poster)
            let body =
                "<p><a href=\"\(link)\"><img src=\"\(poster)\" alt=\"\"></a></p>"
                + Markdown.html(v.video.description, base: URL(string: link))
            out += """
                <item>
                <title>\(x(v.video.title))</title>
                <link>\(x(link))</link>
                <guid isPermaLink="true">\(x(link))</guid>
                <pubDate>\(Format.rfc822(v.video.publishedAt))</pubDate>
                \(v.category.map { "<category>\(x($0.name))</category>\n" } ?? "")<description>\(x(body))</description>
                \(enclosure(v).map { "<enclosure url=\"\(x($0.url))\" type=\"\($0.type)\" length=\"\($0.length)\"/>" } ?? "<enclosure url=\"\(x(master))\" type=\"application/vnd.apple.mpegurl\" length=\"0\"/>")
                <media:content url="\(x(master))" type="application/vnd.apple.mpegurl" medium="video" duration="\(Int(v.video.duration.rounded()))">
                <media:title>\(x(v.video.title))</media:title>
                <media:thumbnail url="\(x(poster))"/>
                </media:content>
                </item>

                """
        }
        return out + "</channel>\n</rss>\n"
    }

    /// The sitemap protocol's limit of URLs per file.
    static let sitemapLimit = 50_000

    /// The sitemap's URLs: home, the categories index, each category, each video.
    static func sitemapURLCount(_ snapshot: SiteSnapshot) -> Int {
        2 + snapshot.categories.count + snapshot.videos.count
    }

    /// The files `sitemaps` makes for `snapshot` (known before making them).
    static func sitemapNames(_ snapshot: SiteSnapshot, perFile: Int = sitemapLimit) -> [String] {
        let count = sitemapURLCount(snapshot)
        guard count > perFile else { return ["sitemap.xml"] }
        return ["sitemap.xml"] + (1...((count + perFile - 1) / perFile)).map { "sitemap-\($0).xml" }
    }

    /// `sitemap.xml` with the video extension; past `perFile` URLs, `sitemap.xml` becomes a sitemap
    /// index of `sitemap-1.xml`, `sitemap-2.xml`, … (the protocol allows 50,000 URLs per file).
    static func sitemaps(
        snapshot: SiteSnapshot, urls: SiteURLs, summaries: [Int: String],
        perFile: Int = sitemapLimit
    ) -> [String: [UInt8]] {
        let fixed = [urls.absoluteBase, urls.absolute("c/")]
        let cats = snapshot.categories
        let count = sitemapURLCount(snapshot)
        /// The i-th URL: home and categories index, each category, each video.
        func entry(_ i: Int) -> String {
            if i < fixed.count { return "<url><loc>\(x(fixed[i]))</loc></url>\n" }
            if i < fixed.count + cats.count {
                return
                    "<url><loc>\(x(urls.absolute("c/\(SiteURLs.encode(cats[i - fixed.count].slug))/")))</loc></url>\n"
            }
            let v = snapshot.videos[i - fixed.count - cats.count]
            let slug = v.video.slug
            let summary = summaries[v.video.id] ?? ""
            return """
                <url>
                <loc>\(x(urls.absolute("v/\(SiteURLs.encode(slug))/")))</loc>
                <lastmod>\(Format.iso(v.video.publishedAt))</lastmod>
                <video:video>
                <video:thumbnail_loc>\(x(urls.absoluteMedia(slug, MediaLayout.poster)))</video:thumbnail_loc>
                <video:title>\(x(v.video.title))</video:title>
                <video:description>\(x(summary.isEmpty ? v.video.title : summary))</video:description>
                <video:content_loc>\(x(urls.absoluteMedia(slug, MediaLayout.master)))</video:content_loc>
                <video:player_loc>\(x(urls.absolute("v/\(SiteURLs.encode(slug))/embed/")))</video:player_loc>
                <video:duration>\(max(1, Int(v.video.duration.rounded())))</video:duration>
                <video:publication_date>\(Format.iso(v.video.publishedAt))</video:publication_date>
                </video:video>
                </url>

                """
        }
        /// Built as bytes in place: a String and a copy of it as bytes were twice 8 MB at once for
        /// 10,000 videos.
        func urlset(_ range: Range<Int>) -> [UInt8] {
            var out = Array(
                """
                <?xml version="1.0" encoding="utf-8"?>
                <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:video="http://www.google.com/schemas/sitemap-video/1.1">

                """.utf8)
            out.reserveCapacity(range.count * 800)
            for i in range { out.append(contentsOf: entry(i).utf8) }
            out.append(contentsOf: "</urlset>\n".utf8)
            return out
        }
        let names = sitemapNames(snapshot, perFile: perFile)
        guard names.count > 1 else { return ["sitemap.xml": urlset(0..<count)] }
        var files: [String: [UInt8]] = [:]
        var index = """
            <?xml version="1.0" encoding="utf-8"?>
            <sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">

            """
        for (n, name) in names.dropFirst().enumerated() {
            files[name] = urlset((n * perFile)..<min((n + 1) * perFile, count))
            index += "<sitemap><loc>\(x(urls.absolute(name)))</loc></sitemap>\n"
        }
        files["sitemap.xml"] = Array((index + "</sitemapindex>\n").utf8)
        return files
    }
}
