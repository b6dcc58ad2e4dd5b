import Foundation

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
    public var runner: any ProcessRunning
    public var clock: Clock

    public init(site: Site, runner: any ProcessRunning = SystemProcessRunner(), clock: Clock = .system) {
        self.site = site
        self.runner = runner
        self.clock = clock
    }

    static let namePrefix = "vlog-"

    public func run(to dest: URL) throws -> BackupReport {
        let fm = FileManager.default
        guard FileIO.isDirectory(dest) else {
            throw VLogError.notFound(
                "backup folder \(dest.path) does not exist; create it (e.g. on another disk) first")
        }
        try site.ensureStorage()
        for stale in (try? fm.contentsOfDirectory(atPath: dest.path)) ?? [] where stale.hasPrefix(".incomplete-") {
            try? fm.removeItem(at: dest.appendingPathComponent(stale))
        }
        let previous = Self.backups(in: dest).last
        let name = Self.namePrefix + Self.stamp(clock.now())
        let work = dest.appendingPathComponent(".incomplete-" + name)
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
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
                let r = try runner.run("rsync", args, timeout: 86_400)
                // 24: files vanished while copying (a transcode's temporary files): the check below decides.
                guard r.status == 0 || r.status == 24 else {
                    throw VLogError.tool("rsync could not copy \(src.path): \(r.stderrTail)")
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
        let latest = dest.appendingPathComponent("latest")
        let tmp = dest.appendingPathComponent(".latest-\(UUID().uuidString.prefix(8))")
        try fm.createSymbolicLink(atPath: tmp.path, withDestinationPath: name)
        try FileIO.moveReplacing(tmp, to: latest)
        return report
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
