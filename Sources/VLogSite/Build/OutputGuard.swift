import Foundation
import VLogConfig
import VLogSupport

/// The output is a folder of its own. A build (and above all a `--clean` one, which replaces the
/// whole folder) must never be pointed at the site's own files: the database, vlog.toml, the
/// media storage with the source videos, templates/ or public/. Paths are compared after
/// resolving symbolic links, so `--out link-to-media` is caught too.
public enum OutputGuard {
    /// Refuses an output folder that is, contains or lies inside what the site owns.
    public static func check(_ output: URL, site: Site) throws {
        let out = Places.realPath(output)
        let root = Places.realPath(site.root)
        let dbDir = Places.realPath(site.databaseURL.deletingLastPathComponent())
        let said = output.path
        func refuse(_ what: String) -> VLogError {
            .invalidInput("the output \(said) \(what); build into a folder of its own, e.g. paths.output = \"_site\"")
        }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDir), !isDir.boolValue {
            throw refuse("is a file, not a folder")
        }
        let owned: [(String, String)] = [
            (root, "the site folder"), (Places.realPath(site.storageURL), "the media storage"),
            (dbDir, "the database's folder"),
            (Places.realPath(site.root.appendingPathComponent("templates")), "templates/"),
            (Places.realPath(site.root.appendingPathComponent("public")), "public/"),
            (Places.realPath(site.root.appendingPathComponent(SiteConfig.fileName)), SiteConfig.fileName),
            (Places.realPath(site.databaseURL), "the database"),
        ]
        try Places.checkLayout(site, output: output)
        for (path, name) in owned {
            if out == path { throw refuse("is \(name)") }
            if Places.isInside(path, out) { throw refuse("contains \(name) (\(path))") }
        }
        // Inside the site folder is where the output belongs by default; inside what it owns is not.
        for (path, name) in owned where path != root && Places.isInside(out, path) {
            if path == dbDir && Places.isInside(out, root) { continue }
            throw refuse("lies inside \(name) (\(path))")
        }
    }

    /// `--clean` replaces the whole folder: refuse one that holds files vlog did not write.
    public static func checkClean(_ output: URL, writer: OutputWriter) throws {
        guard FileIO.isDirectory(output) else { return }
        let known = writer.previousPaths()
        guard let walk = FileManager.default.enumerator(atPath: output.path) else { return }
        var foreign: [String] = []
        while let rel = walk.nextObject() as? String {
            if walk.fileAttributes?[.type] as? FileAttributeType == .typeDirectory { continue }
            let name = (rel as NSString).lastPathComponent
            if name.hasPrefix(".vlog-") || (name.hasPrefix(".") && name.contains(".tmp-")) { continue }
            if !known.contains(rel) {
                foreign.append(rel)
                if foreign.count >= 3 { break }
            }
        }
        if !foreign.isEmpty {
            throw VLogError.conflict(
                """
                --clean would delete files vlog did not write in \(output.path) (\(foreign.joined(separator: ", "))\
                \(foreign.count >= 3 ? ", …" : "")); move them away, or add --force to delete them
                """)
        }
    }
}
