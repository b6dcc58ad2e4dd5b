import Foundation
import VLogConfig
import VLogContent
import VLogMedia
import VLogStore
import VLogSupport

/// Downloads a publisher offers (`vlog video edit SLUG --downloadable original|RUNG`): a rung's
/// progressive MP4, made from its CMAF segments by stream copy (no re-encode) with the index at
/// the front (`+faststart`, so a browser plays it while it downloads), kept beside the rendition
/// as `download.RUNG.mp4`; the build links it (or the original upload) beside the page. Made
/// again when the rendition is newer (a re-encode), removed when no longer offered.
public struct Downloads: Sendable {
    public let site: Site
    public var runner: any ProcessRunning

    public init(site: Site, runner: any ProcessRunning = SystemProcessRunner()) {
        self.site = site
        self.runner = runner
    }

    /// `download.720p.mp4`.
    public static func file(rung: String) -> String { "download.\(rung).mp4" }

    /// Makes what is offered and missing or stale; returns one warning per video it could not.
    public func prepare() throws -> [String] {
        let db = try site.openDatabase(.read)
        // Without a podcast, only videos with options (a download offered now or before) have
        // anything to make or remove: a site of 10,000 videos lists no folder for nothing.
        let join = site.config.podcast.enabled ? "LEFT JOIN" : "JOIN"
        let rows = try db.query(
            """
            SELECT v.slug, o.downloadable FROM videos v \(join) vlog_video_options o ON o.video_id = v.id
            WHERE v.status = ? AND v.deleted_at IS NULL
            """, [VideoStatus.ready])
        var warnings: [String] = []
        for r in rows {
            guard let slug = r.string("slug"), (try? Slug.validate(slug)) != nil else { continue }
            let want = r.string("downloadable").flatMap { $0 == "original" ? nil : $0 }
            let dir = site.mediaDir(slug: slug)
            // What vlog made before and is no longer offered goes.
            for f in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            where f.hasPrefix("download.") && f.hasSuffix(".mp4") && f != want.map(Self.file) {
                unlink(dir.appendingPathComponent(f).path)
            }
            if site.config.podcast.enabled {
                do { try makeAudio(dir: dir) } catch { warnings.append("\(slug): \(error)") }
            } else {
                unlink(dir.appendingPathComponent(MediaLayout.audio).path)
            }
            guard let rung = want else { continue }
            do { try make(slug: slug, rung: rung, dir: dir) } catch {
                warnings.append("the download of \(slug): \(error)")
            }
        }
        return warnings
    }

    /// What breaks Apple Podcasts' rules for the show's artwork (a square JPEG or PNG of 1400 to
    /// 3000 pixels), or nil.
    public func artworkProblem() throws -> String? {
        let p = site.config.podcast
        guard p.enabled else { return nil }
        guard let art = p.artwork, !art.isEmpty else {
            return "podcast.artwork is not set; Apple Podcasts needs a square JPEG or PNG of 1400 to 3000 pixels"
        }
        let path = art.hasPrefix("/") ? art : site.root.appendingPathComponent(art).path
        let r = try runner.run(
            "ffprobe",
            [
                "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height", "-of",
                "csv=p=0", path,
            ],
            timeout: 60)
        let f = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
        guard r.status == 0, f.count == 3, ["mjpeg", "png"].contains(f[0]), let w = Int(f[1]), let h = Int(f[2]) else {
            return "podcast.artwork \(path) is not a JPEG or PNG image"
        }
        guard w == h, (1400...3000).contains(w) else {
            return "podcast.artwork is \(w)x\(h); Apple Podcasts needs a square of 1400 to 3000 pixels"
        }
        return nil
    }

    /// `audio.m4a`: the audio of the lowest H.264 rung, copied (no re-encode), for the podcast
    /// feed; none for a video without sound.
    func makeAudio(dir: URL) throws {
        guard let master = try? String(contentsOf: dir.appendingPathComponent(MediaLayout.master), encoding: .utf8)
        else { return }
        let lines = master.split(separator: "\n").map(String.init)
        guard
            let i = lines.lastIndex(where: {
                $0.hasPrefix("#EXT-X-STREAM-INF") && $0.contains("avc1") && $0.contains("mp4a")
            }),
            i + 1 < lines.count
        else { return }
        try copy(
            from: dir.appendingPathComponent(lines[i + 1]), to: dir.appendingPathComponent(MediaLayout.audio),
            streams: ["-vn", "-map", "0:a:0"], what: "the audio")
    }

    func make(slug: String, rung: String, dir: URL) throws {
        guard let master = try? String(contentsOf: dir.appendingPathComponent(MediaLayout.master), encoding: .utf8)
        else { throw VLogError.notFound("no master playlist in \(dir.path)") }
        // The H.264 rung of that name (the first variant named so; AV1 plays in fewer places).
        let lines = master.split(separator: "\n").map(String.init)
        guard let i = lines.firstIndex(where: { $0.hasPrefix("#EXT-X-STREAM-INF") && $0.contains("NAME=\"\(rung)\"") }),
            i + 1 < lines.count
        else { throw VLogError.notFound("the rendition has no rung \(rung) to download; choose another") }
        try copy(
            from: dir.appendingPathComponent(lines[i + 1]), to: dir.appendingPathComponent(Self.file(rung: rung)),
            streams: ["-map", "0"], what: "the \(rung) download")
    }

    /// `playlist`'s streams copied into one faststart MP4 at `out`, unless `out` is newer.
    func copy(from playlist: URL, to out: URL, streams: [String], what: String) throws {
        let dir = out.deletingLastPathComponent()
        let made = (try? FileManager.default.attributesOfItem(atPath: out.path)[.modificationDate] as? Date) ?? nil
        let source =
            (try? FileManager.default.attributesOfItem(atPath: playlist.path)[.modificationDate] as? Date) ?? nil
        if let made, let source, made >= source { return }
        let tmp = dir.appendingPathComponent(".download.tmp-\(getpid()).mp4")
        defer { unlink(tmp.path) }
        let r = try runner.run(
            "ffmpeg",
            [
                "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-i", playlist.path,
            ] + streams + ["-c", "copy", "-movflags", "+faststart", "-f", "mp4", tmp.path], timeout: 3600)
        if r.status != 0 { try Transcoder.checkDiskSpace(dir, stderr: r.stderrTail) }
        guard r.status == 0, (FileIO.size(tmp) ?? 0) > 0 else {
            throw VLogError.tool("ffmpeg could not make \(what): \(r.stderrTail)")
        }
        try FileIO.moveReplacing(tmp, to: out)
    }
}
