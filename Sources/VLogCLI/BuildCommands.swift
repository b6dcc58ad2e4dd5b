import ArgumentParser
import Foundation
import VLogConfig
import VLogSite
import VLogSupport
import VLogTranscode

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Transcode pending videos, then render the static site (only changed files are written).")
    @OptionGroup var options: SiteOptions
    @Option(help: "Output folder (default: paths.output in vlog.toml).") var out: String?
    @Flag(name: .customLong("no-transcode"), help: "Skip the transcode stage.") var noTranscode = false
    @Flag(help: "Build everything anew in a folder beside the output, then swap it in whole.") var clean = false
    @Flag(help: "With --clean: also delete files in the output that vlog did not write.") var force = false
    @Flag(
        name: .customLong("allow-mass-removal"),
        help: "Let this build remove more than a tenth of the site's pages or media.")
    var allowMassRemoval = false

    func validate() throws {
        if let out, out.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--out is empty; give the output folder, e.g. --out _site")
        }
        if force && !clean { throw ValidationError("--force only applies to --clean") }
    }

    func run() throws {
        let site = try options.load()
        let result = try Pipeline(site: site, reporter: CLIPipelineReporter(quietWhenIdle: false)).run(
            .init(
                media: !noTranscode, output: out.map { URL(fileURLWithPath: $0) },
                build: BuildOptions(clean: clean, force: force, allowMassRemoval: allowMassRemoval)))
        printReport(result.build)
        if result.hadFailures { throw ExitCode(2) }
    }
}

/// Prints each stage of a build as `vlog transcode`, `vlog transcribe` and `--collect` would,
/// with the transcode's progress bar on a terminal. `vlog serve` says nothing of a stage that had
/// nothing to do.
struct CLIPipelineReporter: PipelineReporting {
    let quietWhenIdle: Bool
    let bar = TerminalReporter()

    var transcodeProgress: any TranscodeReporting { Output.quiet.value ? SilentReporter() : bar }

    func collected(_ summary: ClusterSummary) { printCluster(summary) }

    func transcoded(_ summary: TranscodeSummary) {
        bar.done()
        let idle = summary.ready.isEmpty && summary.failed.isEmpty && summary.busy.isEmpty
        if !(quietWhenIdle && idle) { printTranscode(summary) }
    }

    func transcribed(_ summary: TranscribeSummary) {
        let idle = summary.completed.isEmpty && summary.failed.isEmpty && summary.busy.isEmpty
        if !(quietWhenIdle && idle) { printTranscribe(summary) }
    }
}

func printReport(_ r: BuildReport) {
    out("Built \(r.videos) video(s) in \(r.categories) categor\(r.categories == 1 ? "y" : "ies") into \(r.output.path)")
    out("  pages: \(r.pages.written) written, \(r.pages.unchanged) unchanged, \(r.pages.removed) removed")
    out("  media: \(r.media.written) linked, \(r.media.unchanged) unchanged, \(r.media.removed) removed")
    for w in r.warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
    if let d = r.dashboard { out("  analytics dashboard: \(d.path)/index.html (private; do not publish)") }
    for s in r.steps {
        out("  " + s.name.padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: " %7.3f s", s.seconds))
    }
}

struct NginxConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nginx-config",
        abstract:
            "Print an nginx configuration for the built site (HTTPS, HLS types and caching, compression, redirects of old addresses, the access log `vlog ingest` reads)."
    )
    @OptionGroup var options: SiteOptions
    @Option(name: .customLong("server-name"), help: "server_name (default: the host of base_url).") var serverName:
        String?
    @Option(name: .customLong("access-log"), help: "Access log path.") var accessLog = "/var/log/nginx/vlog.access.log"
    @Option(help: "TLS certificate (full chain, PEM): serve HTTPS with HTTP/2 on 443, and redirect port 80.")
    var cert: String?
    @Option(help: "The certificate's private key (PEM).") var key: String?

    func validate() throws {
        if (cert == nil) != (key == nil) { throw ValidationError("give --cert and --key together") }
    }

    func run() throws {
        let site = try options.load()
        let url = URL(string: site.config.baseURL)
        let host = serverName ?? url?.host ?? "_"
        try NginxConfig.checkServerName(host)
        for path in [accessLog, cert, key].compactMap({ $0 }) where path.contains(where: { $0 == "\n" || $0 == "\0" }) {
            throw ValidationError("paths must be plain: \(path.debugDescription)")
        }
        let tls = cert.map { NginxConfig.TLS(certificate: $0, key: key ?? "") }
        if tls == nil && url?.scheme == "https" {
            FileHandle.standardError.write(
                Data("note: base_url is https; give --cert and --key (e.g. from certbot) for the HTTPS server\n".utf8))
        }
        let base = url.map { $0.path.isEmpty ? "/" : $0.path } ?? "/"
        print("# In the http {} context (e.g. /etc/nginx/conf.d/vlog.conf):")
        print(NginxConfig.httpLines(output: site.outputURL.path))
        print(
            NginxConfig.server(
                root: site.outputURL.path, listen: tls == nil ? "80" : "443", serverName: host, accessLog: accessLog,
                base: base, tls: tls, mediaBaseURL: site.config.mediaBaseURL))
        print("# After a build that changed a slug: nginx -s reload (old addresses answer 301).")
        print("# Then run nightly: vlog ingest \(accessLog)* --site \(site.root.path)")
    }
}

struct CaddyConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "caddy-config",
        abstract:
            "Print a Caddyfile for the built site (automatic HTTPS, HLS types and caching, compression, redirects, a JSON access log `vlog ingest` reads)."
    )
    @OptionGroup var options: SiteOptions
    @Option(help: "Site address (default: the host of base_url; Caddy gets it a certificate).") var address: String?
    @Option(name: .customLong("access-log"), help: "Access log path.") var accessLog = "/var/log/caddy/vlog.access.log"

    func run() throws {
        let site = try options.load()
        let url = URL(string: site.config.baseURL)
        let address = address ?? url?.host ?? ":80"
        guard !address.isEmpty, !address.contains(where: { $0.isWhitespace || "{}\"#".contains($0) }) else {
            throw ValidationError("--address `\(address)` is not a site address; give e.g. videos.example.org")
        }
        let base = url.map { $0.path.isEmpty ? "/" : $0.path } ?? "/"
        print("# /etc/caddy/Caddyfile (Debian: apt-get install caddy), then: systemctl reload caddy")
        print(
            CaddyConfig.site(
                address: address, root: site.outputURL.path, base: base, output: site.outputURL.path,
                accessLog: accessLog, mediaBaseURL: site.config.mediaBaseURL, database: site.databaseURL.path))
        print("# After a build that changed a slug: systemctl reload caddy (old addresses answer 301).")
        print("# Then run nightly: vlog ingest --format caddy \(accessLog) --site \(site.root.path)")
    }
}

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Preview the site: build into a preview folder of its own (never the production output), serve it, rebuild when the database, vlog.toml, templates/ or public/ change, and reload open pages."
    )
    @OptionGroup var options: SiteOptions
    @Option(parsing: .unconditional, help: "Port (0 picks a free one).") var port: Int = 8080
    @Option(help: "Address to listen on; 0.0.0.0 lets other machines see the preview.") var bind = "127.0.0.1"
    @Option(
        name: .customLong("access-log"),
        help: "Access log (combined format + vlog_viewer cookie; default logs/access.log in the site).")
    var accessLog: String?
    @Flag(name: .customLong("no-transcode"), help: "Skip the transcode stage.") var noTranscode = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535, not \(port)") }
    }

    /// How often a quiet rebuild runs anyway, so a scheduled video appears once its time has come.
    static let scheduleCheckSeconds = 30

    /// The preview's own output, beside the site's files and never its `paths.output`.
    static func previewFolder(_ site: Site) -> URL { site.root.appendingPathComponent(".vlog-preview") }

    func run() throws {
        var site = try options.load()
        let output = Self.previewFolder(site)
        let logURL = accessLog.map { URL(fileURLWithPath: $0) } ?? site.root.appendingPathComponent("logs/access.log")
        try FileManager.default.createDirectory(
            at: logURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        var server: PreviewServer?
        /// Rebuilds; prints the report when asked to or when a file changed, and reloads open pages.
        func rebuild(verbose: Bool) {
            do {
                let report = try Pipeline(site: site, reporter: CLIPipelineReporter(quietWhenIdle: true)).run(
                    .init(media: !noTranscode, onlyWhenWork: true, output: output)
                ).build
                let p = report.pages
                let m = report.media
                if p.written + p.removed + m.written + m.removed > 0 {
                    server?.generation.withLock { $0 += 1 }
                    printReport(report)
                } else if verbose {
                    printReport(report)
                }
            } catch { FileHandle.standardError.write(Data("error: \(error)\n".utf8)) }
        }
        rebuild(verbose: true)
        let base = URL(string: site.config.baseURL).map { $0.path.isEmpty ? "/" : $0.path } ?? "/"
        let s = try PreviewServer(
            root: output, port: port, accessLog: logURL, mediaRoot: site.videosURL, address: bind, base: base,
            dashboard: site.dashboardURL, mediaBaseURL: site.config.mediaBaseURL)
        server = s
        let host = bind == "0.0.0.0" ? "127.0.0.1" : bind
        let slash = base.hasSuffix("/") ? base : base + "/"
        out("Previewing at http://\(host):\(s.port)\(slash) (built in \(output.path); access log: \(logURL.path))")
        out("  dashboard: http://127.0.0.1:\(s.port)/__vlog/dashboard/ (this machine only). Ctrl-C stops.")
        if bind != "127.0.0.1" && bind != "localhost" {
            out("  note: listening on \(bind): other machines can see this preview")
        }
        Thread { s.run() }.start()
        var stamp = Self.inputStamp(site)
        var ticks = 0
        while true {
            sleep(1)
            ticks += 1
            let now = Self.inputStamp(site)
            if now != stamp {
                // Taken before the rebuild, so an edit made while it runs is seen on the next tick.
                stamp = now
                // A mistake in an edited vlog.toml is reported and the last good configuration kept.
                do { site = try options.load() } catch {
                    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                }
                rebuild(verbose: false)
            } else if ticks % Self.scheduleCheckSeconds == 0 {
                rebuild(verbose: false)
            }
        }
    }

    /// Modification times and sizes of what a build reads from the site folder: the database (and
    /// its WAL), vlog.toml, and every file under the site's templates/ and public/.
    static func inputStamp(_ site: Site) -> [String: [Double]] {
        var stamp: [String: [Double]] = [:]
        func note(_ path: String) {
            var st = stat()
            guard stat(path, &st) == 0 else { return }
            stamp[path] = [Double(st.st_mtim.tv_sec), Double(st.st_mtim.tv_nsec), Double(st.st_size)]
        }
        for path in [
            site.databaseURL.path, site.databaseURL.path + "-wal",
            site.root.appendingPathComponent(SiteConfig.fileName).path,
        ] {
            note(path)
        }
        for folder in ["templates", "public"] {
            let root = site.root.appendingPathComponent(folder).path
            note(root)
            for rel in FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? [] {
                note(root + "/" + rel)
            }
        }
        return stamp
    }
}

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract:
            "Copy the site (database, uploads, renditions, archive, vlog.toml, templates) into DEST/vlog-TIME, consistent while other commands run, incremental and verified."
    )
    @OptionGroup var options: SiteOptions
    @Argument(help: "The backup folder (another disk or a mounted NAS); each run adds a dated copy.") var dest: String

    func run() throws {
        let site = try options.load()
        let start = Date()
        let r = try Backup(site: site).run(to: URL(fileURLWithPath: dest))
        out("Backup \(r.folder.path)")
        out("  database: \(formatBytes(r.databaseBytes)), integrity ok")
        out(
            "  media:    \(r.files) file(s), \(formatBytes(r.bytes)); \(r.linkedFiles) unchanged since the last backup (hard links)"
        )
        out(String(format: "  took %.1f s; %@/latest points at it", Date().timeIntervalSince(start), dest))
    }
}

struct DeployCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract:
            "Publish the built site with rsync (a host, rsync://, a folder) or rclone (rclone:REMOTE:PATH): media first, then playlists, pages, and deletions last."
    )
    @OptionGroup var options: SiteOptions
    @Argument(help: "Destination (default: deploy.target in vlog.toml).") var target: String?
    @Flag(name: .customLong("dry-run"), help: "Show what would be sent and deleted; change nothing.") var dryRun = false

    func run() throws {
        let site = try options.load()
        guard let target = target ?? site.config.deployTarget else {
            throw ValidationError("give a destination (user@host:/var/www/vlog/) or set [deploy] target in vlog.toml")
        }
        let r = try Deploy(site: site).run(target: target, dryRun: dryRun)
        for (name, output) in r.phases {
            let lines = output.split(separator: "\n").filter { !$0.isEmpty }
            out("\(dryRun ? "would " : "")\(name): \(lines.count) change(s)")
            if dryRun { for l in lines.prefix(50) { out("  \(l)") } }
        }
        out(dryRun ? "Dry run: nothing was changed at \(target)" : "Deployed to \(target)")
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract:
            "Check the whole site: configuration, templates, database integrity, every video's files and the built output's links. Exit 1 on errors."
    )
    @OptionGroup var options: SiteOptions

    func run() throws {
        let site = try options.load()  // the configuration: every key and value
        let findings = try SiteCheck(site: site).run()
        for f in findings { out(f.description) }
        let errors = findings.filter { $0.level == .error }.count
        out("\(errors) error(s), \(findings.count - errors) warning(s) in \(site.root.path)")
        if errors > 0 { throw ExitCode(1) }
    }
}
