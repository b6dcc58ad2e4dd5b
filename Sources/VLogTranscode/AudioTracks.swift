import Foundation
import VLogConfig
import VLogMedia
import VLogSupport

/// A video's extra audio tracks (`vlog audio add`): dubs, commentary, audio description. Each is
/// kept in the video's media folder, so it moves with it (slug change, delete and restore,
/// backup) and is carried into every new rendition (`Attempt.carryOver`), as captions are:
///
///     audio.de.json              the track: language, label, audio description or not, its stem
///     audio.de.K3F9.m3u8         its HLS audio-only rendition (AAC in CMAF segments)
///     audio.de.K3F9_init.mp4
///     audio.de.K3F9_0000.m4s     ...
///     audio.de.K3F9.m4a          the same AAC as one file, for vlog's player (`<audio>`)
///
/// The stem's token is new with every `add`: segments are cached for a year as immutable, so a
/// replaced track never shares a name with the one before. The `.json` is written last and is
/// the track: a kill before it leaves files no track names (the next `add` or `remove` of that
/// language clears them, and the build publishes only named ones). An add encodes in
/// `.audio-TOKEN/` in the media folder, holding `.audio-TOKEN/held.lock` (flock) while it runs;
/// one whose lock is free was left by a killed add, and the next `add` or `remove` deletes it.
public struct AudioTracks: Sendable {
    public struct Track: Codable, Sendable, Equatable {
        public var lang: String
        public var label: String
        /// Audio description (`CHARACTERISTICS="public.accessibility.describes-video"`).
        public var describesVideo: Bool
        /// `audio.de.K3F9`: the rendition's files' stem.
        public var stem: String
        /// One track per language, and one audio description per language: `de`, `de.ad`.
        public var key: String { AudioTracks.key(lang, describesVideo) }
        public var playlist: String { MediaLayout.playlist(stem) }
        public var file: String { "\(stem).m4a" }
    }
    public let site: Site
    public var runner: any ProcessRunning

    public init(site: Site, runner: any ProcessRunning = SystemProcessRunner()) {
        self.site = site
        self.runner = runner
    }

    /// How far the track's length may be from the video's.
    static let tolerance = 1.0
    static let kbps = 128

    static func key(_ lang: String, _ describesVideo: Bool) -> String { describesVideo ? "\(lang).ad" : lang }
    /// `audio.de.json`, `audio.de.ad.json`.
    static func manifest(_ key: String) -> String { "audio.\(key).json" }

    /// Whether a media folder's file belongs to the audio tracks (named or left by a killed add).
    public static func isTrackFile(_ name: String) -> Bool {
        name.hasPrefix("audio.") && name != MediaLayout.audio
    }

    /// The tracks in a media folder, by language.
    public static func list(dir: URL) -> [Track] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return files.sorted().compactMap { f in
            guard f.hasPrefix("audio."), f.hasSuffix(".json"),
                let data = FileManager.default.contents(atPath: dir.appendingPathComponent(f).path),
                let t = try? JSONDecoder().decode(Track.self, from: data),
                f == manifest(t.key), t.stem.hasPrefix("audio.\(t.key)."),
                FileIO.exists(dir.appendingPathComponent(t.playlist))
            else { return nil }
            return t
        }
    }

    /// Every file the named tracks use (what the build publishes and a re-transcode carries over).
    public static func files(dir: URL) -> Set<String> {
        files(of: list(dir: dir), among: (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
    }

    /// The files of `tracks` among a folder's `names` (a listing the caller already has).
    public static func files(of tracks: [Track], among names: [String]) -> Set<String> {
        var out = Set(tracks.map { manifest($0.key) })
        for n in names {
            for t in tracks where n == t.playlist || n == t.file || n.hasPrefix(t.stem + "_") { out.insert(n) }
        }
        return out
    }

    /// The names `add` writes for a track's rendition.
    nonisolated(unsafe) static let written =
        #/audio\.[a-z]{2,3}(-[A-Za-z0-9]{2,8})*(\.ad)?\.[0-9a-f]{6}(\.m3u8|\.m4a|_init\.mp4|_[0-9]{4,}\.m4s)/#

    /// What is wrong with a media folder's audio tracks (`vlog check`): a manifest that names no
    /// playable track, a track's file missing.
    public static func problems(dir: URL) -> [(lang: String, problem: String)] {
        let tracks = list(dir: dir)
        var out: [(String, String)] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        for f in names.sorted() where f.hasPrefix("audio.") && f.hasSuffix(".json") {
            let key = String(f.dropFirst(6).dropLast(5))
            if !tracks.contains(where: { $0.key == key }) {
                out.append((key, "\(f) names no track whose playlist is there"))
            }
        }
        for t in tracks {
            let text = (try? String(contentsOf: dir.appendingPathComponent(t.playlist), encoding: .utf8)) ?? ""
            let playlist = MediaPlaylist.parse(text)
            let needed = [t.file] + (playlist.initURI.map { [$0] } ?? []) + playlist.segments.map(\.uri)
            if playlist.segments.isEmpty {
                out.append((t.key, "\(t.playlist) lists no segments"))
            } else if let missing = needed.first(where: { !FileIO.exists(dir.appendingPathComponent($0)) }) {
                out.append((t.key, "\(missing) is missing"))
            }
        }
        return out
    }

    /// Checks `file` (an audio stream that decodes to its end, as long as the video within a
    /// second), encodes it (AAC stereo) into an HLS audio rendition beside the video's rungs and
    /// names it in `audio.LANG.json`; a track of the same language (and kind) is replaced.
    @discardableResult
    public func add(
        slug: String, file: URL, lang: String, label: String?, describesVideo: Bool, duration: Double
    ) throws -> Track {
        try CaptionTracks.checkLanguage(lang)
        let label = label ?? (CaptionTracks.name(lang) + (describesVideo ? " (audio description)" : ""))
        try TextCheck.singleLine(label, what: "--label")
        // Each track's name is its own: the video's own audio is named after the site's language.
        guard label != CaptionTracks.name(site.config.language) else {
            throw VLogError.invalidInput(
                "the video's own audio is already called `\(label)`; give this track a --label of its own (e.g. --label \"\(label) (commentary)\")"
            )
        }
        let kind = FileKind(path: file.resolvingSymlinksInPath().path)
        guard kind == .regular else {
            throw VLogError.invalidInput(
                kind == .missing
                    ? "\(file.path) does not exist" : "\(file.path) is \(kind.described), not an audio file")
        }
        let dir = site.mediaDir(slug: slug)
        guard FileIO.exists(dir.appendingPathComponent(MediaLayout.master)), duration > 0 else {
            throw VLogError.conflict("`\(slug)` is not transcoded yet; run `vlog transcode`, then add its audio tracks")
        }
        let key = Self.key(lang, describesVideo)
        if let other = Self.list(dir: dir).first(where: { $0.key != key && $0.label == label }) {
            throw VLogError.invalidInput(
                "`\(slug)`'s \(other.lang) track is already called `\(label)`; give this one another --label")
        }
        let length = try check(file)
        guard abs(length - duration) <= Self.tolerance else {
            throw VLogError.invalidInput(
                "\(file.lastPathComponent) is \(Format.duration(length)) long, `\(slug)` \(Format.duration(duration)); an audio track must be as long as its video (within a second)"
            )
        }
        let token = String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(6)).lowercased()
        let track = Track(lang: lang, label: label, describesVideo: describesVideo, stem: "audio.\(key).\(token)")
        let staged = dir.appendingPathComponent(".audio-\(token)")
        try FileManager.default.createDirectory(at: staged, withIntermediateDirectories: true)
        let held = WorkerLock(url: staged.appendingPathComponent(Self.heldName))
        _ = try held.tryAcquire()
        defer {
            held.release()
            try? FileManager.default.removeItem(at: staged)
        }
        try encode(file, into: staged, track: track)
        // Into place, then named: until the manifest is written, the old track (if any) is the one.
        try site.changingMedia(slug: slug) {
            // Deleted or renamed while it encoded: no media folder is made again for it.
            guard FileIO.exists(dir.appendingPathComponent(MediaLayout.master)), FileIO.exists(staged) else {
                throw VLogError.conflict(
                    "`\(slug)` was deleted, renamed or re-transcoded while its track was encoded; nothing was added, run the command again"
                )
            }
            for f in try FileManager.default.contentsOfDirectory(atPath: staged.path) where f != Self.heldName {
                try FileIO.move(staged.appendingPathComponent(f), to: dir.appendingPathComponent(f))
            }
            try FileIO.writeAtomically(
                try JSONEncoder().encode(track), to: dir.appendingPathComponent(Self.manifest(key)))
            Self.clearUnnamed(dir: dir)
        }
        return track
    }

    /// Removes the track of `lang` (its audio description with `describesVideo`): its manifest
    /// first (then it is gone), then its files.
    public func remove(slug: String, lang: String, describesVideo: Bool) throws {
        let dir = site.mediaDir(slug: slug)
        let key = Self.key(lang, describesVideo)
        guard Self.list(dir: dir).contains(where: { $0.key == key }) else {
            throw VLogError.invalidInput(
                "`\(slug)` has no \(lang) \(describesVideo ? "audio description" : "audio track") (`vlog audio list \(slug)` shows them)"
            )
        }
        try site.changingMedia(slug: slug) {
            guard unlink(dir.appendingPathComponent(Self.manifest(key)).path) == 0 else {
                throw VLogError.io("cannot remove \(Self.manifest(key)) in \(dir.path): \(FileIO.posix(errno))")
            }
            Self.clearUnnamed(dir: dir)
        }
    }

    /// The track files no manifest names (a replaced or removed track, a killed add): only names
    /// `add` writes (`audio.KEY.TOKEN.m3u8`, `.m4a`, `_init.mp4`, `_NNNN.m4s`), never another
    /// file someone put there.
    static func clearUnnamed(dir: URL) {
        let keep = files(dir: dir)
        for f in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] {
            let url = dir.appendingPathComponent(f)
            if f.wholeMatch(of: written) != nil && !keep.contains(f) {
                unlink(url.path)
            } else if f.wholeMatch(of: staging) != nil, FileKind(path: url.path) == .folder {
                // A killed add's encode: its lock is free (an add at work holds it, even this one).
                let held = WorkerLock(url: url.appendingPathComponent(heldName))
                if (try? held.tryAcquire().acquired) == true {
                    held.release()
                    try? FileManager.default.removeItem(at: url)
                }
            }
        }
    }

    /// An add's folder while it encodes, and the lock it holds there.
    nonisolated(unsafe) static let staging = #/\.audio-[0-9a-f]{6}/#
    static let heldName = "held.lock"

    /// The audio's length in seconds, after decoding all of it (a file that does not decode to its
    /// end is refused).
    func check(_ file: URL) throws -> Double {
        let probe = try runner.run(
            "ffprobe",
            [
                "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=codec_type:format=duration", "-of",
                "default=nw=1", file.path,
            ], timeout: 60)
        guard probe.status == 0, probe.stdout.contains("codec_type=audio") else {
            throw VLogError.invalidInput(
                "\(file.path) has no audio stream ffmpeg reads; give an audio file (e.g. .m4a, .wav)")
        }
        let decode = try runner.run(
            "ffmpeg",
            [
                "-hide_banner", "-nostdin", "-v", "error", "-xerror", "-i", file.path, "-map", "0:a:0", "-f", "null",
                "-",
            ], timeout: 600)
        guard decode.status == 0, decode.stderrTail.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw VLogError.invalidInput(
                "\(file.lastPathComponent) does not decode to its end (\(decode.stderrTail.split(separator: "\n").first ?? "ffmpeg failed")); export it again"
            )
        }
        // The decoded length: the last `time=` ffmpeg reports is not printed at -v error, so the
        // container's duration, which the decode above has just confirmed readable.
        let line = probe.stdout.split(separator: "\n").first { $0.hasPrefix("duration=") }
        guard let d = line.flatMap({ Double($0.dropFirst(9)) }), d > 0 else {
            throw VLogError.invalidInput("\(file.lastPathComponent) has no duration ffmpeg reads; export it again")
        }
        return d
    }

    /// The AAC file, then the HLS rendition from it by stream copy (the same audio in both).
    func encode(_ file: URL, into staged: URL, track: Track) throws {
        let m4a = staged.appendingPathComponent(track.file)
        let a = try runner.run(
            "ffmpeg",
            [
                "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-i", file.path, "-map", "0:a:0", "-vn",
                "-c:a", "aac", "-b:a", "\(Self.kbps)k", "-ac", "2", "-ar", "48000", "-movflags", "+faststart", m4a.path,
            ], timeout: 1800)
        if a.status != 0 { try Transcoder.checkDiskSpace(staged, stderr: a.stderrTail) }
        guard a.status == 0 else {
            throw VLogError.tool("ffmpeg could not encode \(file.lastPathComponent): \(a.stderrTail)")
        }
        let h = try runner.run(
            "ffmpeg",
            [
                "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-i", m4a.path, "-map", "0:a:0", "-c", "copy",
                "-f", "hls", "-hls_time", Format.number(site.config.segmentSeconds), "-hls_playlist_type", "vod",
                "-hls_flags", "independent_segments", "-hls_segment_type", "fmp4",
                "-hls_fmp4_init_filename", MediaLayout.initSegment(track.stem),
                "-hls_segment_filename", staged.appendingPathComponent(MediaLayout.segmentPattern(track.stem)).path,
                staged.appendingPathComponent(track.playlist).path,
            ], timeout: 1800)
        if h.status != 0 { try Transcoder.checkDiskSpace(staged, stderr: h.stderrTail) }
        guard h.status == 0 else {
            throw VLogError.tool("ffmpeg could not segment \(file.lastPathComponent): \(h.stderrTail)")
        }
    }
}
