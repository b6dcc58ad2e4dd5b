import Foundation
import VLogConfig
import VLogMedia
import VLogStore
import VLogSupport

/// What `vlog transcode --remux` did.
public struct RemuxSummary: Sendable {
    public var upgraded: [String] = []
    public var alreadyCMAF: [String] = []
    public var failed: [String: String] = [:]
}

/// Upgrades ready videos whose renditions are MPEG-TS to CMAF (fragmented MP4) without
/// re-encoding: ffmpeg copies each rung's streams into an init segment and `.m4s` segments in a
/// work folder; the result is verified (every segment present, the same segment count and
/// durations as before, so keyframes and rung alignment are kept), then put in place per video:
/// the new segments first (new names, nothing overwritten), then each rung's playlist by an
/// atomic rename, then the master, and only then the old `.ts` segments are removed. At every
/// moment each playlist names files that exist, so a web server never serves a broken video, and a
/// killed run is finished by running it again (a rung whose playlist is CMAF is done).
public struct Remuxer: Sendable {
    public let site: Site
    public var runner: any ProcessRunning

    public init(site: Site, runner: any ProcessRunning = SystemProcessRunner()) {
        self.site = site
        self.runner = runner
    }

    public func run() throws -> RemuxSummary {
        try site.ensureStorage()
        let db = try site.openDatabase(.read)
        var summary = RemuxSummary()
        let rows = try db.query("SELECT slug FROM videos WHERE status = 'ready' AND deleted_at IS NULL ORDER BY id")
        for slug in rows.compactMap({ $0.string("slug") }) {
            guard (try? Slug.validate(slug)) != nil else { continue }
            do {
                if try remux(slug: slug) { summary.upgraded.append(slug) } else { summary.alreadyCMAF.append(slug) }
            } catch {
                summary.failed[slug] = "\(error)"
            }
        }
        return summary
    }

    /// The rung names of a video's master playlist.
    static func rungs(master: String) -> [String] {
        master.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("#") && $0.hasSuffix(".m3u8") }.map {
            String($0.dropLast(5))
        }
    }

    /// Upgrades one video; false when every rung is CMAF already (nothing done).
    func remux(slug: String) throws -> Bool {
        let dir = site.mediaDir(slug: slug)
        let masterURL = dir.appendingPathComponent(MediaLayout.master)
        guard let master = try? String(contentsOf: masterURL, encoding: .utf8) else {
            throw VLogError.invalidInput("\(masterURL.path) is missing; transcode the video again")
        }
        let names = Self.rungs(master: master)
        guard !names.isEmpty else { throw VLogError.invalidInput("\(masterURL.path) lists no rungs") }
        let work = WorkFolder.remux(slug: slug, videos: site.videosURL)
        try? FileManager.default.removeItem(at: work)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        var changed = false
        for rung in names {
            let url = dir.appendingPathComponent(MediaLayout.playlist(rung))
            let old = MediaPlaylist.parse(try String(contentsOf: url, encoding: .utf8))
            guard old.initURI == nil else { continue }  // CMAF already (or done by a killed run)
            try remuxRung(rung, from: dir, old: old, into: work)
            // New files in place first (new names; leftovers of a killed run are replaced), then the
            // playlist, atomically.
            let new = MediaPlaylist.parse(
                try String(contentsOf: work.appendingPathComponent(MediaLayout.playlist(rung)), encoding: .utf8))
            for file in [new.initURI].compactMap({ $0 }) + new.segments.map(\.uri) {
                try FileIO.moveReplacing(work.appendingPathComponent(file), to: dir.appendingPathComponent(file))
            }
            try FileIO.moveReplacing(work.appendingPathComponent(MediaLayout.playlist(rung)), to: url)
            changed = true
        }
        if master.contains("#EXT-X-VERSION:3") {
            try FileIO.writeAtomically(
                Data(master.replacingOccurrences(of: "#EXT-X-VERSION:3", with: "#EXT-X-VERSION:7").utf8), to: masterURL)
            changed = true
        }
        // The old segments, by vlog's own naming, once no playlist names them.
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        for file in leftovers where file.hasSuffix(".\(MediaLayout.legacySegmentExtension)") {
            let stem = file.dropLast(MediaLayout.legacySegmentExtension.count + 1)
            guard let us = stem.lastIndex(of: "_"), names.contains(String(stem[..<us])),
                stem[stem.index(after: us)...].allSatisfy(\.isNumber)
            else { continue }
            unlink(dir.appendingPathComponent(file).path)
            changed = true
        }
        return changed
    }

    /// ffmpeg copies one rung's streams into CMAF in `work`; the result must match the old playlist.
    func remuxRung(_ rung: String, from dir: URL, old: MediaPlaylist, into work: URL) throws {
        guard let first = old.segments.first else {
            throw VLogError.tool("rung \(rung): its playlist lists no segments")
        }
        let r = try runner.run(
            "ffmpeg",
            [
                "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
                "-i", dir.appendingPathComponent(MediaLayout.playlist(rung)).path,
                "-map", "0", "-c", "copy", "-bsf:a", "aac_adtstoasc",
                "-f", "hls", "-hls_time", String(format: "%.3f", first.duration), "-hls_playlist_type", "vod",
                "-hls_flags", "independent_segments", "-hls_segment_type", "fmp4",
                "-hls_fmp4_init_filename", MediaLayout.initSegment(rung),
                "-hls_segment_filename", work.appendingPathComponent(MediaLayout.segmentPattern(rung)).path,
                work.appendingPathComponent(MediaLayout.playlist(rung)).path,
            ], timeout: max(300, old.totalDuration * 2))
        guard r.status == 0, !r.timedOut else {
            try Transcoder.checkDiskSpace(work, stderr: r.stderrTail)
            throw VLogError.tool("rung \(rung): ffmpeg could not remux it (exit \(r.status)): \(r.stderrTail)")
        }
        let (new, _) = try HLS.verifyRung(dir: work, rung: rung, expectedDuration: old.totalDuration)
        let same =
            new.segments.count == old.segments.count
            && zip(new.segments, old.segments).allSatisfy { abs($0.duration - $1.duration) < 0.1 }
        guard same else {
            throw VLogError.tool(
                "rung \(rung): remuxed into \(new.segments.count) segments, not \(old.segments.count); left as MPEG-TS")
        }
    }
}
