import Foundation
import VLogConfig
import VLogStore
import VLogSupport

/// What an ingest did.
public struct IngestSummary: Sendable {
    public var files: [String] = []
    public var format = ""
    public var linesRead = 0
    public var alreadyIngested = 0
    public var segmentRequests = 0
    /// Player beacons read (what the player reported it played).
    public var beacons = 0
    public var sessionsNew = 0
    public var sessionsExtended = 0
    public var sessionsWritten = 0
    public var skipped: [String: Int] = [:]
}

/// `vlog ingest`: access logs -> playback_sessions and viewers. Streams its input (memory does not
/// grow with the log), remembers per file where it stopped, and checkpoints in transactions so a
/// killed run, run again, ends with the same rows.
public struct Ingester {
    public let site: Site
    public var format: LogFormat?
    public var checkpointLines = 500_000
    public var progress: (@Sendable (_ fraction: Double, _ lines: Int) -> Void)?

    public init(site: Site, format: LogFormat? = nil) {
        self.site = site
        self.format = format
        checkpointLines = site.config.ingestCheckpointLines
    }

    public func run(inputs: [String]) throws -> IngestSummary {
        let lock = WorkerLock(url: site.root.appendingPathComponent(".vlog-ingest.lock"))
        guard try lock.tryAcquire().acquired else {
            throw VLogError.conflict("another `vlog ingest` is running on this site; run again when it has finished")
        }
        defer { lock.release() }
        var paths = try expand(inputs)
        let db = try site.openDatabase()
        // The rollups are brought up to date first (days marked by a purge, a restored backup),
        // so the store can move its sessions' shares in them itself (`RollupDelta`), without
        // the triggers marking their days for summing again.
        try Rollups.refresh(db)
        db.setTriggersEnabled(false)
        // Standard input is spooled to a file first, so it is recognised by its first lines like
        // any log: replaying an ingested log through a pipe adds nothing.
        FileJournal.sweepTemporaryFiles(in: site.root, prefix: ".vlog-stdin-")
        var spool: URL?
        defer { if let spool { unlink(spool.path) } }
        if let i = paths.firstIndex(of: "-") {
            let url = site.root.appendingPathComponent(".vlog-stdin-\(getpid())-\(UUID().uuidString.prefix(8)).log")
            try Self.spoolStandardInput(to: url)
            spool = url
            paths[i] = url.path
        }
        var store = IngestStore(db: db, completionThreshold: site.config.completionThreshold)
        try store.loadPriors()
        let secret = try salt()
        // A classifier per worker thread (one per core but the main thread's, at most four) and one
        // for the main thread, which takes pieces of a batch when it is not feeding the sessions.
        let workers = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount - 1))
        let classifiers = try (0...workers).map { _ in
            LineClassifier(
                resolver: try SegmentResolver(site: site, db: db),
                viewers: ViewerKeys(secret: secret, useCookie: site.config.viewerIdentity == "cookie"),
                midnightWindow: Double(site.config.sessionTimeoutMinutes * 60))
        }
        let sessions = Sessionizer(
            timeout: Double(site.config.sessionTimeoutMinutes * 60),
            completionThreshold: site.config.completionThreshold,
            durations: classifiers[0].resolver.durations, carried: try store.loadOpenSessions())
        sessions.priors = store.priors
        let run = IngestRun(
            store: store, sessions: sessions, classifiers: classifiers, checkpointLines: checkpointLines,
            progress: progress)
        run.summary.files = paths.map { $0 == spool?.path ? "-" : $0 }
        let configured = try format ?? LogFormat.named(site.config.logFormat)

        // The first 64 kB of each file, read once: for ordering, identity and format detection.
        let heads = Dictionary(paths.map { ($0, LineReader.head(path: $0, bytes: 65536)) }) { a, _ in a }
        for path in orderedByFirstTime(paths, heads: heads) {
            let head = heads[path].flatMap { $0 }
            // Identity: the complete lines of the first 2 kB (stable while a live log grows).
            let identity = head.flatMap { LineReader.completeLines($0[...], limit: 2048) }.map { SHA256.hex($0) }
            let done = try identity.map { try run.store.fileOffset(identity: $0) } ?? 0
            guard let fmt = configured ?? detect(head, stdin: path == spool?.path) else {
                run.summary.skipped["unrecognised log format (pass --format)", default: 0] += 1
                continue
            }
            run.summary.format = fmt.name
            var file = FileIngest(
                run: run, path: path, reader: try LineReader(path: path), identity: identity, done: done, format: fmt)
            try file.ingest()
        }
        var summary = run.summary
        summary.sessionsNew = sessions.newSessions
        summary.sessionsExtended = sessions.extendedSessions.count
        summary.sessionsWritten = run.closedWritten + sessions.openCount
        return summary
    }

    /// Files, globs and `-` (stdin), in the order given; missing ones are an error.
    func expand(_ inputs: [String]) throws -> [String] {
        guard !inputs.isEmpty else {
            throw VLogError.invalidInput(
                "no log files given; e.g. `vlog ingest /var/log/nginx/access.log*` (or - for stdin)")
        }
        var out: [String] = []
        for i in inputs {
            if i == "-" {
                out.append(i)
                continue
            }
            if i.contains("*") || i.contains("?") || i.contains("[") {
                var g = glob_t()
                defer { globfree(&g) }
                if glob(i, 0, nil, &g) == 0 {
                    for k in 0..<Int(g.gl_pathc) { if let p = g.gl_pathv[k] { out.append(String(cString: p)) } }
                    continue
                }
                throw VLogError.notFound("no log files match \(i)")
            }
            guard FileManager.default.isReadableFile(atPath: i) else {
                throw VLogError.notFound("cannot read log \(i); check the path")
            }
            if FileIO.isDirectory(URL(fileURLWithPath: i)) {
                throw VLogError.invalidInput(
                    "\(i) is a directory, not a log file; give the files, e.g. \(i)/access.log*")
            }
            out.append(i)
        }
        return out
    }

    /// Copies standard input to `url` (plain or gzip, as it comes), in 1 MB pieces.
    static func spoolStandardInput(to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw VLogError.io("cannot write \(url.path): \(FileIO.posix(errno))") }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = read(0, &buf, buf.count)
            if n == 0 { return }
            if n < 0 {
                if errno == EINTR { continue }
                throw VLogError.io("cannot read standard input: \(FileIO.posix(errno))")
            }
            var off = 0
            while off < n {
                let w = buf.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, n - off) }
                guard w > 0 else {
                    unlink(url.path)
                    throw VLogError.io("cannot spool standard input to \(url.path): \(FileIO.posix(errno))")
                }
                off += w
            }
        }
    }

    /// Oldest log first (rotated files hold older lines), so sessions grow in time order.
    func orderedByFirstTime(_ paths: [String], heads: [String: [UInt8]?]) -> [String] {
        func first(_ p: String) -> Double {
            guard let head = heads[p].flatMap({ $0 }) else { return .infinity }
            let fmts = [LogFormat.combinedCookie, .combined, .common]
            return head.withUnsafeBufferPointer { b -> Double in
                guard let nl = b.firstIndex(of: 10) else { return .infinity }
                let line = UnsafeBufferPointer(rebasing: b[0..<nl])
                for f in fmts { if let p = f.parse(line), let t = LogTime.parseLocal(line, p.time) { return t } }
                for r in [RecordFormat.caddy, .cloudflare, .cloudfrontJSON, .bunny] {
                    if let l = r.parse(line) { return l.time }
                }
                return .infinity
            }
        }
        return paths.map { ($0, first($0)) }.sorted { a, b in a.1 == b.1 ? false : a.1 < b.1 }.map(\.0)
    }

    /// Picks the format from the first lines: a W3C `#Fields:` header (CloudFront, IIS), Caddy
    /// JSON, Cloudflare Logpush JSON, Bunny CDN, combined + cookie, combined, or common.
    func detect(_ head: [UInt8]?, stdin: Bool) -> LogFormat? {
        guard let head else { return stdin ? LogFormat.combinedCookie : nil }
        if let w3c = RecordFormat.w3c(head: head) { return .records(w3c) }
        if let gcs = RecordFormat.gcs(head: head) { return .records(gcs) }
        let lines = head.split(separator: 10).prefix(50).map { Array($0) }.filter { $0.first != UInt8(ascii: "#") }
        for f in [LogFormat.caddy, .cloudflare, .cloudfrontJSON, .bunny, .combinedCookie, .combined, .common, .s3] {
            let hits = lines.filter { l in
                l.withUnsafeBufferPointer { b in f.record.map { $0.parse(b) != nil } ?? (f.parse(b) != nil) }
            }.count
            if hits > 0 && hits * 2 >= lines.count { return f }
        }
        return nil
    }

    /// A per-site secret the daily viewer salt is derived from (never stored with the data).
    func salt() throws -> [UInt8] {
        let url = site.root.appendingPathComponent(".vlog-salt")
        if let d = FileManager.default.contents(atPath: url.path), d.count >= 32 { return Array(d) }
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 { bytes[i] = UInt8.random(in: 0...255) }
        try FileIO.writeAtomically(Data(bytes), to: url)
        chmod(url.path, 0o600)
        return bytes
    }
}

/// What one ingest run shares across its files: the sessions being built, the store they are
/// checkpointed into, and what was counted and committed.
final class IngestRun {
    var store: IngestStore
    let sessions: Sessionizer
    let classifiers: [LineClassifier]
    /// Two batches: one is classified on the worker threads while the main thread feeds the
    /// previous one to the sessionizer and reads the next lines, then helps finish it.
    let pool = [LineBatch(), LineBatch()]
    let checkpointLines: Int
    let progress: (@Sendable (_ fraction: Double, _ lines: Int) -> Void)?
    var summary = IngestSummary()
    var closedWritten = 0
    /// Lines of this run already committed by a checkpoint.
    var committedLines = 0
    /// The latest time seen in any line, for closing idle sessions.
    var maxTime = 0.0

    init(
        store: IngestStore, sessions: Sessionizer, classifiers: [LineClassifier], checkpointLines: Int,
        progress: (@Sendable (_ fraction: Double, _ lines: Int) -> Void)?
    ) {
        self.store = store
        self.sessions = sessions
        self.classifiers = classifiers
        self.checkpointLines = checkpointLines
        self.progress = progress
    }
}

/// One log file read into a run: chunks of lines are classified on the worker threads and the
/// main thread (one batch in flight) and fed to the sessions in log order, with a checkpoint every
/// `checkpointLines` lines and at the end.
struct FileIngest {
    let run: IngestRun
    let path: String
    let reader: LineReader
    /// The file's identity (a hash of its first complete lines), when it has one.
    let identity: String?
    /// Bytes of it ingested by earlier runs.
    let done: Int64
    let format: LogFormat
    /// Where the lines fed so far end, and how many there were.
    var fedOffset: Int64 = 0
    var fedLines = 0
    var sinceCheckpoint = 0
    /// The pool's batch to fill next.
    var filling = 0
    var inFlight: (batch: LineBatch, job: ClassifyJob)?

    mutating func ingest() throws {
        try reader.forEachChunk { item in
            switch item {
            case .incomplete:
                run.summary.skipped["last line still being written (read next time)", default: 0] += 1
            case .tooLong:
                run.summary.linesRead += 1
                run.summary.skipped["line too long", default: 0] += 1
            case .lines(let chunk, let start):
                if start + Int64(chunk.count) <= done {
                    run.summary.alreadyIngested += chunk.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
                } else {
                    try submit(chunk, start: start)
                }
            }
        }
        try drain()
        fedOffset = reader.offset
        if run.maxTime > 0 { run.sessions.sweep(now: run.maxTime) }
        try checkpoint()
    }

    mutating func checkpoint() throws {
        let record = identity.map { [(identity: $0, path: path, head: $0, offset: fedOffset, lines: fedLines)] } ?? []
        do {
            run.closedWritten += try run.store.checkpoint(
                closed: run.sessions.takeClosed(), open: run.sessions.open, files: record)
        } catch {
            // Earlier checkpoints of this run did commit: say what is kept, never "nothing changed".
            guard run.committedLines > 0 else { throw error }
            throw VLogError.io(
                """
                \("\(error)".replacingOccurrences(of: " (nothing was changed)", with: "")); \
                the \(run.committedLines) log lines ingested before this are kept: run `vlog ingest` again and it goes on from there
                """)
        }
        run.committedLines += sinceCheckpoint
        run.sessions.priors = run.store.priors
        sinceCheckpoint = 0
    }

    /// Feeds a classified batch to the sessions, in log order; checkpoints at its end.
    mutating func feed(_ b: LineBatch, _ parts: [[Outcome]]) throws {
        let sessions = run.sessions
        var read = 0
        var already = 0
        var beacons = 0
        var hits = 0
        var maxTime = run.maxTime
        for outcomes in parts {
            for outcome in outcomes {
                switch outcome {
                case .already: already += 1
                case .skip(let reason):
                    read += 1
                    run.summary.skipped[reason, default: 0] += 1
                case .beacon(let b):
                    read += 1
                    beacons += 1
                    maxTime = max(maxTime, b.time)
                    sessions.add(b)
                case .hit(let h):
                    read += 1
                    hits += 1
                    maxTime = max(maxTime, h.time)
                    sessions.add(h)
                }
            }
        }
        run.summary.linesRead += read
        run.summary.alreadyIngested += already
        run.summary.beacons += beacons
        run.summary.segmentRequests += hits
        run.maxTime = maxTime
        fedOffset = b.endOffset
        fedLines += b.lineCount
        sinceCheckpoint += b.lineCount
        if sinceCheckpoint >= run.checkpointLines {
            try checkpoint()
            run.progress?(Double(reader.rawPosition) / Double(max(1, reader.compressedSize)), run.summary.linesRead)
        }
    }

    mutating func drain() throws {
        guard let p = inFlight else { return }
        inFlight = nil
        try feed(p.batch, p.job.finish())
    }

    /// Starts classifying a chunk, then feeds the one before it. The one before is finished
    /// first (the main thread takes its last pieces): a thread's classifier classifies one batch
    /// at a time.
    mutating func submit(_ chunk: UnsafeBufferPointer<UInt8>, start: Int64) throws {
        let previous = inFlight.map { ($0.batch, $0.job.finish()) }
        let b = run.pool[filling]
        b.fill(chunk, startOffset: start, done: done)
        inFlight = (b, ClassifyJob(batch: b, format: format, classifiers: run.classifiers))
        filling = 1 - filling
        if let previous { try feed(previous.0, previous.1) }
    }
}
