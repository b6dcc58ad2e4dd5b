/// An error a user can act on: what is wrong and what to do (`message`), which kind of failure it
/// is (`kind`, which sets the exit code), and where it happened (`step`, `path`), with the error
/// underneath when there is one. The CLI prints `description` once, on one line, and exits with
/// `kind.exitCode`; `--verbose` prints the chain of underlying errors too.
public struct VLogError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure, as sysexits(3) names them.
    public enum Kind: String, Sendable, Equatable {
        /// The command line or the request is wrong (EX_USAGE).
        case usage
        /// The data given is malformed, unsafe or in conflict with what exists (EX_DATAERR).
        case data
        /// Something named does not exist (EX_NOINPUT).
        case notFound
        /// An external tool is missing or failed, or another process holds what is needed (EX_UNAVAILABLE).
        case unavailable
        /// A file or disk operation failed (EX_IOERR).
        case io
        /// The site's configuration is wrong (EX_CONFIG).
        case config
        /// The database is locked by another process: the same command later will work (EX_TEMPFAIL).
        case busy

        public var exitCode: Int32 {
            switch self {
            case .usage: 64
            case .data: 65
            case .notFound: 66
            case .unavailable: 69
            case .io: 74
            case .busy: 75
            case .config: 78
            }
        }
    }

    public var kind: Kind
    public var message: String
    /// The step that was running (`build step \`assets\``, `transcode`), when one was.
    public var step: String?
    /// The file or folder concerned, when the message does not already name it.
    public var path: String?
    /// What went wrong underneath (a SQLite error, a Foundation error), for `--verbose`.
    public var underlying: (any Error & Sendable)?

    public init(
        _ kind: Kind, _ message: String, step: String? = nil, path: String? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.kind = kind
        self.message = message
        self.step = step
        self.path = path
        self.underlying = underlying
    }

    /// Something named by the user does not exist.
    public static func notFound(_ m: String) -> VLogError { VLogError(.notFound, m) }
    /// A value given by the user is malformed or unsafe.
    public static func invalidInput(_ m: String) -> VLogError { VLogError(.data, m) }
    /// The requested change conflicts with what exists (duplicate slug, wrong state).
    public static func conflict(_ m: String) -> VLogError { VLogError(.data, m) }
    /// The site's configuration cannot be read or is wrong.
    public static func config(_ m: String) -> VLogError { VLogError(.config, m) }
    /// A file-system operation failed.
    public static func io(_ m: String) -> VLogError { VLogError(.io, m) }
    /// An external tool (ffmpeg, ffprobe, rsync) is missing or failed.
    public static func tool(_ m: String) -> VLogError { VLogError(.unavailable, m) }

    /// The same error with the step it happened in (kept if a deeper step already set one).
    public func inStep(_ name: String, path: String? = nil) -> VLogError {
        var e = self
        if e.step == nil { e.step = name }
        if e.path == nil, let path, !message.contains(path) { e.path = path }
        return e
    }

    /// Any error as a VLogError: itself, an error that says which kind it is, or an I/O failure.
    public static func wrapping(_ error: any Error) -> VLogError {
        if let e = error as? VLogError { return e }
        if let e = error as? any KindedError {
            return VLogError(e.kind, e.description, underlying: e)
        }
        return VLogError(.io, FileIO.reason(error), underlying: error as? any Error & Sendable)
    }

    /// One line: where, what, what to do.
    public var description: String {
        var s = message
        if let path { s = "\(path): " + s }
        if let step { s = "\(step): " + s }
        return s
    }

    /// The chain of errors underneath, one per line (for `--verbose`).
    public var chain: [String] {
        var lines: [String] = []
        var next: (any Error)? = underlying
        while let e = next, lines.count < 8 {
            lines.append("\(type(of: e)): \(String(describing: e))")
            next = (e as? VLogError)?.underlying
        }
        return lines
    }

    public static func == (a: VLogError, b: VLogError) -> Bool {
        a.kind == b.kind && a.message == b.message && a.step == b.step && a.path == b.path
    }
}

/// An error from a lower layer (SQLite) that knows which kind of failure it is, so the CLI gives
/// it the right exit code without knowing the layer.
public protocol KindedError: Error, CustomStringConvertible, Sendable {
    var kind: VLogError.Kind { get }
}
