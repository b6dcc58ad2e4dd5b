import ArgumentParser
import Foundation
import Logging
import VLogConfig
import VLogContent
import VLogSite
import VLogSupport

/// The `vlog` command. Errors a user can act on are printed once, as one line, with exit code 1.
public struct VLogCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vlog",
        abstract:
            "Publish your videos as a static site with HLS playback, and read your web server's logs for analytics.",
        discussion: """
            Start with `vlog init mysite --title "My Videos" --base-url https://videos.example.org`,
            then `cd mysite`, `vlog video add clip.mp4 --title "..." --publish` and `vlog build`.
            Every command takes --site DIR (default: the current folder).
            """,
        version: "vlog \(gitDescription)",
        subcommands: [
            InitCommand.self, CategoryCommand.self, VideoCommand.self, CaptionsCommand.self, ChaptersCommand.self,
            AudioCommand.self,
            TranscodeCommand.self,
            TranscribeCommand.self,
            JobsCommand.self,
            BuildCommand.self, ServeCommand.self, NginxConfigCommand.self, CaddyConfigCommand.self, IngestCommand.self,
            StatsCommand.self, CDNLogFormatCommand.self,
            WorkerCommand.self, CheckCommand.self, DeployCommand.self, BackupCommand.self, VersionCommand.self,
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
            fail(e)
        } catch let e as any KindedError {
            fail(VLogError.wrapping(e))
        } catch let e as ExitCode {
            exit(withError: e)
        } catch {
            // --help and --version print in full; a mistake on the command line is one line.
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }
            let full = fullMessage(for: error)
            var first = message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid command line"
            first = first.replacingOccurrences(of: "Error: ", with: "")
            if first.first?.isUppercase == true { first = first.prefix(1).lowercased() + first.dropFirst() }
            let help =
                full.range(of: #"See '[^']+'"#, options: .regularExpression).map {
                    String(full[$0].dropFirst(5).dropLast())
                }
                ?? "vlog --help"
            FileHandle.standardError.write(Data("error: \(first) (see `\(help)`)\n".utf8))
            Foundation.exit(code.rawValue)
        }
    }

    /// One `error:` line, the chain underneath with `--verbose`, and the kind's exit code
    /// (sysexits: 64 usage, 65 data, 66 not found, 69 unavailable, 74 I/O, 75 locked, 78 config).
    static func fail(_ e: VLogError) -> Never {
        var text = "error: \(e.description)\n"
        if Output.verbose.value {
            for line in e.chain { text += "  caused by: \(line)\n" }
        }
        FileHandle.standardError.write(Data(text.utf8))
        Foundation.exit(e.kind.exitCode)
    }
}

/// `--site DIR`, shared by every command that works on a site.
struct SiteOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The site folder (holds vlog.toml).", valueName: "dir"))
    var site: String = "."
    @Flag(name: .shortAndLong, help: "Say more: every ffmpeg command line and how long it took.") var verbose = false
    @Flag(name: .shortAndLong, help: "Say nothing but errors and warnings.") var quiet = false

    func load() throws -> Site {
        Output.configure(verbose: verbose, quiet: quiet)
        return try Site.load(site)
    }

    /// The site, its open database and the query helpers. Commands that only look pass `.read`,
    /// so they work on a read-only disk too.
    func open(_ mode: DatabaseMode = .write) throws -> (Site, Store) {
        let s = try load()
        return (s, try s.openStore(mode))
    }
}

func out(_ line: String) {
    guard !Output.quiet.value else { return }
    print(line)
    fflush(nil)
}

/// What `--verbose` and `--quiet` set: the log level of swift-log's stderr handler (debug shows
/// every external command with its timing) and whether `out` prints.
enum Output {
    static let quiet = LockedBox(false)
    static let verbose = LockedBox(false)
    static let once = LockedBox(false)

    static func configure(verbose: Bool, quiet: Bool) {
        Self.quiet.withLock { $0 = quiet }
        Self.verbose.withLock { $0 = verbose }
        let first = once.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let level: Logger.Level = verbose ? .debug : quiet ? .error : .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }
}

func formatDuration(_ seconds: Double) -> String { Format.duration(seconds) }

/// Reads a `--description-file` (UTF-8 markdown); refuses a file with NUL or control characters
/// rather than storing it cut short.
func readDescription(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw VLogError.notFound("cannot read --description-file \(path); check the path")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw VLogError.invalidInput("--description-file \(path) is not UTF-8 text; save it as UTF-8")
    }
    try TextCheck.multiLine(text, what: "--description-file \(path)")
    return text
}

/// A count given on the command line must be positive (`--workers 0` or `-1` is a mistake).
func requirePositive(_ value: Int?, _ option: String, allowZero: Bool = false) throws {
    guard let value else { return }
    if value < (allowZero ? 0 : 1) {
        throw ValidationError("\(option) must be \(allowZero ? "0 or more" : "a positive number"), not \(value)")
    }
}

func formatDate(_ d: Date?) -> String { d.map(DBDate.format) ?? "-" }

/// Pads or cuts `s` to `width` characters for table output.
func col(_ s: String, _ width: Int) -> String {
    s.count > width ? String(s.prefix(width - 1)) + "…" : s.padding(toLength: width, withPad: " ", startingAt: 0)
}

/// `1.2 MB`, `800 B`.
func formatBytes(_ n: Int) -> String { Format.bytes(n) }

/// `--site DIR` and a video's slug: the arguments of every command that acts on one video.
struct VideoArgument: ParsableArguments {
    @OptionGroup var options: SiteOptions
    @Argument(help: "The video's slug.") var slug: String

    /// The site and its videos (`.read` for commands that only look).
    func videos(_ mode: DatabaseMode = .write) throws -> (Site, Videos) {
        let (site, store) = try options.open(mode)
        return (site, Videos(site: site, store: store))
    }

    /// The site and the video, which must exist.
    func video(_ mode: DatabaseMode = .write) throws -> (Site, Video) {
        let (site, videos) = try videos(mode)
        return (site, try videos.require(slug))
    }
}
