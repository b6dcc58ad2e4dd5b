import Foundation

/// File operations that never leave a half-written file where a reader (or a web server) looks.
public enum FileIO {
    /// Writes `data` to a temporary file beside `url` and renames it into place, so readers see
    /// the old file or the new one, never half of one. `durable` also flushes it to disk first
    /// (for state that must survive power loss; build output can simply be rebuilt).
    public static func writeAtomically(_ data: Data, to url: URL, durable: Bool = true) throws {
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString.prefix(8))")
        var fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 && errno == ENOENT {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        guard fd >= 0 else { throw VLogError.io("cannot write \(url.path): \(String(cString: strerror(errno)))") }
        var ok = true
        data.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(fd, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { ok = false; break }
                off += n
            }
        }
        if ok && durable { ok = fsync(fd) == 0 }
        close(fd)
        guard ok, rename(tmp.path, url.path) == 0 else {
            let msg = String(cString: strerror(errno))
            unlink(tmp.path)
            throw VLogError.io("cannot write \(url.path): \(msg)")
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
