import ArgumentParser
import Foundation
import VLogConfig
import VLogContent
import VLogMedia
import VLogSupport
import VLogTranscode

/// `vlog audio`: a video's extra audio tracks (dubs, commentary, audio description).
struct AudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audio",
        abstract: "A video's extra audio tracks: dubs, commentary, audio description.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Add an audio track (as long as the video, within a second); one of the same language is replaced."
        )
        @OptionGroup var video: VideoArgument
        @Argument(help: "An audio file ffmpeg reads (.m4a, .wav, .mp3, .flac, or a video's audio).") var file: String
        @Option(help: "The track's language (en, de, pt-BR).") var lang: String
        @Option(help: "Its name in the player's audio menu (default: the language's own name).") var label: String?
        @Flag(name: .customLong("description"), help: "An audio description of the picture, for blind viewers.")
        var describesVideo = false

        func run() throws {
            let (site, v) = try video.video(.read)
            let t = try AudioTracks(site: site).add(
                slug: v.slug, file: URL(fileURLWithPath: file), lang: lang, label: label,
                describesVideo: describesVideo, duration: v.duration)
            out("Added the \(t.lang) audio track `\(t.label)` to \(v.slug); `vlog build` publishes it.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a video's audio tracks.")
        @OptionGroup var video: VideoArgument

        func run() throws {
            let (site, v) = try video.video(.read)
            let tracks = AudioTracks.list(dir: site.mediaDir(slug: v.slug))
            out("\(v.slug): its own audio (\(site.config.language))" + (tracks.isEmpty ? ", no other tracks" : ""))
            for t in tracks {
                out(
                    "  \(t.lang.padding(toLength: 7, withPad: " ", startingAt: 0)) \(t.label)"
                        + (t.describesVideo ? "  [audio description]" : ""))
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a video's audio track of a language.")
        @OptionGroup var video: VideoArgument
        @Option(help: "The track's language.") var lang: String
        @Flag(name: .customLong("description"), help: "Its audio description, not its other track.")
        var describesVideo = false

        func run() throws {
            let (site, v) = try video.video(.read)
            try AudioTracks(site: site).remove(slug: v.slug, lang: lang, describesVideo: describesVideo)
            out("Removed the \(lang) audio track of \(v.slug); `vlog build` takes it off the site.")
        }
    }
}
