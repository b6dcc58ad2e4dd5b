import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent

/// Errors people can act on (issue 9, part 8): one line, what is wrong and what to do.
@Suite(.tags(.ffmpeg, .server), .fullTierOnly) struct ErrorMessageTests {
    func oneLine(_ r: ProcessResult, _ context: String) { expectOneLineError(r, context) }

    @Test func commandLineMistakesAreOneLine() throws {
        let t = try TestSite()
        let clip = t.dummyFile()
        let cases: [([String], String)] = [
            (["video", "add"], "see `vlog video add --help`"),
            (["video", "add", clip.path, clip.path, "--title", "x"], "--title names one video"),
            (["build", "--bogus"], "see `vlog build --help`"),
            (["transcode", "--workers", "-1"], "positive"),
            (["transcode", "--workers", "0"], "positive"),
            (["stats", "--days", "-1"], "positive"),
            (["stats", "--days", "3", "--since", "2026-01-01"], "not both"),
            (["stats", "--since", "2026-02-01", "--until", "2026-01-01"], "not after"),
            (["video", "edit", "x", "--category", "a", "--no-category"], "not both"),
            (["video", "purge", "--older-than-days", "-3"], "0 or more"),
            (["serve", "--port", "-5"], "--port"),
            (["build", "--out", "vlog.toml"], "not a folder"),
            (["build", "--force"], "--clean"),
        ]
        for (args, message) in cases {
            let r = try vlog(args, cwd: t.root)
            oneLine(r, args.joined(separator: " "))
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
    }

    @Test func configurationMistakesNameTheKeyTheLineAndTheFix() throws {
        let t = try TestSite()
        let cfg = t.root.appendingPathComponent("vlog.toml")
        let good = try String(contentsOf: cfg, encoding: .utf8)
        let cases: [(String, String, [String])] = [
            ("workers = 1", "wokers = 4", ["transcode.wokers", "did you mean `transcode.workers`"]),
            ("[transcode]", "[transcoding]", ["unknown table [transcoding]", "did you mean `transcode`"]),
            ("completion_threshold = 0.9", "completion_threshold = 5", ["completion_threshold", "between 0 and 1"]),
            (
                "base_url = \"https://videos.example.org\"", "base_url = \"not a url\"",
                ["base_url", "not an http(s) URL"]
            ),
            ("preset = \"veryfast\"", "preset = \"veryfats\"", ["did you mean `veryfast`"]),
            ("title = \"Test Site\"", "titel = \"Test Site\"", ["did you mean `title`"]),
        ]
        for (from, to, messages) in cases {
            #expect(good.contains(from), "fixture has \(from)")
            try good.replacingOccurrences(of: from, with: to).write(to: cfg, atomically: true, encoding: .utf8)
            let lineNo = good.components(separatedBy: "\n").firstIndex { $0.hasPrefix(from) }.map { $0 + 1 } ?? 0
            let r = try vlog(["video", "list"], cwd: t.root)
            oneLine(r, to)
            #expect(r.stderr.contains("vlog.toml line \(lineNo):"), "\(to): \(r.stderr)")
            for m in messages { #expect(r.stderr.contains(m), "\(to): \(r.stderr)") }
        }
    }

    @Test func aReadOnlySiteCanStillBeLookedAt() throws {
        guard let disk = SmallDisk(sizeKB: 8192) else {
            print("skipped: this machine cannot mount a tmpfs (needs root)")
            return
        }
        let dir = disk.url.appendingPathComponent("site")
        _ = try Site.create(at: dir.path, title: "RO", baseURL: "https://x.example")
        let clip = disk.url.appendingPathComponent("c.mp4")
        FileManager.default.createFile(atPath: clip.path, contents: Data(repeating: 1, count: 1000))
        #expect(try vlog(["video", "add", clip.path, "--title", "Kept"], cwd: dir).status == 0)
        try disk.remount(readOnly: true)
        defer { try? disk.remount(readOnly: false) }
        for args in [["video", "list"], ["video", "show", "kept"], ["category", "list"], ["jobs"], ["stats"]] {
            let r = try vlog(args, cwd: dir)
            #expect(r.status == 0, "\(args): \(r.stderr)")
        }
        #expect(try vlog(["video", "list"], cwd: dir).stdout.contains("kept"))
        let add = try vlog(["video", "add", clip.path, "--title", "New"], cwd: dir)
        oneLine(add, "video add on a read-only disk")
        // Said as what it is: the disk is read-only (not "check that the file exists").
        for args in [["video", "add", clip.path, "--title", "New"], ["transcode"]] {
            let r = try vlog(args, cwd: dir)
            #expect(r.status != 0 && r.stderr.contains("read-only"), "\(args): \(r.stderr)")
        }
    }
}
