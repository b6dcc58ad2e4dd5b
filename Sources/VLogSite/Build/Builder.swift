import CShims
import Foundation
import VLogAnalytics
import VLogConfig
import VLogContent
import VLogMedia
import VLogStore
import VLogSupport
import VLogTranscode

/// What a build did, step by step.
public struct BuildReport: Sendable {
    public var steps: [(name: String, seconds: Double)] = []
    public var pages = WriteStats()
    public var media = WriteStats()
    public var videos = 0
    public var categories = 0
    public var output: URL
    /// A clean build's new folder was swapped in.
    public var swapped = false
    /// The private analytics dashboard, when there are sessions to show (last 90 days).
    public var dashboard: URL?
    /// Videos the build could not publish as they are (an unsafe slug, a missing media folder);
    /// what was live for them is kept.
    public var warnings: [String] = []
}

/// How careful a build is with what is already there.
public struct BuildOptions: Sendable {
    /// Build anew in a folder beside the output and swap it in whole.
    public var clean = false
    /// Let `clean` delete files vlog did not write.
    public var force = false
    /// Let a build remove more than a tenth of the site's pages or media.
    public var allowMassRemoval = false
    public init(clean: Bool = false, force: Bool = false, allowMassRemoval: Bool = false) {
        self.clean = clean
        self.force = force
        self.allowMassRemoval = allowMassRemoval
    }
}

/// `vlog build`: snapshot -> render -> assets -> media -> write, each step timed. (Transcoding,
/// the first stage, is run by the caller so it can show progress.)
public struct Builder {
    public let site: Site
    public var clock: Clock
    public init(site: Site, clock: Clock = .system) {
        self.site = site
        self.clock = clock
    }

    public func build(output: URL? = nil, clean: Bool = false) throws -> BuildReport {
        try build(output: output, options: BuildOptions(clean: clean))
    }

    public func build(output: URL? = nil, options: BuildOptions) throws -> BuildReport {
        var steps = StepRunner()
        return try build(output: output, options: options, steps: &steps)
    }

    /// The snapshot, render, write and dashboard steps of `Pipeline`, timed by `steps`.
    public func build(output: URL? = nil, options: BuildOptions, steps: inout StepRunner) throws -> BuildReport {
        let out = output ?? site.outputURL
        let clean = options.clean
        try OutputGuard.check(out, site: site)
        if site.config.mediaBaseURL == nil { try site.ensureStorage() }
        var report = BuildReport(output: out)
        let lock = WorkerLock(url: site.root.appendingPathComponent(".vlog-build.lock"))
        let (acquired, holder) = try lock.tryAcquire()
        guard acquired else {
            // The lock names the folder the other build writes (percent-encoded: one word).
            let theirs = holder.flatMap { $0.workerID.removingPercentEncoding }.map { " into \($0)" } ?? ""
            throw VLogError.conflict(
                "another `vlog build` of this site\(holder.map { " (pid \($0.pid))" } ?? "") is writing\(theirs); wait for it to finish"
            )
        }
        lock.record(
            .init(
                host: WorkerLock.hostName, pid: getpid(), childPID: 0,
                workerID: out.path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "?"))
        defer { lock.release() }
        // A clean build is written beside the output and swapped in whole when done, so the site is
        // served complete throughout. Leftovers of a clean build that was killed go first.
        // (An output folder reached through a symbolic link is swapped where it really is.)
        let real = out.resolvingSymlinksInPath()
        let staging = real.deletingLastPathComponent().appendingPathComponent(".\(real.lastPathComponent).vlog-new")
        if FileIO.exists(staging) {
            try steps.run(.write, path: staging) { try FileManager.default.removeItem(at: staging) }
        }
        let target = clean ? staging : out
        if clean && !options.force { try OutputGuard.checkClean(out, writer: OutputWriter(root: out)) }
        let db = try site.openDatabase()
        var snapshot = try steps.run(.snapshot, path: site.databaseURL) {
            try SiteSnapshot.load(db: db, now: clock.now())
        }
        report.warnings = snapshot.dropUnsafe()
        // A published video whose media folder is missing keeps what the last build put live.
        var keep: Set<String> = []
        if site.config.mediaBaseURL == nil {
            let videosPath = site.videosURL.path
            var st = stat()
            for v in snapshot.videos
            where stat(videosPath + "/" + v.video.slug, &st) != 0 || (st.st_mode & S_IFMT) != S_IFDIR {
                keep.insert("v/\(v.video.slug)/")
                report.warnings.append(
                    """
                    `\(v.video.slug)`: its media folder \(site.mediaDir(slug: v.video.slug).path) is missing; \
                    the last build's files are kept (re-transcode it, or unpublish it)
                    """)
            }
        }
        report.videos = snapshot.videos.count
        report.categories = snapshot.categories.count
        let writer = OutputWriter(root: target)
        let fingerprint = try steps.run(.snapshot) {
            BuildFingerprint.compute(site: site, snapshot: snapshot, outputPath: out.path)
        }
        if !clean, let counts = BuildFingerprint.unchanged(fingerprint, output: out, writer: writer) {
            // Nothing the pages depend on changed, and every file is in place.
            report.pages.unchanged = counts.pages
            report.media.unchanged = counts.media
        } else {
            let renderer = try steps.run(.render) { try Renderer(site: site, snapshot: snapshot) }
            var entries = try steps.run(.render) { renderer.pages() }
            try steps.run(.render) { for (path, entry) in try assets() { entries[path] = entry } }
            var mediaWarnings: [String] = []
            try steps.run(.render, path: site.videosURL) {
                try media(snapshot, into: &entries, warnings: &mediaWarnings)
            }
            report.warnings += mediaWarnings
            let live = OutputWriter(root: out).previousPaths()
            for p in live where !keep.isEmpty && entries[p] == nil && keep.contains(where: { p.hasPrefix($0) }) {
                // Kept as it is; a clean build links the live file into the new folder.
                entries[p] = .link(out.path + "/" + p)
            }
            if !options.allowMassRemoval {
                try OutputWriter.checkRemovals(old: live, new: Set(entries.keys), root: out)
            }
            // A build that does not finish must never let the next one skip rendering.
            unlink(target.appendingPathComponent(BuildFingerprint.fileName).path)
            // Pages are rendered as they are written, on every core; the search index, from what
            // the pages held, after them.
            let stats = try steps.run(.write, path: target) {
                try writer.sync(entries, previous: clean ? nil : live, later: renderer.searchFiles)
            }
            report.pages = stats.pages
            report.media = stats.media
            try FileIO.writeAtomically(
                Data(fingerprint.utf8), to: target.appendingPathComponent(BuildFingerprint.fileName))
            if clean {
                try steps.run(.write, path: out) {
                    report.swapped = true
                    try Self.swapIn(staging, at: real)
                }
            }
        }
        if try db.queryOne("SELECT 1 AS x FROM playback_sessions LIMIT 1") != nil {
            try steps.run(.dashboard, path: site.dashboardURL) {
                let now = clock.now()
                // The last 90 UTC days, today included: whole days, read from the rollups (a log's
                // sessions stamped later today by a skewed clock count in today too).
                let to = AnalyticsReport.endOfDay(now)
                let from = AnalyticsReport.start(ofLast: 90, until: to)
                let catalog = try ReportCatalog(db: db)
                let analytics = try AnalyticsReport.load(db: db, from: from, to: to, catalog: catalog)
                var pages: [String: OutputEntry] = [
                    "index.html": .bytes(Data(Dashboard.html(analytics, title: site.config.title).utf8))
                ]
                // A page per video watched in the period, each from its own rows of the rollups.
                for slug in analytics.watchedVideos where (try? Slug.validate(slug)) != nil {
                    let one = try AnalyticsReport.load(
                        db: db, from: from, to: to, video: slug, top: 1, catalog: catalog)
                    pages[Dashboard.page(slug)] = .bytes(
                        Data(Dashboard.videoHTML(one, slug: slug, site: site.config.title).utf8))
                }
                _ = try OutputWriter(root: site.dashboardURL).sync(pages)
                report.dashboard = site.dashboardURL
            }
        }
        report.steps = steps.timings.map { ($0.step.rawValue, $0.seconds) }
        return report
    }

    /// Puts the freshly built `staging` folder at `out` in one step (the old output, swapped to
    /// `staging`, is then deleted). Where the file system cannot swap, the old output is moved aside
    /// first, which leaves `out` missing for a moment.
    static func swapIn(_ staging: URL, at out: URL) throws {
        if !FileIO.exists(out) { return try FileIO.moveReplacing(staging, to: out) }
        if vlog_exchange(staging.path, out.path) != 0 {
            let aside = staging.deletingLastPathComponent().appendingPathComponent(".\(out.lastPathComponent).vlog-old")
            try? FileManager.default.removeItem(at: aside)
            try FileIO.moveReplacing(out, to: aside)
            try FileIO.moveReplacing(staging, to: out)
            try FileManager.default.removeItem(at: aside)
            return
        }
        try FileManager.default.removeItem(at: staging)
    }

    /// Static files from vlog's public/ folder, overridden and extended by the site's own public/.
    /// The player's units are joined and minified into `assets/player.js` (PlayerBundle).
    func assets() throws -> [String: OutputEntry] {
        var out: [String: Data] = [:]
        var roots: [URL] = []
        if let share = Resources.shareDir { roots.append(share.appendingPathComponent("public")) }
        roots.append(site.root.appendingPathComponent("public"))
        for root in roots where FileIO.isDirectory(root) {
            let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
            while let url = e?.nextObject() as? URL {
                guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
                let rel = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
                if rel.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
                out[rel] = try Data(contentsOf: url)
            }
        }
        PlayerBundle.apply(to: &out)
        return out.mapValues { .bytes($0) }
    }

    /// The HLS set and posters of every published video, linked under v/<slug>/ (none when a
    /// media base URL serves them from elsewhere). Only regular files are linked: a symbolic link,
    /// FIFO or device found in the storage (put there by hand) is left out with a warning, so a web
    /// server never serves what it points to.
    /// Added to `out` (a dictionary of their own and then a merge held both at once).
    /// A captioned video's master, rewritten with a SUBTITLES rendition per track
    /// (`HLSSubtitles`), each track's playlist and WebVTT segment; and with an AUDIO rendition per
    /// audio track (`HLSAudio`). Made by the writer's threads.
    func playlists(
        _ v: PublishedVideo, dir: String, captioned: Bool, audio: [AudioTracks.Track],
        into out: inout [String: OutputEntry]
    ) {
        let tracks =
            captioned ? CaptionTracks.list(dir: URL(fileURLWithPath: dir), siteLanguage: site.config.language) : []
        guard !tracks.isEmpty || !audio.isEmpty, out["v/\(v.video.slug)/\(MediaLayout.master)"] != nil else { return }
        let main = CaptionTracks.main(tracks, siteLanguage: site.config.language)
        let subs = tracks.map { HLSSubtitles.Track(lang: $0.lang, label: $0.label, isDefault: $0 == main) }
        let lang = site.config.language
        let extra = audio.map {
            HLSAudio.Track(lang: $0.lang, label: $0.label, describesVideo: $0.describesVideo, uri: $0.playlist)
        }
        let prefix = "v/\(v.video.slug)/"
        let master = dir + "/" + MediaLayout.master
        out[prefix + MediaLayout.master] = .page {
            let text = try String(contentsOfFile: master, encoding: .utf8)
            // The rungs' own audio is the default track, in the site's language.
            let own =
                text.contains("mp4a")
                ? HLSAudio.Track(lang: lang, label: CaptionTracks.name(lang), describesVideo: false, uri: nil) : nil
            return Array(HLSAudio.master(HLSSubtitles.master(text, tracks: subs), main: own, tracks: extra).utf8)
        }
        for (t, s) in zip(tracks, subs) {
            out[prefix + s.playlist] = .bytes(Data(HLSSubtitles.playlist(s, duration: v.video.duration).utf8))
            let file = dir + "/" + t.file
            out[prefix + s.segment] = .page {
                let data = FileManager.default.contents(atPath: file) ?? Data()
                return Array(HLSSubtitles.segment(Captions.decode(data)).utf8)
            }
        }
    }

    func media(_ snapshot: SiteSnapshot, into out: inout [String: OutputEntry], warnings: inout [String]) throws {
        // The podcast's artwork, from the site folder.
        if site.config.podcast.enabled, let name = Podcast.artwork(site.config), let art = site.config.podcast.artwork {
            let path = art.hasPrefix("/") ? art : site.root.appendingPathComponent(art).path
            // Only an image, and nothing of the storage (uploads, renditions) or the database: a
            // wrong path must never put something private in the output.
            let image = ["jpg", "jpeg", "png"].contains(URL(fileURLWithPath: path).pathExtension.lowercased())
            let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            let privateRoots = [site.storageURL, site.databaseURL].map { $0.resolvingSymlinksInPath().path }
            if !image || privateRoots.contains(where: { real == $0 || real.hasPrefix($0 + "/") }) {
                warnings.append(
                    "podcast.artwork \(path) is not a JPEG or PNG outside the storage and database: not published")
            } else if FileKind(path: path) == .regular {
                out[name] = .link(path)
            } else {
                warnings.append("podcast.artwork \(path) is not a file")
            }
        }
        guard site.config.mediaBaseURL == nil else { return }
        out.reserveCapacity(out.count + snapshot.videos.count * 6)
        let root = site.videosURL.path
        func refuse(_ path: String, _ kind: FileKind) {
            warnings.append(
                "\(path) is \(kind.described), not a regular file: not published; remove it (vlog copies attachments as files)"
            )
        }
        for v in snapshot.videos {
            let dir = root + "/" + v.video.slug
            guard let d = opendir(dir) else { continue }
            defer { closedir(d) }
            var captioned = false
            var audioFiles: [String] = []
            while let e = readdir(d) {
                let name = withUnsafePointer(to: e.pointee.d_name) {
                    String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
                }
                guard !name.hasPrefix("."), name != "index.html", name != "embed", name != Attachments.folder,
                    name != MediaLayout.chapters  // written by the render, from the file or the description
                else {
                    continue
                }
                let kind = e.pointee.d_type == DT_REG ? .regular : FileKind(path: dir + "/" + name)
                guard kind == .regular else {
                    if kind != .folder { refuse(dir + "/" + name, kind) }
                    continue
                }
                if AudioTracks.isTrackFile(name) {  // published below, only what a track names
                    audioFiles.append(name)
                    continue
                }
                out["v/\(v.video.slug)/\(name)"] = .link(dir + "/" + name)
                captioned =
                    captioned
                    || (name.hasSuffix(".vtt") && (name.hasPrefix("captions") || name.hasPrefix("transcript.")))
            }
            // The original upload, where the publisher offers it as the download.
            if v.downloadable == "original",
                let src = site.sourceFile(slug: v.video.slug)
            {
                out["v/\(v.video.slug)/original.\(src.pathExtension.lowercased())"] = .link(src.path)
            }
            // Captions as subtitle renditions of the master playlist, and audio tracks as audio
            // renditions, for every HLS client. (This listing saw their files: the others are
            // not listed again.)
            var tracks: [AudioTracks.Track] = []
            if !audioFiles.isEmpty {
                tracks = AudioTracks.list(dir: URL(fileURLWithPath: dir))
                let named = AudioTracks.files(of: tracks, among: audioFiles)
                for name in audioFiles where named.contains(name) && !name.hasSuffix(".json") {
                    out["v/\(v.video.slug)/\(name)"] = .link(dir + "/" + name)
                }
            }
            if captioned || !tracks.isEmpty { playlists(v, dir: dir, captioned: captioned, audio: tracks, into: &out) }
            // Attachments sit beside the page; vlog's own files win a name clash.
            for file in Attachments(site: site).list(slug: v.video.slug)
            where out["v/\(v.video.slug)/\(file.name)"] == nil && (try? Attachments.check(name: file.name)) != nil {
                let path = dir + "/" + Attachments.folder + "/" + file.name
                guard file.kind == .regular else {
                    refuse(path, file.kind)
                    continue
                }
                out["v/\(v.video.slug)/\(file.name)"] = .link(path)
            }
        }
    }
}
