import Foundation
import Synchronization
import VLogSupport

/// One file of the built site: bytes to write, a page to render when it is written, or a media
/// file (its path in storage) to link, so gigabytes are never copied.
public enum OutputEntry: Sendable {
    case bytes(Data)
    case page(@Sendable () throws -> [UInt8])
    case link(String)
}

public struct WriteStats: Sendable, Equatable {
    public var written = 0
    public var unchanged = 0
    public var removed = 0
    public init() {}
}

/// Brings the output folder in line with a set of entries: writes only files whose bytes changed
/// (temp file + rename, so a web server never serves half a page), links media, and deletes what
/// the previous build wrote that is no longer wanted (tracked in `.vlog-manifest`, so files vlog
/// did not write are never touched). A no-op build writes nothing at all.
public struct OutputWriter {
    public let root: URL
    static let manifestName = ".vlog-manifest"

    public init(root: URL) { self.root = root }

    /// Media files (HLS, posters, captions) live under v/<slug>/ beside the pages.
    static func isMedia(_ path: String) -> Bool { isMedia(bytes: path.utf8) }
    static func isMedia<C: BidirectionalCollection>(bytes path: C) -> Bool where C.Element == UInt8 {
        path.starts(with: "v/".utf8) && !path.reversed().starts(with: ".html".utf8.reversed())
    }

    var manifestURL: URL { root.appendingPathComponent(Self.manifestName) }
    var markerURL: URL { root.appendingPathComponent(".vlog-writing") }

    public func previousPaths() -> Set<String> {
        guard let text = try? String(contentsOf: manifestURL, encoding: .utf8) else { return [] }
        return Set(text.split(separator: "\n").map(String.init))
    }

    /// Syncs all entries; returns separate stats for pages (bytes) and media links.
    /// `previous` is the manifest when the caller has read it already. `later` makes more entries
    /// once all of `entries` are written (the search index, from the pages as they rendered).
    public func sync(
        _ entries: [String: OutputEntry], previous: Set<String>? = nil,
        later: (() throws -> [String: OutputEntry])? = nil
    ) throws -> (pages: WriteStats, media: WriteStats) {
        do { try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true) } catch {
            throw VLogError.io(
                "cannot create the output folder \(root.path): \(FileIO.reason(error)); give another --out")
        }
        // A build killed midway can leave temporary files (never served under a page's name, but
        // litter): the marker says one was running, and the next build sweeps them up.
        if FileIO.exists(markerURL) { sweepTemporaryFiles() }
        try FileIO.writeAtomically(Data(), to: markerURL, durable: false)
        let old = previous ?? previousPaths()
        var new = Set(entries.keys)
        // Record new paths before creating them, so a crash mid-build cannot orphan a file.
        if !new.isSubset(of: old) { try writeManifest(old.union(new)) }
        var (pages, media) = try write(entries, old: old)
        if let later {
            let more = try later()
            let added = Set(more.keys)
            if !added.isSubset(of: old) { try writeManifest(old.union(new).union(added)) }
            let (p, m) = try write(more, old: old)
            pages.written += p.written
            pages.unchanged += p.unchanged
            media.written += m.written
            media.unchanged += m.unchanged
            new.formUnion(added)
        }
        for path in old.subtracting(new).sorted() {
            let url = root.appendingPathComponent(path)
            if unlink(url.path) == 0 {
                if Self.isMedia(path) { media.removed += 1 } else { pages.removed += 1 }
            }
            removeEmptyParents(of: url)
        }
        if old != new { try writeManifest(new) }
        unlink(markerURL.path)
        return (pages, media)
    }

    /// Writes `entries` on every core (file-system calls dominate). Each folder's files go to one
    /// thread, so threads do not queue on a folder's lock.
    func write(_ entries: [String: OutputEntry], old: Set<String>) throws -> (WriteStats, WriteStats) {
        let groups = Self.groupedByFolder(entries)
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let next = Atomic<Int>(0)
        let stats = LockedBox((WriteStats(), WriteStats()))
        let failure = LockedBox<Error?>(nil)
        let rootPath = root.path
        DispatchQueue.concurrentPerform(iterations: parts) { _ in
            var pages = WriteStats()
            var media = WriteStats()
            do {
                while case let g = next.wrappingAdd(1, ordering: .relaxed).oldValue, g < groups.count {
                    for (path, entry) in groups[g] {
                        let dest = rootPath + "/" + path
                        // A path the last build did not write is created straight away.
                        let known = old.contains(path)
                        let changed: Bool
                        switch entry {
                        case .bytes(let data):
                            changed = try data.withUnsafeBytes { try Self.place($0, at: dest, compare: known) }
                        case .page(let render):
                            changed = try render().withUnsafeBytes { try Self.place($0, at: dest, compare: known) }
                        case .link(let src):
                            changed = known ? try Self.placeLink(src, at: dest) : try Self.linkNew(src, at: dest)
                        }
                        if case .link = entry {
                            if changed { media.written += 1 } else { media.unchanged += 1 }
                        } else if changed {
                            pages.written += 1
                        } else {
                            pages.unchanged += 1
                        }
                    }
                }
            } catch { failure.withLock { if $0 == nil { $0 = error } } }
            stats.withLock { s in
                s.0.written += pages.written
                s.0.unchanged += pages.unchanged
                s.1.written += media.written
                s.1.unchanged += media.unchanged
            }
        }
        if let e = failure.value { throw e }
        return stats.value
    }

    /// The rsync `--max-delete` idea: a sync that would remove more than a tenth of the pages
    /// (at least 10) or of the videos' media (at least 3 videos) stops before touching anything.
    /// An unmounted disk or a wrong database must not take a site down.
    static func checkRemovals(old: Set<String>, new: Set<String>, root: URL) throws {
        // The search index's files are named by their bytes: they come and go with any change.
        let gone = old.subtracting(new).filter { !$0.hasPrefix("search/") }
        guard !gone.isEmpty else { return }
        let oldPages = old.filter { !isMedia($0) }.count
        let gonePages = gone.filter { !isMedia($0) }.count
        func slug(_ p: String) -> Substring { p.split(separator: "/", maxSplits: 2).dropFirst().first ?? "" }
        let oldMedia = Set(old.filter(isMedia).map(slug))
        let goneMedia = Set(gone.filter(isMedia).map(slug)).subtracting(new.filter(isMedia).map(slug))
        if gonePages >= 10 && gonePages * 10 > oldPages {
            throw VLogError.conflict(
                """
                this build would remove \(gonePages) of \(oldPages) pages in \(root.path); if that is what you want, \
                run it again with --allow-mass-removal (check paths.database and VLOG_DATABASE_PATH first)
                """)
        }
        if goneMedia.count >= 3 && goneMedia.count * 10 > oldMedia.count {
            throw VLogError.conflict(
                """
                this build would remove the media of \(goneMedia.count) of \(oldMedia.count) videos in \(root.path); \
                if that is what you want, run it again with --allow-mass-removal (check paths.storage first)
                """)
        }
    }

    /// Deletes the temporary files (`.NAME.tmp-PID-N`) of an interrupted build.
    func sweepTemporaryFiles() {
        guard let walk = FileManager.default.enumerator(atPath: root.path) else { return }
        while let rel = walk.nextObject() as? String {
            let name = (rel as NSString).lastPathComponent
            if name.hasPrefix("."), name.contains(".tmp-") { unlink(root.path + "/" + rel) }
        }
    }

    func writeManifest(_ paths: Set<String>) throws {
        try FileIO.writeAtomically(Data(paths.sorted().joined(separator: "\n").utf8), to: manifestURL)
    }

    /// Entries grouped by their top two folders (`v/SLUG/…`, `c/SLUG/…`, `page/N/…`).
    static func groupedByFolder(_ entries: [String: OutputEntry]) -> [[(String, OutputEntry)]] {
        var groups: [Substring: [(String, OutputEntry)]] = [:]
        for (path, entry) in entries {
            var slashes = 0
            let end =
                path.firstIndex { c in
                    if c == "/" { slashes += 1 }
                    return slashes == 2
                } ?? path.startIndex
            groups[path[..<end], default: []].append((path, entry))
        }
        return Array(groups.values)
    }

    /// Writes `bytes` at `dest` unless (when `compare`) the file already holds exactly them; true
    /// when written.
    static func place(_ bytes: UnsafeRawBufferPointer, at dest: String, compare: Bool = true) throws -> Bool {
        if compare && sameBytes(dest, bytes) { return false }
        try FileIO.writeAtomically(bytes, toPath: dest, durable: false)
        return true
    }

    static func sameBytes(_ path: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) == bytes.count else {
            return false
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let existing = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count + 1, alignment: 1)
        defer { existing.deallocate() }
        var off = 0
        while off <= bytes.count {
            let n = read(fd, existing.baseAddress! + off, bytes.count + 1 - off)
            if n < 0 { return false }
            if n == 0 { break }
            off += n
        }
        return off == bytes.count
            && (bytes.count == 0 || memcmp(existing.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
    }

    /// Links `src` at `dest` unless it is already linked there; true when linked.
    static func placeLink(_ src: String, at dest: String) throws -> Bool {
        if isLinked(dest, to: src) { return false }
        try link(src, at: dest)
        return true
    }

    /// Links `src` at a `dest` that is probably new: tries the link first, and checks only when a
    /// file is in the way.
    static func linkNew(_ src: String, at dest: String) throws -> Bool {
        try requireRegular(src)
        if Glibc.link(src, dest) == 0 { return true }
        return try placeLink(src, at: dest)
    }

    /// Linked (the same inode), or copied from another file system (same size and modification
    /// time). A symbolic link left by an older vlog is never "linked": it is replaced.
    static func isLinked(_ dest: String, to src: String) -> Bool {
        var d = stat()
        var s = stat()
        guard lstat(dest, &d) == 0, lstat(src, &s) == 0, (d.st_mode & S_IFMT) == S_IFREG else { return false }
        if d.st_ino == s.st_ino && d.st_dev == s.st_dev { return true }
        return d.st_dev != s.st_dev && d.st_size == s.st_size && d.st_mtim.tv_sec == s.st_mtim.tv_sec
            && d.st_mtim.tv_nsec == s.st_mtim.tv_nsec
    }

    /// Only a regular file is ever placed in the output: `link(2)` of a symbolic link would put the
    /// link itself there, and a web server would serve what it points to.
    static func requireRegular(_ src: String) throws {
        let kind = FileKind(path: src)
        guard kind == .regular else {
            throw VLogError.io("refused to publish \(src): it is \(kind.described), not a regular file; remove it")
        }
    }

    /// A hard link where storage and output share a file system, else a copy (never a symbolic
    /// link: nothing under the output is one, so `disable_symlinks on` holds). A new name is linked
    /// directly; an existing one is replaced through a temporary name and rename.
    static func link(_ src: String, at dest: String) throws {
        try requireRegular(src)
        func make(_ at: String) -> Bool { Glibc.link(src, at) == 0 }
        if make(dest) { return }
        if errno == ENOENT {
            try FileIO.makeParents(of: dest)
            if make(dest) { return }
        }
        if errno == EXDEV || errno == EPERM || errno == EMLINK {
            // Another file system (storage on a NAS), or one without hard links: a copy, whole or absent.
            try FileIO.copyRegularFile(from: URL(fileURLWithPath: src), to: URL(fileURLWithPath: dest))
            return
        }
        let tmp = FileIO.tempName(dest)
        guard make(tmp) else {
            throw VLogError.io("cannot link \(src) at \(dest): \(String(cString: strerror(errno)))")
        }
        if rename(tmp, dest) != 0 {
            unlink(tmp)
            throw VLogError.io("cannot place \(dest): \(String(cString: strerror(errno)))")
        }
    }

    func removeEmptyParents(of url: URL) {
        var dir = url.deletingLastPathComponent()
        while dir.path.count > root.path.count, rmdir(dir.path) == 0 { dir = dir.deletingLastPathComponent() }
    }
}
