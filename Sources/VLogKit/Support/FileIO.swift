import Foundation

/// File operations that never leave a half-written file where a reader (or a web server) looks.
public enum FileIO {
    /// Writes `data` to a temporary file beside `url` and renames it into place, so readers see
    /// the old file or the new one, never half of one. `durable` also flushes it to disk first
    /// (for state that must survive power loss; build output can simply be rebuilt).
    public static func writeAtomically(_ data: Data, to url: URL, durable: Bool = true) throws {
        try writeAtomically(data, toPath: url.path, durable: durable)
    }

    /// The same on a plain path (the site build writes tens of thousands of files this way).
    public static func writeAtomically(_ data: Data, toPath path: String, durable: Bool = true) throws {
        let tmp = tempName(path)
        var fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 && errno == ENOENT {
            try makeParents(of: path)
            fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        guard fd >= 0 else { throw VLogError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
        var ok = data.withUnsafeBytes { raw -> Bool in
            var off = 0
            while off < raw.count {
                let n = write(fd, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { return false }
                off += n
            }
            return true
        }
        if ok && durable { ok = fsync(fd) == 0 }
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            let msg = String(cString: strerror(errno))
            unlink(tmp)
            throw VLogError.io("cannot write \(path): \(msg)")
        }
    }

    /// A hidden temporary name beside `path`, unique to this process and call.
    public static func tempName(_ path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent, name = (path as NSString).lastPathComponent
        return "\(dir)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Makes the folders above `path`.
    public static func makeParents(of path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw VLogError.io("cannot create \(dir): \(error.localizedDescription)")
        }
    }

    /// Copies a file to `dest` through a temporary name, so `dest` is whole or absent.
    public static func copyAtomically(from src: URL, to dest: URL) throws {
        let tmp = dest.deletingLastPathComponent().appendingPathComponent(".\(dest.lastPathComponent).tmp-\(UUID().uuidString.prefix(8))")
        do {
            try FileManager.default.copyItem(at: src, to: tmp)
            try moveReplacing(tmp, to: dest)
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw VLogError.io("cannot copy \(src.path) to \(dest.path): \(error.localizedDescription)")
        }
    }

    /// Renames `src` to `dest` (atomic on one file system), replacing `dest` if it exists.
    public static func moveReplacing(_ src: URL, to dest: URL) throws {
        if rename(src.path, dest.path) != 0 {
            throw VLogError.io("cannot move \(src.path) to \(dest.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Moves a file or folder, across file systems if needed (copy, then remove the source).
    public static func move(_ src: URL, to dest: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: dest.deletingLastPathComponent(), withIntermediateDirectories: true)
        if rename(src.path, dest.path) == 0 { return }
        if errno == EXDEV {
            let tmp = dest.deletingLastPathComponent().appendingPathComponent(".\(dest.lastPathComponent).tmp-\(UUID().uuidString.prefix(8))")
            do {
                try fm.copyItem(at: src, to: tmp)
                try moveReplacing(tmp, to: dest)
                try fm.removeItem(at: src)
                return
            } catch {
                try? fm.removeItem(at: tmp)
                throw VLogError.io("cannot move \(src.path) to \(dest.path): \(error.localizedDescription)")
            }
        }
        throw VLogError.io("cannot move \(src.path) to \(dest.path): \(String(cString: strerror(errno)))")
    }

    public static func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    public static func isDirectory(_ url: URL) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &d) && d.boolValue
    }
}
