import Foundation

/// What a path is, without following a symbolic link at its end: the one question asked before
/// vlog copies or links anything that a web server may later serve.
public enum FileKind: Equatable, Sendable {
    case regular, folder, symbolicLink, fifo, device, socket, missing

    public init(path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            self = .missing
            return
        }
        self = Self(mode: st.st_mode)
    }

    public init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .folder
        case S_IFLNK: self = .symbolicLink
        case S_IFIFO: self = .fifo
        case S_IFCHR, S_IFBLK: self = .device
        case S_IFSOCK: self = .socket
        default: self = .device
        }
    }

    /// In words, for messages ("a symbolic link").
    public var described: String {
        switch self {
        case .regular: return "a file"
        case .folder: return "a folder"
        case .symbolicLink: return "a symbolic link"
        case .fifo: return "a FIFO (named pipe)"
        case .device: return "a device"
        case .socket: return "a socket"
        case .missing: return "missing"
        }
    }

    /// True for a file that starts like an SQLite database ("SQLite format 3\0").
    public static func isSQLiteDatabase(_ path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        return (try? h.read(upToCount: 16)) == Data("SQLite format 3\0".utf8)
    }
}

extension FileIO {
    /// Copies the regular file at `src` to `dest` through a temporary name (so `dest` is whole or
    /// absent), as a new regular file with mode 0644 and the source's modification time. Never follows a symbolic link at `src`, and
    /// never opens a FIFO or a device (which could hang or never end): it is opened with
    /// O_NOFOLLOW | O_NONBLOCK and checked with fstat before a byte is read.
    public static func copyRegularFile(from src: URL, to dest: URL) throws {
        let fd = open(src.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ELOOP {
                throw VLogError.invalidInput("\(src.path) is a symbolic link; give the file it points to")
            }
            throw VLogError.io("cannot read \(src.path): \(posix(errno))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw VLogError.io("cannot read \(src.path): \(posix(errno))") }
        let kind = FileKind(mode: st.st_mode)
        guard kind == .regular else {
            throw VLogError.invalidInput("\(src.path) is \(kind.described), not a regular file; give a regular file")
        }
        let tmp = tempName(dest.path)
        let out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard out >= 0 else { throw VLogError.io("cannot write \(dest.path): \(posix(errno))") }
        var failure: String?
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        copying: while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = "cannot read \(src.path): \(posix(errno))"
                break
            }
            if n == 0 { break }
            var off = 0
            while off < n {
                let w = buffer.withUnsafeBytes { write(out, $0.baseAddress! + off, n - off) }
                if w <= 0 {
                    failure = "cannot write \(dest.path): \(posix(errno))"
                    break copying
                }
                off += w
            }
        }
        if failure == nil && fsync(out) != 0 { failure = "cannot write \(dest.path): \(posix(errno))" }
        fchmod(out, 0o644)
        var times = [st.st_atim, st.st_mtim]
        futimens(out, &times)
        close(out)
        if failure == nil && rename(tmp, dest.path) != 0 { failure = "cannot write \(dest.path): \(posix(errno))" }
        if let failure {
            unlink(tmp)
            throw VLogError.io(failure)
        }
    }
}
