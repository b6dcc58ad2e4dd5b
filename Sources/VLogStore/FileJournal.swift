import Foundation
import VLogSupport

/// Changes to rows and files that must happen together (a slug change moves a video's folders, a
/// delete moves them to archive/, a purge removes them). SQLite commits rows atomically; files are
/// moved outside it. To keep the two in step through kill -9, a full disk or a lock timeout:
///
/// 1. the write lock is taken first (BEGIN IMMEDIATE), so a locked database fails before any file
///    is touched, and the rows are changed inside that transaction;
/// 2. a journal naming every move, and a query that is true once the rows are committed, is
///    written (fsync'd) to `STORAGE/.vlog-journal/` and held with an flock;
/// 3. the files are moved (never over an existing file: an occupied destination undoes the moves
///    made so far), then the transaction commits; a failed commit undoes the moves;
/// 4. folders a purge deletes are first renamed into `.vlog-trash/` and removed after the commit.
///
/// A journal whose flock is free belongs to a process that died: the next command asks the
/// database whether the change committed and finishes the moves, or undoes them.
public struct FileJournal: Sendable {
    public let storage: URL
    public init(storage: URL) { self.storage = storage }

    var dir: URL { storage.appendingPathComponent(".vlog-journal") }
    public var trashDir: URL { storage.appendingPathComponent(".vlog-trash") }

    struct Entry: Codable {
        var moves: [[String]]
        var trash: [String]
        var committedSQL: String
        var committedParams: [String]
    }

    /// A move of `from` to `to`.
    public struct Move: Sendable {
        public var from: URL
        public var to: URL
        public init(_ from: URL, _ to: URL) {
            self.from = from
            self.to = to
        }
    }

    /// What a change does to files, decided inside its transaction.
    public struct Plan<T> {
        public var result: T
        public var moves: [Move]
        /// Move destinations (under `trashDir`) deleted once the change is committed.
        public var trash: [URL]
        /// A query that returns a row once the change is committed.
        public var committed: (sql: String, params: [String])
        public init(_ result: T, moves: [Move], trash: [URL] = [], committed: (sql: String, params: [String])) {
            self.result = result
            self.moves = moves
            self.trash = trash
            self.committed = committed
        }
    }

    /// Runs `change` (the rows, in a transaction it must not commit itself) and the moves it plans
    /// as one: both happen or neither. It must be the outermost transaction, so that its commit is
    /// the real one.
    public func perform<T>(db: SQLiteConnection, change: () throws -> Plan<T>) throws -> T {
        guard !db.inTransaction else {
            throw VLogError.io("internal error: a file change was started inside another transaction")
        }
        var done: [Move] = []
        var trash: [URL] = []
        var journal: (url: URL, fd: Int32)?
        defer { if let journal { close(journal.fd) } }
        do {
            let result = try db.transaction { () throws -> T in
                let plan = try change()
                trash = plan.trash
                for m in plan.moves where FileIO.exists(m.to) {
                    throw VLogError.conflict(
                        "\(m.to.path) already exists and no video owns it; move it away and try again")
                }
                if !plan.moves.isEmpty {
                    let entry = Entry(
                        moves: plan.moves.map { [$0.from.path, $0.to.path] }, trash: plan.trash.map(\.path),
                        committedSQL: plan.committed.sql, committedParams: plan.committed.params)
                    journal = try write(entry)
                }
                for m in plan.moves {
                    try FileIO.move(m.from, to: m.to)
                    done.append(m)
                }
                return plan.result
            }
            for t in trash { try? FileManager.default.removeItem(at: t) }
            if let journal { unlink(journal.url.path) }
            return result
        } catch {
            // Not committed: put every file back where it was.
            var undone = true
            for m in done.reversed() where (try? FileIO.move(m.to, to: m.from)) == nil { undone = false }
            if undone, let journal { unlink(journal.url.path) }
            throw error
        }
    }

    /// Writes the journal under a temporary name, locks it and renames it into place, so a
    /// recovering process never sees a journal that is not complete and held.
    private func write(_ entry: Entry) throws -> (URL, Int32) {
        try FileIO.makeParents(of: dir.appendingPathComponent("x").path)
        let name = "\(getpid())-\(UUID().uuidString).journal"
        let url = dir.appendingPathComponent(name)
        let tmp = dir.appendingPathComponent(".\(name).tmp")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw VLogError.io("cannot write \(tmp.path): \(FileIO.posix(errno))") }
        flock(fd, LOCK_EX)
        let data = try JSONEncoder().encode(entry)
        let ok = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) == $0.count } && fsync(fd) == 0
        let err = errno
        guard ok, rename(tmp.path, url.path) == 0 else {
            close(fd)
            unlink(tmp.path)
            throw VLogError.io("cannot write \(url.path): \(FileIO.posix(ok ? errno : err)); nothing was changed")
        }
        return (url, fd)
    }

    /// Finishes or undoes the changes of processes that died mid-way. Returns how many it settled.
    @discardableResult
    public func recover(db: SQLiteConnection) throws -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return 0 }
        var settled = 0
        for name in names.sorted() {
            let url = dir.appendingPathComponent(name)
            if name.hasPrefix("."), name.hasSuffix(".tmp") {
                // A journal never completed: nothing was moved under it.
                let fd = open(url.path, O_RDONLY | O_CLOEXEC)
                if fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 { unlink(url.path) }
                if fd >= 0 { close(fd) }
                continue
            }
            guard name.hasSuffix(".journal") else { continue }
            let fd = open(url.path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }  // its process is still at work
            guard FileIO.exists(url) else { continue }  // settled by another process meanwhile
            guard let data = FileManager.default.contents(atPath: url.path),
                let entry = try? JSONDecoder().decode(Entry.self, from: data)
            else {
                throw VLogError.io("cannot read the change journal \(url.path); look at it, then remove it")
            }
            let isCommitted = try db.queryOne(entry.committedSQL, entry.committedParams) != nil
            let fm = FileManager.default
            if isCommitted {
                for m in entry.moves where fm.fileExists(atPath: m[0]) && !fm.fileExists(atPath: m[1]) {
                    try FileIO.move(URL(fileURLWithPath: m[0]), to: URL(fileURLWithPath: m[1]))
                }
                for t in entry.trash { try? fm.removeItem(atPath: t) }
            } else {
                for m in entry.moves.reversed() where fm.fileExists(atPath: m[1]) && !fm.fileExists(atPath: m[0]) {
                    try FileIO.move(URL(fileURLWithPath: m[1]), to: URL(fileURLWithPath: m[0]))
                }
            }
            unlink(url.path)
            settled += 1
        }
        return settled
    }

    /// Removes temporary files (`.add-PID-…`) left in `folder` by processes that are gone.
    public static func sweepTemporaryFiles(in folder: URL, prefix: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]) else { continue }
            if pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            }
        }
    }
}
