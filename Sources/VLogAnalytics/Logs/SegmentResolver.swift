import Foundation
import VLogConfig
import VLogMedia
import VLogStore
import VLogSupport

/// Maps a request path to (video, rung, segment start, segment duration) through the site's own
/// URL layout: `.../<slug>/<rung>_<NNNN>.m4s` (CMAF) or `.ts` (sites transcoded before it) (pages under /v/<slug>/, or a media base URL). The
/// start is the segment's EXTINF start in the video's media playlist when it is on disk, else
/// index x the configured segment duration.
public final class SegmentResolver {
    struct VideoInfo {
        let id: Int
        let slug: [UInt8]
        let duration: Double
    }
    private var bySlugHash: [UInt64: [VideoInfo]] = [:]
    private var rungCache: [UInt64: (String, [MediaPlaylist.Segment])] = [:]
    let site: Site
    let segmentSeconds: Double
    public private(set) var durations: [Int: Double] = [:]
    private var idBySlug: [String: Int] = [:]
    /// Each video's rungs as (height, name), for naming the rendition a beacon reports.
    private var rungs: [Int: [(height: Int, name: String)]] = [:]

    public init(site: Site, db: SQLiteConnection) throws {
        self.site = site
        segmentSeconds = site.config.segmentSeconds
        for r in try db.query("SELECT id, slug, duration FROM videos") {
            guard let id = r.int("id"), let slug = r.string("slug") else { continue }
            let bytes = Array(slug.utf8)
            let d = r.double("duration") ?? 0
            bySlugHash[FNV.hash(bytes), default: []].append(VideoInfo(id: id, slug: bytes, duration: d))
            durations[id] = d
            idBySlug[slug] = id
        }
        for r in try db.query("SELECT video_id, quality, height FROM video_qualities") {
            guard let id = r.int("video_id"), let name = r.string("quality") else { continue }
            rungs[id, default: []].append((r.int("height") ?? 0, name))
        }
    }

    /// The video a beacon names by slug.
    func videoID(slug: String) -> Int? { idBySlug[slug] }

    /// The video of a playlist or init request whose CMCD names it (`cid`, the slug for vlog's
    /// player; other players send a URL or their own id, which is looked up by its last path part).
    func videoID(cmcd: CMCDData) -> Int? {
        guard let cid = cmcd.cid else { return nil }
        if let id = idBySlug[cid] { return id }
        let parts = cid.split(separator: "/").filter { !$0.isEmpty && !$0.contains(".") }
        return parts.last.flatMap { idBySlug[String($0)] }
    }

    /// The rung whose height is closest to a rendition's (`720p` for 720).
    func rung(videoID: Int, height: Int) -> String? {
        guard height > 0 else { return nil }
        return rungs[videoID]?.min { abs($0.height - height) < abs($1.height - height) }?.name ?? "\(height)p"
    }

    public enum Result {
        case segment(videoID: Int, rung: String, start: Double, duration: Double)
        case notSegment, unknownVideo
    }

    /// Resolves the URI bytes of a request.
    public func resolve(_ line: UnsafeBufferPointer<UInt8>, _ uri: Range<Int>) -> Result {
        var end = uri.upperBound
        for j in uri where line[j] == UInt8(ascii: "?") || line[j] == UInt8(ascii: "#") {
            end = j
            break
        }
        // ...<slug>/<rung>_<digits>.m4s or .ts (an index from either names the same segment, so a
        // log from before `vlog transcode --remux` resolves against the upgraded playlists).
        guard end - uri.lowerBound > 6, line[end - 1] == UInt8(ascii: "s") else { return .notSegment }
        let dot: Int
        if line[end - 3] == UInt8(ascii: "."), line[end - 2] == UInt8(ascii: "t") {
            dot = end - 3
        } else if line[end - 4] == UInt8(ascii: "."), line[end - 3] == UInt8(ascii: "m"),
            line[end - 2] == UInt8(ascii: "4")
        {
            dot = end - 4
        } else {
            return .notSegment
        }
        var slash = end - 1
        while slash >= uri.lowerBound, line[slash] != UInt8(ascii: "/") { slash -= 1 }
        guard slash > uri.lowerBound else { return .notSegment }
        var underscore = dot - 1
        var index = 0
        var scale = 1
        while underscore > slash, line[underscore] >= 48, line[underscore] <= 57 {
            index += Int(line[underscore] - 48) * scale
            scale *= 10
            underscore -= 1
        }
        guard underscore > slash + 1, line[underscore] == UInt8(ascii: "_"), scale > 1 else { return .notSegment }
        var slugStart = slash - 1
        while slugStart >= uri.lowerBound, line[slugStart] != UInt8(ascii: "/") { slugStart -= 1 }
        slugStart += 1
        guard slugStart < slash else { return .notSegment }
        let h = FNV.hash(line, slugStart..<slash)
        let n = slash - slugStart
        let match = bySlugHash[h]?.first { info in
            info.slug.count == n
                && info.slug.withUnsafeBufferPointer { memcmp($0.baseAddress!, line.baseAddress! + slugStart, n) == 0 }
        }
        if let info = match {
            let rh = FNV.hash(line, (slash + 1)..<underscore, from: UInt64(info.id) &* 0x9E37_79B9_7F4A_7C15)
            return segment(info, rungKey: rh, rung: line[(slash + 1)..<underscore], index: index)
        }
        // Percent-encoded slugs: decode and try again (rare).
        let slug = Array(line[slugStart..<slash])
        if slug.contains(UInt8(ascii: "%")), let decoded = String(decoding: slug, as: UTF8.self).removingPercentEncoding
        {
            let d = Array(decoded.utf8)
            if let info = bySlugHash[FNV.hash(d)]?.first(where: { $0.slug == d }) {
                let rh = FNV.hash(line, (slash + 1)..<underscore, from: UInt64(info.id) &* 0x9E37_79B9_7F4A_7C15)
                return segment(info, rungKey: rh, rung: line[(slash + 1)..<underscore], index: index)
            }
        }
        return .unknownVideo
    }

    /// The rung's name and media playlist, cached per (video, rung).
    private func segment(_ info: VideoInfo, rungKey: UInt64, rung bytes: Slice<UnsafeBufferPointer<UInt8>>, index: Int)
        -> Result
    {
        let rung: String
        let segs: [MediaPlaylist.Segment]
        if let cached = rungCache[rungKey] {
            (rung, segs) = cached
        } else {
            // `720p_0003.m4s`, or `720p.v2_0003.m4s` once re-encoded: the file's stem names its
            // playlist, the rung is the stem's first part.
            let stem = String(decoding: UnsafeBufferPointer(rebasing: bytes), as: UTF8.self)
            rung = MediaLayout.rung(stem: stem)
            let url = site.mediaDir(slug: String(decoding: info.slug, as: UTF8.self)).appendingPathComponent(
                MediaLayout.playlist(stem))
            segs = (try? String(contentsOf: url, encoding: .utf8)).map { MediaPlaylist.parse($0).segments } ?? []
            rungCache[rungKey] = (rung, segs)
        }
        // An audio track's segment (`audio.de.k3f9_0003.m4s`, `vlog audio add`) is no rung: the
        // video's segments that play with it say what is watched.
        if rung == "audio" { return .notSegment }
        if index < segs.count {
            return .segment(videoID: info.id, rung: rung, start: segs[index].start, duration: segs[index].duration)
        }
        var d = segmentSeconds
        if info.duration > 0 { d = min(d, max(0.1, info.duration - Double(index) * segmentSeconds)) }
        return .segment(videoID: info.id, rung: rung, start: Double(index) * segmentSeconds, duration: max(0.1, d))
    }
}

/// Bots, crawlers and tools, by user agent (the behavioural check is `SessionState.looksAutomated`).
public enum BotFilter {
    static let needles: [[UInt8]] = [
        "bot", "crawl", "spider", "slurp", "curl/", "wget", "python", "go-http-client", "java/", "libwww", "httpclient",
        "lavf/", "ffmpeg", "yt-dlp", "youtube-dl", "aria2", "scrapy", "facebookexternalhit", "embedly", "preview",
        "monitor", "uptime", "pingdom", "feedfetcher", "httrack", "node-fetch", "axios", "okhttp/2", "zgrab", "masscan",
        "nmap", "nikto", "phantomjs", "archive.org",
    ].map { Array($0.utf8) }

    /// Verdicts per distinct user agent (a log has few of them, each seen many times).
    public final class Cache {
        var verdicts: [UInt64: Bool] = [:]
        public init() {}
    }

    public static func isBot(_ line: UnsafeBufferPointer<UInt8>, _ ua: Range<Int>, uaHash h: UInt64, cache: Cache)
        -> Bool
    {
        if let v = cache.verdicts[h] { return v }
        let v = isBot(line, ua)
        if cache.verdicts.count > 100_000 { cache.verdicts.removeAll(keepingCapacity: true) }
        cache.verdicts[h] = v
        return v
    }

    public static func isBot(_ line: UnsafeBufferPointer<UInt8>, _ ua: Range<Int>) -> Bool {
        if ua.isEmpty || (ua.count == 1 && line[ua.lowerBound] == UInt8(ascii: "-")) { return true }
        var lower = [UInt8](repeating: 0, count: ua.count)
        for (i, j) in ua.enumerated() {
            let c = line[j]
            lower[i] = (c >= 65 && c <= 90) ? c | 0x20 : c
        }
        for n in needles where contains(lower, n) { return true }
        return false
    }

    static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        guard hay.count >= needle.count else { return false }
        let first = needle[0]
        var i = 0
        let last = hay.count - needle.count
        while i <= last {
            if hay[i] == first {
                var ok = true
                for k in 1..<needle.count where hay[i + k] != needle[k] {
                    ok = false
                    break
                }
                if ok { return true }
            }
            i += 1
        }
        return false
    }
}
