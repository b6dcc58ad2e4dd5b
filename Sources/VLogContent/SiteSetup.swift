import Foundation
import VLogConfig
import VLogStore
import VLogSupport

/// A site's catalogue, opened: what the commands use instead of the database itself.
extension Site {
    /// The site's store (its database opened for `mode`: `.read` for commands that only look).
    public func openStore(_ mode: DatabaseMode = .write) throws -> Store { Store(try openDatabase(mode)) }

    /// Creates a new site folder with a config, an empty database and storage folders.
    @discardableResult
    public static func create(at dir: String, title: String, baseURL: String, language: String = "en") throws -> Site {
        let root = URL(fileURLWithPath: dir).standardizedFileURL
        let fm = FileManager.default
        let configURL = root.appendingPathComponent(SiteConfig.fileName)
        if fm.fileExists(atPath: configURL.path) {
            throw VLogError.conflict(
                "\(root.path) is already a vlog site (\(SiteConfig.fileName) exists); edit it instead")
        }
        guard let url = URL(string: baseURL), let scheme = url.scheme, ["http", "https"].contains(scheme),
            url.host != nil
        else {
            throw VLogError.invalidInput(
                "--base-url \(baseURL) is not an http(s) URL; use e.g. https://videos.example.org")
        }
        // Everything is checked before anything is written: a refused init leaves no half site.
        try TextCheck.singleLine(title, what: "--title")
        guard SiteConfig.isLanguageTag(language) else {
            throw VLogError.invalidInput(
                "--language `\(TextCheck.shown(language))` is not a language tag; give e.g. en or pt-BR (nothing was created)"
            )
        }
        let text = SiteConfig.initialFile(title: title, baseURL: baseURL, language: language)
        _ = try SiteConfig.parse(text)
        var above = root
        while FileKind(path: above.path) == .missing && above.path != "/" { above = above.deletingLastPathComponent() }
        let kind = FileKind(path: above.resolvingSymlinksInPath().path)
        guard kind == .folder else {
            throw VLogError.invalidInput(
                "cannot create the site in \(root.path): \(above.path) is \(kind.described), not a folder; give another path"
            )
        }
        do {
            try fm.createDirectory(at: root, withIntermediateDirectories: true)
            try FileIO.writeAtomically(Data(text.utf8), to: configURL)
        } catch let e as VLogError { throw e } catch {
            throw VLogError.io("cannot create the site in \(root.path): \(FileIO.reason(error))")
        }
        let site = try Site.load(root.path)
        try site.ensureStorage(create: true)
        _ = try site.openDatabase(.create)
        return site
    }
}
