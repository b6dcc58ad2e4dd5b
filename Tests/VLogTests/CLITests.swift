import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogStore

/// The `vlog` binary as a user runs it.
@Suite struct CLITests {
    @Test func theUsersFirstSession() throws {
        let t = TempDir()
        let clip = t.url.appendingPathComponent("alps.mp4")
        _ = FileManager.default.createFile(atPath: clip.path, contents: Data(repeating: 1, count: 2048))
        try "Up the *pass*.".write(toFile: t.path("alps.md"), atomically: true, encoding: .utf8)
        var r = try vlog(
            ["init", "mysite", "--title", "My Videos", "--base-url", "https://videos.example.org"], cwd: t.url)
        #expect(r.status == 0, "\(r.stderr)")
        let site = t.url.appendingPathComponent("mysite")
        r = try vlog(["category", "add", "Travel", "--description", "Trips, *mostly* by train."], cwd: site)
        #expect(r.status == 0 && r.stdout.contains("travel"))
        // From another working directory, with --site.
        r = try vlog(
            [
                "video", "add", clip.path, "--title", "Crossing the Alps", "--category", "travel",
                "--description-file", t.path("alps.md"), "--publish", "--site", site.path,
            ], cwd: URL(fileURLWithPath: "/"))
        #expect(r.status == 0, "\(r.stderr)")
        r = try vlog(["video", "list", "--site", site.path])
        #expect(r.stdout.contains("crossing-the-alps") && r.stdout.contains("pending") && r.stdout.contains("travel"))
        r = try vlog(["video", "show", "crossing-the-alps", "--site", site.path])
        #expect(r.stdout.contains("Up the *pass*."))
        #expect(try vlog(["video", "delete", "crossing-the-alps"], cwd: site).status == 0)
        #expect(try vlog(["video", "list"], cwd: site).stdout.contains("No videos"))
        #expect(try vlog(["video", "list", "--all"], cwd: site).stdout.contains("deleted"))
        #expect(try vlog(["video", "restore", "crossing-the-alps"], cwd: site).status == 0)
        #expect(try vlog(["video", "purge"], cwd: site).stdout.contains("Nothing to purge"))
        #expect(
            try vlog(["category", "delete", "travel"], cwd: site).stdout.contains("1 video(s) now have no category"))
    }

    /// Each bad input: one clear line on stderr, non-zero exit, nothing half-written.
    @Test func badInputGetsOneClearLine() throws {
        let t = TempDir()
        let site = t.url.appendingPathComponent("s")
        #expect(try vlog(["init", site.path]).status == 0)
        let clip = t.url.appendingPathComponent("c.mp4")
        _ = FileManager.default.createFile(atPath: clip.path, contents: Data(repeating: 1, count: 10))
        let cases: [([String], String)] = [
            (["video", "add", t.path("nope.mp4"), "--title", "x"], "no such file"),
            (["video", "add", clip.path, "--title", "x", "--category", "nope"], "no category `nope`"),
            (["video", "add", clip.path, "--title", "x", "--slug", "a b"], "unsafe"),
            (["video", "add", clip.path, "--title", "x", "--publish-at", "tomorrow"], "is not a date"),
            (["video", "publish", "ghost"], "no video with slug `ghost`"),
        ]
        for (args, message) in cases {
            let r = try vlog(args + ["--site", site.path])
            #expect(r.status != 0, "\(args)")
            #expect(r.stderr.hasPrefix("error: ") && r.stderr.contains(message), "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
        }
        #expect(
            try vlog(["video", "add", clip.path, "--title", "x", "--slug", "dup", "--site", site.path]).status == 0)
        let dup = try vlog(["video", "add", clip.path, "--title", "y", "--slug", "dup", "--site", site.path])
        #expect(dup.status != 0 && dup.stderr.contains("already exists"))
        let uploads = try FileManager.default.contentsOfDirectory(
            atPath: site.appendingPathComponent("media/uploads").path)
        #expect(uploads == ["dup.mp4"])

        // A typo in a command prints what to do.
        let typo = try vlog(["video", "lst", "--site", site.path])
        #expect(typo.status != 0 && typo.stderr.contains("vlog video --help"))
        // Not a site.
        let notSite = try vlog(["video", "list", "--site", t.url.path])
        #expect(notSite.status != 0 && notSite.stderr.contains("not a vlog site"))
        // Unreadable config.
        try "title = My Videos\n".write(to: site.appendingPathComponent("vlog.toml"), atomically: true, encoding: .utf8)
        let badConfig = try vlog(["video", "list", "--site", site.path])
        #expect(badConfig.status != 0 && badConfig.stderr.contains("vlog.toml line 1"))
    }

    @Test func aLockedDatabaseIsReportedAndNothingIsWritten() throws {
        let t = try TestSite()
        let clip = t.dummyFile()
        let holder = try SQLiteConnection(path: t.site.databaseURL.path)
        try holder.exec("BEGIN IMMEDIATE")
        let r = try vlog(
            ["video", "add", clip.path, "--title", "Blocked", "--site", t.root.path],
            env: ["VLOG_BUSY_TIMEOUT_MS": "300"])
        try holder.exec("ROLLBACK")
        #expect(r.status != 0)
        #expect(r.stderr.contains("locked by another vlog process"), "\(r.stderr)")
        #expect(t.files(in: t.site.uploadsURL).isEmpty)
        #expect(try t.store.videos().isEmpty)
    }

    /// Every error is one line, and its exit code says which kind of failure it is (sysexits), so
    /// a script can tell "not there" from "try again later" from "fix the configuration".
    @Test func exitCodesSayWhichKindOfFailure() throws {
        let t = try TestSite()
        let notFound = try vlog(["video", "show", "nope", "--site", t.root.path])
        #expect(notFound.status == 66 && notFound.stderr.contains("no video with slug `nope`"), "\(notFound.stderr)")
        let badData = try vlog(["init", t.tmp.url.appendingPathComponent("b").path, "--base-url", "ftp://x"])
        #expect(badData.status == 65, "a malformed --base-url: \(badData.status) \(badData.stderr)")
        let noSite = try vlog(["video", "list", "--site", t.tmp.url.path])
        #expect(noSite.status == 78, "not a site (no vlog.toml): \(noSite.status) \(noSite.stderr)")
        let usage = try vlog(["video", "publish", "--site", t.root.path])
        #expect(usage.status == 64, "a missing argument: \(usage.status) \(usage.stderr)")
        // A locked database: try again later (75); --verbose adds the error underneath.
        let holder = try SQLiteConnection(path: t.site.databaseURL.path)
        try holder.exec("BEGIN IMMEDIATE")
        let busy = try vlog(
            ["category", "add", "Travel", "--verbose", "--site", t.root.path], env: ["VLOG_BUSY_TIMEOUT_MS": "200"])
        try holder.exec("ROLLBACK")
        #expect(busy.status == 75, "\(busy.status) \(busy.stderr)")
        let lines = busy.stderr.split(separator: "\n")
        #expect(lines.first?.hasPrefix("error: the database") == true, "\(busy.stderr)")
        #expect(lines.contains { $0.hasPrefix("  caused by: SQLiteError") }, "the chain with --verbose: \(busy.stderr)")
        for r in [notFound, badData, noSite, usage] { expectOneLineError(r, "exit code \(r.status)") }
    }
}
