import Foundation
import VLogConfig
import VLogSupport

/// One rung as it will be encoded for a particular source.
public struct PlannedRung: Sendable, Equatable {
    public var rung: Rung
    public var width: Int
    public var height: Int
    public var name: String { rung.name }
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

    /// H.264 in 4:2:0 needs even sizes.
    static func even(_ x: Double) -> Int { max(2, Int((x / 2).rounded()) * 2) }
}
