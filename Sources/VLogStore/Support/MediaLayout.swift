/// The names of a video's media files, the one place the transcoder, the site build, the feeds
/// and the log ingester take them from. A video's folder (`videos/SLUG/` in storage, `/v/SLUG/`
/// on the site) holds:
///
///     master.m3u8                 the master playlist, every rung, highest first
///     RUNG.m3u8                   a rung's media playlist, e.g. 720p.m3u8
///     RUNG_NNNN.ts                its segments, numbered from 0000, e.g. 720p_0003.ts
///     thumbnail.jpg               the poster
///     thumbnail-small.jpg         the list thumbnail
///     captions.vtt                captions, when present
public enum MediaLayout {
    public static let master = "master.m3u8"
    public static let poster = "thumbnail.jpg"
    public static let smallPoster = "thumbnail-small.jpg"
    public static let captions = "captions.vtt"
    /// The extension of segments (what the ingester counts as a segment request).
    public static let segmentExtension = "ts"

    /// `720p.m3u8`.
    public static func playlist(_ rung: String) -> String { "\(rung).m3u8" }
    /// `720p_%04d.ts`, ffmpeg's `-hls_segment_filename` pattern.
    public static func segmentPattern(_ rung: String) -> String { "\(rung)_%04d.\(segmentExtension)" }
    /// `720p_0003.ts`.
    public static func segment(_ rung: String, _ index: Int) -> String {
        let n = String(index)
        return "\(rung)_\(String(repeating: "0", count: max(0, 4 - n.count)))\(n).\(segmentExtension)"
    }
}
