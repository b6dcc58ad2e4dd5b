import ArgumentParser
import Foundation
import VLogConfig
import VLogContent
import VLogMedia
import VLogSupport
import VLogTranscode

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

/// `vlog video thumbnail`: the poster a publisher chooses.
struct ThumbnailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thumbnail",
        abstract: "Choose a video's poster: a frame (--at 1:23), an image (--file poster.jpg), or see candidates.")
    @OptionGroup var video: VideoArgument
    @Option(help: "The frame at this time (SECONDS, M:SS or H:MM:SS).") var at: String?
    @Option(help: "An image of your own (JPEG, PNG or WebP, at least 320x180).") var file: String?
    @Flag(help: "Write a contact sheet of 12 frames to pick from (--out, default SLUG-candidates.jpg).")
    var candidates = false
    @Option(name: .customLong("out"), help: "Where --candidates writes its sheet.") var sheetPath: String?

    func validate() throws {
        guard [at != nil, file != nil, candidates].filter({ $0 }).count == 1 else {
            throw ValidationError("give one of --at TIME, --file IMAGE or --candidates")
        }
    }

    func run() throws {
        let (site, v) = try video.video(.read)
        let thumbs = Thumbnails(site: site)
        if candidates {
            let sheet = URL(fileURLWithPath: sheetPath ?? "\(v.slug)-candidates.jpg")
            guard FileKind(path: sheet.path) == .missing else {
                throw VLogError.conflict("\(sheet.path) already exists; give another --out, or move it away")
            }
            // Frames of a video that may be unpublished or unlisted: never into the served output,
            // nor among the files vlog keeps.
            try Places.check(sheet, as: .sheet, site: site)
            let folder = sheet.deletingLastPathComponent()
            guard FileKind(path: folder.resolvingSymlinksInPath().path) == .folder else {
                throw VLogError.invalidInput("\(folder.path) is not a folder; give --out a path in an existing folder")
            }
            let times = try thumbs.candidates(slug: v.slug, duration: v.duration, out: sheet)
            out("Wrote \(sheet.path): 12 frames, left to right, top to bottom, at:")
            out(times.enumerated().map { "  \($0.offset + 1). \(Format.clock($0.element))" }.joined(separator: "\n"))
            out("Choose one with `vlog video thumbnail \(v.slug) --at TIME`.")
            return
        }
        if let at {
            guard let seconds = Format.seconds(clock: at) else {
                throw ValidationError("--at `\(at)` is not a time; give seconds or M:SS, e.g. --at 1:23")
            }
            try thumbs.choose(slug: v.slug, at: seconds, duration: v.duration)
        } else if let file {
            try thumbs.choose(slug: v.slug, file: URL(fileURLWithPath: file))
        }
        out("Chose the poster of \(v.slug); `vlog build` publishes it (it stays through re-transcodes).")
    }
}
