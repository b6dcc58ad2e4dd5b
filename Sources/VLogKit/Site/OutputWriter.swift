import Foundation

/// One file of the built site: bytes to write, or a media file to link (no copying gigabytes).
public enum OutputEntry: Sendable, Equatable {
    case bytes(Data)
    case link(URL)
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
    static func isMedia(_ path: String) -> Bool { path.hasPrefix("v/") && !path.hasSuffix(".html") }

    var manifestURL: URL { root.appendingPathComponent(Self.manifestName) }

    public func previousPaths() -> Set<String> {
        guard let text = try? String(contentsOf: manifestURL, encoding: .utf8) else { return [] }
        return Set(text.split(separator: "\n").map(String.init))
    }

    /// Syncs all entries; returns separate stats for pages (bytes) and media links.
    public func sync(_ entries: [String: OutputEntry]) throws -> (pages: WriteStats, media: WriteStats) {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let old = previousPaths()
        let new = Set(entries.keys)
        // Record new paths before creating them, so a crash mid-build cannot orphan a file.
        if !new.isSubset(of: old) { try writeManifest(old.union(new)) }
        // Entries are independent files: spread them over the cores (file-system calls dominate).
        let list = Array(entries)
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let stats = LockedBox((WriteStats(), WriteStats()))
        let failure = LockedBox<Error?>(nil)
        let rootPath = root.path
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            var pages = WriteStats(), media = WriteStats()
            do {
                for i in stride(from: part, to: list.count, by: parts) {
                    let (path, entry) = list[i]
                    let dest = rootPath + "/" + path
                    switch entry {
                    case .bytes(let data):
                        if try Self.sameBytes(dest, data) { pages.unchanged += 1 } else {
                            try FileIO.writeAtomically(data, toPath: dest, durable: false)
                            pages.written += 1
                        }
                    case .link(let src):
                        if Self.isLinked(dest, to: src.path) { media.unchanged += 1 } else {
                            try Self.link(src.path, at: dest)
                            media.written += 1
                        }
                    }
                }
            } catch { failure.withLock { if $0 == nil { $0 = error } } }
            stats.withLock { s in
                s.0.written += pages.written; s.0.unchanged += pages.unchanged
                s.1.written += media.written; s.1.unchanged += media.unchanged
            }
        }
        if let e = failure.value { throw e }
        var (pages, media) = stats.value
        for path in old.subtracting(new).sorted() {
            let url = root.appendingPathComponent(path)
            if unlink(url.path) == 0 {
                if Self.isMedia(path) { media.removed += 1 } else { pages.removed += 1 }
            }
            removeEmptyParents(of: url)
        }
        if old != new { try writeManifest(new) }
        return (pages, media)
    }

    func writeManifest(_ paths: Set<String>) throws {
        try FileIO.writeAtomically(Data(paths.sorted().joined(separator: "\n").utf8), to: manifestURL)
    }

    static func sameBytes(_ path: String, _ data: Data) throws -> Bool {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) == data.count else { return false }
        guard let existing = FileManager.default.contents(atPath: path) else { return false }
        return existing == data
    }

    static func isLinked(_ dest: String, to src: String) -> Bool {
        var d = stat(), s = stat()
        guard lstat(dest, &d) == 0, stat(src, &s) == 0 else { return false }
        if (d.st_mode & S_IFMT) == S_IFLNK {
            return (try? FileManager.default.destinationOfSymbolicLink(atPath: dest)) == src
        }
        return d.st_ino == s.st_ino && d.st_dev == s.st_dev
    }

    /// A hard link where storage and output share a file system, else a symbolic link. A new name
    /// is linked directly; an existing one is replaced through a temporary name and rename.
    static func link(_ src: String, at dest: String) throws {
        func make(_ at: String) -> Bool { Glibc.link(src, at) == 0 || symlink(src, at) == 0 }
        if make(dest) { return }
        if errno == ENOENT { try FileIO.makeParents(of: dest); if make(dest) { return } }
        let tmp = FileIO.tempName(dest)
        guard make(tmp) else { throw VLogError.io("cannot link \(src) at \(dest): \(String(cString: strerror(errno)))") }
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
