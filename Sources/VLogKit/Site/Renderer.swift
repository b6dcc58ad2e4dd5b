import Foundation
import Mustache

/// Turns a snapshot into the site's files (path relative to the output folder -> bytes).
/// Pure: it reads templates and checks which captions exist, but writes nothing.
public struct Renderer {
    public let site: Site
    public let snapshot: SiteSnapshot
    let templates: Templates
    let urls: SiteURLs

    public init(site: Site, snapshot: SiteSnapshot) throws {
        self.site = site
        self.snapshot = snapshot
        templates = try Templates(site: site)
        urls = SiteURLs(config: site.config)
    }

    public func render() throws -> [String: Data] {
        var files: [String: Data] = [:]
        let siteContext = urls.siteContext(site.config)
        let cards = Dictionary(uniqueKeysWithValues: snapshot.videos.map { ($0.video.id, card($0)) })
        let summaries = Dictionary(uniqueKeysWithValues: snapshot.videos.map { ($0.video.id, Markdown.plainText($0.video.description)) })

        // Home, paginated.
        for (path, ctx) in paginate(snapshot.videos, base: "", cards: cards) {
            var c = ctx
            c["site"] = siteContext
            c["summary"] = site.config.description
            files[path] = try templates.render("list", c)
        }
        // Categories and their pages.
        var byCategory: [Int: [PublishedVideo]] = [:]
        for v in snapshot.videos { if let c = v.category { byCategory[c.id, default: []].append(v) } }
        var catList: [[String: Any]] = []
        for cat in snapshot.categories {
            let vids = byCategory[cat.id] ?? []
            let summary = Markdown.plainText(cat.description)
            catList.append(["name": cat.name, "url": urls.category(cat.slug), "count": vids.count, "one": vids.count == 1,
                            "summary": summary])
            for (path, ctx) in paginate(vids, base: "c/\(cat.slug)/", cards: cards) {
                var c = ctx
                c["site"] = siteContext
                c["heading"] = cat.name
                c["summary"] = summary
                if !path.contains("/page/") { c["descriptionHTML"] = Markdown.html(cat.description) }
                files[path] = try templates.render("list", c)
            }
        }
        files["c/index.html"] = try templates.render("categories", ["site": siteContext, "categories": catList])

        // Video pages and embeds, on every core (rendering is pure; each worker keeps its own files).
        // Read-only while the workers run.
        nonisolated(unsafe) let (me, shared, siteCtx, groups) = (self, cards, siteContext, byCategory)
        let videos = snapshot.videos
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let results = LockedBox<[[String: Data]]>(Array(repeating: [:], count: parts))
        let failure = LockedBox<Error?>(nil)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            var mine: [String: Data] = [:]
            do {
                for i in stride(from: part, to: videos.count, by: parts) {
                    let v = videos[i]
                    let ctx = me.videoContext(v)
                    // More from the same category: its list is newest first already.
                    let related = v.category.flatMap { groups[$0.id] }?.lazy.filter { $0.video.id != v.video.id }
                        .prefix(8).compactMap { shared[$0.video.id] } ?? []
                    mine["v/\(v.video.slug)/index.html"] = try me.templates.render("video", [
                        "site": siteCtx, "video": ctx, "related": Array(related), "hasRelated": !related.isEmpty,
                    ])
                    mine["v/\(v.video.slug)/embed/index.html"] = try me.templates.render("embed", ["site": siteCtx, "video": ctx])
                }
            } catch { failure.value = error }
            results.withLock { $0[part] = mine }
        }
        if let e = failure.value { throw e }
        for part in results.value { files.merge(part) { a, _ in a } }
        files["404.html"] = try templates.render("404", ["site": siteContext])
        files["feed.xml"] = Data(Feeds.rss(snapshot: snapshot, config: site.config, urls: urls).utf8)
        files["sitemap.xml"] = Data(Feeds.sitemap(snapshot: snapshot, urls: urls, summaries: summaries).utf8)
        files["robots.txt"] = Data("User-agent: *\nAllow: /\nDisallow: /v/*/embed/\n\nSitemap: \(urls.absolute("sitemap.xml"))\n".utf8)
        return files
    }

    /// Pages of `videos` under `base` ("" for home, "c/slug/" for a category).
    func paginate(_ videos: [PublishedVideo], base: String, cards: [Int: [String: Any]]) -> [(String, [String: Any])] {
        let per = site.config.videosPerPage
        let pages = max(1, (videos.count + per - 1) / per)
        func url(_ n: Int) -> String { urls.base + base + (n == 1 ? "" : "page/\(n)/") }
        return (1...pages).map { n in
            let slice = videos.dropFirst((n - 1) * per).prefix(per).compactMap { cards[$0.video.id] }
            var ctx: [String: Any] = ["videos": Array(slice), "hasVideos": !slice.isEmpty,
                                      "canonical": urls.absolute(base + (n == 1 ? "" : "page/\(n)/"))]
            if pages > 1 {
                var p: [String: Any] = ["page": n, "pages": pages]
                if n > 1 { p["prev"] = url(n - 1) }
                if n < pages { p["next"] = url(n + 1) }
                ctx["pagination"] = p
            }
            return (base + (n == 1 ? "" : "page/\(n)/") + "index.html", ctx)
        }
    }

    func card(_ v: PublishedVideo) -> [String: Any] {
        var c: [String: Any] = [
            "title": v.video.title, "url": urls.video(v.video.slug), "thumb": urls.media(v.video.slug, Attempt.smallPosterName),
            "duration": Format.duration(v.video.duration), "date": Format.date(v.video.publishedAt),
            "dateISO": Format.iso(v.video.publishedAt),
        ]
        if let cat = v.category { c["category"] = ["name": cat.name, "url": urls.category(cat.slug)] }
        return c
    }

    func videoContext(_ v: PublishedVideo) -> [String: Any] {
        let slug = v.video.slug
        let top = v.qualities.first
        let width = top?.width ?? (v.video.sourceWidth > 0 ? v.video.sourceWidth : 1280)
        let height = top?.height ?? (v.video.sourceHeight > 0 ? v.video.sourceHeight : 720)
        let descriptionHTML = Markdown.html(v.video.description)
        let summary = Markdown.plainText(html: descriptionHTML)
        var c: [String: Any] = card(v)
        let captions = FileIO.exists(site.mediaDir(slug: slug).appendingPathComponent("captions.vtt"))
        c.merge([
            "slug": slug, "summary": summary.isEmpty ? v.video.title : summary,
            "descriptionHTML": descriptionHTML,
            "absoluteURL": urls.absolute("v/\(slug)/"), "absoluteEmbed": urls.absolute("v/\(slug)/embed/"),
            "poster": urls.media(slug, Attempt.posterName), "absolutePoster": urls.absoluteMedia(slug, Attempt.posterName),
            "master": urls.media(slug, "master.m3u8"), "seconds": Int(v.video.duration.rounded()),
            "width": width, "height": height,
            "qualities": v.qualities.map { ["name": $0.quality, "resolution": "\($0.width)x\($0.height)"] },
            "hasQualities": !v.qualities.isEmpty,
        ]) { _, new in new }
        if captions { c["captions"] = urls.media(slug, "captions.vtt") }
        var ld: [String: Any] = [
            "@context": "https://schema.org", "@type": "VideoObject", "name": v.video.title,
            "description": summary.isEmpty ? v.video.title : summary,
            "thumbnailUrl": [urls.absoluteMedia(slug, Attempt.posterName)], "uploadDate": Format.iso(v.video.publishedAt),
            "duration": Format.isoDuration(v.video.duration), "contentUrl": urls.absoluteMedia(slug, "master.m3u8"),
            "embedUrl": urls.absolute("v/\(slug)/embed/"), "url": urls.absolute("v/\(slug)/"),
            "width": width, "height": height,
        ]
        if let cat = v.category { ld["genre"] = cat.name }
        c["jsonLD"] = HTML.scriptJSON(ld)
        return c
    }
}

/// The URL layout of a built site.
public struct SiteURLs: Sendable {
    /// Absolute base URL with trailing slash, and its path (what links start with).
    public let absoluteBase: String
    public let base: String
    public let mediaBase: String?

    public init(config: SiteConfig) {
        absoluteBase = config.baseURL.hasSuffix("/") ? config.baseURL : config.baseURL + "/"
        var path = URL(string: absoluteBase)?.path ?? "/"
        if !path.hasSuffix("/") { path += "/" }
        base = path
        mediaBase = config.mediaBaseURL.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
    }

    public func video(_ slug: String) -> String { base + "v/\(slug)/" }
    public func category(_ slug: String) -> String { base + "c/\(slug)/" }
    public func absolute(_ path: String) -> String { absoluteBase + path }
    /// Media (HLS and posters) live beside the page, /v/<slug>/, unless a media base URL is set.
    public func media(_ slug: String, _ file: String) -> String { (mediaBase ?? base + "v/") + "\(slug)/\(file)" }
    public func absoluteMedia(_ slug: String, _ file: String) -> String {
        if let m = mediaBase, m.contains("://") { return m + "\(slug)/\(file)" }
        if let m = mediaBase { return (URL(string: m, relativeTo: URL(string: absoluteBase))?.absoluteString ?? m) + "\(slug)/\(file)" }
        return absolute("v/\(slug)/\(file)")
    }

    func siteContext(_ config: SiteConfig) -> [String: Any] {
        var s: [String: Any] = ["title": config.title, "description": config.description, "language": config.language,
                                "base": base, "url": absoluteBase]
        if let h = config.hlsJSURL { s["hlsJS"] = h }
        return s
    }
}

/// Loads templates: the site's own templates/NAME.mustache, else vlog's default.
struct Templates {
    var library = MustacheLibrary()
    static let names = ["base", "card", "pagination", "list", "categories", "video", "player", "embed", "404", "extra-head"]

    init(site: Site) throws {
        for name in Self.names {
            guard let url = site.resource("templates", "\(name).mustache") else {
                throw VLogError.config("template \(name).mustache not found in \(site.root.path)/templates or vlog's defaults; set VLOG_SHARE_DIR to vlog's install folder")
            }
            do { try library.register(try String(contentsOf: url, encoding: .utf8), named: name) } catch {
                throw VLogError.config("template \(url.path): \(error)")
            }
        }
    }

    func render(_ name: String, _ context: [String: Any]) throws -> Data {
        guard let out = library.render(context, withTemplate: name) else { throw VLogError.config("template \(name) is missing") }
        return Data(out.utf8)
    }
}

/// Formatting shared by pages and feeds.
public enum Format {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]

    static func parts(_ d: Date) -> tm {
        var t = time_t(d.timeIntervalSince1970)
        var out = tm()
        gmtime_r(&t, &out)
        return out
    }
    public static func duration(_ s: Double) -> String {
        let n = Int(s.rounded())
        return n >= 3600 ? String(format: "%d:%02d:%02d", n / 3600, n / 60 % 60, n % 60) : String(format: "%d:%02d", n / 60, n % 60)
    }
    public static func isoDuration(_ s: Double) -> String {
        let n = Int(s.rounded())
        return "PT" + (n >= 3600 ? "\(n / 3600)H" : "") + (n >= 60 ? "\(n / 60 % 60)M" : "") + "\(n % 60)S"
    }
    public static func date(_ d: Date?) -> String {
        guard let d else { return "" }
        let t = parts(d)
        return "\(t.tm_mday) \(months[Int(t.tm_mon)]) \(t.tm_year + 1900)"
    }
    public static func iso(_ d: Date?) -> String {
        guard let d else { return "" }
        return DBDate.format(d).replacingOccurrences(of: " ", with: "T") + "Z"
    }
    public static func rfc822(_ d: Date?) -> String {
        guard let d else { return "" }
        let t = parts(d)
        return String(format: "%@, %02d %@ %04d %02d:%02d:%02d +0000", days[Int(t.tm_wday)], t.tm_mday, months[Int(t.tm_mon)],
                      t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec)
    }
}
