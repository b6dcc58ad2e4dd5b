import Foundation
import VLogConfig
import VLogContent
import VLogStore
import VLogSupport

/// What a backup did.
public struct BackupReport: Sendable {
    public var folder: URL
    public var databaseBytes = 0
    public var files = 0
    public var bytes = 0
    public var linkedFiles = 0
    public var passes = 0
}

/// `vlog backup DEST`: a consistent, verified, incremental copy of a site.
///
/// - The database is copied with SQLite's `VACUUM INTO` inside one read transaction: a consistent
///   image even while other commands write (never a file copy of a WAL database).
/// - Then the site's own files (`vlog.toml`, `templates/`, `public/`) and the media storage
///   (uploads, renditions, archive) are copied by rsync with `--link-dest` against the previous
///   backup: unchanged files become hard links, so each backup is complete and costs only what
///   changed.
/// - Verification: `PRAGMA integrity_check` on the copy, every file's size against the source,
///   and every video the copied database names has its folder in the copy. A video deleted or
///   restored while rsync ran (its folder moved between `videos/` and `archive/`) is caught by the
///   last check and fetched by another pass.
/// - The backup is written under `DEST/.incomplete-NAME` and renamed to `DEST/NAME` only when
///   verified; `DEST/latest` then points at it. A killed backup leaves only the incomplete folder,
///   which the next run removes (vlog wrote it).
public struct Backup: Sendable {
    public let site: Site
    /// rsync runs through `effects.runner`; backups are named by `effects.clock`.
    public var effects: Effects

    public init(site: Site, effects: Effects = .system) {
        self.site = site
        self.effects = effects
    }

    static let namePrefix = "vlog-"

    public func run(to dest: URL) throws -> BackupReport {
        let fm = FileManager.default
        try Places.check(dest, as: .backup, site: site)
        try site.ensureStorage()
        try Self.prepare(dest)
        for stale in (try? fm.contentsOfDirectory(atPath: dest.path)) ?? [] where stale.hasPrefix(".incomplete-") {
            try? fm.removeItem(at: dest.appendingPathComponent(stale))
        }
        let previous = Self.backups(in: dest).last
        let name = Self.namePrefix + Self.stamp(effects.clock.now())
        let work = dest.appendingPathComponent(".incomplete-" + name)
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
        // A backup that fails leaves nothing behind (vlog wrote the folder; a full disk gets its space back).
        var done = false
        defer { if !done { try? fm.removeItem(at: work) } }
        var report = BackupReport(folder: dest.appendingPathComponent(name))

        // 1. The database, consistent as of one moment.
        let dbCopy = work.appendingPathComponent("vlog.db")
        let db = try site.openDatabase(.read)
        try db.run("VACUUM INTO ?", [dbCopy.path])  // one statement: one read transaction
        let copy = try SQLiteConnection(path: dbCopy.path, readOnly: true)
        let check = try copy.queryOne("PRAGMA integrity_check")?.string("integrity_check")
        guard check == "ok" else {
            throw VLogError.io(
                "the database copy failed its integrity check (\(check ?? "no answer")); nothing was kept")
        }
        report.databaseBytes = FileIO.size(dbCopy) ?? 0

        // 2. Files, hard-linked to the previous backup where unchanged; again while the copied
        //    database names a video folder the copy lacks.
        var sources: [(URL, String)] = [(site.storageURL, "media")]
        for own in [SiteConfig.fileName, "templates", "public"] {
            let u = site.root.appendingPathComponent(own)
            if FileIO.exists(u) { sources.append((u, own)) }
        }
        var missing: [String] = []
        repeat {
            report.passes += 1
            for (src, as_) in sources {
                let isDir = FileIO.isDirectory(src)
                var args = ["-a", "--delete", "--exclude=.work/", "--exclude=*.lock"]
                if let previous {
                    args.append(
                        "--link-dest="
                            + dest.appendingPathComponent(previous).appendingPathComponent(isDir ? as_ : "").path)
                }
                args += [src.path + (isDir ? "/" : ""), work.appendingPathComponent(as_).path + (isDir ? "/" : "")]
                let r = try effects.runner.run("rsync", args, timeout: 86_400)
                // 24: files vanished while copying (a transcode's temporary files): the check below decides.
                guard r.status == 0 || r.status == 24 else {
                    throw Self.rsyncError(r.stderrTail, copying: src, to: dest)
                }
            }
            missing = try Self.missingFolders(db: copy, media: work.appendingPathComponent("media"))
        } while !missing.isEmpty && report.passes < 3
        guard missing.isEmpty else {
            throw VLogError.io(
                "the copy lacks the media of \(missing.joined(separator: ", ")) (moved while copying?); run `vlog backup` again"
            )
        }

        // 3. Every file the same size as its source.
        let media = work.appendingPathComponent("media")
        let enumerator = fm.enumerator(at: media, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey])
        while let url = enumerator?.nextObject() as? URL {
            let values = try? url.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey])
            guard values?.isRegularFile == true else { continue }
            let rel = String(url.path.dropFirst(media.path.count))
            let size = values?.fileSize ?? 0
            if let srcSize = FileIO.size(URL(fileURLWithPath: site.storageURL.path + rel)), srcSize != size {
                throw VLogError.io(
                    "the copy of \(rel) has \(size) bytes, the original \(srcSize); run `vlog backup` again")
            }
            report.files += 1
            report.bytes += size
            var st = stat()
            if stat(url.path, &st) == 0, st.st_nlink > 1 { report.linkedFiles += 1 }
        }

        // 4. Only a verified backup gets its name.
        try FileIO.moveReplacing(work, to: report.folder)
        done = true
        let latest = dest.appendingPathComponent("latest")
        let tmp = dest.appendingPathComponent(".latest-\(UUID().uuidString.prefix(8))")
        try fm.createSymbolicLink(atPath: tmp.path, withDestinationPath: name)
        try FileIO.moveReplacing(tmp, to: latest)
        return report
    }

    /// The destination holds the dated backups: made when missing, under a parent that exists
    /// (an unmounted disk must not become a folder on the root disk).
    static func prepare(_ dest: URL) throws {
        switch FileKind(path: dest.resolvingSymlinksInPath().path) {
        case .folder: return
        case .missing: break
        case let kind:
            throw VLogError.invalidInput(
                "backup destination \(dest.path) is \(kind.described), not a folder; give a folder (made if missing)")
        }
        let parent = dest.deletingLastPathComponent()
        switch FileKind(path: parent.resolvingSymlinksInPath().path) {
        case .folder: break
        case .missing:
            throw VLogError.notFound(
                "the folder \(parent.path) above backup destination \(dest.path) does not exist (is the disk mounted?); create it first"
            )
        case let kind:
            throw VLogError.invalidInput(
                "\(parent.path), above backup destination \(dest.path), is \(kind.described), not a folder; give a folder"
            )
        }
        do { try FileManager.default.createDirectory(at: dest, withIntermediateDirectories: false) } catch {
            throw VLogError.io("cannot create backup destination \(dest.path): \(FileIO.reason(error))")
        }
    }

    /// rsync's error (several lines, `rsync error: ... (code 11) at receiver.c(...)`) in one line
    /// that says what to do.
    static func rsyncError(_ stderr: String, copying src: URL, to dest: URL) -> VLogError {
        if stderr.contains("No space left on device") || stderr.contains("Disk quota exceeded") {
            return .io(
                "disk full while backing up to \(dest.path) (no space left on device); nothing was kept: free some space or give another destination"
            )
        }
        let first =
            stderr.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { !$0.isEmpty && !$0.hasPrefix("rsync error:") } ?? stderr
        return .tool("rsync could not copy \(src.path) to \(dest.path): \(first); nothing was kept")
    }

    /// Videos (ready or not) whose folder the copied database expects and the copy lacks.
    static func missingFolders(db: SQLiteConnection, media: URL) throws -> [String] {
        try db.query("SELECT slug, status, deleted_at FROM videos").compactMap { r in
            guard let slug = r.string("slug"), r.string("status") == VideoStatus.ready.rawValue,
                (try? Slug.validate(slug)) != nil
            else { return nil }
            let dir = media.appendingPathComponent(r.string("deleted_at") == nil ? "videos" : "archive")
                .appendingPathComponent(slug)
            return FileIO.isDirectory(dir) ? nil : slug
        }
    }

    /// Finished backups in `dest`, oldest first.
    public static func backups(in dest: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dest.path)) ?? [])
            .filter { $0.hasPrefix(namePrefix) }.sorted()
    }

    static func stamp(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HHmmss'Z'"
        return f.string(from: d)
    }
}
