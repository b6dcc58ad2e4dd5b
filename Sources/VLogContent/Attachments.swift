import Foundation
import VLogConfig
import VLogSupport

/// Files that go with a video (images its description shows, downloads such as slides or a
/// GPX track): kept in `videos/SLUG/files/` in the media storage, so they move with the video on a
/// slug change, delete and restore and survive a re-transcode, and served beside its page, at
/// `/v/SLUG/NAME`, so `![The viaduct](viaduct.jpg)` in a description just works.
public struct Attachments: Sendable {
    public let site: Site
    public static let folder = MediaLayout.attachments

    public init(site: Site) { self.site = site }

    public func dir(slug: String) -> URL { site.mediaDir(slug: slug).appendingPathComponent(Self.folder) }

    /// The attached files' names, sizes and kinds, by name. Only a regular file is ever published;
    /// anything else here was put in by hand (or by an older vlog) and the build refuses it.
    public func list(slug: String) -> [(name: String, bytes: Int, kind: FileKind)] {
        let d = dir(slug: slug)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: d.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { n in
            var st = stat()
            guard lstat(d.appendingPathComponent(n).path, &st) == 0 else { return (n, 0, .missing) }
            return (n, Int(st.st_size), FileKind(mode: st.st_mode))
        }
    }

    /// Checks an attachment's name: plain (letters, digits, `.`, `_`, `-`), and not one vlog's
    /// own media use (playlists, segments, posters, storyboards, captions, pages).
    public static func check(name: String) throws {
        let plain = name.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9")
                || "._-".contains(Character($0))
        }
        guard plain, !name.hasPrefix("."), !name.isEmpty, name.count <= 120 else {
            throw VLogError.invalidInput(
                "`\(name)` is not a plain file name (letters, digits, . _ -); rename it, e.g. to `\(Slug.make(name))`")
        }
        let lower = name.lowercased()
        let reserved =
            ["index.html", "embed", folder].contains(lower)
            || [".m3u8", ".m4s", ".ts", "_init.mp4"].contains { lower.hasSuffix($0) }
            || [
                "thumbnail", "storyboard", "captions", "transcript", "master", "chapters", "subs.", "download.",
                "original.", "audio.",
            ].contains {
                lower.hasPrefix($0)
            }
        guard !reserved else {
            throw VLogError.invalidInput(
                "`\(name)` is a name vlog's own media use (playlists, segments, posters, captions); rename the file")
        }
    }

    /// Copies `files` in (each whole or not at all); refuses to replace one unless `replace`.
    public func attach(slug: String, files: [URL], replace: Bool, video: Video) throws -> [String] {
        guard video.deletedAt == nil else {
            throw VLogError.conflict("`\(slug)` is deleted; restore it first (`vlog video restore \(slug)`)")
        }
        var names: Set<String> = []
        for f in files {
            try Self.check(name: f.lastPathComponent)
            try Self.checkSource(f, slug: slug)
            guard names.insert(f.lastPathComponent).inserted else {
                throw VLogError.invalidInput(
                    "\(f.lastPathComponent) is given twice; attach one file of each name (nothing was attached)")
            }
            if !replace && FileIO.exists(dir(slug: slug).appendingPathComponent(f.lastPathComponent)) {
                throw VLogError.conflict(
                    "\(f.lastPathComponent) is already attached to \(slug); add --replace to replace it (nothing was attached)"
                )
            }
        }
        try site.ensureStorage()
        try site.changingMedia(slug: slug) {
            try FileManager.default.createDirectory(at: dir(slug: slug), withIntermediateDirectories: true)
            for f in files {
                try FileIO.copyRegularFile(from: f, to: dir(slug: slug).appendingPathComponent(f.lastPathComponent))
            }
        }
        return files.map(\.lastPathComponent)
    }

    /// Only a regular file is attached, copied as a new regular file: a symbolic link would be
    /// served as what it points to (the database, /etc/passwd), a FIFO hangs the copy, a device
    /// never ends, a folder would bring its own links and names. A database is never published.
    static func checkSource(_ f: URL, slug: String) throws {
        let kind = FileKind(path: f.path)
        let nothing = "(nothing was attached)"
        switch kind {
        case .regular: break
        case .missing:
            throw VLogError.notFound("cannot read \(f.path): no such file; check the path \(nothing)")
        case .folder:
            throw VLogError.invalidInput(
                "\(f.path) is a folder; attach the files in it, e.g. `vlog video attach \(slug) \(f.path)/*` \(nothing)"
            )
        case .symbolicLink:
            let to = (try? FileManager.default.destinationOfSymbolicLink(atPath: f.path)) ?? "?"
            throw VLogError.invalidInput(
                "\(f.path) is a symbolic link (to \(to)); vlog attaches only regular files, give the file itself \(nothing)"
            )
        case .fifo, .device, .socket:
            throw VLogError.invalidInput(
                "\(f.path) is \(kind.described), not a regular file; attach a regular file \(nothing)")
        }
        guard FileManager.default.isReadableFile(atPath: f.path) else {
            throw VLogError.notFound("cannot read \(f.path): permission denied; check the path \(nothing)")
        }
        if FileKind.isSQLiteDatabase(f.path) {
            throw VLogError.invalidInput(
                "\(f.path) is an SQLite database; vlog never publishes a database \(nothing)")
        }
    }

    /// Removes one attached file.
    public func detach(slug: String, name: String) throws {
        try Self.check(name: name)
        let f = dir(slug: slug).appendingPathComponent(name)
        guard FileIO.exists(f) else {
            throw VLogError.notFound("\(slug) has no attachment `\(name)`; `vlog video show \(slug)` lists them")
        }
        try site.changingMedia(slug: slug) { try FileManager.default.removeItem(at: f) }
    }
}
