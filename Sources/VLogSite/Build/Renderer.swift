import Foundation
import VLogConfig
import VLogContent
import VLogMedia
import VLogSupport
import VLogTemplate

/// Plans the site's files (path relative to the output folder -> entry). Pages are rendered when
/// the writer asks for them, on the writer's threads, so a build never holds the whole site in
/// memory. Pure: it reads templates and checks which captions exist, but writes nothing.
public struct Renderer: Sendable {
    public let site: Site
    public let snapshot: SiteSnapshot
    let templates: Templates
    let context: PageContext
    /// Filled as the video pages render; its files are made after them (`searchFiles`).
    let search = SearchIndex()

    public init(site: Site, snapshot: SiteSnapshot) throws {
        self.site = site
        self.snapshot = snapshot
        templates = try Templates(site: site)
        context = PageContext(
            config: site.config, urls: SiteURLs(config: site.config),
            mediaRoot: site.videosURL.path, uploads: site.uploadsURL)
    }

    public func pages() -> [String: OutputEntry] {
        var files: [String: OutputEntry] = [:]
        // Room for the media the builder adds too: growing a dictionary of 60,000 entries keeps
        // the old and the new table at once.
        files.reserveCapacity(snapshot.videos.count * 8 + snapshot.categories.count * 4 + 256)
        let (templates, context, snapshot, config, search) = (
            self.templates, self.context, self.snapshot, site.config, self.search
        )
        let siteValue = context.site
        // Lists, feeds, the sitemap and the search index name only listed videos; every video
        // has its page, embed and media.
        let listed = {
            var s = snapshot
            s.videos = snapshot.listed
            return s
        }()
        let cards = Dictionary(
            uniqueKeysWithValues: snapshot.videos.map { ($0.video.id, TemplateValue.object(context.card($0))) })
        func page(_ template: String, _ values: [String: TemplateValue]) -> OutputEntry {
            var all = values
            all["site"] = siteValue
            let context = TemplateValue.object(all)
            return .page { try templates.render(template, context) }
        }

        // Home, paginated.
        for (path, values) in paginate(listed.videos, base: "", cards: cards) {
            var c = values
            c["summary"] = .string(config.description)
            files[path] = page("list", c)
        }
        // Categories, their pages and the categories index.
        var byCategory: [Int: [PublishedVideo]] = [:]
        for v in listed.videos { if let c = v.category { byCategory[c.id, default: []].append(v) } }
        var catList: [TemplateValue] = []
        for cat in snapshot.categories {
            let vids = byCategory[cat.id] ?? []
            let summary = Markdown.plainText(cat.description)
            catList.append([
                "name": .string(cat.name), "url": .string(context.urls.category(cat.slug)), "count": .int(vids.count),
                "one": .bool(vids.count == 1), "summary": .string(summary),
            ])
            for (path, values) in paginate(vids, base: "c/\(cat.slug)/", cards: cards) {
                var c = values
                c["heading"] = .string(cat.name)
                c["summary"] = .string(summary)
                if !path.contains("/page/") { c["descriptionHTML"] = .string(Markdown.html(cat.description)) }
                c["feed"] = .string(context.urls.category(cat.slug) + "feed.xml")
                files[path] = page("list", c)
            }
            files["c/\(cat.slug)/feed.xml"] = .page {
                Array(
                    Feeds.rss(
                        category: cat, videos: vids, summary: summary, config: config, urls: context.urls,
                        enclosure: context.enclosure
                    ).utf8)
            }
        }
        files["c/index.html"] = page("categories", ["categories": .list(catList)])

        // A page and an embed per video; "more" lists the newest others of its category. Each
        // closure holds one reference and an index: capturing the context, templates and video by
        // value cost about a kilobyte per closure (19 MB of a 10,000-video build).
        let shared = VideoPages(
            templates: templates, context: context, siteValue: siteValue, cards: cards, byCategory: byCategory,
            videos: snapshot.videos, search: search)
        for (i, v) in snapshot.videos.enumerated() {
            files["v/\(v.video.slug)/index.html"] = .page { try shared.page(i) }
            files["v/\(v.video.slug)/embed/index.html"] = .page { try shared.embed(i) }
            // The chapters as a WebVTT chapters track beside the page (`<track kind="chapters">`).
            let chapters = context.chapters(v)
            if !chapters.isEmpty {
                files["v/\(v.video.slug)/\(MediaLayout.chapters)"] = .bytes(
                    Data(Chapters.vtt(chapters, duration: v.video.duration).utf8))
                files["v/\(v.video.slug)/\(MediaLayout.chaptersJSON)"] = .bytes(
                    Data(Chapters.podcastJSON(chapters).utf8))
            }
        }
        // Old addresses: a page that sends the reader on at once (keeping `?t=` and `#t=`) and
        // tells search engines where the video lives now; servers answer 301 from the maps.
        for r in snapshot.redirects {
            for sub in ["", "embed/"] {
                let target = context.urls.base + "v/\(SiteURLs.encode(r.video.video.slug))/" + sub
                files["v/\(r.old)/\(sub)index.html"] = .bytes(
                    Redirects.page(
                        to: target, absolute: context.urls.absolute("v/\(SiteURLs.encode(r.video.video.slug))/" + sub),
                        title: r.video.video.title, language: config.language, base: context.urls.base))
            }
        }
        files[Redirects.nginxMap] = .bytes(Redirects.nginx(snapshot.redirects, base: context.urls.base))
        files[Redirects.caddyFile] = .bytes(Redirects.caddy(snapshot.redirects, base: context.urls.base))
        files["404.html"] = page("404", [:])
        files["search/index.html"] = page("search", [:])
        // The podcast feeds: the site's and each category's.
        if config.podcast.enabled {
            let podcast = Podcast(config: config, context: context)
            files[Podcast.feed] = .page {
                Array(
                    podcast.feed(
                        listed.videos, title: config.title, link: context.urls.absoluteBase,
                        description: config.description.isEmpty ? config.title : config.description,
                        selfPath: Podcast.feed
                    ).utf8)
            }
            for cat in snapshot.categories {
                let vids = byCategory[cat.id] ?? []
                guard !vids.isEmpty else { continue }
                let about = Markdown.plainText(html: Markdown.html(cat.description))
                files["c/\(cat.slug)/\(Podcast.feed)"] = .page {
                    Array(
                        podcast.feed(
                            vids, title: "\(cat.name) · \(config.title)",
                            link: context.urls.absolute("c/\(SiteURLs.encode(cat.slug))/"),
                            description: about.isEmpty ? cat.name : about,
                            selfPath: "c/\(SiteURLs.encode(cat.slug))/\(Podcast.feed)"
                        ).utf8)
                }
            }
        }
        files["feed.xml"] = .page {
            Array(Feeds.rss(snapshot: listed, config: config, urls: context.urls, enclosure: context.enclosure).utf8)
        }
        // The sitemap's files are named up front and made once, by the first writer thread that
        // asks for one.
        let sitemaps = LockedBox<[String: [UInt8]]?>(nil)
        for name in Feeds.sitemapNames(listed) {
            files[name] = .page {
                sitemaps.withLock { made in
                    if made == nil {
                        let summaries = Dictionary(
                            uniqueKeysWithValues: listed.videos.map {
                                ($0.video.id, Markdown.plainText($0.video.description))
                            })
                        made = Feeds.sitemaps(snapshot: listed, urls: context.urls, summaries: summaries)
                    }
                    // Each part is taken once; letting go of it keeps peak memory down.
                    return made?.removeValue(forKey: name) ?? []
                }
            }
        }
        // Embed pages stay crawlable: the video sitemap names them as each video's player, and a
        // sitemap URL blocked by robots.txt is an error for search engines. Their own
        // `<meta name="robots" content="noindex">` keeps them out of results.
        files["robots.txt"] = .bytes(
            Data("User-agent: *\nAllow: /\n\nSitemap: \(context.urls.absolute("sitemap.xml"))\n".utf8))
        return files
    }

    /// The search index's files (`SearchIndex`), once `pages()`'s entries are all rendered.
    public func searchFiles() -> [String: OutputEntry] {
        search.files(videos: snapshot.listed, urls: context.urls)
    }

    /// Pages of `videos` under `base` ("" for home, "c/slug/" for a category).
    func paginate(_ videos: [PublishedVideo], base: String, cards: [Int: TemplateValue]) -> [(
        String, [String: TemplateValue]
    )] {
        let per = site.config.videosPerPage
        let pages = max(1, (videos.count + per - 1) / per)
        let urls = context.urls
        // `base` is a file path; in URLs its slug is percent-encoded.
        let webBase =
            base.split(separator: "/").map { SiteURLs.encode(String($0)) }.joined(separator: "/")
            + (base.isEmpty ? "" : "/")
        func url(_ n: Int) -> String { urls.base + webBase + (n == 1 ? "" : "page/\(n)/") }
        return (1...pages).map { n in
            let slice = videos.dropFirst((n - 1) * per).prefix(per).compactMap { cards[$0.video.id] }
            var values: [String: TemplateValue] = [
                "videos": .list(Array(slice)), "hasVideos": .bool(!slice.isEmpty),
                "canonical": .string(urls.absolute(webBase + (n == 1 ? "" : "page/\(n)/"))),
            ]
            if pages > 1 {
                var p: [String: TemplateValue] = ["page": .int(n), "pages": .int(pages)]
                if n > 1 { p["prev"] = .string(url(n - 1)) }
                if n < pages { p["next"] = .string(url(n + 1)) }
                values["pagination"] = .object(p)
            }
            return (base + (n == 1 ? "" : "page/\(n)/") + "index.html", values)
        }
    }
}

/// What the video pages and embeds are rendered from, shared by every page's closure.
final class VideoPages: Sendable {
    let templates: Templates
    let context: PageContext
    let siteValue: TemplateValue
    let cards: [Int: TemplateValue]
    let byCategory: [Int: [PublishedVideo]]
    let videos: [PublishedVideo]
    let search: SearchIndex

    init(
        templates: Templates, context: PageContext, siteValue: TemplateValue, cards: [Int: TemplateValue],
        byCategory: [Int: [PublishedVideo]], videos: [PublishedVideo], search: SearchIndex
    ) {
        self.templates = templates
        self.context = context
        self.siteValue = siteValue
        self.cards = cards
        self.byCategory = byCategory
        self.videos = videos
        self.search = search
    }

    /// The video page of `videos[i]`; its words go to the search index as it renders.
    func page(_ i: Int) throws -> [UInt8] {
        let v = videos[i]
        let group = v.category.flatMap { byCategory[$0.id] } ?? []
        let related = group.lazy.filter { $0.video.id != v.video.id }.prefix(8).compactMap { self.cards[$0.video.id] }
        let page = context.video(v, card: cards[v.video.id])
        if !v.unlisted {
            search.add(
                id: v.video.id, title: v.video.title, category: v.category?.name ?? "", description: page.description,
                transcript: page.transcript)
        }
        return try templates.render(
            "video",
            [
                "site": siteValue, "video": page.value, "related": .list(Array(related)),
                "hasRelated": .bool(!related.isEmpty),
            ])
    }

    func embed(_ i: Int) throws -> [UInt8] {
        let v = videos[i]
        return try templates.render(
            "embed", ["site": siteValue, "video": .object(context.player(v, card: cards[v.video.id]))])
    }
}
