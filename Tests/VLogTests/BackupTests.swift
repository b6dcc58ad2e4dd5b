import Foundation
import Testing

@testable import VLogSite
@testable import VLogStore
@testable import VLogSupport

/// `vlog backup`: taken while a transcode writes, verified, incremental, and a site restored from
/// it builds.
@Suite(.tags(.ffmpeg), .fullTierOnly) struct BackupTests {
    @Test func aBackupTakenDuringATranscodeRestoresToAWorkingSite() throws {
        let t = try fastSite()
        for name in ["one", "two"] {
            let clip = t.tmp.url.appendingPathComponent("\(name).mp4")
            try makeClip(clip, size: "320x180", seconds: 2)
            #expect(
                try vlog(["video", "add", clip.path, "--title", name, "--slug", name, "--publish"], cwd: t.root).status
                    == 0)
        }
        #expect(try vlog(["transcode"], cwd: t.root).status == 0)
        let dest = t.tmp.url.appendingPathComponent("backups")
        #expect(
            try vlog(["backup", t.tmp.path("unmounted/backups")], cwd: t.root).stderr.contains("does not exist"),
            "a DEST under a missing folder is an error (an unmounted disk)")
        try FileManager.default.createDirectory(at: dest, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: dest.appendingPathComponent(".incomplete-vlog-killed"), withIntermediateDirectories: true)
        // A third video transcodes while the backup runs.
        let clip = t.tmp.url.appendingPathComponent("three.mp4")
        try makeClip(clip, size: "640x360", seconds: 6)
        #expect(try vlog(["video", "add", clip.path, "--title", "three", "--slug", "three"], cwd: t.root).status == 0)
        let busy = try spawnVlog(["transcode", "--site", t.root.path])
        let first = try vlog(["backup", dest.path], cwd: t.root)
        busy.waitUntilExit()
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("integrity ok"))
        #expect(
            !FileIO.exists(dest.appendingPathComponent(".incomplete-vlog-killed")), "a killed backup's leftovers go")
        let latest = dest.appendingPathComponent("latest")
        let copy = try SQLiteConnection(path: latest.appendingPathComponent("vlog.db").path, readOnly: true)
        #expect(try copy.queryOne("PRAGMA integrity_check")?.string("integrity_check") == "ok")
        #expect(try copy.queryOne("SELECT COUNT(*) AS n FROM videos")?.int("n") == 3)
        // Every ready video in the copy has its media in the copy.
        for r in try copy.query("SELECT slug FROM videos WHERE status = 'ready'") {
            let slug = try #require(r.string("slug"))
            #expect(FileIO.exists(latest.appendingPathComponent("media/videos/\(slug)/master.m3u8")), "\(slug)")
        }

        // The second backup hard-links what did not change.
        sleep(1)  // a new name (the time, to the second)
        let second = try vlog(["backup", dest.path], cwd: t.root)
        #expect(second.status == 0, "\(second.stderr)")
        let names = Backup.backups(in: dest)
        #expect(names.count == 2)
        let a = dest.appendingPathComponent(names[0]).appendingPathComponent("media/videos/one/master.m3u8")
        let b = dest.appendingPathComponent(names[1]).appendingPathComponent("media/videos/one/master.m3u8")
        var sa = stat()
        var sb = stat()
        #expect(stat(a.path, &sa) == 0 && stat(b.path, &sb) == 0 && sa.st_ino == sb.st_ino, "unchanged: one inode")

        // Restored: the backup is a site folder that builds.
        let restored = t.tmp.url.appendingPathComponent("restored")
        let cp = try runProcess("/bin/cp", ["-a", latest.path + "/", restored.path])
        #expect(cp.status == 0)
        let build = try vlog(["build", "--no-transcode"], cwd: restored)
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        #expect(FileIO.exists(restored.appendingPathComponent("_site/v/one/index.html")))
        #expect(FileIO.exists(restored.appendingPathComponent("_site/v/two/master.m3u8")))
    }
}
