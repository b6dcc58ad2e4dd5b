import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogSite
@testable import VLogStore
@testable import VLogSupport

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Inserts a ready video with placeholder media, as the transcoder would leave it.
@discardableResult
func insertReadyVideo(
    _ t: TestSite, slug: String, title: String, description: String = "", category: Int? = nil,
    publishedAt: Date? = Date(timeIntervalSince1970: 1_760_000_000)
) throws -> Int {
    try t.store.db.run(
        """
        INSERT INTO videos (title, slug, description, category_id, duration, source_width, source_height, status,
                            created_at, published_at) VALUES (?, ?, ?, ?, 65, 1280, 720, 'ready', ?, ?)
        """, [title, slug, description, category, Date(), publishedAt])
    let id = t.store.db.lastInsertRowID
    try t.store.db.run(
        "INSERT INTO video_qualities (video_id, quality, width, height, bitrate) VALUES (?, '720p', 1280, 720, 2500)",
        [id])
    let dir = t.site.mediaDir(slug: slug)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for (name, body) in [
        ("master.m3u8", "#EXTM3U\n"), ("720p.m3u8", "#EXTM3U\n#EXT-X-ENDLIST\n"), ("720p_0000.ts", "ts"),
        ("thumbnail.jpg", "jpg"), ("thumbnail-small.jpg", "jpg"),
    ] {
        try Data(body.utf8).write(to: dir.appendingPathComponent(name))
    }
    return id
}

func read(_ t: TestSite, _ path: String) -> String {
    (try? String(contentsOf: t.site.outputURL.appendingPathComponent(path), encoding: .utf8)) ?? ""
}

/// Parses XML; returns the error, if any.
func xmlError(_ text: String) -> String? {
    let parser = XMLParser(data: Data(text.utf8))
    parser.shouldProcessNamespaces = true
    return parser.parse() ? nil : (parser.parserError?.localizedDescription ?? "parse failed")
}

@Suite struct SiteBuildTests {
    @Test func everyTextFromTheDatabaseIsEscaped() throws {
        let t = try TestSite()
        try t.store.db.run(
            "INSERT INTO categories (name, slug, description) VALUES (?, 'evil', ?)",
            ["<img src=x onerror=alert(1)>", "<script>alert('cat')</script>\n\nTrips *ok*"])
        try insertReadyVideo(
            t, slug: "xss", title: "<script>alert(1)</script>",
            description:
                "Hi <b onmouseover=alert(2)>there</b>\n\n<script>alert(3)</script>\n\n[click](javascript:alert(4)) and </script>",
            category: t.store.db.lastInsertRowID)
        _ = try Builder(site: t.site).build()
        for page in [
            "index.html", "v/xss/index.html", "v/xss/embed/index.html", "c/evil/index.html", "c/index.html", "feed.xml",
            "sitemap.xml",
        ] {
            let html = read(t, page)
            #expect(!html.isEmpty, "\(page) exists")
            #expect(!html.contains("<script>alert"), "\(page): no script from the database")
            #expect(!html.contains("<img src=x"), "\(page): no raw img from the database")
            #expect(!html.contains("onmouseover=alert"), "\(page)")
            #expect(!html.contains("javascript:alert"), "\(page): javascript: links dropped")
        }
        let video = read(t, "v/xss/index.html")
        #expect(video.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the title shows as text")
        // JSON-LD cannot be closed by a description containing </script>.
        let ld = video.components(separatedBy: "application/ld+json\">")[1].components(separatedBy: "</script>")[0]
        #expect(
            ld.contains("\"name\":\"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\""),
            "title escaped inside JSON-LD: \(ld)")
        #expect(
            video.components(separatedBy: "</script>").count - 1 == 3, "only vlog's own three script elements close")
        #expect(read(t, "c/evil/index.html").contains("<em>ok</em>"), "markdown still renders")
    }

    @Test func onlyPublishedReadyUndeletedVideosAppearAndScheduledOnesArriveOnTime() throws {
        let t = try TestSite()
        let now = Date(timeIntervalSince1970: 1_770_000_000)
        try insertReadyVideo(t, slug: "live", title: "Live", publishedAt: now - 3600)
        try insertReadyVideo(t, slug: "later", title: "Later", publishedAt: now + 3600)
        try insertReadyVideo(t, slug: "draft", title: "Draft", publishedAt: nil)
        try insertReadyVideo(t, slug: "gone", title: "Gone", publishedAt: now - 7200)
        try t.store.db.run("UPDATE videos SET deleted_at = ? WHERE slug = 'gone'", [now])
        try t.store.db.run(
            "INSERT INTO videos (title, slug, status, published_at) VALUES ('Pending', 'pending', 'pending', ?)",
            [now - 60])
        _ = try Builder(site: t.site, clock: .fixed(now)).build()
        let everything = ["index.html", "feed.xml", "sitemap.xml", "c/index.html"].map { read(t, $0) }.joined()
        #expect(everything.contains("/v/live/"))
        for hidden in ["later", "draft", "gone", "pending"] {
            #expect(!everything.contains("/v/\(hidden)/"), "\(hidden) hidden")
            #expect(!FileIO.exists(t.site.outputURL.appendingPathComponent("v/\(hidden)")))
        }
        let report = try Builder(site: t.site, clock: .fixed(now + 7200)).build()
        #expect(report.videos == 2)
        #expect(
            read(t, "index.html").contains("/v/later/")
                && FileIO.exists(t.site.outputURL.appendingPathComponent("v/later/index.html")))
    }

    @Test func deletingAVideoPrunesItsPagesAndANoOpRebuildWritesNothing() throws {
        let t = try TestSite()
        try Categories(store: t.store).add(name: "Travel")
        let cat = try #require(try t.store.category(slug: "travel"))
        for i in 1...30 {
            try insertReadyVideo(
                t, slug: "v\(i)", title: "Video \(i)", category: cat.id,
                publishedAt: Date(timeIntervalSince1970: 1_760_000_000 + Double(i) * 60))
        }
        let first = try Builder(site: t.site).build()
        #expect(first.pages.written > 60 && first.media.written == 150)
        #expect(FileIO.exists(t.site.outputURL.appendingPathComponent("page/2/index.html")), "24 per page -> 2 pages")
        #expect(read(t, "index.html").contains("/v/v30/") && !read(t, "index.html").contains("/v/v1/"), "newest first")
        #expect(read(t, "v/v5/master.m3u8") == "#EXTM3U\n", "media published under /v/<slug>/")

        // No-op: nothing written, no file touched.
        let page = t.site.outputURL.appendingPathComponent("v/v5/index.html")
        let mtime = try FileManager.default.attributesOfItem(atPath: page.path)[.modificationDate] as? Date
        let noop = try Builder(site: t.site).build()
        #expect(noop.pages.written == 0 && noop.pages.removed == 0 && noop.media.written == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: page.path)[.modificationDate] as? Date == mtime)

        // Soft delete: its page, embed and media links disappear; lists shrink to one page.
        for i in 1...7 { try Videos(site: t.site, store: t.store).delete("v\(i)") }
        // A quarter of the site at once: the build asks to be told that this is intended.
        #expect(throws: VLogError.self) { try Builder(site: t.site).build() }
        #expect(
            FileIO.exists(t.site.outputURL.appendingPathComponent("v/v1/index.html")),
            "the refused build removed nothing")
        let after = try Builder(site: t.site).build(options: BuildOptions(allowMassRemoval: true))
        #expect(after.pages.removed >= 7 * 2 + 1)
        #expect(!FileIO.exists(t.site.outputURL.appendingPathComponent("v/v1")))
        #expect(!FileIO.exists(t.site.outputURL.appendingPathComponent("page/2/index.html")))
        #expect(FileIO.exists(t.site.outputURL.appendingPathComponent("v/v8/index.html")))
        // Category removed: its pages go too; user files in the output are never touched.
        try Data("mine".utf8).write(to: t.site.outputURL.appendingPathComponent("keep-me.txt"))
        try Categories(store: t.store).delete("travel")
        _ = try Builder(site: t.site).build()
        #expect(!FileIO.exists(t.site.outputURL.appendingPathComponent("c/travel")))
        #expect(FileIO.exists(t.site.outputURL.appendingPathComponent("keep-me.txt")))
    }

    @Test func feedSitemapAndVideoPageMetadata() throws {
        let t = try TestSite()
        try t.store.db.run("INSERT INTO categories (name, slug, description) VALUES ('Trips & tours', 'trips', '')")
        try insertReadyVideo(
            t, slug: "one", title: "One & only", description: "First *video* <3", category: t.store.db.lastInsertRowID)
        try insertReadyVideo(t, slug: "two", title: "Two")
        _ = try Builder(site: t.site).build()
        let feed = read(t, "feed.xml")
        let sitemap = read(t, "sitemap.xml")
        #expect(xmlError(feed) == nil, "feed.xml well-formed: \(xmlError(feed) ?? "")")
        #expect(xmlError(sitemap) == nil, "sitemap.xml well-formed: \(xmlError(sitemap) ?? "")")
        #expect(feed.contains("<enclosure url=\"https://videos.example.org/v/one/master.m3u8\""))
        #expect(feed.contains("<media:thumbnail url=\"https://videos.example.org/v/one/thumbnail.jpg\"/>"))
        #expect(sitemap.contains("<video:content_loc>https://videos.example.org/v/one/master.m3u8</video:content_loc>"))
        #expect(sitemap.contains("<video:duration>65</video:duration>"))
        let page = read(t, "v/one/index.html")
        for needle in [
            "og:video", "twitter:player", "\"@type\":\"VideoObject\"", "\"duration\":\"PT1M5S\"", "lang=\"en\"",
            "<video controls", "aria-label=\"Video: One &amp; only\"", "data-src=\"/v/one/master.m3u8\"",
        ] {
            #expect(page.contains(needle), "video page has \(needle)")
        }
        // Each category has its own feed, linked from its page.
        let catFeed = read(t, "c/trips/feed.xml")
        #expect(
            xmlError(catFeed) == nil && catFeed.contains("<title>Trips &amp; tours · "), "category feed: \(catFeed)")
        #expect(catFeed.contains("<link>https://videos.example.org/v/one/</link>") && !catFeed.contains("/v/two/"))
        #expect(read(t, "c/trips/index.html").contains("type=\"application/rss+xml\" title=\"Trips &amp; tours · "))
        #expect(read(t, "robots.txt").contains("Sitemap: https://videos.example.org/sitemap.xml"))
        #expect(read(t, "404.html").contains("Not found"))
        let embed = read(t, "v/one/embed/index.html")
        #expect(embed.contains("data-vlog-player") && embed.contains("<meta name=\"robots\" content=\"noindex\">"))
        // Nothing the sitemap lists may be blocked by robots.txt (the embed page is the video's player_loc).
        #expect(sitemap.contains("<video:player_loc>https://videos.example.org/v/one/embed/</video:player_loc>"))
        #expect(!read(t, "robots.txt").contains("Disallow: /v/"))
        #expect(read(t, "assets/player.js").contains("vlog_viewer"))
    }

    @Test func summariesReadAsTextAndCategoriesSortNaturally() throws {
        let t = try TestSite()
        for (name, slug) in [("Part 10", "part-10"), ("part 2", "part-2"), ("Part 1", "part-1")] {
            try t.store.db.run(
                "INSERT INTO categories (name, slug, description) VALUES (?, ?, ?)",
                [name, slug, "Videos about *\(slug)*."])
        }
        try insertReadyVideo(
            t, slug: "one", title: "One",
            description: "A **bold** [link](https://example.org), `code`.\n\n- first\n- second")
        _ = try Builder(site: t.site).build()
        let index = read(t, "c/index.html")
        let order = ["/c/part-1/", "/c/part-2/", "/c/part-10/"].map { index.range(of: $0)?.lowerBound }
        #expect(
            order.allSatisfy { $0 != nil } && order[0]! < order[1]! && order[1]! < order[2]!, "Part 1, part 2, Part 10")
        #expect(index.contains("Videos about part-1."), "emphasis adds no space before the full stop")
        #expect(
            read(t, "v/one/index.html").contains(
                "<meta name=\"description\" content=\"A bold link, code. first second\">"))
    }

    @Test func aLargeSitemapIsSplitUnderASitemapIndex() throws {
        let t = try TestSite()
        for i in 1...5 { try insertReadyVideo(t, slug: "v\(i)", title: "Video \(i)") }
        let snapshot = try SiteSnapshot.load(db: t.store.db, now: Date())
        let urls = SiteURLs(config: t.site.config)
        // 7 URLs (home, categories index, 5 videos) at 3 per file: an index and three parts.
        let files = Feeds.sitemaps(snapshot: snapshot, urls: urls, summaries: [:], perFile: 3).mapValues {
            String(decoding: $0, as: UTF8.self)
        }
        #expect(Set(files.keys) == Set(Feeds.sitemapNames(snapshot, perFile: 3)))
        #expect(files.keys.sorted() == ["sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml", "sitemap.xml"])
        let index = files["sitemap.xml"] ?? ""
        #expect(xmlError(index) == nil && index.contains("<sitemapindex"))
        #expect(index.contains("<loc>https://videos.example.org/sitemap-3.xml</loc>"))
        var locs = 0
        for n in 1...3 {
            let part = files["sitemap-\(n).xml"] ?? ""
            #expect(xmlError(part) == nil, "part \(n) well-formed")
            locs += part.components(separatedBy: "<url>").count - 1
        }
        #expect(locs == 7, "every URL in exactly one part")
        // Below the limit it stays one file.
        #expect(Feeds.sitemaps(snapshot: snapshot, urls: urls, summaries: [:]).keys.sorted() == ["sitemap.xml"])
    }

    @Test func captionsTrackWhenAWebVTTFileExistsAndSiteTemplateOverrides() throws {
        let t = try TestSite()
        try insertReadyVideo(t, slug: "cc", title: "With captions")
        try Data("WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n".utf8).write(
            to: t.site.mediaDir(slug: "cc").appendingPathComponent("captions.vtt"))
        try FileManager.default.createDirectory(
            at: t.root.appendingPathComponent("templates"), withIntermediateDirectories: true)
        try Data("<meta name=\"x-test\" content=\"override\">".utf8).write(
            to: t.root.appendingPathComponent("templates/extra-head.mustache"))
        _ = try Builder(site: t.site).build()
        let page = read(t, "v/cc/index.html")
        #expect(
            page.contains(#"<track kind="subtitles" src="/v/cc/captions.vtt" srclang="en" label="English" default>"#),
            "a captions.vtt from before languages is the site's language")
        #expect(page.contains("x-test"))
        #expect(read(t, "v/cc/captions.vtt").hasPrefix("WEBVTT"))
    }

    /// A no-op rebuild skips rendering, but not when an output file went missing or a template changed.
    @Test func noOpRebuildIsDetectedAndInvalidatedCorrectly() throws {
        let t = try TestSite()
        try insertReadyVideo(t, slug: "one", title: "One")
        _ = try Builder(site: t.site).build()
        let noop = try Builder(site: t.site).build()
        #expect(noop.pages.written == 0 && !noop.steps.contains { $0.name == "render" }, "render skipped")
        try FileManager.default.removeItem(at: t.site.outputURL.appendingPathComponent("v/one/index.html"))
        let restored = try Builder(site: t.site).build()
        #expect(
            restored.pages.written == 1 && FileIO.exists(t.site.outputURL.appendingPathComponent("v/one/index.html")))
        try FileManager.default.createDirectory(
            at: t.root.appendingPathComponent("templates"), withIntermediateDirectories: true)
        try Data("<meta name=\"x-new\">".utf8).write(to: t.root.appendingPathComponent("templates/extra-head.mustache"))
        let changed = try Builder(site: t.site).build()
        #expect(changed.pages.written > 0 && read(t, "v/one/index.html").contains("x-new"))
        try t.store.db.run("UPDATE videos SET title = 'Renamed' WHERE slug = 'one'")
        _ = try Builder(site: t.site).build()
        #expect(read(t, "v/one/index.html").contains("Renamed"))
    }

    @Test func mediaBaseURLServesMediaFromElsewhere() throws {
        let t = try TestSite {
            $0 = $0.replacingOccurrences(
                of: "# media_base_url = \"https://cdn.example.org/media/\"",
                with: "media_base_url = \"https://cdn.example.org/media/\"")
        }
        try insertReadyVideo(t, slug: "cdn", title: "CDN")
        let r = try Builder(site: t.site).build()
        #expect(r.media.written == 0)
        #expect(read(t, "v/cdn/index.html").contains("data-src=\"https://cdn.example.org/media/cdn/master.m3u8\""))
    }

    @Test func cleanBuildIsWrittenAsideAndSwappedInWhole() throws {
        let t = try TestSite()
        for i in 1...3 { try insertReadyVideo(t, slug: "c\(i)", title: "Clean \(i)") }
        let fm = FileManager.default
        // The output is reached through a symbolic link, as some deployments do.
        let real = t.root.appendingPathComponent("www")
        try fm.createDirectory(at: real, withIntermediateDirectories: true)
        try fm.createSymbolicLink(at: t.site.outputURL, withDestinationURL: real)
        _ = try Builder(site: t.site).build()
        try Data("old".utf8).write(to: real.appendingPathComponent("stale.html"))
        // What a clean build killed midway leaves behind.
        let leftover = t.root.appendingPathComponent(".www.vlog-new")
        try fm.createDirectory(at: leftover.appendingPathComponent("half"), withIntermediateDirectories: true)

        let before = try fm.attributesOfItem(atPath: real.path)[.systemFileNumber] as? Int
        let r = try Builder(site: t.site).build(clean: true)
        #expect(r.swapped && r.pages.written >= 6 && r.media.written == 15)
        #expect(
            try fm.attributesOfItem(atPath: real.path)[.systemFileNumber] as? Int != before,
            "a new folder was swapped in")
        #expect(try fm.destinationOfSymbolicLink(atPath: t.site.outputURL.path) == real.path, "the link is kept")
        #expect(read(t, "v/c2/index.html").contains("Clean 2") && read(t, "v/c2/master.m3u8") == "#EXTM3U\n")
        #expect(!fm.fileExists(atPath: real.appendingPathComponent("stale.html").path))
        #expect(!fm.fileExists(atPath: leftover.path), "no staging folder is left")
        // The swapped-in output is a normal one: the next build changes nothing.
        let again = try Builder(site: t.site).build()
        #expect(again.pages.written == 0 && again.media.written == 0)
    }

    @Test func aKilledBuildsTemporaryFilesAreSweptAndATemplateMistakeNamesItsFileAndLine() throws {
        let t = try TestSite()
        try insertReadyVideo(t, slug: "one", title: "One")
        _ = try Builder(site: t.site).build()
        // What kill -9 in the middle of writing leaves: the marker and a temporary file.
        let out = t.site.outputURL
        try Data().write(to: out.appendingPathComponent(".vlog-writing"))
        let litter = out.appendingPathComponent("v/one/.index.html.tmp-4242-7")
        try Data("<html>half".utf8).write(to: litter)
        try insertReadyVideo(t, slug: "two", title: "Two")
        _ = try Builder(site: t.site).build()
        #expect(!FileIO.exists(litter) && !FileIO.exists(out.appendingPathComponent(".vlog-writing")))
        #expect(read(t, "v/two/index.html").contains("Two"))

        try FileManager.default.createDirectory(
            at: t.root.appendingPathComponent("templates"), withIntermediateDirectories: true)
        try Data("<li>\n{{#category}}<a href=\"{{url}}\">\n</li>\n".utf8)
            .write(to: t.root.appendingPathComponent("templates/card.mustache"))
        do {
            _ = try Builder(site: t.site).build()
            Issue.record("a broken template must stop the build")
        } catch {
            #expect("\(error)".contains("templates/card.mustache: line 2: {{#category}} is never closed"), "\(error)")
        }
        #expect(read(t, "v/two/index.html").contains("Two"), "the built site is left as it was")
    }

    @Test func killDashNineMidBuildThenRebuildGivesTheSameSiteAsACleanOne() throws {
        let t = try TestSite()
        try t.store.db.exec("BEGIN")
        for i in 1...2500 { try insertReadyVideo(t, slug: "k\(i)", title: "Kill \(i)", description: "*\(i)*") }
        try t.store.db.exec("COMMIT")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: vlogBinary)
        p.arguments = ["build", "--no-transcode", "--site", t.root.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let marker = t.site.outputURL.appendingPathComponent(".vlog-writing").path
        var killedMidway = false
        for _ in 0..<20_000 where p.isRunning {
            if access(marker, F_OK) == 0 {
                usleep(20_000)  // let it write for a moment
                killedMidway = kill(p.processIdentifier, SIGKILL) == 0
                break
            }
            usleep(500)
        }
        p.waitUntilExit()
        #expect(killedMidway && p.terminationReason == .uncaughtSignal, "vlog was killed while writing")

        let r = try vlog(["build", "--no-transcode", "--site", t.root.path])
        #expect(r.status == 0, "\(r.stderr)")
        let reference = t.root.appendingPathComponent("reference")
        #expect(try vlog(["build", "--no-transcode", "--site", t.root.path, "--out", reference.path]).status == 0)
        let visible = { (dir: URL) in
            t.files(in: dir).filter { !$0.split(separator: "/").contains { $0.hasPrefix(".") } }
        }
        let resumed = visible(t.site.outputURL)
        #expect(resumed == visible(reference) && resumed.count > 2500 * 7)
        #expect(!t.files(in: t.site.outputURL).contains { $0.contains(".tmp-") }, "no temporary file is left")
        for path in resumed where path.hasSuffix(".html") || path.hasSuffix(".xml") {
            let a = FileManager.default.contents(atPath: t.site.outputURL.appendingPathComponent(path).path)
            let b = FileManager.default.contents(atPath: reference.appendingPathComponent(path).path)
            if a != b {
                Issue.record("\(path) differs from a clean build")
                break
            }
        }
    }
}
