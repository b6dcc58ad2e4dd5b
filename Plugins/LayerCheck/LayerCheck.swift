import Foundation
import PackagePlugin

/// Makes the layers a build rule: before a target compiles, every `import` of one of vlog's own
/// targets in its sources must name a dependency the target declares in Package.swift, or the
/// build fails with `FILE:LINE: error: ...`. (SwiftPM alone lets a target import any module that
/// happens to be built before it: the CLI could import VLogStore and run SQL.) Runs again when a
/// source file changes; writes an empty Swift file as its stamp.
@main struct LayerCheck: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let swift = target as? SwiftSourceModuleTarget else { return [] }
        let sources = Array(swift.sourceFiles(withSuffix: "swift"))
        guard !sources.isEmpty else { return [] }
        let allowed = target.dependencies.map { dependency -> String in
            switch dependency {
            case .target(let t): t.name
            case .product(let p): p.name
            @unknown default: ""
            }
        }
        let stamp = context.pluginWorkDirectoryURL.appendingPathComponent("LayerCheck-\(target.name).swift")
        let script = """
            target="$1"; allowed=" $2 "; stamp="$3"; shift 3
            bad=$(grep -HnE '^[[:space:]]*(@testable |@_exported |public |package |internal )*import VLog[A-Za-z]+' "$@" |
              while IFS=: read -r file line text; do
                module=$(printf '%s' "$text" | sed -E 's/.*import (VLog[A-Za-z]+).*/\\1/')
                case "$allowed" in *" $module "*) ;; *)
                  echo "$file:$line: error: $target imports $module, which is not among its dependencies in Package.swift (the layers point down)";;
                esac
              done)
            if [ -n "$bad" ]; then echo "$bad" >&2; exit 1; fi
            printf '// %s: every import of a vlog target is a declared dependency\\n' "$target" > "$stamp"
            """
        return [
            .buildCommand(
                displayName: "Checking \(target.name)'s imports against its declared dependencies",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", target.name, allowed.joined(separator: " "), stamp.path]
                    + sources.map(\.url.path),
                inputFiles: sources.map(\.url), outputFiles: [stamp])
        ]
    }
}
