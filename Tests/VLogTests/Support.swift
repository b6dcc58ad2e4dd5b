import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogStore
@testable import VLogSupport

/// A temporary folder removed when the value goes away.
final class TempDir: @unchecked Sendable {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("vlog-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Result of running a command-line program.
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program and waits for it.
@discardableResult
func runProcess(
    _ exe: String, _ args: [String], cwd: URL? = nil, env: [String: String] = [:], stdin: URL? = nil
) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    if let cwd { p.currentDirectoryURL = cwd }
    var environment = ProcessInfo.processInfo.environment
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    let o = Pipe()
    let e = Pipe()
    p.standardOutput = o
    p.standardError = e
    p.standardInput = try stdin.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
    try p.run()
    // Read both pipes concurrently so a chatty process cannot block on a full pipe.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData = e.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = o.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return ProcessResult(
        status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}

/// The `vlog` binary built next to this test bundle.
let vlogBinary: String = {
    let exe = URL(
        fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0])
    var dir = exe.deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("vlog").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return exe.deletingLastPathComponent().appendingPathComponent("vlog").path
}()

/// Runs `vlog` with `args`.
@discardableResult
func vlog(_ args: [String], cwd: URL? = nil, env: [String: String] = [:]) throws -> ProcessResult {
    try runProcess(vlogBinary, args, cwd: cwd, env: env)
}

/// A new site in a temporary folder.
struct TestSite {
    let tmp = TempDir()
    let site: Site
    let store: Store
    var root: URL { site.root }

    init(title: String = "Test Site", configure: ((inout String) -> Void)? = nil) throws {
        let dir = tmp.path("site")
        _ = try Site.create(at: dir, title: title, baseURL: "https://videos.example.org")
        if let configure {
            let cfg = URL(fileURLWithPath: dir).appendingPathComponent("vlog.toml")
            var text = try String(contentsOf: cfg, encoding: .utf8)
            configure(&text)
            try text.write(to: cfg, atomically: true, encoding: .utf8)
        }
        site = try Site.load(dir, environment: [:])
        store = Store(try site.openDatabase())
    }

    /// A small file standing in for a video (commands that do not transcode never read it).
    func dummyFile(_ name: String = "clip.mp4", bytes: Int = 1024) -> URL {
        let u = tmp.url.appendingPathComponent(name)
        FileManager.default.createFile(atPath: u.path, contents: Data(repeating: 7, count: bytes))
        return u
    }

    func files(in dir: URL) -> [String] {
        let e = FileManager.default.enumerator(atPath: dir.path)
        var out: [String] = []
        while let f = e?.nextObject() as? String { out.append(f) }
        return out.sorted()
    }
}

/// Runs `vlog` with standard input read from `stdin`.
func vlog(_ args: [String], stdin: URL, env: [String: String] = [:]) throws -> ProcessResult {
    try runProcess(vlogBinary, args, env: env, stdin: stdin)
}

/// Starts `vlog` in the background (for kill -9 tests); output is discarded.
func spawnVlog(_ args: [String], env: [String: String] = [:]) throws -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: vlogBinary)
    p.arguments = args
    var environment = ProcessInfo.processInfo.environment
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    p.standardInput = FileHandle.nullDevice
    try p.run()
    return p
}

/// Kills `p` with SIGKILL after `ms` milliseconds (if still running) and waits for it.
func killAfter(_ p: Process, ms: Int) {
    usleep(UInt32(ms * 1000))
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
}

/// A small tmpfs for full-disk and read-only cases, unmounted when the value goes away. nil when
/// this machine cannot mount (not root, or no mount namespace): the caller says so and stops.
final class SmallDisk: @unchecked Sendable {
    let url: URL
    init?(sizeKB: Int) {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("vlog-disk-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        guard (try? runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=\(sizeKB)k", "tmpfs", url.path]))?.status == 0
        else {
            try? FileManager.default.removeItem(at: url)
            return nil
        }
    }
    /// Fills the disk up: one file takes every free byte.
    func fill() {
        _ = try? runProcess("/bin/dd", ["if=/dev/zero", "of=\(url.path)/filler", "bs=4k"])
    }
    func free() { unlink(url.path + "/filler") }
    func remount(readOnly: Bool) throws {
        let r = try runProcess("/bin/mount", ["-o", "remount,\(readOnly ? "ro" : "rw")", url.path])
        guard r.status == 0 else { throw VLogError.io("remount failed: \(r.stderr)") }
    }
    deinit {
        _ = try? runProcess("/bin/umount", ["-l", url.path])
        try? FileManager.default.removeItem(at: url)
    }
}

/// The files of a folder (recursively), relative paths, sorted.
func tree(_ dir: URL) -> [String] {
    ((FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String]) ?? []).sorted()
}

/// A port (and the `count - 1` after it) free on 127.0.0.1 now, never handed out before in this
/// test run, and below the kernel's ephemeral range (32768-60999 on Debian), where the outgoing
/// connections of tests running in parallel could take it before the server binds it.
func freePort(count: Int = 1) -> Int {
    portLock.lock()
    defer { portLock.unlock() }
    while true {
        let p = Int.random(in: 20000...(32000 - count))
        let range = p..<(p + count)
        if range.allSatisfy({ !portsGiven.contains($0) && bindable($0) }) {
            portsGiven.formUnion(range)
            return p
        }
    }
}

private let portLock = NSLock()
nonisolated(unsafe) private var portsGiven = Set<Int>()

private func bindable(_ port: Int) -> Bool { onLoopback(port, bind) }

/// Whether `call` (connect or bind) succeeds for a new TCP socket and 127.0.0.1:`port`.
func onLoopback(_ port: Int, _ call: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

/// Starts `p` as the leader of a process group of its own: Foundation's `Process` starts every
/// child in a new process group (its pgid is its pid), which every process it starts inherits, so a
/// test can end all of them, and nothing else.
func runInOwnGroup(_ p: Process) throws {
    try p.run()
    let pid = p.processIdentifier
    if getpgid(pid) != pid { setpgid(pid, pid) }
}

/// Ends the process group `p` leads (see `runInOwnGroup`), then reaps `p`.
func killGroup(_ p: Process) {
    let pid = p.processIdentifier
    if pid > 0 && getpgid(pid) == pid { kill(-pid, SIGKILL) } else if pid > 0 { kill(pid, SIGKILL) }
    p.waitUntilExit()
}

/// A refused command: a non-zero exit and one `error:` line, with no Foundation internals in it.
func expectOneLineError(_ r: ProcessResult, _ context: String) {
    #expect(r.status != 0, "\(context) must fail")
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.count == 1 && r.stderr.hasPrefix("error: "), "\(context): \(r.stderr)")
    for leak in ["NSCocoaErrorDomain", "Code=", "error 512", "Usage:", "Error Domain"] {
        #expect(!r.stderr.contains(leak), "\(context) leaks `\(leak)`: \(r.stderr)")
    }
}

/// Test tiers. `make check` skips what needs ffmpeg, a browser, a web server or a cluster
/// engine (the fast tier, under a minute); `make test` runs everything.
extension Tag {
    /// Encodes or probes real video with ffmpeg.
    @Tag static var ffmpeg: Self
    /// Drives headless Chromium or Firefox.
    @Tag static var browser: Self
    /// Starts nginx, Caddy or `vlog serve` and talks to it over loopback.
    @Tag static var server: Self
    /// Runs GNU parallel, Slurm or an SSH server.
    @Tag static var cluster: Self
}

/// `VLOG_TESTS=fast` (what `make check` sets) runs the fast tier only: suites and tests that need
/// ffmpeg, a browser, a server or a cluster (the tags above) are skipped, and say so. (This
/// toolchain's `swift test` cannot filter by tag yet.)
enum TestTier {
    static let fast = ProcessInfo.processInfo.environment["VLOG_TESTS"] == "fast"
}

extension Trait where Self == ConditionTrait {
    static var fullTierOnly: Self {
        .enabled(if: !TestTier.fast, "needs ffmpeg, a browser, a server or a cluster: `make test` runs it")
    }
}

/// Checks `done` every `every` seconds until it holds or `seconds` have passed; says whether it
/// held. The one polling loop of the tests.
@discardableResult
func poll(seconds: Double, every: Double = 0.1, _ done: () throws -> Bool) rethrows -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try done() { return true }
        usleep(UInt32(every * 1_000_000))
    }
    return try done()
}

/// Starts a server on a port that is free: `start(port)` launches it and returns it once it
/// answers, or nil when it could not take the port (another program bound it after `freePort`
/// checked it); then another port is tried. So a port is bound once, by the server, and passed on.
func onFreePort<T>(count: Int = 1, attempts: Int = 5, _ start: (Int) throws -> T?) throws -> T {
    for _ in 0..<attempts {
        if let server = try start(freePort(count: count)) { return server }
    }
    throw VLogError.io("no free port on 127.0.0.1 after \(attempts) tries")
}
