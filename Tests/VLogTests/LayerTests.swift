import Foundation
import Testing

@testable import VLogSite

/// The layers hold: every `import` of a vlog target in `Sources/` names a target its Package.swift
/// entry lists as a dependency. (SwiftPM lets a target import any module that happens to be built
/// before it, so without this an import the wrong way, or the CLI importing VLogStore to run SQL,
/// could build.)
@Suite struct LayerTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Each target's declared dependencies, read from `swift package dump-package`.
    static func declared() throws -> [String: Set<String>] {
        // A scratch folder of its own: `swift test` holds the lock on .build.
        let scratch = try TempDir()
        let r = try runProcess(
            "/usr/bin/env", ["swift", "package", "--scratch-path", scratch.url.path, "dump-package"], cwd: root)
        guard r.status == 0, let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
            let targets = json["targets"] as? [[String: Any]]
        else { throw TestFailure("swift package dump-package failed: \(r.stderr)") }
        var out: [String: Set<String>] = [:]
        for t in targets {
            guard let name = t["name"] as? String else { continue }
            var deps: Set<String> = []
            for d in t["dependencies"] as? [[String: Any]] ?? [] {
                if let byName = d["byName"] as? [Any], let n = byName.first as? String { deps.insert(n) }
                if let target = d["target"] as? [Any], let n = target.first as? String { deps.insert(n) }
                if let product = d["product"] as? [Any], let n = product.first as? String { deps.insert(n) }
            }
            out[name] = deps
        }
        return out
    }

    /// `import X` lines of every Swift file under Sources/TARGET.
    static func imports(_ target: String) -> [(file: String, module: String)] {
        let dir = root.appendingPathComponent("Sources").appendingPathComponent(target)
        var out: [(String, String)] = []
        for case let rel as String in FileManager.default.enumerator(atPath: dir.path) ?? NSEnumerator()
        where rel.hasSuffix(".swift") {
            let text = (try? String(contentsOf: dir.appendingPathComponent(rel), encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ").map(String.init)
                guard let i = words.firstIndex(of: "import"), i + 1 < words.count,
                    words[..<i].allSatisfy({
                        ["@testable", "internal", "public", "package", "@_exported"].contains($0)
                    })
                else { continue }
                out.append(("\(target)/\(rel)", words[i + 1]))
            }
        }
        return out
    }

    /// Imports of one of our targets that the importing target does not declare.
    static func violations(_ deps: [String: Set<String>], _ imports: [String: [(file: String, module: String)]])
        -> [String]
    {
        let ours = Set(deps.keys)
        return imports.sorted { $0.key < $1.key }.flatMap { target, list in
            list.filter { ours.contains($0.module) && !(deps[target] ?? []).contains($0.module) }.map {
                "\($0.file) imports \($0.module), which is not among \(target)'s dependencies"
            }
        }
    }

    @Test func everyImportIsADeclaredDependency() throws {
        let deps = try Self.declared()
        var imports: [String: [(file: String, module: String)]] = [:]
        for target in deps.keys {
            var isDir: ObjCBool = false
            let dir = Self.root.appendingPathComponent("Sources/\(target)").path
            if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue {
                imports[target] = Self.imports(target)
            }
        }
        #expect(imports.count >= 12, "read the targets' sources: \(imports.keys.sorted())")
        let wrong = Self.violations(deps, imports)
        #expect(wrong.isEmpty, "\(wrong.joined(separator: "\n"))")
        #expect(!(deps["VLogCLI"] ?? []).contains("VLogStore"), "the CLI runs no SQL: VLogStore is not its dependency")
        for lower in ["VLogSupport", "VLogConfig", "VLogTemplate", "VLogMedia"] {
            #expect(!(deps[lower] ?? []).contains("VLogStore"), "\(lower) does not sit on SQLite")
        }
    }

    /// The check can fail: an import the wrong way (a lower layer importing a higher one, the CLI
    /// importing the store) is reported.
    @Test func theCheckFindsAWrongWayImport() throws {
        let deps = try Self.declared()
        let planted: [String: [(file: String, module: String)]] = [
            "VLogMedia": [("VLogMedia/Probe.swift", "VLogSite")],
            "VLogCLI": [("VLogCLI/JobsCommand.swift", "VLogStore")],
            "VLogSite": [("VLogSite/Build/Builder.swift", "VLogTranscode")],
        ]
        let found = Self.violations(deps, planted)
        #expect(
            found.count == 2 && found.contains { $0.contains("VLogMedia/Probe.swift imports VLogSite") }, "\(found)")
        #expect(found.contains { $0.contains("VLogCLI/JobsCommand.swift imports VLogStore") })
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
