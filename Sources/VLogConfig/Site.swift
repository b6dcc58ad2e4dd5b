import Foundation
import VLogSupport

/// A site is a folder: `vlog.toml`, the database, and media storage with uploads/, videos/ and
/// archive/ (storage may live elsewhere, e.g. a NAS mount). A site may carry its own templates/
/// and public/ folders, whose files override vlog's defaults one by one.
public struct Site: Sendable {
    public let root: URL
    public let config: SiteConfig

    public init(root: URL, config: SiteConfig) {
        self.root = root.standardizedFileURL
        self.config = config
    }

    /// Loads the site in `dir` (config and environment overrides).
    public static func load(_ dir: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> Site
    {
        let root = URL(fileURLWithPath: dir).standardizedFileURL
        return Site(root: root, config: try SiteConfig.load(siteDir: root, environment: environment))
    }

    func resolve(_ path: String) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL }
        return root.appendingPathComponent(expanded).standardizedFileURL
    }

    public var databaseURL: URL { resolve(config.databasePath) }
    public var storageURL: URL { resolve(config.storagePath) }
    public var uploadsURL: URL { storageURL.appendingPathComponent("uploads") }
    public var videosURL: URL { storageURL.appendingPathComponent("videos") }
    public var archiveURL: URL { storageURL.appendingPathComponent("archive") }
    public var outputURL: URL { resolve(config.outputPath) }
    public var dashboardURL: URL { resolve(config.dashboardPath) }

    /// The HLS folder of a video: videos/<slug>/.
    public func mediaDir(slug: String) -> URL { videosURL.appendingPathComponent(slug) }

    /// Runs `body`, a change to `slug`'s media folder in place (captions, audio tracks, chapters,
    /// the chosen poster, attachments, a transcript), while no (re-)transcode of it is between
    /// carrying those files into its new rendition and swapping that in, and keeps the transcode
    /// from starting that step meanwhile (`videos/.work/SLUG.media.lock`, waited for; either side
    /// holds it for a moment). An edit then lands before the carry-over, and is carried, or in the
    /// new folder: never in the old one, thrown away by the swap.
    public func changingMedia<T>(slug: String, _ body: () throws -> T) throws -> T {
        let lock = WorkerLock(url: mediaLockURL(slug: slug))
        try lock.acquire()
        defer { lock.release() }
        return try body()
    }

    /// The lock `changingMedia` holds, in the videos' work folder (`videos/.work/`).
    public func mediaLockURL(slug: String) -> URL {
        videosURL.appendingPathComponent(Self.workFolderName).appendingPathComponent("\(slug).media.lock")
    }
    /// The work folder's name under `videos/` (transcodes, re-encodes and their locks).
    public static let workFolderName = ".work"

    /// The uploaded source of a video: uploads/<slug>.<ext> (or the same name in `dir`).
    public func sourceFile(slug: String, in dir: URL? = nil) -> URL? {
        Self.sourceFile(slug: slug, in: dir ?? uploadsURL)
    }

    /// The file named `slug` plus an extension in `dir` (the first by name), e.g. an upload.
    public static func sourceFile(slug: String, in dir: URL) -> URL? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return nil }
        return names.filter { !$0.hasPrefix(".") && ($0 as NSString).deletingPathExtension == slug }
            .sorted().first.map { dir.appendingPathComponent($0) }
    }

    /// Where a soft-deleted video's files wait for purge: archive/<slug>/.
    public func archiveDir(slug: String) -> URL { archiveURL.appendingPathComponent(slug) }

    /// Checks that the storage folder is there with uploads/, videos/ and archive/. A missing
    /// storage root is an error (an unmounted NAS must not look like an empty site); a missing
    /// subfolder of a storage root that exists is made. `create` (init) makes the root too.
    public func ensureStorage(create: Bool = false) throws {
        if !create && !FileIO.isDirectory(storageURL) {
            throw VLogError.notFound(
                """
                media storage \(storageURL.path) does not exist (is the disk mounted?); check paths.storage \
                in vlog.toml or VLOG_STORAGE_PATH
                """)
        }
        for dir in [uploadsURL, videosURL, archiveURL] where !FileIO.isDirectory(dir) {
            do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
                throw VLogError.io(
                    "cannot create \(dir.path): \(FileIO.reason(error)); check paths.storage in vlog.toml or VLOG_STORAGE_PATH"
                )
            }
        }
    }

    /// Finds a template or public asset: the site's own copy first, then vlog's default.
    public func resource(_ kind: String, _ name: String) -> URL? {
        let own = root.appendingPathComponent(kind).appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: own.path) { return own }
        guard let share = Resources.shareDir else { return nil }
        let def = share.appendingPathComponent(kind).appendingPathComponent(name)
        return FileManager.default.fileExists(atPath: def.path) ? def : nil
    }
}

/// Where vlog's default templates/ and public/ live, wherever the binary is installed:
/// `$VLOG_SHARE_DIR`, `<prefix>/share/vlog` beside `<prefix>/bin/vlog`, or the source checkout
/// that built the binary.
public enum Resources {
    public static let shareDir: URL? = find()

    static func find() -> URL? {
        let fm = FileManager.default
        func ok(_ u: URL) -> Bool { fm.fileExists(atPath: u.appendingPathComponent("templates").path) }
        if let env = ProcessInfo.processInfo.environment["VLOG_SHARE_DIR"], !env.isEmpty {
            let u = URL(fileURLWithPath: env)
            if ok(u) { return u }
        }
        let exe = URL(fileURLWithPath: Executable.path).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        let share = dir.deletingLastPathComponent().appendingPathComponent("share/vlog")
        if ok(share) { return share }
        for _ in 0..<6 {
            if ok(dir) && fm.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }
}
