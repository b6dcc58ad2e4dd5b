import ArgumentParser
import Foundation
import VLogConfig
import VLogContent
import VLogMedia

struct CaptionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "captions",
        abstract: "Subtitles you bring: SRT or WebVTT, one track per language.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add (or replace) a video's subtitles in one language from an SRT or WebVTT file.")
        @OptionGroup var video: VideoArgument
        @Argument(help: "An .srt or .vtt file (UTF-8, UTF-16 with a BOM, or Windows-1252).") var file: String
        @Option(help: "Language code, e.g. en, de, pt-BR (default: the site's language).") var lang: String?
        @Option(help: "The name shown in the captions menu (default: the language's own name).") var label: String?

        func run() throws {
            let (site, v) = try video.video()
            let t = try CaptionTracks(site: site).add(
                slug: v.slug, file: URL(fileURLWithPath: file), lang: lang, label: label, duration: v.duration)
            out("Added \(t.label) (\(t.lang)) captions to \(v.slug); `vlog build` publishes them.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a video's subtitle tracks.")
        @OptionGroup var video: VideoArgument

        func run() throws {
            let (site, v) = try video.video(.read)
            let tracks = CaptionTracks(site: site).list(slug: v.slug)
            if tracks.isEmpty { out("\(v.slug) has no captions.") }
            for t in tracks {
                out("\(t.lang.padding(toLength: 8, withPad: " ", startingAt: 0)) \(t.label)  (\(t.file))")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a video's subtitles in one language.")
        @OptionGroup var video: VideoArgument
        @Option(help: "The language to remove.") var lang: String

        func run() throws {
            let (site, v) = try video.video()
            try CaptionTracks(site: site).remove(slug: v.slug, lang: lang)
            out("Removed the \(lang) captions of \(v.slug).")
        }
    }
}
