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
        var pages = WriteStats(), media = WriteStats()
        for (path, entry) in entries {
            let dest = root.appendingPathComponent(path)
            switch entry {
            case .bytes(let data):
                if try sameBytes(dest, data) { pages.unchanged += 1 } else {
                    try FileIO.writeAtomically(data, to: dest, durable: false)
                    pages.written += 1
                }
            case .link(let src):
                if isLinked(dest, to: src) { media.unchanged += 1 } else {
                    try link(src, at: dest)
                    media.written += 1
                }
            }
        }
        for path in old.subtracting(new).sorted() {
            let url = root.appendingPathComponent(path)
            if unlink(url.path) == 0 {
                if path.hasPrefix("v/") && !path.hasSuffix(".html") { media.removed += 1 } else { pages.removed += 1 }
            }
            removeEmptyParents(of: url)
        }
        if old != new { try writeManifest(new) }
        return (pages, media)
    }

    func writeManifest(_ paths: Set<String>) throws {
        try FileIO.writeAtomically(Data(paths.sorted().joined(separator: "\n").utf8), to: manifestURL)
    }

    func sameBytes(_ url: URL, _ data: Data) throws -> Bool {
        var st = stat()
        guard lstat(url.path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) == data.count else { return false }
        guard let existing = FileManager.default.contents(atPath: url.path) else { return false }
        return existing == data
    }

    func isLinked(_ dest: URL, to src: URL) -> Bool {
        var d = stat(), s = stat()
        guard lstat(dest.path, &d) == 0, stat(src.path, &s) == 0 else { return false }
        if (d.st_mode & S_IFMT) == S_IFLNK {
            return (try? FileManager.default.destinationOfSymbolicLink(atPath: dest.path)) == src.path
        }
        return d.st_ino == s.st_ino && d.st_dev == s.st_dev
    }

    /// A hard link where storage and output share a file system, else a symbolic link; made under
    /// a temporary name and renamed into place.
    func link(_ src: URL, at dest: URL) throws {
        let dir = dest.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tmp = dir.appendingPathComponent(".\(dest.lastPathComponent).tmp-\(UUID().uuidString.prefix(8))")
        if Glibc.link(src.path, tmp.path) != 0 && symlink(src.path, tmp.path) != 0 {
            throw VLogError.io("cannot link \(src.path) into \(dir.path): \(String(cString: strerror(errno)))")
        }
        if rename(tmp.path, dest.path) != 0 {
            unlink(tmp.path)
            throw VLogError.io("cannot place \(dest.path): \(String(cString: strerror(errno)))")
        }
    }

    func removeEmptyParents(of url: URL) {
        var dir = url.deletingLastPathComponent()
        while dir.path.count > root.path.count, rmdir(dir.path) == 0 { dir = dir.deletingLastPathComponent() }
    }
}
