import Foundation

/// A per-video lock file held (flock) by the worker transcoding it. The kernel releases it when
/// the worker dies, even by kill -9, so a free lock proves the previous owner on this host is gone.
/// The file records `host pid ffmpeg-pid worker-id`, so a retry can stop an ffmpeg left behind.
public final class WorkerLock: @unchecked Sendable {
    public let url: URL
    private var fd: Int32 = -1

    public struct Owner: Sendable, Equatable {
        public var host: String
        public var pid: Int32
        public var childPID: Int32
        public var workerID: String
        public init(host: String, pid: Int32, childPID: Int32, workerID: String) {
            self.host = host
            self.pid = pid
            self.childPID = childPID
            self.workerID = workerID
        }
    }

    public init(url: URL) { self.url = url }
    deinit { release() }

    public static var hostName: String { ProcessInfo.processInfo.hostName }

    /// Tries to take the lock without waiting; returns the previous owner recorded in the file.
    public func tryAcquire() throws -> (acquired: Bool, previous: Owner?) {
        let f = try openFile()
        let previous = Self.read(f)
        if flock(f, LOCK_EX | LOCK_NB) != 0 {
            close(f)
            return (false, previous)
        }
        fd = f
        return (true, previous)
    }

    /// Takes the lock, waiting for its holder to let go (a short critical section, not a worker).
    public func acquire() throws {
        let f = try openFile()
        while flock(f, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let reason = String(cString: strerror(errno))
                close(f)
                throw VLogError.io("cannot lock \(url.path): \(reason)")
            }
        }
        fd = f
    }

    /// The lock file, made (and its folder) when missing.
    private func openFile() throws -> Int32 {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let f = open(url.path, O_RDWR | O_CREAT, 0o644)
        guard f >= 0 else { throw VLogError.io("cannot open lock \(url.path): \(String(cString: strerror(errno)))") }
        return f
    }

    /// Records who holds the lock now (and its ffmpeg, once started).
    public func record(_ owner: Owner) {
        guard fd >= 0 else { return }
        let text = "\(owner.host) \(owner.pid) \(owner.childPID) \(owner.workerID)\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// Whether a process (here) holds the lock at `url` now.
    public static func isHeld(_ url: URL) -> Bool {
        let lock = WorkerLock(url: url)
        guard let free = try? lock.tryAcquire().acquired else { return false }
        if free { lock.release() }
        return !free
    }

    public func release() {
        if fd >= 0 {
            flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
    }

    static func read(_ fd: Int32) -> Owner? {
        var buf = [UInt8](repeating: 0, count: 512)
        let n = pread(fd, &buf, 511, 0)
        guard n > 0 else { return nil }
        let parts = String(decoding: buf[0..<n], as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard parts.count >= 4, let pid = Int32(parts[1]), let child = Int32(parts[2]) else { return nil }
        return Owner(host: String(parts[0]), pid: pid, childPID: child, workerID: String(parts[3]))
    }

    /// Stops an ffmpeg a dead worker left behind, if it is still running and writing into `workDir`.
    public static func killOrphan(_ owner: Owner?, workDir: URL) {
        guard let owner, owner.host == hostName, owner.childPID > 0 else { return }
        guard let cmd = Executable.commandLine(pid: owner.childPID) else { return }
        if cmd.contains(workDir.path) {
            kill(owner.childPID, SIGKILL)
            for _ in 0..<50 where kill(owner.childPID, 0) == 0 { usleep(20_000) }
        }
    }
}
