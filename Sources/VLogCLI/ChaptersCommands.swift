import ArgumentParser
import Foundation
import VLogConfig
import VLogContent
import VLogMedia
import VLogSupport

struct ChaptersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chapters",
        abstract: "A video's chapters: from its description (`0:00 Intro` lines), or set from a file.",
        subcommands: [Set.self, Show.self, Clear.self])

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Set a video's chapters from a WebVTT chapters file or lines like `0:00 Intro` (the first at 0:00, at least 3, each at least 10 s)."
        )
        @OptionGroup var video: VideoArgument
        @Argument(help: "A .vtt chapters file, or a text file of `TIME TITLE` lines.") var file: String

        func run() throws {
            let (site, v) = try video.video()
            let c = try Chapters.set(site: site, slug: v.slug, file: URL(fileURLWithPath: file), duration: v.duration)
            out("Set \(c.count) chapters on \(v.slug); `vlog build` publishes them.")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a video's chapters and where they come from.")
        @OptionGroup var video: VideoArgument

        func run() throws {
            let (site, v) = try video.video(.read)
            let dir = site.mediaDir(slug: v.slug)
            let chapters = Chapters.of(dir: dir, description: v.description, duration: v.duration)
            if chapters.isEmpty {
                out("\(v.slug) has no chapters (lines like `0:00 Intro` in its description, or `vlog chapters set`).")
                return
            }
            let from =
                FileIO.exists(dir.appendingPathComponent(MediaLayout.chapters))
                ? "set by `vlog chapters set`" : "from its description"
            out("\(v.slug): \(chapters.count) chapters, \(from)")
            for c in chapters {
                out("  \(Format.duration(c.start).padding(toLength: 8, withPad: " ", startingAt: 0)) \(c.title)")
            }
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove the chapters set on a video (its description's, if any, apply again).")
        @OptionGroup var video: VideoArgument

        func run() throws {
            let (site, v) = try video.video()
            out(
                try Chapters.clear(site: site, slug: v.slug)
                    ? "Removed the chapters set on \(v.slug)." : "\(v.slug) has no chapters set by `vlog chapters set`."
            )
        }
    }
}
