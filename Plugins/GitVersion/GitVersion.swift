import Foundation
import PackagePlugin

/// Writes `GitVersion.swift` (`let gitDescription = "..."`) from `git describe --tags --always
/// --dirty` of the package's checkout, so `vlog version` names the commit it was built from. Runs
/// again when HEAD, its log or the index change (every commit and checkout); "unknown" outside a
/// git checkout (a source tarball).
@main struct GitVersion: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let out = context.pluginWorkDirectoryURL.appendingPathComponent("GitVersion.swift")
        let root = context.package.directoryURL
        let git = root.appendingPathComponent(".git")
        let inputs = ["HEAD", "logs/HEAD", "index"].map { git.appendingPathComponent($0) }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
        let script = """
            d=$(git -C "$1" describe --tags --always --dirty 2>/dev/null || echo unknown)
            printf 'let gitDescription = "%s"\\n' "$d" > "$2.tmp" && mv "$2.tmp" "$2"
            """
        return [
            .buildCommand(
                displayName: "vlog version from git describe",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", root.path, out.path],
                inputFiles: inputs, outputFiles: [out])
        ]
    }
}
