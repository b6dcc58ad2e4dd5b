/// Errors a user can act on. Each message says what is wrong and what to do; the CLI prints it
/// once, on one line, and exits non-zero.
public enum VLogError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Something named by the user does not exist.
    case notFound(String)
    /// A value given by the user is malformed or unsafe.
    case invalidInput(String)
    /// The requested change conflicts with what exists (duplicate slug, wrong state).
    case conflict(String)
    /// The site's configuration cannot be read or is wrong.
    case config(String)
    /// A file-system operation failed.
    case io(String)
    /// An external tool (ffmpeg, ffprobe) failed.
    case tool(String)

    /// The same error, its message prefixed with where it happened (`build step `assets``).
    public func context(_ prefix: String) -> VLogError {
        switch self {
        case .notFound(let m): return .notFound("\(prefix): \(m)")
        case .invalidInput(let m): return .invalidInput("\(prefix): \(m)")
        case .conflict(let m): return .conflict("\(prefix): \(m)")
        case .config(let m): return .config("\(prefix): \(m)")
        case .io(let m): return .io("\(prefix): \(m)")
        case .tool(let m): return .tool("\(prefix): \(m)")
        }
    }

    public var description: String {
        switch self {
        case .notFound(let m), .invalidInput(let m), .conflict(let m), .config(let m), .io(let m), .tool(let m):
            return m
        }
    }
}
