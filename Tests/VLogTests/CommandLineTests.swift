import Foundation
import Testing

@testable import VLogContent
@testable import VLogStore

/// What the command line tells a newcomer: hints that run as printed, its own version, help that
/// says each default once, completions a shell accepts.
@Suite(.tags(.ffmpeg, .server), .fullTierOnly) struct CommandLineTests {
    @Test func initPrintsANextStepThatRunsAsPrinted() throws {
        let t = TempDir()
        let r = try vlog(["init", "my site", "--title", "Mine"], cwd: t.url, env: ["PATH": "/usr/bin:/bin"])
        let next = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("Next: ") })
        #expect(!next.contains(" vlog video add"), "vlog is not on this PATH, so the hint names the binary: \(next)")
        let clip = t.url.appendingPathComponent("clip.mp4")
        _ = FileManager.default.createFile(atPath: clip.path, contents: Data(repeating: 1, count: 2048))
        let command = next.dropFirst(6).replacingOccurrences(of: "CLIP.mp4", with: clip.path)
        let ran = try runProcess("/bin/sh", ["-c", command], cwd: t.url, env: ["PATH": "/usr/bin:/bin"])
        #expect(ran.status == 0, "\(command): \(ran.stderr)")
        #expect(ran.stdout.contains("my-first-video"))
        // With this vlog on the PATH, the hint says plain `vlog`.
        let dir = URL(fileURLWithPath: vlogBinary).deletingLastPathComponent().path
        let onPath = try vlog(["init", "other"], cwd: t.url, env: ["PATH": "\(dir):/usr/bin:/bin"])
        #expect(onPath.stdout.contains("Next: cd other && vlog video add"), "\(onPath.stdout)")
    }

    @Test func versionIsTheBuildsGitDescription() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let describe = try runProcess(
            "/usr/bin/git", ["-C", repo.path, "describe", "--tags", "--always"])
        let r = try vlog(["version"])
        #expect(r.status == 0)
        let first = r.stdout.split(separator: "\n").first.map(String.init) ?? ""
        let commit = describe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(first.hasPrefix("vlog \(commit)"), "\(first) vs git describe \(commit)")
        #expect(r.stdout.contains("SQLite") && r.stdout.contains("libcmark-gfm  0.29"))
        #expect(try vlog(["--version"]).stdout.hasPrefix("vlog \(commit)"))
    }

    @Test func helpSaysEachDefaultOnce() throws {
        let commands = [
            ["init"], ["category", "add"], ["video", "add"], ["video", "list"], ["video", "edit"], ["video", "purge"],
            ["captions", "add"], ["transcode"], ["transcribe"], ["jobs"], ["build"], ["serve"], ["nginx-config"],
            ["ingest"], ["stats"],
        ]
        for c in commands {
            let help = try vlog(c + ["--help"]).stdout
            // An option's help runs until the next option; join wrapped lines first.
            let options = help.replacingOccurrences(of: "\n                          ", with: " ")
                .components(separatedBy: "\n  -")
            for o in options {
                let n = o.components(separatedBy: "default").count - 1
                #expect(n <= 1, "vlog \(c.joined(separator: " ")): \(o)")
            }
        }
    }

    @Test func completionScriptsParse() throws {
        let bash = try vlog(["--generate-completion-script", "bash"])
        #expect(bash.status == 0 && bash.stdout.contains("_vlog"))
        let t = TempDir()
        try bash.stdout.write(toFile: t.path("vlog.bash"), atomically: true, encoding: .utf8)
        let check = try runProcess("/bin/bash", ["-n", t.path("vlog.bash")])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(try vlog(["--generate-completion-script", "zsh"]).stdout.contains("#compdef vlog"))
    }

    @Test func addManyFilesTitledFromTheirTagsOrNames() throws {
        let t = try TestSite()
        try t.store.db.run("INSERT INTO categories (name, slug, description) VALUES ('Travel', 'travel', '')")
        let clips = t.tmp.url.appendingPathComponent("clips")
        try FileManager.default.createDirectory(at: clips, withIntermediateDirectories: true)
        func clip(_ name: String, title: String?) throws {
            let r = try runProcess(
                "/usr/bin/ffmpeg",
                ["-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=10", "-t", "1"]
                    + (title.map { ["-metadata", "title=\($0)"] } ?? []) + [clips.appendingPathComponent(name).path])
            #expect(r.status == 0, "\(r.stderr)")
        }
        try clip("a.mp4", title: "Über den Pass")
        try clip("harbour_at_dawn.mp4", title: nil)
        try clip("Поездка.mp4", title: nil)
        let files = ["a.mp4", "harbour_at_dawn.mp4", "Поездка.mp4"].map { clips.appendingPathComponent($0).path }
        // Options that name one video are refused for many, and nothing is added.
        let bad = try vlog(["video", "add"] + files + ["--title", "Same"], cwd: t.root)
        #expect(bad.status != 0 && bad.stderr.contains("--title names one video"), "\(bad.stderr)")
        let missing = try vlog(["video", "add"] + files + [clips.appendingPathComponent("nope.mp4").path], cwd: t.root)
        #expect(missing.status != 0 && missing.stderr.contains("nope.mp4"), "\(missing.stderr)")
        #expect(try t.store.videos(includeDeleted: true).isEmpty, "a mistake adds nothing")
        let r = try vlog(["video", "add"] + files + ["--category", "travel"], cwd: t.root)
        #expect(r.status == 0, "\(r.stderr)")
        let videos = try t.store.videos(includeDeleted: true)
        let titles = Dictionary(uniqueKeysWithValues: videos.map { ($0.slug, $0.title) })
        #expect(
            titles == ["uber-den-pass": "Über den Pass", "harbour-at-dawn": "harbour at dawn", "poezdka": "Поездка"])
        #expect(videos.allSatisfy { $0.categoryID != nil })
    }

    @Test func verboseShowsEveryFfmpegCommandQuietShowsNothingProgressHasPace() throws {
        let t = try fastSite()
        let clip = t.tmp.url.appendingPathComponent("long.mp4")
        try makeClip(clip, size: "1280x720", seconds: 30)
        #expect(try vlog(["video", "add", clip.path, "--title", "Long", "--quiet"], cwd: t.root).stdout.isEmpty)
        let r = try vlog(["transcode", "--verbose"], cwd: t.root)
        #expect(r.status == 0, "\(r.stderr)")
        // Every external command line, copyable, and its timing.
        #expect(r.stderr.contains("run: /usr/bin/ffprobe") && r.stderr.contains("run: /usr/bin/ffmpeg"), "\(r.stderr)")
        #expect(r.stderr.contains("-c:v libx264") && r.stderr.firstMatch(of: /done: ffmpeg exit 0 in [0-9.]+ s/) != nil)
        // Progress lines (not a terminal: every 10%) say the speed and the time left.
        #expect(r.stdout.firstMatch(of: /long: transcode [0-9]+%, [0-9.]+x, [0-9:]+ left/) != nil, "\(r.stdout)")
        let quiet = try vlog(["build", "--quiet"], cwd: t.root)
        #expect(quiet.status == 0 && quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet.stdout)\(quiet.stderr)")
    }
}
