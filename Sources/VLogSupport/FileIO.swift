import CShims
import Foundation
import Synchronization

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
        try data.withUnsafeBytes { try writeAtomically($0, toPath: path, durable: durable) }
    }

    public static func writeAtomically(_ bytes: UnsafeRawBufferPointer, toPath path: String, durable: Bool = true)
        throws
    {
        let tmp = tempName(path)
        var fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 && errno == ENOENT {
            try makeParents(of: path)
            fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        }
        guard fd >= 0 else { throw VLogError.io("cannot write \(path): \(posix(errno))") }
        var ok = true
        var off = 0
        while ok && off < bytes.count {
            let n = write(fd, bytes.baseAddress! + off, bytes.count - off)
            if n <= 0 { ok = false } else { off += n }
        }
        if ok && durable { ok = fsync(fd) == 0 }
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            let msg = posix(errno)
            unlink(tmp)
            throw VLogError.io("cannot write \(path): \(msg)")
        }
    }

    private static let pid = getpid()
    private static let counter = Atomic<Int>(0)

    /// A hidden temporary name beside `path`, unique to this process and call.
    public static func tempName(_ path: String) -> String {
        let n = counter.wrappingAdd(1, ordering: .relaxed).newValue
        guard let slash = path.lastIndex(of: "/") else { return ".\(path).tmp-\(pid)-\(n)" }
        return "\(path[..<slash])/.\(path[path.index(after: slash)...]).tmp-\(pid)-\(n)"
    }

    /// Makes the folders above `path` (mkdir from the deepest missing one down).
    public static func makeParents(of path: String) throws {
        guard let slash = path.lastIndex(of: "/"), slash > path.startIndex else { return }
        let dir = String(path[..<slash])
        if mkdir(dir, 0o755) == 0 || errno == EEXIST { return }
        guard errno == ENOENT else { throw VLogError.io("cannot create \(dir): \(String(cString: strerror(errno)))") }
        try makeParents(of: dir)
        if mkdir(dir, 0o755) != 0 && errno != EEXIST {
            throw VLogError.io("cannot create \(dir): \(String(cString: strerror(errno)))")
        }
    }

    /// Renames `src` to `dest` (atomic on one file system), replacing `dest` if it exists.
    public static func moveReplacing(_ src: URL, to dest: URL) throws {
        if rename(src.path, dest.path) != 0 {
            throw VLogError.io("cannot move \(src.path) to \(dest.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Puts the folder `staged` at `dest` in one step where the file system can swap two paths
    /// (`dest`'s old content is then at `staged`, for the caller to delete); elsewhere, or when
    /// `dest` is absent, the old one is moved to `aside` first (a moment without `dest`).
    public static func swapIn(_ staged: URL, at dest: URL, aside: URL) throws {
        if exists(dest), vlog_exchange(staged.path, dest.path) == 0 { return }
        try? FileManager.default.removeItem(at: aside)
        if exists(dest) { try moveReplacing(dest, to: aside) }
        try moveReplacing(staged, to: dest)
    }

    /// Moves a file or folder, across file systems if needed (copy, then remove the source).
    /// Never replaces anything at `dest`: an occupied destination is a conflict.
    public static func move(_ src: URL, to dest: URL) throws {
        let fm = FileManager.default
        try makeParents(of: dest.path)
        if vlog_rename_noreplace(src.path, dest.path) == 0 { return }
        if errno == EEXIST || errno == ENOTEMPTY {
            throw VLogError.conflict("cannot move \(src.path): \(dest.path) already exists; move it away and try again")
        }
        if errno == ENOSYS || errno == EINVAL {  // a file system without RENAME_NOREPLACE
            guard !exists(dest) else {
                throw VLogError.conflict(
                    "cannot move \(src.path): \(dest.path) already exists; move it away and try again")
            }
            if rename(src.path, dest.path) == 0 { return }
        }
        if errno == EXDEV {
            let tmp = dest.deletingLastPathComponent().appendingPathComponent(
                ".\(dest.lastPathComponent).tmp-\(getpid())-\(UUID().uuidString.prefix(8))")
            do {
                try fm.copyItem(at: src, to: tmp)
                try moveReplacing(tmp, to: dest)
                try fm.removeItem(at: src)
                return
            } catch {
                try? fm.removeItem(at: tmp)
                throw VLogError.io("cannot move \(src.path) to \(dest.path): \(reason(error))")
            }
        }
        throw VLogError.io("cannot move \(src.path) to \(dest.path): \(posix(errno))")
    }

    /// The reason behind a file-system error in plain words (never Foundation's domain and code).
    public static func reason(_ error: Error) -> String {
        if let v = error as? VLogError { return v.description }
        let ns = error as NSError
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain {
            return posix(Int32(u.code))
        }
        if ns.domain == NSPOSIXErrorDomain { return posix(Int32(ns.code)) }
        switch ns.code {
        case NSFileWriteFileExistsError: return "it already exists"
        case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file or folder"
        case NSFileWriteOutOfSpaceError: return posix(ENOSPC)
        case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return "permission denied"
        case NSFileWriteVolumeReadOnlyError: return "the disk is read-only"
        case NSFileWriteUnknownError: return "a part of the path is not a folder, or cannot hold one"
        default: return ns.localizedDescription
        }
    }

    /// strerror, with a full disk said plainly.
    public static func posix(_ code: Int32) -> String {
        code == ENOSPC ? "disk full (no space left on device)" : String(cString: strerror(code))
    }

    public static func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    public static func isDirectory(_ url: URL) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &d) && d.boolValue
    }

    /// A file's size in bytes; nil when it is missing.
    public static func size(_ url: URL) -> Int? {
        var st = stat()
        return stat(url.path, &st) == 0 ? Int(st.st_size) : nil
    }
}
