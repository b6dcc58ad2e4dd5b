import Foundation
import VLogConfig
import VLogSupport

/// The video codecs of the ladders (`transcode.codecs`).
public enum VideoCodec: String, Sendable, Codable, CaseIterable {
    case h264, av1
}

/// One rung as it will be encoded for a particular source.
public struct PlannedRung: Sendable, Equatable {
    public var rung: Rung
    public var width: Int
    public var height: Int
    /// The rendition's version: 1 for a video's first transcode, then one more for each
    /// `vlog transcode --reencode`, so a re-encoded rung's files have new names (never a cached
    /// old segment under a new playlist).
    public var version = 1
    public var codec = VideoCodec.h264
    public var name: String { rung.name }
    /// The rung among both ladders: `720p` (H.264), `720p.av1`.
    public var id: String { codec == .h264 ? name : "\(name).\(codec.rawValue)" }
    /// The stem of the rung's files: `720p` (`720p.m3u8`, `720p_0003.m4s`), `720p.av1` for the
    /// AV1 ladder, `720p.v2` once re-encoded (`720p.v2.m3u8`, `720p.v2_0003.m4s`).
    public var file: String { MediaLayout.stem(rung: id, version: version) }

    public init(rung: Rung, width: Int, height: Int, version: Int = 1, codec: VideoCodec = .h264) {
        self.rung = rung
        self.width = width
        self.height = height
        self.version = version
        self.codec = codec
    }
}

/// The ladder for one source: which rungs to encode, at which size, and which are skipped.
public struct LadderPlan: Sendable, Equatable {
    public var rungs: [PlannedRung]
    public var skipped: [Rung]

    /// Rungs above the source are skipped (ranked by the short side, so portrait clips get the
    /// same rungs as landscape ones); a source below the smallest rung gets one rung at its own size.
    public static func plan(ladder: [Rung], source: ProbeResult) -> LadderPlan {
        let sorted = ladder.sorted { $0.height > $1.height }
        let short = source.shortSide
        let fitting = sorted.filter { $0.height <= short }
        func size(_ target: Int) -> (Int, Int) {
            let long = Double(max(source.width, source.height)) * Double(target) / Double(short)
            let l = even(long)
            let s = even(Double(target))
            return source.isPortrait ? (s, l) : (l, s)
        }
        if fitting.isEmpty, let lowest = sorted.last {
            let own = even(Double(short))
            let (w, h) = size(own)
            let r = Rung(name: "\(own)p", height: own, videoKbps: lowest.videoKbps, audioKbps: lowest.audioKbps)
            return LadderPlan(rungs: [PlannedRung(rung: r, width: w, height: h)], skipped: sorted)
        }
        let planned = fitting.map { r -> PlannedRung in
            let (w, h) = size(r.height)
            return PlannedRung(rung: r, width: w, height: h)
        }
        return LadderPlan(rungs: planned, skipped: sorted.filter { $0.height > short })
    }

    /// The same rungs, their files named for rendition `version`.
    public func versioned(_ version: Int) -> LadderPlan {
        var p = self
        for i in p.rungs.indices { p.rungs[i].version = version }
        return p
    }

    /// The same rungs in another codec's ladder.
    public func coded(_ codec: VideoCodec) -> LadderPlan {
        var p = self
        for i in p.rungs.indices { p.rungs[i].codec = codec }
        return p
    }

    /// H.264 in 4:2:0 needs even sizes.
    static func even(_ x: Double) -> Int { max(2, Int((x / 2).rounded()) * 2) }
}
