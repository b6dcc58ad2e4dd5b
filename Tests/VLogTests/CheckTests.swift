import Foundation
import Testing

@testable import VLogConfig
@testable import VLogStore

/// `vlog check` on a real transcoded site, then with one thing broken at a time: each finding
/// names what and where, says what to do, and the exit code says there was an error.
@Suite(.tags(.ffmpeg), .fullTierOnly) struct CheckTests {
    @Test func findsEachBreakageWithAFix() throws {
        let t = try fastSite()
        let clip = t.tmp.url.appendingPathComponent("clip.mp4")
        try makeClip(clip, size: "320x180", seconds: 4)
        #expect(
            try vlog(
                [
                    "video", "add", clip.path, "--title", "Walk", "--slug", "walk", "--publish", "--description",
                    "See [the map](map.png).",
                ],
                cwd: t.root
            ).status == 0)
        #expect(try vlog(["build"], cwd: t.root).status == 0)
        var r = try vlog(["check"], cwd: t.root)
        #expect(r.status == 1, "the description links to a file never attached")
        #expect(
            r.stdout.contains("v/walk/index.html links to 1 missing file(s): map.png")
                && r.stdout.contains("vlog video attach"), "\(r.stdout)")
        let png = t.tmp.url.appendingPathComponent("map.png")
        try Data([0x89, 0x50, 0x4e, 0x47]).write(to: png)
        #expect(try vlog(["video", "attach", "walk", png.path], cwd: t.root).status == 0)
        #expect(try vlog(["build"], cwd: t.root).status == 0)
        r = try vlog(["check"], cwd: t.root)
        #expect(r.status == 0 && r.stdout.contains("0 error(s), 0 warning(s)"), "\(r.stdout)")

        // A segment gone.
        let media = t.site.mediaDir(slug: "walk")
        let segment = try #require(
            try FileManager.default.contentsOfDirectory(atPath: media.path).first { $0.hasSuffix(".m4s") })
        try FileManager.default.moveItem(
            at: media.appendingPathComponent(segment), to: t.tmp.url.appendingPathComponent(segment))
        r = try vlog(["check"], cwd: t.root)
        #expect(
            r.status == 1 && r.stdout.contains("walk:")
                && r.stdout.contains("missing or empty segment(s), e.g. \(segment)"), "\(r.stdout)")
        try FileManager.default.moveItem(
            at: t.tmp.url.appendingPathComponent(segment), to: media.appendingPathComponent(segment))

        // A template override with a mistake.
        let templates = t.root.appendingPathComponent("templates")
        try FileManager.default.createDirectory(at: templates, withIntermediateDirectories: true)
        try "{{#site}} never closed\n".write(
            to: templates.appendingPathComponent("extra-head.mustache"), atomically: true, encoding: .utf8)
        r = try vlog(["check"], cwd: t.root)
        #expect(r.status == 1 && r.stdout.contains("[templates]") && r.stdout.contains("extra-head"), "\(r.stdout)")
        try FileManager.default.removeItem(at: templates.appendingPathComponent("extra-head.mustache"))

        // A pending video whose upload went missing, and a row pointing at no video.
        let other = t.tmp.url.appendingPathComponent("other.mp4")
        try makeClip(other, size: "160x90", seconds: 1)
        #expect(try vlog(["video", "add", other.path, "--title", "Other", "--slug", "other"], cwd: t.root).status == 0)
        try FileManager.default.removeItem(at: try #require(t.site.sourceFile(slug: "other")))
        let raw = try SQLiteConnection(path: t.site.databaseURL.path)
        try raw.exec("PRAGMA foreign_keys = OFF")
        try raw.exec(
            "INSERT INTO video_qualities (video_id, quality, width, height, bitrate) VALUES (999, '360p', 640, 360, 800)"
        )
        r = try vlog(["check"], cwd: t.root)
        #expect(r.stdout.contains("other waits for a transcode but has no upload"), "\(r.stdout)")
        #expect(r.stdout.contains("[database]") && r.stdout.contains("video_qualities"), "\(r.stdout)")
        #expect(r.stdout.contains("2 error(s)"), "\(r.stdout)")

        // A misspelt key: one line, and the check stops there.
        let toml = t.root.appendingPathComponent("vlog.toml")
        let text = try String(contentsOf: toml, encoding: .utf8)
        try text.replacingOccurrences(of: "workers = 1", with: "wokers = 1").write(
            to: toml, atomically: true, encoding: .utf8)
        r = try vlog(["check"], cwd: t.root)
        #expect(r.status == 78 && r.stderr.contains("wokers") && r.stderr.contains("workers"), "\(r.stderr)")
    }
}
