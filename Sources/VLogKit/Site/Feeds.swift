import Foundation

/// RSS with Media RSS enclosures, and sitemap.xml with the video extension.
enum Feeds {
    static func x(_ s: String) -> String { HTML.escape(s) }

    /// The site's feed: its newest videos.
    static func rss(snapshot: SiteSnapshot, config: SiteConfig, urls: SiteURLs, limit: Int = 50) -> String {
        rss(snapshot.videos, title: config.title, link: urls.absoluteBase,
            description: config.description.isEmpty ? config.title : config.description,
            selfPath: "feed.xml", config: config, urls: urls, limit: limit)
    }

    /// A category's feed (`c/SLUG/feed.xml`), as Hugo writes one per section and YouTube per channel.
    static func rss(category: Category, videos: [PublishedVideo], summary: String, config: SiteConfig, urls: SiteURLs,
                    limit: Int = 50) -> String {
        rss(videos, title: "\(category.name) · \(config.title)", link: urls.absolute("c/\(category.slug)/"),
            description: summary.isEmpty ? category.name : summary, selfPath: "c/\(category.slug)/feed.xml",
            config: config, urls: urls, limit: limit)
    }

    /// RSS 2.0 of `videos` (newest first).
    static func rss(_ videos: [PublishedVideo], title: String, link: String, description: String, selfPath: String,
                    config: SiteConfig, urls: SiteURLs, limit: Int) -> String {
        var out = """
        <?xml version="1.0" encoding="utf-8"?>
        <rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
        <channel>
        <title>\(x(title))</title>
        <link>\(x(link))</link>
        <description>\(x(description))</description>
        <language>\(x(config.language))</language>
        <atom:link href="\(x(urls.absolute(selfPath)))" rel="self" type="application/rss+xml"/>

        """
        if let latest = videos.first?.video.publishedAt { out += "<lastBuildDate>\(Format.rfc822(latest))</lastBuildDate>\n" }
        for v in videos.prefix(limit) {
            let slug = v.video.slug
            let link = urls.absolute("v/\(slug)/")
            let master = urls.absoluteMedia(slug, "master.m3u8")
            let poster = urls.absoluteMedia(slug, Attempt.posterName)
            let body = "<p><a href=\"\(link)\"><img src=\"\(poster)\" alt=\"\"></a></p>" + Markdown.html(v.video.description)
            out += """
            <item>
            <title>\(x(v.video.title))</title>
            <link>\(x(link))</link>
            <guid isPermaLink="true">\(x(link))</guid>
            <pubDate>\(Format.rfc822(v.video.publishedAt))</pubDate>
            \(v.category.map { "<category>\(x($0.name))</category>\n" } ?? "")<description>\(x(body))</description>
            <enclosure url="\(x(master))" type="application/vnd.apple.mpegurl" length="0"/>
            <media:content url="\(x(master))" type="application/vnd.apple.mpegurl" medium="video" duration="\(Int(v.video.duration.rounded()))">
            <media:title>\(x(v.video.title))</media:title>
            <media:thumbnail url="\(x(poster))"/>
            </media:content>
            </item>

            """
        }
        return out + "</channel>\n</rss>\n"
    }

    static func sitemap(snapshot: SiteSnapshot, urls: SiteURLs, summaries: [Int: String]) -> String {
        var out = """
        <?xml version="1.0" encoding="utf-8"?>
        <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:video="http://www.google.com/schemas/sitemap-video/1.1">
        <url><loc>\(x(urls.absoluteBase))</loc></url>
        <url><loc>\(x(urls.absolute("c/")))</loc></url>

        """
        for c in snapshot.categories { out += "<url><loc>\(x(urls.absolute("c/\(c.slug)/")))</loc></url>\n" }
        for v in snapshot.videos {
            let slug = v.video.slug
            let summary = summaries[v.video.id] ?? ""
            out += """
            <url>
            <loc>\(x(urls.absolute("v/\(slug)/")))</loc>
            <lastmod>\(Format.iso(v.video.publishedAt))</lastmod>
            <video:video>
            <video:thumbnail_loc>\(x(urls.absoluteMedia(slug, Attempt.posterName)))</video:thumbnail_loc>
            <video:title>\(x(v.video.title))</video:title>
            <video:description>\(x(summary.isEmpty ? v.video.title : summary))</video:description>
            <video:content_loc>\(x(urls.absoluteMedia(slug, "master.m3u8")))</video:content_loc>
            <video:player_loc>\(x(urls.absolute("v/\(slug)/embed/")))</video:player_loc>
            <video:duration>\(max(1, Int(v.video.duration.rounded())))</video:duration>
            <video:publication_date>\(Format.iso(v.video.publishedAt))</video:publication_date>
            </video:video>
            </url>

            """
        }
        return out + "</urlset>\n"
    }
}
