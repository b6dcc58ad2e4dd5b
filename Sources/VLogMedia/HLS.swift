import Foundation
import VLogSupport

/// A parsed media playlist.
public struct MediaPlaylist: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var uri: String
        public var duration: Double
        /// Start time of the segment within the video.
        public var start: Double
    }
    public var targetDuration: Int
    public var segments: [Segment]
    public var hasEndList: Bool
    /// The init segment (`#EXT-X-MAP`) of fragmented-MP4 (CMAF) segments; nil for MPEG-TS.
    public var initURI: String? = nil
    public var totalDuration: Double { segments.reduce(0) { $0 + $1.duration } }

    public static func parse(_ text: String) -> MediaPlaylist {
        var target = 0
        var segments: [Segment] = []
        var pending: Double?
        var end = false
        var initURI: String?
        var t = 0.0
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#EXT-X-TARGETDURATION:") {
                target = Int(line.dropFirst("#EXT-X-TARGETDURATION:".count)) ?? 0
            } else if line.hasPrefix("#EXTINF:") {
                let v =
                    line.dropFirst("#EXTINF:".count).split(separator: ",", maxSplits: 1).first.map(String.init) ?? ""
                pending = Double(v)
            } else if line.hasPrefix("#EXT-X-MAP:"), let r = line.range(of: "URI=\"") {
                initURI = String(line[r.upperBound...].prefix { $0 != "\"" })
            } else if line == "#EXT-X-ENDLIST" {
                end = true
            } else if !line.hasPrefix("#"), !line.isEmpty, let d = pending {
                segments.append(Segment(uri: line, duration: d, start: t))
                t += d
                pending = nil
            }
        }
        return MediaPlaylist(targetDuration: target, segments: segments, hasEndList: end, initURI: initURI)
    }
}

/// Checks and writes HLS output.
public enum HLS {
    /// Verifies a finished rung: ENDLIST, every segment present and non-empty, durations sane.
    /// Returns the playlist and the total bytes of its segments.
    public static func verifyRung(dir: URL, rung: String, expectedDuration: Double) throws -> (MediaPlaylist, Int) {
        let url = dir.appendingPathComponent(MediaLayout.playlist(rung))
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw VLogError.tool("rung \(rung): ffmpeg wrote no playlist")
        }
        let pl = MediaPlaylist.parse(text)
        guard pl.hasEndList else { throw VLogError.tool("rung \(rung): playlist has no #EXT-X-ENDLIST (unfinished)") }
        guard !pl.segments.isEmpty else { throw VLogError.tool("rung \(rung): playlist lists no segments") }
        var bytes = 0
        if let map = pl.initURI {
            let size = (try? FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(map).path))?[.size]
            guard let size = size as? Int, size > 0 else {
                throw VLogError.tool("rung \(rung): init segment \(map) is missing or empty")
            }
        }
        for s in pl.segments {
            let size =
                (try? FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(s.uri).path)[.size]
                    as? Int) ?? nil
            guard let size, size > 0 else { throw VLogError.tool("rung \(rung): segment \(s.uri) is missing or empty") }
            bytes += size
        }
        let tolerance = max(1.0, expectedDuration * 0.03)
        guard abs(pl.totalDuration - expectedDuration) <= tolerance else {
            throw VLogError.tool(
                String(
                    format: "rung %@: segments last %.1f s but the source lasts %.1f s", rung, pl.totalDuration,
                    expectedDuration))
        }
        return (pl, bytes)
    }

    /// Measured figures of a verified rung for the master playlist and video_qualities.
    public struct RungStats: Sendable {
        public var planned: PlannedRung
        public var peakBitsPerSecond: Int
        public var averageBitsPerSecond: Int
        public var codecs: String
    }

    public static func stats(
        dir: URL, planned: PlannedRung, playlist: MediaPlaylist, hasAudio: Bool,
        videoCodec: String
    ) -> RungStats {
        var peak = 0.0
        var total = 0.0
        for s in playlist.segments {
            let size = Double(
                (try? FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(s.uri).path)[.size]
                    as? Int) ?? 0)
            total += size
            if s.duration > 0.5 { peak = max(peak, size * 8 / s.duration) }
        }
        let avg = playlist.totalDuration > 0 ? total * 8 / playlist.totalDuration : 0
        if peak == 0 { peak = avg }
        let codecs = hasAudio ? "\(videoCodec),mp4a.40.2" : videoCodec
        return RungStats(
            planned: planned, peakBitsPerSecond: Int(peak.rounded()), averageBitsPerSecond: Int(avg.rounded()),
            codecs: codecs)
    }

    /// master.m3u8: every rung, highest first, with BANDWIDTH, AVERAGE-BANDWIDTH, RESOLUTION,
    /// CODECS and FRAME-RATE; the H.264 ladder first (what a native player starts with), then
    /// the AV1 one, told apart by CODECS.
    /// Version 7 for fragmented-MP4 segments (`#EXT-X-MAP` in the media playlists), 3 for MPEG-TS.
    public static func masterPlaylist(_ rungs: [RungStats], frameRate: Double, fragmentedMP4: Bool = true) -> String {
        var out = "#EXTM3U\n#EXT-X-VERSION:\(fragmentedMP4 ? 7 : 3)\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        let order = VideoCodec.allCases
        for r in rungs.sorted(by: {
            ($0.planned.codec != $1.planned.codec)
                ? order.firstIndex(of: $0.planned.codec)! < order.firstIndex(of: $1.planned.codec)!
                : $0.planned.height * $0.planned.width > $1.planned.height * $1.planned.width
        }) {
            out += "#EXT-X-STREAM-INF:BANDWIDTH=\(r.peakBitsPerSecond),AVERAGE-BANDWIDTH=\(r.averageBitsPerSecond),"
            out += "RESOLUTION=\(r.planned.width)x\(r.planned.height),CODECS=\"\(r.codecs)\","
            out += String(format: "FRAME-RATE=%.3f,NAME=\"%@\"\n", frameRate, r.planned.name)
            out += MediaLayout.playlist(r.planned.file) + "\n"
        }
        return out
    }

    /// The RFC 6381 codec string of the first segment, or of the init segment for CMAF (e.g.
    /// `avc1.64001f`, or `av01.0.08M.08` for AV1: profile, level index, tier, bit depth), read with
    /// ffprobe.
    public static func videoCodecString(segment: URL, runner: any ProcessRunning) -> String {
        let out = try? runner.run(
            "ffprobe",
            [
                "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,profile,level,pix_fmt",
                "-of", "default=nw=1", segment.path,
            ], timeout: 60)
        var profile = "High"
        var level = 31
        var name = "h264"
        var tenBit = false
        for line in (out?.stdout ?? "").split(separator: "\n") {
            if line.hasPrefix("codec_name=") { name = String(line.dropFirst(11)) }
            if line.hasPrefix("profile=") { profile = String(line.dropFirst(8)) }
            if line.hasPrefix("level="), let l = Int(line.dropFirst(6)), l >= 0 { level = l }
            if line.hasPrefix("pix_fmt=") { tenBit = line.contains("10") }
        }
        if name != "av1" && level == 0 { level = 31 }
        if name == "av1" {
            let p = profile == "High" ? 1 : profile == "Professional" ? 2 : 0
            return String(format: "av01.%d.%02dM.%02d", p, level, tenBit ? 10 : 8)
        }
        let p: (Int, Int) =
            switch profile {
            case "Baseline", "Constrained Baseline": (66, 0xE0)
            case "Main": (77, 0x40)
            case "High 10": (110, 0)
            default: (100, 0)
            }
        return String(format: "avc1.%02x%02x%02x", p.0, p.1, level)
    }
}

/// Captions for every HLS client, not only vlog's player: each captions track a WebVTT subtitles
/// rendition (`EXT-X-MEDIA:TYPE=SUBTITLES`) in the master playlist, referenced from every variant,
/// with a media playlist of one WebVTT segment (the whole track) whose `X-TIMESTAMP-MAP` puts its
/// cues on the video's timeline (CMAF segments start at media time 0). Written by the build from
/// the stored master and captions, so adding or removing captions changes only playlists and
/// WebVTT files, never a video segment.
/// A master playlist's audio renditions (`vlog audio add`): the rungs' own (muxed) audio as the
/// default rendition without a URI (RFC 8216 4.4.6.1: its media is in the variant), and each
/// extra track as an audio-only rendition, all in one group named by `AUDIO=` on every variant.
public enum HLSAudio {
    public struct Track: Sendable, Equatable {
        public var lang: String
        public var label: String
        public var describesVideo: Bool
        /// nil: the variants' own audio.
        public var uri: String?
        public init(lang: String, label: String, describesVideo: Bool, uri: String?) {
            self.lang = lang
            self.label = label
            self.describesVideo = describesVideo
            self.uri = uri
        }
    }
    public static let group = "audio"

    /// `main`: the variants' own audio (nil when they have none: the first track is then the default).
    public static func master(_ master: String, main: Track?, tracks: [Track]) -> String {
        guard !tracks.isEmpty, master.contains("#EXT-X-VERSION:7"), !master.contains("TYPE=AUDIO") else {
            return master
        }
        let media = ((main.map { [$0] } ?? []) + tracks).enumerated().map { i, t in
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"\(group)\",NAME=\"\(HLSSubtitles.quoted(t.label))\","
                + "LANGUAGE=\"\(t.lang)\",DEFAULT=\(i == 0 ? "YES" : "NO"),AUTOSELECT=YES,CHANNELS=\"2\""
                + (t.describesVideo ? ",CHARACTERISTICS=\"public.accessibility.describes-video\"" : "")
                + (t.uri.map { ",URI=\"\($0)\"" } ?? "")
        }
        return HLSSubtitles.withRenditions(master, media: media, attribute: "AUDIO=\"\(group)\"")
    }
}

public enum HLSSubtitles {
    public struct Track: Sendable, Equatable {
        public var lang: String
        public var label: String
        public var isDefault: Bool
        public init(lang: String, label: String, isDefault: Bool) {
            self.lang = lang
            self.label = label
            self.isDefault = isDefault
        }
        /// `subs.en.m3u8`, `subs.en.vtt`.
        public var playlist: String { "subs.\(lang).m3u8" }
        public var segment: String { "subs.\(lang).vtt" }
    }
    public static let group = "subs"

    /// Whether `master` can take subtitle renditions: a CMAF master (version 7) that names none yet.
    public static func applies(to master: String) -> Bool {
        master.contains("#EXT-X-VERSION:7") && !master.contains("TYPE=SUBTITLES")
    }

    /// The master with a SUBTITLES rendition per track and `SUBTITLES="subs"` on every variant.
    public static func master(_ master: String, tracks: [Track]) -> String {
        guard !tracks.isEmpty, applies(to: master) else { return master }
        let media = tracks.map { t in
            "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"\(group)\",NAME=\"\(quoted(t.label))\","
                + "LANGUAGE=\"\(t.lang)\",DEFAULT=\(t.isDefault ? "YES" : "NO"),AUTOSELECT=YES,URI=\"\(t.playlist)\""
        }
        return withRenditions(master, media: media, attribute: "SUBTITLES=\"\(group)\"")
    }

    /// `master` with the `media` lines before its first variant and `attribute` on every variant.
    static func withRenditions(_ master: String, media: [String], attribute: String) -> String {
        var out = ""
        var added = false
        for line in master.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("#EXT-X-STREAM-INF:") {
                if !added { out += media.map { $0 + "\n" }.joined() }
                added = true
                out += line + "," + attribute + "\n"
            } else {
                out += line + "\n"
            }
        }
        return String(out.dropLast())
    }

    /// A track's media playlist: one segment, the whole video long.
    public static func playlist(_ t: Track, duration: Double) -> String {
        let d = max(duration, 0.001)
        return """
            #EXTM3U
            #EXT-X-VERSION:3
            #EXT-X-TARGETDURATION:\(Int(d.rounded(.up)))
            #EXT-X-PLAYLIST-TYPE:VOD
            #EXT-X-MEDIA-SEQUENCE:0
            #EXTINF:\(String(format: "%.3f", d)),
            \(t.segment)
            #EXT-X-ENDLIST

            """
    }

    /// The WebVTT segment: the captions file with `X-TIMESTAMP-MAP` in its header (cue time 0 is
    /// media time 0).
    public static func segment(_ vtt: String) -> String {
        let body = vtt.hasPrefix("\u{FEFF}") ? String(vtt.dropFirst()) : vtt
        guard let firstLine = body.firstIndex(where: \.isNewline) else {
            return body + "\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n"
        }
        return String(body[..<firstLine]) + "\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000"
            + String(body[firstLine...])
    }

    static func quoted(_ s: String) -> String { s.replacingOccurrences(of: "\"", with: "'") }
}
