import ArgumentParser
import Foundation
import VLogKit

/// The `vlog` command. Errors a user can act on are printed once, as one line, with exit code 1.
public struct VLogCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vlog",
        abstract: "Publish your videos as a static site with HLS playback, and read your web server's logs for analytics.",
        discussion: """
        Start with `vlog init mysite --title "My Videos" --base-url https://videos.example.org`,
        then `cd mysite`, `vlog video add clip.mp4 --title "..." --publish` and `vlog build`.
        Every command takes --site DIR (default: the current folder).
        """,
        version: "0.1.0",
        subcommands: [
            InitCommand.self, CategoryCommand.self, VideoCommand.self, TranscodeCommand.self, JobsCommand.self, BuildCommand.self, ServeCommand.self, NginxConfigCommand.self, IngestCommand.self, StatsCommand.self, GenerateTrafficCommand.self,
        ]
    )

    public init() {}

    /// Runs the command line; user-facing errors become one `error:` line on stderr.
    public static func main(_ arguments: [String]? = nil) {
        // A parent may have spawned us with signals blocked (see SystemProcessRunner); unblock them
        // so Ctrl-C and SIGTERM stop vlog.
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch let e as VLogError {
            fail(e.description)
        } catch let e as SQLiteError {
            fail(e.description)
        } catch {
            exit(withError: error)
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        Foundation.exit(1)
    }
}

/// `--site DIR`, shared by every command that works on a site.
struct SiteOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The site folder (holds vlog.toml).", valueName: "dir"))
    var site: String = "."

    func load() throws -> Site { try Site.load(site) }

    /// The site, its open database and the query helpers.
    func open() throws -> (Site, Store) {
        let s = try load()
        return (s, Store(try s.openDatabase()))
    }
}

func out(_ line: String) { print(line); fflush(nil) }

func formatDuration(_ seconds: Double) -> String { Format.duration(seconds) }

/// Reads a `--description-file` (UTF-8 markdown).
func readDescription(_ path: String) throws -> String {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        throw VLogError.notFound("cannot read --description-file \(path) as UTF-8 text; check the path")
    }
    return text
}

func formatDate(_ d: Date?) -> String { d.map(DBDate.format) ?? "-" }

/// Pads or cuts `s` to `width` characters for table output.
func col(_ s: String, _ width: Int) -> String {
    s.count > width ? String(s.prefix(width - 1)) + "…" : s.padding(toLength: width, withPad: " ", startingAt: 0)
}
