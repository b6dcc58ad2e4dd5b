import Foundation
import VLogAnalytics
import VLogConfig
import VLogContent
import VLogMedia
import VLogStore
import VLogSupport
import VLogTranscode

/// One thing `vlog check` found: what is wrong, where, and what to do.
public struct Finding: Sendable, CustomStringConvertible {
    public enum Level: String, Sendable { case error, warning }
    public var level: Level
    public var area: String
    public var message: String
    public var fix: String
    public var description: String { "\(level.rawValue): [\(area)] \(message) -> \(fix)" }
}

/// `vlog check`: the whole site in one pass. The configuration (loading it already checks every
/// key and value), the templates (each parsed, then a real render into memory), the database
/// (`PRAGMA integrity_check`, `foreign_key_check`), every video's files (a ready video's
/// playlists and each segment they name, a pending video's upload, a deleted video's archive,
/// captions and attachments), and the built output's links (every local `href` and `src` in every
/// page names a file that exists). Nothing is changed.
public struct SiteCheck: Sendable {
    public let site: Site
    public init(site: Site) { self.site = site }

    public func run() throws -> [Finding] {
        var found: [Finding] = []
        func add(_ level: Finding.Level, _ area: String, _ message: String, _ fix: String) {
            found.append(Finding(level: level, area: area, message: message, fix: fix))
        }
        // Templates: the build's own loader, then a dry render of every page into memory.
        do {
            let db = try site.openDatabase(.read)
            let snapshot = try SiteSnapshot.load(db: db, now: Date())
            let pages = try Renderer(site: site, snapshot: snapshot).pages()
            for (path, entry) in pages {
                guard case .page(let render) = entry else { continue }
                do { _ = try render() } catch {
                    add(.error, "templates", "\(path): \(error)", "fix the template named in the message")
                }
            }
        } catch {
            add(.error, "templates", "\(error)", "fix the template named in the message, or remove your override")
        }

        // The database.
        let db = try site.openDatabase(.read)
        let integrity = try db.query("PRAGMA integrity_check").compactMap { $0.string("integrity_check") }
        if integrity != ["ok"] {
            add(
                .error, "database", "integrity check: \(integrity.prefix(3).joined(separator: "; "))",
                "restore the last backup (`vlog backup` folders), or `sqlite3 vlog.db .recover`")
        }
        for r in try db.query("PRAGMA foreign_key_check") {
            add(
                .error, "database",
                "row \(r.int("rowid") ?? 0) of \(r.string("table") ?? "?") points at a missing \(r.string("parent") ?? "?") row",
                "delete the row or restore a backup")
        }
        // The analytics rollups, on a sample of videos and days, against their sessions.
        if try db.queryOne("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'vlog_rollups'") != nil {
            for problem in try Rollups.verify(db) {
                add(.error, "analytics", problem, "`vlog stats --rebuild` recomputes them from the sessions")
            }
        }

        // Every video's files.
        let videos = try Store(db).videos(includeDeleted: true)
        for v in videos {
            guard (try? Slug.validate(v.slug)) != nil else {
                add(.error, "videos", "`\(v.slug)` is not a safe slug", "give it one with `vlog video edit ... --slug`")
                continue
            }
            if v.deletedAt != nil {
                if v.state == .ready && !FileIO.isDirectory(site.archiveDir(slug: v.slug)) {
                    add(
                        .warning, "videos", "\(v.slug) is deleted and its archive folder is missing",
                        "`vlog video purge` removes it for good")
                }
                continue
            }
            switch v.state {
            case .pending, .processing:
                if site.sourceFile(slug: v.slug) == nil {
                    add(
                        .error, "videos", "\(v.slug) waits for a transcode but has no upload in uploads/",
                        "`vlog video delete \(v.slug)` and add the file again")
                }
            case .failed:
                add(
                    .warning, "videos", "\(v.slug) failed: \(v.errorMessage ?? "no reason recorded")",
                    "`vlog jobs` says why; `vlog transcode --retry-failed` tries again")
            case .ready:
                found += checkMedia(v.slug)
                // Chapters set by `vlog chapters set` (or by hand) that break a rule are not shown.
                let chapters = site.mediaDir(slug: v.slug).appendingPathComponent(MediaLayout.chapters)
                if let data = FileManager.default.contents(atPath: chapters.path) {
                    do {
                        _ = try Chapters.parse(Captions.decode(data), name: "chapters.vtt", duration: v.duration)
                    } catch {
                        add(
                            .warning, "videos", "\(v.slug): its chapters.vtt is not used: \(error)",
                            "`vlog chapters set \(v.slug) FILE` with valid ones, or `vlog chapters clear \(v.slug)`")
                    }
                }
                for (key, problem) in AudioTracks.problems(dir: site.mediaDir(slug: v.slug)) {
                    let lang = key.hasSuffix(".ad") ? "\(key.dropLast(3)) --description" : key
                    add(
                        .error, "videos", "\(v.slug): its \(key) audio track is broken: \(problem)",
                        "`vlog audio add \(v.slug) FILE --lang \(lang)` again, or `vlog audio remove \(v.slug) --lang \(lang)`"
                    )
                }
            case nil:
                add(
                    .warning, "videos", "\(v.slug) has the unknown status `\(v.status)`",
                    "set it to pending to transcode it again")
            }
        }

        // Where vlog writes: none of its places inside another.
        do { try Places.checkLayout(site) } catch {
            add(.error, "config", "\(error)", "change paths.output or analytics.dashboard in vlog.toml")
        }

        // The built output: nothing in it a web server must not serve, and its links.
        found += checkExposure()
        found += checkLinks()
        found += checkSearchIndex()
        return found
    }

    /// Every shard and result file the search manifest names is in the output (a copy or deploy
    /// that lost some breaks search for the words in them).
    func checkSearchIndex() -> [Finding] {
        let dir = site.outputURL.appendingPathComponent("search")
        guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent("index.json").path) else {
            return []
        }
        guard let m = try? JSONSerialization.jsonObject(with: data) as? [String: Any], m["v"] as? Int == 3 else {
            return [
                Finding(
                    level: .error, area: "output", message: "search/index.json is not an index this vlog wrote",
                    fix: "run `vlog build`")
            ]
        }
        var files = (m["shards"] as? [[String]] ?? []).compactMap { $0.count == 2 ? "w/\($0[1]).json" : nil }
        files += (m["groups"] as? [String: String] ?? [:]).values.map { "r/\($0).json" }
        let missing = files.filter { !FileIO.exists(dir.appendingPathComponent($0)) }.sorted()
        guard !missing.isEmpty else { return [] }
        return [
            Finding(
                level: .error, area: "output",
                message:
                    "search/index.json names \(missing.count) missing file(s): \(missing.prefix(3).map { "search/" + $0 }.joined(separator: ", "))",
                fix: "run `vlog build` (and deploy again)")
        ]
    }

    /// Anything under the output that is not a folder or a regular file (a symbolic link is served
    /// as what it points to), and any database file, is an error: vlog never writes one there.
    func checkExposure() -> [Finding] {
        let root = site.outputURL
        guard FileIO.isDirectory(root), let walk = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var found: [Finding] = []
        while let rel = walk.nextObject() as? String {
            let path = root.path + "/" + rel
            let kind = FileKind(path: path)
            if kind == .folder { continue }
            if kind != .regular {
                let to =
                    kind == .symbolicLink
                    ? " (to \((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"))" : ""
                found.append(
                    Finding(
                        level: .error, area: "output",
                        message: "\(rel) is \(kind.described)\(to); a web server would serve it",
                        fix: "remove it (`rm \(path)`), then `vlog build`"))
            } else if FileKind.isSQLiteDatabase(path) || rel.hasSuffix(".db") || rel.hasSuffix(".db-wal") {
                found.append(
                    Finding(
                        level: .error, area: "output", message: "\(rel) is a database; a web server would serve it",
                        fix: "remove it (`rm \(path)`) and keep databases outside the output"))
            }
            if found.count >= 20 { break }
        }
        return found
    }

    /// A ready video's media: the master, each rung it names, each segment and init segment.
    func checkMedia(_ slug: String) -> [Finding] {
        let dir = site.mediaDir(slug: slug)
        let fix = "re-transcode it: `vlog video delete \(slug)`, `vlog video restore \(slug)`, or add the source again"
        func err(_ m: String) -> Finding { Finding(level: .error, area: "videos", message: "\(slug): \(m)", fix: fix) }
        guard let master = try? String(contentsOf: dir.appendingPathComponent(MediaLayout.master), encoding: .utf8)
        else {
            return [err("videos/\(slug)/master.m3u8 is missing")]
        }
        var out: [Finding] = []
        let rungs = master.split(whereSeparator: \.isNewline).map(String.init).filter {
            !$0.hasPrefix("#") && !$0.isEmpty
        }
        if rungs.isEmpty { out.append(err("master.m3u8 names no rendition")) }
        for rung in rungs {
            guard let text = try? String(contentsOf: dir.appendingPathComponent(rung), encoding: .utf8) else {
                out.append(err("\(rung) is missing"))
                continue
            }
            let p = MediaPlaylist.parse(text)
            if !p.hasEndList { out.append(err("\(rung) has no #EXT-X-ENDLIST (an unfinished transcode)")) }
            let missing = (p.segments.map(\.uri) + (p.initURI.map { [$0] } ?? [])).filter {
                (FileIO.size(dir.appendingPathComponent($0)) ?? 0) == 0
            }
            if !missing.isEmpty {
                out.append(err("\(rung) names \(missing.count) missing or empty segment(s), e.g. \(missing[0])"))
            }
        }
        if !FileIO.exists(dir.appendingPathComponent(MediaLayout.poster)) {
            out.append(Finding(level: .warning, area: "videos", message: "\(slug) has no poster", fix: fix))
        }
        return out
    }

    /// Local links in the built pages that name nothing in the output.
    func checkLinks() -> [Finding] {
        let root = site.outputURL
        guard FileIO.exists(root.appendingPathComponent("index.html")) else {
            return [
                Finding(
                    level: .warning, area: "output", message: "\(root.path) holds no built site",
                    fix: "run `vlog build`")
            ]
        }
        let base = SiteURLs(config: site.config).base
        var broken: [String: [String]] = [:]
        let pages = (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".html") && !$0.hasPrefix(".") }
        for page in pages {
            guard let html = try? String(contentsOf: root.appendingPathComponent(page), encoding: .utf8) else {
                continue
            }
            let pageDir = "/" + (page as NSString).deletingLastPathComponent
            for m in html.matches(of: /(?:href|src)="([^"]*)"/) {
                let raw = HTML.unescape(String(m.1))
                guard !raw.isEmpty, !raw.hasPrefix("#"), !raw.contains("://"), !raw.hasPrefix("//"),
                    !raw.hasPrefix("mailto:"), !raw.hasPrefix("data:"), !raw.hasPrefix("javascript:")
                else { continue }
                let pathPart = String(raw.prefix { $0 != "?" && $0 != "#" })
                var path = pathPart.removingPercentEncoding ?? pathPart
                if path.hasPrefix("/") {
                    guard path.hasPrefix(base) else {
                        broken[page, default: []].append(raw)
                        continue
                    }
                    path = "/" + path.dropFirst(base.count)
                } else {
                    path = URL(fileURLWithPath: pageDir).appendingPathComponent(path).standardizedFileURL.path
                }
                var target = root.appendingPathComponent(path)
                if path.hasSuffix("/") || FileIO.isDirectory(target) {
                    target = target.appendingPathComponent("index.html")
                }
                if !FileIO.exists(target) { broken[page, default: []].append(raw) }
            }
        }
        return broken.keys.sorted().map { page in
            let links = Array(Set(broken[page]!)).sorted()
            return Finding(
                level: .error, area: "output",
                message: "\(page) links to \(links.count) missing file(s): \(links.prefix(3).joined(separator: ", "))",
                fix: links.contains { !$0.hasPrefix("/") && !$0.contains("/") }
                    ? "attach the file (`vlog video attach SLUG FILE`) or fix the description's link"
                    : "run `vlog build`; if it stays, fix the template or description that writes it")
        }
    }
}
