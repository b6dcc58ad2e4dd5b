import Foundation
import VLogConfig
import VLogContent
import VLogSupport

/// A hash of everything a build reads: configuration, templates, public assets, the visible
/// snapshot and each published video's media folder (a re-transcode replaces the folder, and adding
/// captions changes its mtime). When it matches the last build's and every file that build wrote
/// still exists, there is nothing to render: a no-op rebuild costs a few hundred milliseconds.
enum BuildFingerprint {
    static let fileName = ".vlog-fingerprint"
    /// Bump when rendering changes, so a new vlog rebuilds sites made by an older one.
    static let version = "vlog-render-8"

    static func compute(site: Site, snapshot: SiteSnapshot, outputPath: String) -> String {
        var h = FNV.offset
        func add(_ s: String) {
            h = FNV.hash(s.utf8, from: h)
            h = FNV.mix(h, UInt8(0))
        }
        func add(_ d: Double) { add(String(d)) }
        let c = site.config
        for s in [
            version, outputPath, c.title, c.baseURL, c.language, c.description, String(c.videosPerPage),
            c.mediaBaseURL ?? "-", c.hlsJSURL ?? "-", c.beacons ? "beacons" : "-", c.viewerIdentity,
            "\(c.podcast)",
        ] { add(s) }
        for name in Templates.names {
            let url = site.resource("templates", "\(name).mustache")
            add(url?.path ?? "-")
            add((url.flatMap { try? String(contentsOf: $0, encoding: .utf8) }) ?? "-")
        }
        var roots: [URL] = []
        if let share = Resources.shareDir { roots.append(share.appendingPathComponent("public")) }
        roots.append(site.root.appendingPathComponent("public"))
        for root in roots {
            let e = FileManager.default.enumerator(
                at: root, includingPropertiesForKeys: [.contentModificationDateKey, .fileSizeKey])
            while let u = e?.nextObject() as? URL {
                let v = try? u.resourceValues(forKeys: [.contentModificationDateKey, .fileSizeKey])
                add(u.path)
                add(v?.contentModificationDate?.timeIntervalSince1970 ?? 0)
                add(Double(v?.fileSize ?? 0))
            }
        }
        for cat in snapshot.categories {
            add(String(cat.id))
            add(cat.name)
            add(cat.slug)
            add(cat.description)
        }
        let videosPath = site.videosURL.path
        for v in snapshot.videos {
            let x = v.video
            for s in [
                String(x.id), x.title, x.slug, x.description, String(x.categoryID ?? -1), String(x.sourceWidth),
                String(x.sourceHeight), x.publishedAt.map(DBDate.format) ?? "-", v.unlisted ? "unlisted" : "listed",
                v.downloadable ?? "-",
            ] { add(s) }
            add(x.duration)
            for q in v.qualities {
                add(q.quality)
                add(Double(q.width))
                add(Double(q.height))
                add(Double(q.bitrate))
            }
            // The media folder and its attachments' folder (attaching or replacing a file
            // changes only the latter's mtime). Paths as strings: building a URL per folder was
            // half of a no-op build.
            let media = videosPath + "/" + x.slug
            for dir in [media, media + "/" + Attachments.folder] {
                var st = stat()
                if stat(dir, &st) == 0 {
                    add(Double(st.st_ino))
                    add(Double(st.st_mtim.tv_sec))
                    add(Double(st.st_mtim.tv_nsec))
                }
            }
        }
        return String(h, radix: 16)
    }

    /// How many pages and media files the last build wrote, when its stored fingerprint equals
    /// `fingerprint` and all those files are still there; nil when the build must run. The
    /// manifest is walked as bytes, one `lstat` per line: this is most of a no-op build.
    static func unchanged(_ fingerprint: String, output: URL, writer: OutputWriter) -> (pages: Int, media: Int)? {
        guard let stored = try? String(contentsOf: output.appendingPathComponent(fileName), encoding: .utf8),
            stored == fingerprint, let manifest = FileManager.default.contents(atPath: writer.manifestURL.path)
        else { return nil }
        var path = Array(output.path.utf8) + [UInt8(ascii: "/")]
        let base = path.count
        var st = stat()
        var pages = 0
        var media = 0
        let complete = manifest.withUnsafeBytes { raw -> Bool in
            for line in raw.split(separator: 10) where !line.isEmpty {
                path.removeSubrange(base...)
                path.append(contentsOf: line)
                path.append(0)
                let found = path.withUnsafeBufferPointer { p in
                    p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { lstat($0, &st) == 0 }
                }
                guard found else { return false }
                if OutputWriter.isMedia(bytes: line) { media += 1 } else { pages += 1 }
            }
            return true
        }
        return complete ? (pages, media) : nil
    }
}
