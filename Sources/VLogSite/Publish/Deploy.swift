import Foundation
import VLogConfig
import VLogSupport

/// What a deploy did, per phase.
public struct DeployReport: Sendable {
    public var phases: [(name: String, output: String)] = []
}

/// `vlog deploy`: publishes the built output to a remote host with rsync, or to S3-compatible
/// storage with rclone (both in Debian), in an order that never leaves the live site pointing at
/// something missing:
///
/// 1. media: segments, init segments, posters, storyboards, captions, attachments, assets;
/// 2. playlists (media playlists, then masters): they name segments already there;
///    with the search index's shards and result files (named by their bytes, like segments);
/// 3. pages, feeds, sitemaps, the search index's manifest and the redirect rules: they name media
///    and shards already there;
/// 4. deletions, last: files the output no longer has.
///
/// Each phase sends only what changed (rsync's size and time check; rclone's size and
/// modification time, or hash); rsync writes each file under a temporary name and renames it, so a
/// visitor never gets half a file. vlog's own bookkeeping (`.vlog-manifest`, `.vlog-fingerprint`)
/// stays home. `dryRun` asks the tool what it would do and changes nothing.
public struct Deploy: Sendable {
    public let site: Site
    public var runner: any ProcessRunning

    public init(site: Site, runner: any ProcessRunning = SystemProcessRunner()) {
        self.site = site
        self.runner = runner
    }

    /// Page-like files, sent in phase 3.
    static let pages = ["*.html", "*.xml", "*.json", "*.txt", ".vlog-redirects.*"]
    static let playlists = ["*.m3u8"]
    static let bookkeeping = [".vlog-manifest", ".vlog-fingerprint", ".vlog-*.tmp*", ".*.tmp-*", marker]
    /// Left at the target by the first deploy; deletions happen only where it is.
    static let marker = ".vlog-deployed"

    public func run(target: String, dryRun: Bool) throws -> DeployReport {
        let out = site.outputURL
        guard FileIO.exists(out.appendingPathComponent("index.html")) else {
            throw VLogError.notFound("\(out.path) holds no built site; run `vlog build` first")
        }
        guard !target.isEmpty, !target.hasPrefix("-") else {
            throw VLogError.invalidInput(
                "deploy target `\(target)` is not a destination; give e.g. user@host:/var/www/vlog/")
        }
        var report = DeployReport()
        let rclone = target.hasPrefix("rclone:")
        let dest = rclone ? String(target.dropFirst("rclone:".count)) : (target.hasSuffix("/") ? target : target + "/")
        if let local = Self.localPath(dest) { try Places.check(local, as: .deploy, site: site) }
        let marked = try checkTarget(dest, rclone: rclone)
        let src = out.path + "/"
        let keep = Self.bookkeeping.flatMap { ["--exclude", $0] }
        let phases: [(String, [String])] = [
            (
                "media",
                ["--include", "/search/w/*.json", "--include", "/search/r/*.json"]
                    + Self.playlists.flatMap { ["--exclude", $0] } + Self.pages.flatMap { ["--exclude", $0] }
            ),
            (
                "playlists",
                ["--include", "*/", "--exclude", "master.m3u8"] + Self.playlists.flatMap { ["--include", $0] } + [
                    "--exclude", "*",
                ]
            ),
            ("masters", ["--include", "*/", "--include", "master.m3u8", "--exclude", "*"]),
            ("pages", ["--include", "*/"] + Self.pages.flatMap { ["--include", $0] } + ["--exclude", "*"]),
        ]
        for (name, filters) in phases {
            let args: [String]
            if rclone {
                // rclone's filters read the same; `copy` never deletes.
                args =
                    ["copy", src, dest] + Self.rcloneFilters(keep + filters) + (dryRun ? ["--dry-run"] : [])
                    + ["--stats-one-line", "-v"]
            } else {
                args =
                    ["-rlt", "--itemize-changes", "--prune-empty-dirs"] + (dryRun ? ["--dry-run"] : []) + keep
                    + filters + [src, dest]
            }
            report.phases.append((name, try tool(rclone, args)))
        }
        let deletions =
            rclone
            ? ["sync", src, dest] + Self.rcloneFilters(keep) + (dryRun ? ["--dry-run"] : []) + [
                "--stats-one-line", "-v",
            ]
            : ["-rlt", "--itemize-changes", "--delete-after", "--ignore-existing", "--existing"]
                + (dryRun ? ["--dry-run"] : []) + keep + [src, dest]
        if !dryRun && !marked { try leaveMarker(dest, rclone: rclone) }
        report.phases.append(("deletions", try tool(rclone, deletions)))
        return report
    }

    /// A target on this machine (rsync and rclone read `host:path` or `remote:path` as remote when
    /// the colon comes before any slash), as a folder URL; nil for a remote one.
    static func localPath(_ target: String) -> URL? {
        if target.hasPrefix("rsync://") { return nil }
        if let colon = target.firstIndex(of: ":"), !target[..<colon].contains("/") { return nil }
        return URL(fileURLWithPath: target)
    }

    /// rsync's `--include P` / `--exclude P` as rclone's ordered `--filter "+ P"` / `"- P"`
    /// (rclone matches a pattern without a slash against the name at any depth, and walks every
    /// folder without rsync's `*/`).
    static func rcloneFilters(_ args: [String]) -> [String] {
        stride(from: 0, to: args.count - 1, by: 2).flatMap { i -> [String] in
            let (flag, pattern) = (args[i], args[i + 1])
            if pattern == "*/" { return [] }
            return ["--filter", (flag == "--include" ? "+ " : "- ") + pattern]
        }
    }

    /// The deletions pass removes whatever the target holds that the site does not: a target
    /// that already holds files must be one vlog deployed to (its marker is there), so a mistyped
    /// path never empties someone's folder.
    /// Returns whether the marker is there already.
    func checkTarget(_ dest: String, rclone: Bool) throws -> Bool {
        let r = try runner.run(
            rclone ? "rclone" : "rsync", rclone ? ["lsf", dest, "--max-depth", "1"] : ["--list-only", dest],
            timeout: 300)
        guard r.status == 0 else { return false }  // nothing there yet: it is created
        let names = r.stdout.split(separator: "\n").compactMap { line -> String? in
            let name =
                rclone
                ? String(line) : line.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init)
            return name.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        }.filter { $0 != "." && !$0.isEmpty }
        if names.contains(Self.marker) { return true }
        guard !names.isEmpty else { return false }
        throw VLogError.conflict(
            "\(dest) already holds files vlog did not deploy (\(names.prefix(3).joined(separator: ", "))); deploy would delete them. Give an empty folder, or, if this is your vlog site, create \(Self.marker) there first"
        )
    }

    /// Leaves the marker at the target (an empty file), before any deletion.
    func leaveMarker(_ dest: String, rclone: Bool) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vlog-deploy-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data().write(to: dir.appendingPathComponent(Self.marker))
        _ = try tool(rclone, rclone ? ["copy", dir.path + "/", dest] : ["-rlt", dir.path + "/", dest])
    }

    func tool(_ rclone: Bool, _ args: [String]) throws -> String {
        let name = rclone ? "rclone" : "rsync"
        guard SystemProcessRunner.which(name) != nil || !(runner is SystemProcessRunner) else {
            throw VLogError.tool("\(name) is not installed; install it (Debian: apt-get install \(name))")
        }
        let r = try runner.run(name, args, timeout: 86_400)
        guard r.status == 0 else {
            throw VLogError.tool("\(name) failed (exit \(r.status)): \(r.stderrTail); the live site keeps what it had")
        }
        return r.stdout + (rclone ? r.stderrTail : "")
    }
}
