import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogStore
@testable import VLogSupport
@testable import VLogTranscode

/// Rows and files change together or not at all (issue 9, part 2): occupied destinations, a locked
/// database, a full disk and kill -9 never leave a row without its files or files without a row.
@Suite struct FileSafetyTests {
    /// A pending video `a` with an upload, and a ready one `r` with media.
    func site() throws -> TestSite {
        let t = try TestSite()
        var new = NewVideo(source: t.dummyFile(), title: "A")
        new.slug = "a"
        _ = try Videos(site: t.site, store: t.store).add(new)
        _ = try insertReadyVideo(t, slug: "r", title: "R")
        try Data("src".utf8).write(to: t.site.uploadsURL.appendingPathComponent("r.mp4"))
        return t
    }

    /// Every video's files are where its row says, and no file is without a row.
    func agree(_ t: TestSite, _ context: String) throws {
        let db = try t.site.openDatabase()
        let videos = try Store(db).videos(includeDeleted: true)
        let uploads = try FileManager.default.contentsOfDirectory(atPath: t.site.uploadsURL.path)
        for name in uploads {
            #expect(!name.hasPrefix("."), "\(context): temp file \(name) left in uploads/")
            let slug = (name as NSString).deletingPathExtension
            #expect(
                videos.contains { $0.slug == slug && $0.deletedAt == nil }, "\(context): uploads/\(name) has no row")
        }
        for v in videos {
            if v.deletedAt == nil {
                #expect(
                    uploads.contains { ($0 as NSString).deletingPathExtension == v.slug },
                    "\(context): \(v.slug) lost its upload")
                // (An empty archive folder may stay when a restore is killed right after its commit.)
                let archived = tree(t.site.archiveDir(slug: v.slug)).filter {
                    !FileIO.isDirectory(t.site.archiveDir(slug: v.slug).appendingPathComponent($0))
                }
                #expect(archived.isEmpty, "\(context): \(v.slug) is live but has archived files \(archived)")
            } else {
                #expect(
                    FileIO.exists(t.site.archiveDir(slug: v.slug).appendingPathComponent("uploads")),
                    "\(context): deleted \(v.slug) has no archived upload")
            }
        }
        let media = try FileManager.default.contentsOfDirectory(atPath: t.site.videosURL.path).filter {
            !$0.hasPrefix(".")
        }
        for m in media {
            #expect(
                videos.contains { $0.slug == m && $0.deletedAt == nil }, "\(context): media/videos/\(m) has no live row"
            )
        }
        let journal = t.site.storageURL.appendingPathComponent(".vlog-journal")
        #expect(
            ((try? FileManager.default.contentsOfDirectory(atPath: journal.path)) ?? []).isEmpty,
            "\(context): journal left")
    }

    /// The contact sheet's times are printed as exactly as they are taken, so `--at` with one
    /// picks the frame the sheet shows: whole seconds, tenths for a short video; never the same
    /// time twice, never past the end.
    @Test func contactSheetTimesAreDistinctAndPrintedExactly() {
        for duration in [4.0, 7.3, 23.9, 95.0, 3600.5] {
            let times = Thumbnails.candidateTimes(duration: duration, count: 12)
            let printed = times.map(Format.clock)
            #expect(Set(printed).count == 12, "\(duration): \(printed)")
            #expect(times.allSatisfy { $0 >= 0 && $0 < duration }, "\(duration): \(times)")
            #expect(
                zip(times, printed).allSatisfy { abs((Format.seconds(clock: $1) ?? -1) - $0) < 0.001 }, "\(printed)")
        }
        #expect(Thumbnails.candidateTimes(duration: 95, count: 12).allSatisfy { $0 == $0.rounded() })
    }

    @Test func transactionsNest() throws {
        let t = try TestSite()
        let db = t.store.db
        try db.transaction {
            try db.run("INSERT INTO categories (name, slug) VALUES ('Outer', 'outer')")
            #expect(throws: VLogError.self) {
                try db.transaction {
                    try db.run("INSERT INTO categories (name, slug) VALUES ('Inner', 'inner')")
                    throw VLogError.conflict("inner fails")
                }
            }
            try db.transaction { try db.run("INSERT INTO categories (name, slug) VALUES ('Kept', 'kept')") }
        }
        #expect(try t.store.categories().map(\.slug).sorted() == ["kept", "outer"])
    }

    @Test func anOccupiedDestinationChangesNothing() throws {
        let t = try site()
        // The new slug's media folder is taken.
        try FileManager.default.createDirectory(at: t.site.mediaDir(slug: "b"), withIntermediateDirectories: true)
        var r = try vlog(["video", "edit", "r", "--slug", "b"], cwd: t.root)
        #expect(r.status != 0 && r.stderr.contains("already exists"), "\(r.stderr)")
        #expect(
            FileIO.exists(t.site.uploadsURL.appendingPathComponent("r.mp4"))
                && FileIO.exists(t.site.mediaDir(slug: "r")))
        #expect(try t.store.video(slug: "r") != nil)
        try FileManager.default.removeItem(at: t.site.mediaDir(slug: "b"))
        // A stray upload under the new slug is not overwritten.
        try Data("stray".utf8).write(to: t.site.uploadsURL.appendingPathComponent("x.mp4"))
        r = try vlog(["video", "edit", "a", "--slug", "x"], cwd: t.root)
        #expect(r.status != 0 && r.stderr.contains("x.mp4"), "\(r.stderr)")
        #expect(try String(contentsOf: t.site.uploadsURL.appendingPathComponent("x.mp4"), encoding: .utf8) == "stray")
        #expect(try t.store.video(slug: "a") != nil)
        try FileManager.default.removeItem(at: t.site.uploadsURL.appendingPathComponent("x.mp4"))
        // Restore into an occupied media folder: refused whole, nothing half-restored.
        #expect(try vlog(["video", "delete", "r"], cwd: t.root).status == 0)
        try FileManager.default.createDirectory(at: t.site.mediaDir(slug: "r"), withIntermediateDirectories: true)
        r = try vlog(["video", "restore", "r"], cwd: t.root)
        #expect(r.status != 0)
        #expect(!FileIO.exists(t.site.uploadsURL.appendingPathComponent("r.mp4")), "the upload stayed in the archive")
        #expect(try t.store.video(slug: "r")?.deletedAt != nil)
        try FileManager.default.removeItem(at: t.site.mediaDir(slug: "r"))
        #expect(try vlog(["video", "restore", "r"], cwd: t.root).status == 0)
        try agree(t, "after restore")
    }

    @Test func aLockedDatabaseTouchesNoFile() throws {
        let t = try site()
        #expect(try vlog(["video", "delete", "a"], cwd: t.root).status == 0)
        let before = tree(t.site.storageURL)
        let holder = try SQLiteConnection(path: t.site.databaseURL.path)
        try holder.exec("BEGIN IMMEDIATE")
        let env = ["VLOG_BUSY_TIMEOUT_MS": "200"]
        for args in [
            ["video", "restore", "a"], ["video", "purge", "--older-than-days", "0"], ["video", "delete", "r"],
            ["video", "edit", "r", "--slug", "moved"], ["video", "add", t.dummyFile("n.mp4").path, "--title", "N"],
        ] {
            let r = try vlog(args, cwd: t.root, env: env)
            #expect(r.status != 0 && r.stderr.contains("locked"), "\(args): \(r.stderr)")
            #expect(tree(t.site.storageURL) == before, "\(args) touched files while the database was locked")
        }
        try holder.exec("ROLLBACK")
        #expect(try vlog(["video", "purge", "--older-than-days", "0"], cwd: t.root).stdout.contains("Purged 1"))
        #expect(!FileIO.exists(t.site.archiveDir(slug: "a")))
        try agree(t, "after purge")
    }

    /// kill -9 at random moments of add, slug changes, delete, restore and purge; after the next
    /// command, rows and files agree.
    @Test func killDashNineNeverSeparatesRowsAndFiles() throws {
        let t = try site()
        let big = t.dummyFile("big.mp4", bytes: 48 << 20)
        var rng = SystemRandomNumberGenerator()
        let plans: [[String]] = [
            ["video", "add", big.path, "--title", "Big"], ["video", "edit", "r", "--slug", "r2"],
            ["video", "edit", "r2", "--slug", "r"],
            ["video", "delete", "a"], ["video", "restore", "a"], ["video", "delete", "big"],
            ["video", "purge", "--older-than-days", "0"],
        ]
        for round in 0..<60 {
            let args = plans[round % plans.count]
            let p = try spawnVlog(args + ["--site", t.root.path])
            killAfter(p, ms: Int.random(in: 2...60, using: &rng))
            // Any command that changes the site settles what the killed one left.
            _ = try vlog(["category", "list"], cwd: t.root)
            _ = try vlog(["video", "unpublish", "a"], cwd: t.root)
            try agree(t, "round \(round) after killing `\(args.joined(separator: " "))`")
        }
    }

    @Test func aFullDiskLeavesRowsAndFilesTogether() throws {
        guard let disk = SmallDisk(sizeKB: 2048) else {
            print("skipped: this machine cannot mount a tmpfs (needs root)")
            return
        }
        let dir = disk.url.appendingPathComponent("site")
        _ = try Site.create(at: dir.path, title: "Full", baseURL: "https://x.example")
        let clip = FileManager.default.temporaryDirectory.appendingPathComponent("full-\(UUID().uuidString).mp4")
        FileManager.default.createFile(atPath: clip.path, contents: Data(repeating: 1, count: 200_000))
        defer { unlink(clip.path) }
        #expect(try vlog(["video", "add", clip.path, "--title", "One", "--slug", "one"], cwd: dir).status == 0)
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("media/videos/one"), withIntermediateDirectories: true)
        disk.fill()
        let add = try vlog(["video", "add", clip.path, "--title", "Two"], cwd: dir)
        #expect(add.status != 0 && add.stderr.contains("disk full"), "\(add.stderr)")
        #expect(!add.stderr.contains("NSCocoaErrorDomain") && add.stderr.split(separator: "\n").count == 1)
        let uploads = try FileManager.default.contentsOfDirectory(
            atPath: dir.appendingPathComponent("media/uploads").path)
        #expect(uploads == ["one.mp4"], "no orphan upload: \(uploads)")
        // Fill what the failed add freed, then change a slug: all or nothing.
        disk.fill()
        let edit = try vlog(["video", "edit", "one", "--slug", "uno"], cwd: dir)
        let site = try Site.load(dir.path, environment: [:])
        disk.free()
        let row = try Store(try site.openDatabase()).video(id: 1)
        let slug = try #require(row?.slug)
        #expect(
            FileIO.exists(site.uploadsURL.appendingPathComponent("\(slug).mp4")),
            "edit rc=\(edit.status): \(edit.stderr)")
        #expect(FileIO.exists(site.mediaDir(slug: slug)))
        #expect(
            try vlog(["video", "add", clip.path, "--title", "Two"], cwd: dir).stdout.contains("Added two "),
            "the retry is not two-2")
    }
}
