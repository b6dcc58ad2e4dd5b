import Foundation

/// The running vlog binary and other processes' command lines, read the same way in every layout
/// (a source checkout, `make install`, the tarball, the .deb). Linux's `/proc` first; where there
/// is none (macOS), Foundation's executable path and `ps`.
public enum Executable {
    /// The running binary's path: `/proc/self/exe`, else Foundation's, else `argv[0]` (found on
    /// the PATH when it is a bare name).
    public static var path: String {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        if let p = Bundle.main.executablePath, FileManager.default.isExecutableFile(atPath: p) { return p }
        let a = CommandLine.arguments[0]
        if !a.contains("/"), let p = SystemProcessRunner.which(a) { return p }
        return a
    }

    /// A process's command line (arguments separated by NULs on Linux, spaces from `ps`); nil when
    /// it is not running.
    public static func commandLine(pid: Int32) -> String? {
        if FileManager.default.fileExists(atPath: "/proc/self"),
            let s = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
        {
            return s
        }
        guard let ps = try? SystemProcessRunner().run("ps", ["-ww", "-o", "command=", "-p", "\(pid)"], timeout: 10),
            ps.status == 0
        else { return nil }
        let s = ps.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }
}
