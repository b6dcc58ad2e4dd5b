import ArgumentParser
import Foundation
import VLogAnalytics
import VLogConfig
import VLogContent
import VLogStore
import VLogSupport

/// `vlog-dev`: tools for developing vlog (benchmarks, trying out analytics), kept out of the
/// `vlog` binary that users run.
struct DevCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlog-dev", abstract: "Tools for developing vlog.", subcommands: [GenerateTrafficCommand.self])
}

/// Writes simulated traffic for the site's videos (benchmarks and trying out analytics).
struct GenerateTrafficCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-traffic",
        abstract: "Write a simulated access log for the site's ready videos (for benchmarks).")
    @Option(name: .long, help: ArgumentHelp("The site folder (holds vlog.toml).", valueName: "dir"))
    var site: String = "."
    @Option(help: "Stop after about this many lines.") var lines: Int = 100_000
    @Option(help: "Days the traffic spans.") var days: Double = 7
    @Flag(name: .customLong("no-cookie"), help: "Plain combined format (no vlog_viewer field).") var noCookie = false
    @Option(help: "Random seed.") var seed: UInt64 = 1

    func run() throws {
        let site = try Site.load(self.site)
        let store = Store(try site.openDatabase(.read))
        let specs = try store.db.query(
            "SELECT slug, duration FROM videos WHERE status = ? AND deleted_at IS NULL", [VideoStatus.ready]
        ).map { r in
            let slug = r.string("slug")!
            let rungs = (try? store.qualities(videoID: store.video(slug: slug)!.id).map(\.quality)) ?? []
            return TrafficGenerator.VideoSpec(
                slug: slug, duration: r.double("duration") ?? 60, rungs: rungs.isEmpty ? ["360p"] : rungs)
        }
        guard !specs.isEmpty else {
            throw VLogError.notFound("no ready videos in \(site.root.path) to generate traffic for")
        }
        var gen = TrafficGenerator(videos: specs, segment: site.config.segmentSeconds, seed: seed)
        var written = 0
        let start = Date().timeIntervalSince1970 - days * 86400
        let out = FileHandle.standardOutput
        var chunk = 0
        while written < lines {
            // Batches of sessions over consecutive hours keep the output in time order.
            let (batch, _) = gen.traffic(
                sessions: 200, start: start + Double(chunk) * 3600, days: 1.0 / 24, noise: true)
            chunk += 1
            var text = ""
            for l in batch.prefix(lines - written) {
                text +=
                    noCookie
                    ? l.replacingOccurrences(of: #" "([0-9a-f]{32}|-)"$"#, with: "", options: .regularExpression) : l
                text += "\n"
            }
            written += min(batch.count, lines - written)
            out.write(Data(text.utf8))
        }
    }
}

DevCommand.main()
