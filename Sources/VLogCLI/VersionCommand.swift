import ArgumentParser
import Foundation
import VLogSite
import VLogSupport

/// `vlog version`: the commit vlog was built from (`git describe`, written at build time by the
/// GitVersion plugin) and the libraries and tools it runs on, for bug reports.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print vlog's version (its git description) and what it runs on.")

    func run() throws {
        out("vlog \(gitDescription)")
        out("  SQLite        \(Libraries.sqlite)")
        out("  libcmark-gfm  \(Libraries.cmark)")
        let ffmpeg = (try? SystemProcessRunner().run("ffmpeg", ["-hide_banner", "-version"], timeout: 10))
            .flatMap { $0.stdout.split(separator: "\n").first.map(String.init) }
        out(
            "  ffmpeg        \(ffmpeg?.replacingOccurrences(of: "ffmpeg version ", with: "").components(separatedBy: " Copyright").first ?? "not found")"
        )
    }
}

/// How to run this vlog in a printed hint: `vlog` when that is what the PATH finds, else this
/// binary's own path (after `make demo` it is `.build/release/vlog`, not on the PATH).
func vlogInvocation() -> String {
    let me = Executable.path
    if let onPath = SystemProcessRunner.which("vlog"),
        URL(fileURLWithPath: onPath).resolvingSymlinksInPath().path
            == URL(fileURLWithPath: me).resolvingSymlinksInPath().path
    {
        return "vlog"
    }
    return shellQuote(me)
}

/// `s` as one shell word.
func shellQuote(_ s: String) -> String {
    s.allSatisfy({ $0.isLetter || $0.isNumber || "/._-+=:,@".contains($0) })
        ? s : Format.shellQuoted(s)
}
