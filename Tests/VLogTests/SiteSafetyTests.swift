import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogStore
@testable import VLogSupport

/// Commands that could destroy a site refuse instead (issue 9, part 1), and a killed build never
/// lets the next one skip rendering (part 3).
@Suite(.tags(.ffmpeg), .fullTierOnly) struct SiteSafetyTests {
    /// A site with one added video (an upload) and one ready, published video with media.
    func populated() throws -> TestSite {
        let t = try TestSite()
        _ = try Videos(site: t.site, store: t.store).add(NewVideo(source: t.dummyFile(), title: "Upload"))
        _ = try insertReadyVideo(t, slug: "live", title: "Live")
        return t
    }

    /// What a user owns in the site folder, with each file's bytes.
    func owned(_ t: TestSite) -> [String: Data] {
        var out: [String: Data] = [:]
        for rel in tree(t.root) where !rel.hasPrefix("_site") {
            let url = t.root.appendingPathComponent(rel)
            if !FileIO.isDirectory(url), !rel.hasSuffix("-shm"), !rel.hasSuffix("-wal"), !rel.contains(".vlog-") {
                out[rel] = FileManager.default.contents(atPath: url.path)
            }
        }
        return out
    }

    @Test func anOutputThatIsOrHoldsTheSitesOwnFilesIsRefused() throws {
        let t = try populated()
        let before = owned(t)
        #expect(before.keys.contains("vlog.db") && before.keys.contains("media/uploads/upload.mp4"))
        for out in [".", "", "media", "media/videos", "media/uploads", "templates", "public", "vlog.toml", "..", "/"] {
            for clean in [true, false] {
                let r = try vlog(["build", "--no-transcode", "--out", out] + (clean ? ["--clean"] : []), cwd: t.root)
                #expect(r.status != 0, "--out '\(out)' clean=\(clean) must be refused")
                #expect(
                    r.stderr.split(separator: "\n").count == 1 && r.stderr.hasPrefix("error: "), "\(out): \(r.stderr)")
                #expect(!r.stderr.contains("NSCocoaErrorDomain"))
            }
        }
        // The same through the configuration.
        let cfg = t.root.appendingPathComponent("vlog.toml")
        let text = try String(contentsOf: cfg, encoding: .utf8)
        try text.replacingOccurrences(of: "output = \"_site\"", with: "output = \".\"").write(
            to: cfg, atomically: true, encoding: .utf8)
        #expect(try vlog(["build", "--no-transcode", "--clean"], cwd: t.root).status != 0)
        try text.write(to: cfg, atomically: true, encoding: .utf8)
        #expect(owned(t) == before, "nothing the user owns changed")
        #expect(try vlog(["build", "--no-transcode"], cwd: t.root).status == 0, "a normal build still works")
    }

    @Test func cleanRefusesFilesVlogDidNotWriteUnlessForced() throws {
        let t = try populated()
        #expect(try vlog(["build", "--no-transcode"], cwd: t.root).status == 0)
        let mine = t.site.outputURL.appendingPathComponent("notes/mine.txt")
        try FileManager.default.createDirectory(at: mine.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: mine)
        let r = try vlog(["build", "--no-transcode", "--clean"], cwd: t.root)
        #expect(r.status != 0 && r.stderr.contains("notes/mine.txt") && r.stderr.contains("--force"), "\(r.stderr)")
        #expect(FileIO.exists(mine))
        #expect(try vlog(["build", "--no-transcode", "--clean", "--force"], cwd: t.root).status == 0)
        #expect(!FileIO.exists(mine) && FileIO.exists(t.site.outputURL.appendingPathComponent("v/live/index.html")))
        // A folder vlog never built into (no manifest) is someone else's.
        let other = t.tmp.url.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: other.appendingPathComponent("index.html"))
        #expect(try vlog(["build", "--no-transcode", "--clean", "--out", other.path], cwd: t.root).status != 0)
        #expect(FileIO.exists(other.appendingPathComponent("index.html")))
    }

    @Test func onlyInitCreatesADatabase() throws {
        let t = try populated()
        #expect(try vlog(["build", "--no-transcode"], cwd: t.root).status == 0)
        let pages = tree(t.site.outputURL)
        let typo = t.root.appendingPathComponent("vlgo.db")
        for args in [
            ["build", "--no-transcode"], ["video", "list"],
            ["video", "add", t.dummyFile("b.mp4").path, "--title", "B"],
            ["category", "add", "X"], ["transcode"], ["stats"],
        ] {
            let r = try vlog(args, cwd: t.root, env: ["VLOG_DATABASE_PATH": typo.path])
            #expect(
                r.status != 0 && r.stderr.contains("does not exist") && r.stderr.contains("vlog init"),
                "\(args): \(r.stderr)")
            #expect(!FileIO.exists(typo), "\(args) created a database")
        }
        let empty = t.root.appendingPathComponent("empty.db")
        FileManager.default.createFile(atPath: empty.path, contents: Data())
        let r = try vlog(["build", "--no-transcode"], cwd: t.root, env: ["VLOG_DATABASE_PATH": empty.path])
        #expect(r.status != 0 && r.stderr.contains("empty (0 bytes)"), "\(r.stderr)")
        #expect(tree(t.site.outputURL) == pages, "the site was not emptied")
        #expect(try Data(contentsOf: empty).isEmpty)
    }

    @Test func storageThatIsNotThereNeverEmptiesTheSite() throws {
        let t = try populated()
        for i in 1...12 { _ = try insertReadyVideo(t, slug: "v\(i)", title: "V\(i)") }
        #expect(try vlog(["build", "--no-transcode"], cwd: t.root).status == 0)
        let pages = tree(t.site.outputURL)
        // The NAS is not mounted.
        let r = try vlog(["build", "--no-transcode"], cwd: t.root, env: ["VLOG_STORAGE_PATH": "/unmounted-nas"])
        #expect(r.status != 0 && r.stderr.contains("/unmounted-nas") && r.stderr.contains("mounted"), "\(r.stderr)")
        #expect(!FileIO.exists(URL(fileURLWithPath: "/unmounted-nas")))
        #expect(tree(t.site.outputURL) == pages)
        // One video's media folder is missing: an error for that video; what is live stays.
        try FileManager.default.moveItem(
            at: t.site.mediaDir(slug: "v3"), to: t.tmp.url.appendingPathComponent("v3-away"))
        let one = try vlog(["build", "--no-transcode"], cwd: t.root)
        #expect(one.status != 0 && one.stderr.contains("v3") && one.stderr.contains("missing"), "\(one.stderr)")
        #expect(
            FileIO.exists(t.site.outputURL.appendingPathComponent("v/v3/720p_0000.ts")), "the live media of v3 is kept")
        #expect(tree(t.site.outputURL) == pages)
        // Most media folders gone at once (a half-mounted disk): the build stops and asks.
        for i in 4...8 { try FileManager.default.removeItem(at: t.site.mediaDir(slug: "v\(i)")) }
        try t.store.db.run("UPDATE videos SET published_at = NULL WHERE slug IN ('v9', 'v10', 'v11', 'v12', 'live')")
        let mass = try vlog(["build", "--no-transcode"], cwd: t.root)
        #expect(mass.status != 0 && mass.stderr.contains("--allow-mass-removal"), "\(mass.stderr)")
        #expect(tree(t.site.outputURL) == pages)
        let allowed = try vlog(["build", "--no-transcode", "--allow-mass-removal"], cwd: t.root)
        #expect(!FileIO.exists(t.site.outputURL.appendingPathComponent("v/v10")), "\(allowed.stderr)")
    }

    @Test func aHostileSlugInTheDatabaseNeverBecomesAPath() throws {
        let t = try populated()
        let escape = t.tmp.url.appendingPathComponent("escaped")
        let hostile = "../../../" + escape.lastPathComponent
        _ = try insertReadyVideo(t, slug: "fine", title: "Fine")
        try t.store.db.run(
            """
            INSERT INTO videos (title, slug, description, duration, source_width, source_height, status, created_at, published_at)
            VALUES ('Evil', ?, '', 10, 640, 360, 'ready', ?, ?)
            """, [hostile, Date(), Date(timeIntervalSince1970: 1_760_000_000)])
        try t.store.db.run(
            "INSERT INTO videos (title, slug, status, created_at) VALUES ('Evil2', '../../x', 'pending', ?)", [Date()])
        let r = try vlog(["build"], cwd: t.root)
        #expect(r.stderr.contains("unsafe slug"), "\(r.stderr)")
        #expect(!FileIO.exists(escape), "nothing written outside the output")
        #expect(FileIO.exists(t.site.outputURL.appendingPathComponent("v/fine/index.html")), "the other videos publish")
        #expect(!tree(t.tmp.url).contains { $0.hasSuffix("escaped") || $0.hasSuffix("/x/index.html") })
        #expect(!read(t, "sitemap.xml").contains("../"))
    }

    /// Build; change every title; kill -9 the next build at random moments; revert the titles;
    /// build: no page may show a title the database no longer has.
    @Test func aKilledBuildNeverLetsTheNextOneSkipRendering() throws {
        let t = try TestSite()
        for i in 1...400 { _ = try insertReadyVideo(t, slug: "v\(i)", title: "Title \(i)") }
        #expect(try vlog(["build", "--no-transcode"], cwd: t.root).status == 0)
        var stale = 0
        for (round, delay) in [60, 120, 200, 300, 450].enumerated() {
            try t.store.db.run("UPDATE videos SET title = 'Changed ' || slug")
            let p = try spawnVlog(["build", "--no-transcode", "--site", t.root.path])
            killAfter(p, ms: delay)
            try t.store.db.run("UPDATE videos SET title = 'Title ' || substr(slug, 2)")
            let r = try vlog(["build", "--no-transcode"], cwd: t.root)
            #expect(r.status == 0, "round \(round): \(r.stderr)")
            let changed = tree(t.site.outputURL).filter { $0.hasSuffix("index.html") }
                .filter { read(t, $0).contains("Changed v") }
            stale += changed.count
        }
        #expect(stale == 0, "pages with titles the database no longer has")
    }
}
