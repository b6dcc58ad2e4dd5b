import ArgumentParser
import Foundation
import VLogAnalytics
import VLogConfig
import VLogContent
import VLogSupport

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Read web-server access logs (files, globs, .gz, or - for stdin) into playback sessions and viewers.",
        discussion: """
            Formats: nginx/Apache combined and common, combined plus the vlog_viewer cookie (see `vlog nginx-config`),
            any nginx log_format string, Caddy's JSON log, and CDN logs: CloudFront standard logs and other W3C
            extended logs such as IIS (by their #Fields: line), Cloudflare Logpush http_requests (NDJSON) and
            Bunny CDN, S3 server access logs and GCS usage logs; detected automatically when unambiguous.
            Safe to run nightly on the same files: it remembers where it stopped in each log.
            """)
    @OptionGroup var options: SiteOptions
    @Argument(help: "Log files, globs (quote them) or - for stdin.") var logs: [String] = []
    @Option(
        help:
            "auto, combined, common, caddy, cloudflare, bunny, s3, or an nginx log_format string (default: analytics.log_format; W3C/CloudFront logs are read by their #Fields: line)."
    )
    var format: String?

    func run() throws {
        let site = try options.load()
        var ingester = Ingester(site: site, format: try format.flatMap { try LogFormat.named($0) })
        let tty = isatty(STDERR_FILENO) != 0
        if tty {
            ingester.progress = { fraction, lines in
                let width = 30
                let filled = Int(Double(width) * min(1, fraction))
                let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
                FileHandle.standardError.write(Data("\r[\(bar)] \(Int(fraction * 100))%  \(lines) lines".utf8))
            }
        }
        let start = Date()
        let s = try ingester.run(inputs: logs)
        // The run moved its sessions' shares in the rollups; days marked while it ran (by another
        // command, or a stored cell that disagreed with its sessions) are summed again here.
        let (_, store) = try options.open()
        try Rollups.refresh(store.db)
        if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let secs = Date().timeIntervalSince(start)
        out(
            "Ingested \(s.files.count) file(s) (\(s.format.isEmpty ? "no format" : s.format)) in \(String(format: "%.2f", secs)) s"
        )
        out(
            "  lines read:        \(s.linesRead)\(s.alreadyIngested > 0 ? " (+\(s.alreadyIngested) already ingested earlier)" : "")"
        )
        out("  segment requests:  \(s.segmentRequests)")
        out("  sessions:          \(s.sessionsNew) new, \(s.sessionsExtended) extended from the last run")
        if !s.skipped.isEmpty {
            out("  skipped:")
            for (reason, n) in s.skipped.sorted(by: { $0.value > $1.value }) {
                out("    \(String(n).padding(toLength: 9, withPad: " ", startingAt: 0)) \(reason)")
            }
        }
    }
}

struct CDNLogFormatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cdn-log-format",
        abstract:
            "Print how to set up a CDN's logs for `vlog ingest`: the format to choose, the fields, the cache key.",
        discussion: "Vendors: \(CDNSetup.vendors.joined(separator: ", ")).")
    @Argument(help: "The CDN: \(CDNSetup.vendors.joined(separator: ", ")).") var vendor: String
    @Flag(help: "The site tells viewers apart by the vlog_viewer cookie (viewer_id = \"cookie\"): log it too.")
    var cookie = false

    func run() throws {
        let withCookie = cookie
        guard let text = CDNSetup.guide(vendor.lowercased(), cookie: withCookie) else {
            throw VLogError.invalidInput(
                "unknown CDN \(vendor.debugDescription): choose one of \(CDNSetup.vendors.joined(separator: ", "))")
        }
        out(text)
    }
}

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Report views, unique viewers, watch hours, completion, top videos, categories, days and quality mix."
    )
    @OptionGroup var options: SiteOptions
    @Option(parsing: .unconditional, help: "The last N UTC days, today included (default: 30).") var days: Int?
    @Option(help: "From this date (YYYY-MM-DD, UTC); overrides --days.") var since: String?
    @Option(help: "Until this date, exclusive (default: the end of today, UTC).") var until: String?
    @Option(help: "Only this video (slug).") var video: String?
    @Option(parsing: .unconditional, help: "How many top videos.") var top: Int = 20
    @Flag(help: "JSON output, for scripts.") var json = false
    @Flag(
        help:
            "Recompute the analytics rollups (sums per video and day) from every session first (done by itself when sessions change)."
    )
    var rebuild = false

    func validate() throws {
        try requirePositive(days, "--days")
        try requirePositive(top, "--top")
        if days != nil && since != nil { throw ValidationError("give --days or --since, not both") }
    }

    func run() throws {
        // By default the whole of today (UTC), as the dashboard counts it; whole UTC days before
        // it: stored days are read from the rollups, a part of a day from the sessions.
        let to = try until.map { try Videos.parseDate($0, option: "--until") } ?? AnalyticsReport.endOfDay(Date())
        let from =
            try since.map { try Videos.parseDate($0, option: "--since") }
            ?? AnalyticsReport.start(ofLast: days ?? 30, until: to)
        guard from < to else {
            throw VLogError.invalidInput(
                "--until (\(DBDate.format(to))) is not after --since (\(DBDate.format(from))); swap them")
        }
        let (_, store) = try options.open(rebuild ? .write : .read)
        if let video, try store.video(slug: video) == nil { throw VLogError.notFound("no video with slug `\(video)`") }
        if rebuild {
            let days = try Rollups.rebuild(store.db)
            FileHandle.standardError.write(Data("rebuilt the analytics rollups of \(days) day(s)\n".utf8))
        }
        let report = try AnalyticsReport.load(db: store.db, from: from, to: to, video: video, top: top)
        print(json ? report.json() : report.text(), terminator: json ? "\n" : "")
    }
}
