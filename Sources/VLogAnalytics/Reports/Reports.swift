import Foundation
import VLogStore
import VLogSupport

/// The analytics a site owner reads: the document's Analytics Overview for a period, per video,
/// per category, per day and by quality.
public struct AnalyticsReport: Codable, Sendable {
    public struct Overview: Codable, Sendable {
        public var views: Int
        public var uniqueViewers: Int
        public var watchHours: Double
        public var completionRate: Double
        /// How the sessions were measured: by the player's beacons, by the player's media requests
        /// (CMCD), or estimated from segment requests alone.
        public var fromPlayer: Int
        public var fromCMCD: Int = 0
        public var estimated: Int
    }
    public struct DayQoE: Codable, Sendable {
        public var day: String
        public var qoe: QoEReport
    }
    /// Audience retention: the share of sessions that reached each point of the video.
    public struct RetentionPoint: Codable, Sendable {
        public var percent: Int
        public var share: Double
    }
    public struct VideoRow: Codable, Sendable {
        public var slug: String
        public var title: String
        public var views: Int
        public var uniqueViewers: Int
        public var watchHours: Double
        public var averageWatchedSeconds: Double
        public var completionRate: Double
    }
    public struct CategoryRow: Codable, Sendable {
        public var category: String
        public var views: Int
        public var watchHours: Double
        public var completionRate: Double
    }
    public struct DayRow: Codable, Sendable {
        public var day: String
        public var views: Int
        public var watchHours: Double
        public var completionRate: Double
    }
    public struct QualityRow: Codable, Sendable {
        public var quality: String
        public var sessions: Int
        public var shareOfWatchTime: Double
    }
    public var from: String
    public var to: String
    public var overview: Overview
    public var videos: [VideoRow]
    public var categories: [CategoryRow]
    public var days: [DayRow]
    public var qualities: [QualityRow]
    /// With `video`: the share of its sessions that reached 0%, 10%, ... 100% of it (from each
    /// session's furthest point).
    public var retention: [RetentionPoint]?
    /// The same for each video of `videos`, by slug.
    public var retentionByVideo: [String: [RetentionPoint]] = [:]
    /// Quality of experience over the period, for each video of `videos` and for each day with views.
    public var qoe = QoEReport()
    public var qoeByVideo: [String: QoEReport] = [:]
    public var qoeByDay: [DayQoE] = []
    /// Every video with views in the period, by views (`videos` is its top): the dashboard's
    /// pages per video.
    public var watchedVideos: [String] = []
    /// The parts of the period read from the sessions themselves rather than the rollups (parts
    /// of a day, or days a read-only database could not bring up to date), as `from .. to`.
    public var fromSessions: [String] = []

    /// Watch time as people read it: minutes under an hour ("12 min"), else hours ("3.4 h").
    public static func watchTime(_ hours: Double) -> String {
        hours < 1 ? "\(Int((hours * 60).rounded())) min" : String(format: "%.1f h", hours)
    }

    /// Columns padded to their widest cell: the first left-aligned, the others right-aligned.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { min(40, $0[c].count) }.max() ?? 0 }
        return all.map { row in
            "  "
                + row.enumerated().map { c, cell in
                    let text = cell.count > 40 ? String(cell.prefix(39)) + "…" : cell
                    let pad = String(repeating: " ", count: max(0, widths[c] - text.count))
                    return c == 0 ? text + pad : pad + text
                }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    public func json() -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? e.encode(self)) ?? Data(), as: UTF8.self)
    }

    public func text() -> String {
        func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
        func h(_ x: Double) -> String { String(format: "%.2f", x) }
        var out = "Analytics \(from) .. \(to) UTC\n\n"
        out +=
            "views \(overview.views)   unique viewers \(overview.uniqueViewers)   watched \(Self.watchTime(overview.watchHours))   completion \(pct(overview.completionRate))\n"
        out +=
            "measured: \(overview.fromPlayer) from the player's beacons, \(overview.fromCMCD) from its media requests (CMCD), \(overview.estimated) estimated from segment requests"
        if overview.views > 0 {
            let v = Double(overview.views)
            out +=
                " (\(pct(Double(overview.fromPlayer) / v)) / \(pct(Double(overview.fromCMCD) / v)) / \(pct(Double(overview.estimated) / v)))"
        }
        if !fromSessions.isEmpty {
            out +=
                "read from the sessions themselves (not whole stored days): \(fromSessions.joined(separator: ", "))\n"
        }
        out += "\n" + qoe.text()
        if let retention, !retention.isEmpty {
            out += "\nAudience retention (share of sessions that reached each point)\n"
            for r in retention {
                let bar = String(repeating: "#", count: Int((r.share * 40).rounded()))
                out += String(format: "  %3d%%  %6@  ", r.percent, pct(r.share)) + bar + "\n"
            }
        }
        if !videos.isEmpty {
            out += "\nTop videos\n"
            out += Self.table(
                ["VIDEO", "VIEWS", "UNIQUE", "WATCHED", "AVG WATCHED", "COMPLETED"],
                videos.map {
                    [
                        $0.slug, String($0.views), String($0.uniqueViewers), Self.watchTime($0.watchHours),
                        Format.duration($0.averageWatchedSeconds), pct($0.completionRate),
                    ]
                })
        }
        if !categories.isEmpty {
            out += "\nBy category\n"
            out += Self.table(
                ["CATEGORY", "VIEWS", "WATCHED", "COMPLETED"],
                categories.map {
                    [$0.category, String($0.views), Self.watchTime($0.watchHours), pct($0.completionRate)]
                })
        }
        if !days.isEmpty {
            out += "\nViews per day\n"
            let peak = max(1, days.map(\.views).max() ?? 1)
            for d in days {
                out +=
                    "  \(d.day) " + String(format: "%6d ", d.views)
                    + String(repeating: "█", count: d.views * 40 / peak) + "\n"
            }
        }
        if !qualities.isEmpty {
            out += "\nQuality mix (share of watch time)\n"
            for q in qualities {
                out +=
                    "  " + q.quality.padding(toLength: 8, withPad: " ", startingAt: 0)
                    + " \(pct(q.shareOfWatchTime))  (\(q.sessions) sessions)\n"
            }
        }
        return out
    }
}
