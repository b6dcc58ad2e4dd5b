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

    /// Sessions started in [from, to).
    public static func load(db: SQLiteConnection, from: Date, to: Date, video: String? = nil, top: Int = 20) throws
        -> AnalyticsReport
    {
        var filter = "julianday(s.started_at) >= julianday(?) AND julianday(s.started_at) < julianday(?)"
        var params: [any SQLBindable] = [from, to]
        if let video {
            filter += " AND v.slug = ?"
            params.append(video)
        }
        let base = "FROM playback_sessions s JOIN videos v ON v.id = s.video_id WHERE \(filter)"
        let o = try db.queryOne(
            """
            SELECT COUNT(*) AS views, COUNT(DISTINCT s.viewer_id) AS uniq, COALESCE(SUM(s.duration_watched), 0) / 3600.0 AS hours,
                   COALESCE(AVG(CASE WHEN s.completed THEN 1.0 ELSE 0.0 END), 0) AS rate \(base)
            """, params)
        let views = o?.int("views") ?? 0
        // How each session was measured, and its quality of experience (sessions written before
        // the measures were kept: player sessions by their token, the rest estimated).
        var kinds: [SessionQoE.Kind: Int] = [:]
        var all = QoEReport.Accumulator()
        var bySlug: [String: QoEReport.Accumulator] = [:]
        var byDayQoE: [String: QoEReport.Accumulator] = [:]
        try db.forEach(
            """
            SELECT v.slug AS slug, date(s.started_at) AS day, s.duration_watched AS w, s.session_token AS tok,
                   s.quality_used AS q, m.kind AS kind, m.started AS started, m.startup_ms AS su, m.rebuffers AS rb,
                   m.rebuffer_ms AS rt, m.failed AS failed, m.rung_seconds AS rungs
            \(base.replacingOccurrences(of: "JOIN videos v ON v.id = s.video_id", with: "JOIN videos v ON v.id = s.video_id LEFT JOIN vlog_session_measures m ON m.session_token = s.session_token"))
            """, params
        ) { r in
            let token = r.string("tok") ?? ""
            let kind =
                r.string("kind").flatMap { SessionQoE.Kind(rawValue: $0) }
                ?? (token.hasPrefix(SessionState.playerTokenPrefix) ? .player : .estimated)
            kinds[kind, default: 0] += 1
            let w = r.double("w") ?? 0
            var x = QoEReport.Sample(watched: w)
            if r.string("kind") != nil {
                x.started = r.bool("started")
                x.startupMs = r.int("su")
                x.rebuffers = r.int("rb")
                x.rebufferMs = r.int("rt")
                x.failed = r.bool("failed")
                x.rungSeconds = QoEReport.decodeRungs(r.string("rungs"))
            } else if let q = r.string("q") {
                x.rungSeconds = [q: w]
            }
            all.add(x)
            bySlug[r.string("slug") ?? "", default: QoEReport.Accumulator()].add(x)
            byDayQoE[r.string("day") ?? "", default: QoEReport.Accumulator()].add(x)
        }
        let overview = Overview(
            views: views, uniqueViewers: o?.int("uniq") ?? 0,
            watchHours: o?.double("hours") ?? 0, completionRate: o?.double("rate") ?? 0,
            fromPlayer: kinds[.player] ?? 0, fromCMCD: kinds[.cmcd] ?? 0, estimated: kinds[.estimated] ?? 0)
        // What each session covered, as shares of its video, by video: exactly (the played intervals)
        // for sessions measured by the player, from the start to the furthest point otherwise.
        var reachedBy: [String: [[ClosedRange<Double>]]] = [:]
        try db.forEach(
            """
            SELECT v.slug AS slug, s.max_position AS m, v.duration AS d, i.intervals AS iv
            \(base.replacingOccurrences(of: "JOIN videos v ON v.id = s.video_id", with: "JOIN videos v ON v.id = s.video_id LEFT JOIN vlog_session_intervals i ON i.session_token = s.session_token"))
            """, params
        ) { r in
            let d = r.double("d") ?? 0
            guard d > 0 else { return }
            var ranges: [ClosedRange<Double>] = [0...min(1, (r.double("m") ?? 0) / d)]
            if let json = r.string("iv"),
                let parsed = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[Double]]
            {
                ranges = parsed.filter { $0.count == 2 && $0[1] >= $0[0] }.map {
                    (max(0, $0[0]) / d)...(min(d, $0[1]) / d)
                }
            }
            reachedBy[r.string("slug") ?? "", default: []].append(ranges)
        }
        func curve(_ sessions: [[ClosedRange<Double>]]) -> [RetentionPoint] {
            stride(from: 0, through: 100, by: 10).map { p in
                let x = Double(p) / 100
                // The first point counts every session that started; the others, those playing there.
                let hits = sessions.filter { s in
                    p == 0 ? true : s.contains { $0.lowerBound <= x + 0.005 && $0.upperBound >= x - 0.005 }
                }.count
                return RetentionPoint(percent: p, share: sessions.isEmpty ? 0 : Double(hits) / Double(sessions.count))
            }
        }
        let retention: [RetentionPoint]? = video.map { curve(reachedBy[$0] ?? []) }
        let videos = try db.query(
            """
            SELECT v.slug, v.title, COUNT(*) AS views, COUNT(DISTINCT s.viewer_id) AS uniq, SUM(s.duration_watched) / 3600.0 AS hours,
                   AVG(s.duration_watched) AS avgw, AVG(CASE WHEN s.completed THEN 1.0 ELSE 0.0 END) AS rate
            \(base) GROUP BY v.id ORDER BY views DESC, hours DESC LIMIT \(top)
            """, params
        ).map {
            VideoRow(
                slug: $0.string("slug") ?? "", title: $0.string("title") ?? "", views: $0.int("views") ?? 0,
                uniqueViewers: $0.int("uniq") ?? 0, watchHours: $0.double("hours") ?? 0,
                averageWatchedSeconds: $0.double("avgw") ?? 0, completionRate: $0.double("rate") ?? 0)
        }
        let categories = try db.query(
            """
            SELECT COALESCE(c.name, '(no category)') AS name, COUNT(*) AS views, SUM(s.duration_watched) / 3600.0 AS hours,
                   AVG(CASE WHEN s.completed THEN 1.0 ELSE 0.0 END) AS rate
            \(base.replacingOccurrences(of: "JOIN videos v ON v.id = s.video_id", with: "JOIN videos v ON v.id = s.video_id LEFT JOIN categories c ON c.id = v.category_id"))
            GROUP BY c.id ORDER BY views DESC
            """, params
        ).map {
            CategoryRow(
                category: $0.string("name") ?? "", views: $0.int("views") ?? 0, watchHours: $0.double("hours") ?? 0,
                completionRate: $0.double("rate") ?? 0)
        }
        var byDay: [String: DayRow] = [:]
        for r in try db.query(
            """
            SELECT date(s.started_at) AS day, COUNT(*) AS views, SUM(s.duration_watched) / 3600.0 AS hours,
                   AVG(CASE WHEN s.completed THEN 1.0 ELSE 0.0 END) AS rate
            \(base) GROUP BY day ORDER BY day
            """, params)
        {
            let day = r.string("day") ?? ""
            byDay[day] = DayRow(
                day: day, views: r.int("views") ?? 0, watchHours: r.double("hours") ?? 0,
                completionRate: r.double("rate") ?? 0)
        }
        // Every day of the period, days without views as zero (up to about a year of days).
        var days: [DayRow] = []
        let first = floor(from.timeIntervalSince1970 / 86400)
        let last = floor((to.timeIntervalSince1970 - 1) / 86400)
        if last - first < 400 {
            for d in stride(from: first, through: last, by: 1) {
                let day = String(DBDate.format(Date(timeIntervalSince1970: d * 86400)).prefix(10))
                days.append(byDay[day] ?? DayRow(day: day, views: 0, watchHours: 0, completionRate: 0))
            }
        } else {
            days = byDay.values.sorted { $0.day < $1.day }
        }
        let totalWatch = max(1e-9, overview.watchHours * 3600)
        let qualities = try db.query(
            """
            SELECT COALESCE(s.quality_used, '?') AS q, COUNT(*) AS n, SUM(s.duration_watched) AS w
            \(base) GROUP BY q ORDER BY w DESC
            """, params
        ).map {
            QualityRow(
                quality: $0.string("q") ?? "?", sessions: $0.int("n") ?? 0,
                shareOfWatchTime: ($0.double("w") ?? 0) / totalWatch)
        }
        return AnalyticsReport(
            from: DBDate.format(from), to: DBDate.format(to), overview: overview, videos: videos,
            categories: categories, days: days, qualities: qualities, retention: retention,
            retentionByVideo: Dictionary(
                uniqueKeysWithValues: videos.map { ($0.slug, curve(reachedBy[$0.slug] ?? [])) }),
            qoe: all.finish(),
            qoeByVideo: Dictionary(
                uniqueKeysWithValues: videos.map { ($0.slug, (bySlug[$0.slug] ?? QoEReport.Accumulator()).finish()) }),
            qoeByDay: byDayQoE.keys.sorted().map {
                DayQoE(day: $0, qoe: (byDayQoE[$0] ?? QoEReport.Accumulator()).finish())
            })
    }

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
