import Foundation
import VLogSupport

/// Where vlog writes, and the one rule between those places: none is, contains or lies inside
/// another. The output is served to the world, so a backup, the database or the private dashboard
/// inside it would be published; a backup inside the storage copies itself on every run; a deploy
/// target inside the output nests the site one level deeper on every deploy. Paths are compared
/// after resolving symbolic links, so a link to the output is caught too.
public enum Places {
    public enum Role: String, Sendable {
        case output = "the output"
        case storage = "the media storage"
        case database = "the database"
        case dashboard = "the analytics dashboard"
        case preview = "the preview folder"
        case backup = "the backup folder"
        case deploy = "the deploy target"
        case sheet = "the contact sheet"
    }

    /// The site's own places: where it builds, keeps media, its database, its dashboard and the
    /// folder `vlog serve` builds into.
    /// `output`: the folder this build writes, when not `paths.output` (a preview builds into the
    /// preview folder, which then is the output).
    public static func of(_ site: Site, output: URL? = nil) -> [(Role, URL)] {
        let preview = site.root.appendingPathComponent(".vlog-preview")
        let out = output ?? site.outputURL
        var places: [(Role, URL)] = [
            (.output, out), (.storage, site.storageURL), (.database, site.databaseURL), (.dashboard, site.dashboardURL),
        ]
        if realPath(out) != realPath(preview) { places.append((.preview, preview)) }
        return places
    }

    /// Refuses `path` as `role` when it is, contains or lies inside another of the site's places,
    /// in one line naming both paths.
    public static func check(_ path: URL, as role: Role, site: Site, output: URL? = nil) throws {
        let mine = realPath(path)
        for (other, url) in of(site, output: output) where other != role {
            let theirs = realPath(url)
            let relation: String
            if mine == theirs {
                relation = "is"
            } else if other == .database, ["-wal", "-shm", "-journal"].contains(where: { mine == theirs + $0 }) {
                relation = "is a file SQLite keeps beside"
            } else if isInside(mine, theirs) {
                relation = "lies inside"
            } else if isInside(theirs, mine) {
                relation = "contains"
            } else {
                continue
            }
            throw VLogError.invalidInput(
                """
                \(role.rawValue) \(path.path) \(relation) \(other.rawValue) (\(url.path)); \
                give \(role.rawValue) a place of its own, outside the output, storage, database and dashboard
                """)
        }
    }

    /// Checks every place of the site's configuration against the others (`vlog check`, the build).
    public static func checkLayout(_ site: Site, output: URL? = nil) throws {
        // The dashboard first: when it lies in the output, the dashboard setting is the mistake.
        for role in [Role.dashboard, .output] {
            if let url = of(site, output: output).first(where: { $0.0 == role })?.1 {
                try check(url, as: role, site: site, output: output)
            }
        }
    }

    /// True when `path` lies strictly inside `folder`.
    public static func isInside(_ path: String, _ folder: String) -> Bool {
        folder == "/" ? path != "/" : path.hasPrefix(folder + "/")
    }

    /// The absolute path with symbolic links resolved as far as the path exists.
    public static func realPath(_ url: URL) -> String {
        var existing = url.standardizedFileURL
        var rest: [String] = []
        while !FileManager.default.fileExists(atPath: existing.path), existing.path != "/" {
            rest.insert(existing.lastPathComponent, at: 0)
            existing = existing.deletingLastPathComponent()
        }
        var resolved = existing.resolvingSymlinksInPath()
        for r in rest { resolved = resolved.appendingPathComponent(r) }
        return resolved.standardizedFileURL.path
    }
}
