/// The names of a video's media files, the one place the transcoder, the site build, the feeds
/// and the log ingester take them from. A video's folder (`videos/SLUG/` in storage, `/v/SLUG/`
/// on the site) holds:
///
///     master.m3u8                 the master playlist, every rung, highest first
///     RUNG.m3u8                   a rung's media playlist, e.g. 720p.m3u8 (each name below with
///                                 RUNG.vN in place of RUNG once re-encoded: 720p.v2.m3u8,
///                                 720p.v2_0003.m4s; see `stem`)
///     RUNG_init.mp4               its CMAF init segment (fragmented MP4)
///     RUNG_NNNN.m4s               its media segments, numbered from 0000, e.g. 720p_0003.m4s
///                                 (RUNG_NNNN.ts in sites transcoded before CMAF; `--remux` upgrades)
///     storyboard_NN.jpg           seek-preview thumbnails, 10 x 10 per sheet, from 00
///     storyboard.vtt              where each thumbnail is (`storyboard_00.jpg#xywh=x,y,w,h`)
///     thumbnail.jpg               the poster
///     thumbnail-small.jpg         the list thumbnail
///     captions.vtt                captions, when present
///     chapters.vtt                chapters set by `vlog chapters set`, when present
public enum MediaLayout {
    public static let master = "master.m3u8"
    /// The folder of a video's attachments (images, downloads), beside its renditions.
    public static let attachments = "files"
    public static let poster = "thumbnail.jpg"
    public static let smallPoster = "thumbnail-small.jpg"
    public static let captions = "captions.vtt"
    public static let storyboard = "storyboard.vtt"
    /// Chapters set by `vlog chapters set` (WebVTT), kept with the video's media.
    public static let chapters = "chapters.vtt"
    /// The same chapters as Podcasting 2.0's JSON (written by the build beside the page).
    public static let chaptersJSON = "chapters.json"
    /// The audio alone (AAC, stream copy of a rung's), the podcast feed's enclosure.
    public static let audio = "audio.m4a"
    /// ffmpeg's image2 pattern for storyboard sheets (`-start_number 0`).
    public static let storyboardPattern = "storyboard_%02d.jpg"
    /// The extension of segments: CMAF media segments; MPEG-TS in older sites (both are counted by
    /// the ingester).
    public static let segmentExtension = "m4s"
    public static let legacySegmentExtension = "ts"

    /// The stem of a rung's files in rendition `version`: `720p` for the first, `720p.v2` for the
    /// next (`vlog transcode --reencode`). Rung names hold only letters, digits, `-` and `_`, so the
    /// first `.` ends the rung's name (`rung(stem:)`).
    public static func stem(rung: String, version: Int) -> String { version > 1 ? "\(rung).v\(version)" : rung }
    /// The rung a file stem names: `720p` for `720p.v2`.
    public static func rung(stem: String) -> String { String(stem.prefix { $0 != "." }) }
    /// The rendition version of a master playlist: the `.vN` of the media playlists it names (1 if none).
    public static func version(master: String) -> Int {
        for line in master.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") && line.hasSuffix(".m3u8") {
            for part in line.dropLast(5).split(separator: ".").dropFirst() where part.hasPrefix("v") {
                if let n = Int(part.dropFirst()), n > 1 { return n }
            }
        }
        return 1
    }

    /// `720p_init.mp4`.
    public static func initSegment(_ rung: String) -> String { "\(rung)_init.mp4" }
    /// `storyboard_03.jpg`.
    public static func storyboardSheet(_ index: Int) -> String {
        index < 10 ? "storyboard_0\(index).jpg" : "storyboard_\(index).jpg"
    }

    /// `720p.m3u8`.
    public static func playlist(_ rung: String) -> String { "\(rung).m3u8" }
    /// `720p_%04d.m4s`, ffmpeg's `-hls_segment_filename` pattern.
    public static func segmentPattern(_ rung: String, ext: String = segmentExtension) -> String {
        "\(rung)_%04d.\(ext)"
    }
    /// `720p_0003.m4s`.
    public static func segment(_ rung: String, _ index: Int, ext: String = segmentExtension) -> String {
        let n = String(index)
        return "\(rung)_\(String(repeating: "0", count: max(0, 4 - n.count)))\(n).\(ext)"
    }
}
