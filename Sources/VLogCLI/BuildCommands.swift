import ArgumentParser
import Foundation
import VLogKit

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Transcode pending videos, then render the static site (only changed files are written).")
    @OptionGroup var options: SiteOptions
    @Option(help: "Output folder (default: paths.output in vlog.toml).") var out: String?
    @Flag(name: .customLong("no-transcode"), help: "Skip the transcode stage.") var noTranscode = false
    @Flag(help: "Delete the output folder first and build everything anew.") var clean = false

    func run() throws {
        let site = try options.load()
        var failed = false
        if !noTranscode {
            let start = Date()
            failed = !(try runTranscode(site: site, workers: site.config.workers, retryFailed: false)).failed.isEmpty
            VLogCLI.out(String(format: "  transcode  %7.3f s", Date().timeIntervalSince(start)))
        }
        let report = try Builder(site: site).build(output: out.map { URL(fileURLWithPath: $0) }, clean: clean)
        printReport(report)
        if failed { throw ExitCode(2) }
    }
}

func printReport(_ r: BuildReport) {
    out("Built \(r.videos) video(s) in \(r.categories) categor\(r.categories == 1 ? "y" : "ies") into \(r.output.path)")
    out("  pages: \(r.pages.written) written, \(r.pages.unchanged) unchanged, \(r.pages.removed) removed")
    out("  media: \(r.media.written) linked, \(r.media.unchanged) unchanged, \(r.media.removed) removed")
    for s in r.steps { out("  " + s.name.padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: " %7.3f s", s.seconds)) }
}
