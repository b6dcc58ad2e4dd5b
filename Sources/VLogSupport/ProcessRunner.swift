import Foundation
import Logging

/// vlog's log (`--verbose`: every external command line and its timing).
public let vlogLog = Logger(label: "vlog")

/// What a finished external process left behind.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: String
    /// The last lines of stderr (enough to explain a failure, never megabytes).
    public var stderrTail: String
    public var timedOut: Bool
}

/// Runs external tools (ffmpeg, ffprobe). Injectable so tests can control failures.
public protocol ProcessRunning: Sendable {
    /// Runs `executable` with `arguments`. `onLine` receives stdout lines as they arrive (and then
    /// stdout is not collected); `onStart` receives the pid. Kills the process after `timeout`.
    func run(
        _ executable: String, _ arguments: [String], timeout: TimeInterval,
        onStart: (@Sendable (Int32) -> Void)?, onLine: (@Sendable (String) -> Void)?
    ) throws -> ProcessOutput
}

extension ProcessRunning {
    public func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 600) throws -> ProcessOutput {
        try run(executable, arguments, timeout: timeout, onStart: nil, onLine: nil)
    }
}

/// The real runner, on Foundation's Process. Looks tools up on PATH.
public struct SystemProcessRunner: ProcessRunning {
    public init() {}

    /// util-linux's setpriv (in every Debian), used to tie a child's life to vlog's.
    static let setpriv: String? =
        FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") ? "/usr/bin/setpriv" : nil

    /// An argument as the shell would need it (for the `--verbose` log, to copy and run).
    package static func shellWord(_ s: String) -> String {
        s.allSatisfy({ $0.isLetter || $0.isNumber || "/._-+=:,@%".contains($0) }) && !s.isEmpty
            ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    public static func which(_ name: String) -> String? {
        if name.contains("/") { return name }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    public func run(
        _ executable: String, _ arguments: [String], timeout: TimeInterval,
        onStart: (@Sendable (Int32) -> Void)?, onLine: (@Sendable (String) -> Void)?
    ) throws -> ProcessOutput {
        guard let path = Self.which(executable) else {
            throw VLogError.tool("\(executable) is not installed; install it (Debian: apt-get install ffmpeg)")
        }
        let p = Process()
        // The tool dies with vlog: setpriv asks the kernel to SIGKILL it when its parent goes
        // (kill -9 included). ffmpeg ignores SIGPIPE, so a closed progress pipe alone does not stop it.
        if let setpriv = Self.setpriv {
            p.executableURL = URL(fileURLWithPath: setpriv)
            p.arguments = ["--pdeathsig", "KILL", "--", path] + arguments
        } else {
            p.executableURL = URL(fileURLWithPath: path)
            p.arguments = arguments
        }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        // Children inherit the spawning thread's signal mask; Dispatch threads block SIGTERM and
        // SIGINT, which would make ffmpeg deaf to Ctrl-C. Spawn with nothing blocked.
        var none = sigset_t()
        var saved = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        do { try p.run() } catch {
            throw VLogError.tool("cannot start \(executable): \(error.localizedDescription)")
        }
        onStart?(p.processIdentifier)
        let started = Date()
        vlogLog.debug("run: \(([path] + arguments).map(Self.shellWord).joined(separator: " "))")

        let timedOut = LockedBox(false)
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + timeout)
        timer.setEventHandler {
            timedOut.withLock { $0 = true }
            kill(p.processIdentifier, SIGKILL)
        }
        timer.resume()

        let tail = LockedBox(Data())
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            let h = err.fileHandleForReading
            while true {
                let chunk = h.availableData
                if chunk.isEmpty { break }
                tail.withLock { d in
                    d.append(chunk)
                    if d.count > 16_384 { d = d.suffix(8192) }
                }
            }
            group.leave()
        }
        var collected = Data()
        var pending = Data()
        let h = out.fileHandleForReading
        while true {
            let chunk = h.availableData
            if chunk.isEmpty { break }
            if let onLine {
                pending.append(chunk)
                while let nl = pending.firstIndex(of: 10) {
                    onLine(String(decoding: pending[pending.startIndex..<nl], as: UTF8.self))
                    pending = Data(pending[(nl + 1)...])
                }
            } else {
                collected.append(chunk)
            }
        }
        group.wait()
        p.waitUntilExit()
        timer.cancel()
        vlogLog.debug(
            "done: \(executable) exit \(p.terminationStatus) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s"
        )
        let errText = String(decoding: tail.value, as: UTF8.self)
        let lines = errText.split(separator: "\n", omittingEmptySubsequences: true).suffix(12)
        return ProcessOutput(
            status: p.terminationStatus, stdout: String(decoding: collected, as: UTF8.self),
            stderrTail: lines.joined(separator: "\n"), timedOut: timedOut.value)
    }
}

/// The side effects a step has beyond its files and its database: how external programs run and
/// what time it is. Tests pass their own.
public struct Effects: Sendable {
    public var runner: any ProcessRunning
    public var clock: Clock

    public init(runner: any ProcessRunning = SystemProcessRunner(), clock: Clock = .system) {
        self.runner = runner
        self.clock = clock
    }

    /// Real processes, the real clock.
    public static var system: Effects { Effects() }
}
