import Foundation
import VLogStore
import VLogSupport

extension AnalyticsReport {
    /// The end of `now`'s UTC day: the default end of a period, so a session that began this very
    /// second, or that a server clock a little ahead stamped later today, counts in today.
    public static func endOfDay(_ now: Date) -> Date {
        Date(timeIntervalSince1970: ((now.timeIntervalSince1970 / 86400).rounded(.down) + 1) * 86400)
    }

    /// The first midnight of the last `days` whole UTC days before `end` (exclusive), the day
    /// holding the instant before `end` included: "the last 30 days" of Plausible or YouTube Studio.
    public static func start(ofLast days: Int, until end: Date) -> Date {
        Date(timeIntervalSince1970: ((end.timeIntervalSince1970 / 86400).rounded(.up) - Double(days)) * 86400)
    }

    /// Sessions started in [from, to): whole UTC days from the rollups (`Rollups`: about 30 rows
    /// per video for a month, whatever the audience), the parts of a day at either end from the
    /// sessions through the `started_at` index. Unique viewers are exact: the viewer ids of the
    /// cells, counted once each.
    /// `catalog`: the videos as read once for many reports (the dashboard's page per video).
    public static func load(
        db: SQLiteConnection, from: Date, to: Date, video: String? = nil, top: Int = 20, catalog: ReportCatalog? = nil
    ) throws -> AnalyticsReport {
        // Stored days are brought up to date first. A database that cannot be written (a
        // read-only disk, a lock held too long) has its marked days read from the sessions.
        var stale: Set<String> = []
        let hasRollups =
            try db.queryOne("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'vlog_rollups'") != nil
        if hasRollups {
            do { try Rollups.refresh(db) } catch {
                stale = Set(try db.query("SELECT day FROM vlog_rollup_dirty").compactMap { $0.string("day") })
            }
        }
        let allRaw = !hasRollups || stale.contains("*")
        let catalog = try catalog ?? ReportCatalog(db: db)
        var videoID: Int?
        if let video { videoID = catalog.ids[video] ?? -1 }
        var sum = Sums(catalog: catalog)
        var fromSessions: [String] = []
        let firstDay = (from.timeIntervalSince1970 / 86400).rounded(.up) * 86400
        var endDay = (to.timeIntervalSince1970 / 86400).rounded(.down) * 86400
        // A period that ends after the latest session (a report "to now") takes its last day
        // whole from the rollups: nothing in it starts later (through the index: the latest
        // stored start, as dates).
        if endDay < to.timeIntervalSince1970,
            let latest = try db.queryOne(
                "SELECT julianday(MAX(started_at)) < julianday(?) AS before FROM playback_sessions", [to]),
            latest.bool("before")
        {
            endDay += 86400
        }
        func day(_ t: Double) -> String { String(DBDate.format(Date(timeIntervalSince1970: t)).prefix(10)) }
        func raw(_ a: Date, _ b: Date) throws {
            guard a < b else { return }
            fromSessions.append("\(DBDate.format(a)) .. \(DBDate.format(b))")
            try sum.addSessions(db, from: a, to: b, video: videoID)
        }
        if allRaw || firstDay >= endDay {
            try raw(from, to)
        } else {
            try raw(from, Date(timeIntervalSince1970: firstDay))
            try sum.addStored(db, from: day(firstDay), to: day(endDay), video: videoID, skipping: stale)
            for d in stale.sorted() where d >= day(firstDay) && d < day(endDay) {
                fromSessions.append(d)
                for (v, cell) in try Rollups.cells(db, day: d) where videoID == nil || v == videoID {
                    sum.add(day: d, video: v, cell, viewers: cell.viewers)
                }
            }
            try raw(Date(timeIntervalSince1970: endDay), to)
        }
        return try sum.report(
            db, from: from, to: to, single: video != nil, top: top, stored: allRaw ? nil : (day(firstDay), day(endDay)),
            stale: stale, fromSessions: fromSessions)
    }

    /// The cells of a period, summed by video and by day; viewers counted once each. A stored
    /// cell's startup times go to its day only (merging them into every video's sums was most of
    /// a report); the top videos' are read again with their viewers (`report`).
    struct Sums {
        let catalog: ReportCatalog
        var byVideo: [Int: RollupCell] = [:]
        var byDay: [String: RollupCell] = [:]
        var viewers = ViewerSet()
        /// Viewers of cells read from the sessions, by video (stored ones are read again for the
        /// top videos only).
        var rawViewers: [Int: [Int]] = [:]

        init(catalog: ReportCatalog) { self.catalog = catalog }
        /// Sessions of videos whose row is gone count nowhere (as the sessions' join with videos).
        func known(_ video: Int) -> Bool { catalog.videos[video] != nil }

        /// A cell read from the sessions.
        mutating func add(day: String, video: Int, _ c: RollupCell, viewers ids: [Int]) {
            guard known(video) else { return }
            byVideo[video, default: RollupCell()].merge(c)
            byDay[day, default: RollupCell()].merge(c)
            for id in ids { viewers.insert(id) }
            rawViewers[video, default: []].append(contentsOf: ids)
        }

        mutating func addStored(
            _ db: SQLiteConnection, from: String, to: String, video: Int?, skipping stale: Set<String>
        ) throws {
            // One video's rows through its index (`ix_vlog_rollups_video`): a page per video.
            let only = video.map { " AND video_id = \($0)" } ?? ""
            try db.forEach("SELECT * FROM vlog_rollups WHERE day >= ? AND day < ?\(only)", [from, to]) { r in
                guard let d = r.string("day"), !stale.contains(d), let v = r.int("video_id"), known(v) else {
                    return
                }
                let qoe = Rollups.bytes(r["qoe"])
                let c = Rollups.cell(r, qoe: qoe, startups: false)
                byVideo[v, default: RollupCell()].merge(c)
                // One access to the day's sums for the cell and its startup times (one per time
                // was a string hash per startup, most of a month's report at 10 million sessions).
                func addDay(_ day: inout RollupCell) {
                    day.merge(c)
                    RollupCodec.eachStartup(qoe) { ms, n in day.qoe.startups[ms, default: 0] += n }
                }
                addDay(&byDay[d, default: RollupCell()])
                viewers.insert(blob: Rollups.blob(r))
            }
        }

        /// Sessions started in [a, b) (part of a day): through the `started_at` index
        /// (`Rollups.textRange`), then exactly.
        mutating func addSessions(_ db: SQLiteConnection, from a: Date, to b: Date, video: Int?) throws {
            let (lo, hi) = Rollups.textRange(a, b)
            var cells: [String: [Int: RollupCell]] = [:]
            var params: [any SQLBindable] = [lo, hi, a, b]
            if let video { params.append(video) }
            try db.forEach(
                """
                SELECT date(s.started_at) AS day, \(RollupCell.columns) \(RollupCell.joins)
                WHERE s.started_at >= ? AND s.started_at < ?
                  AND julianday(s.started_at) >= julianday(?) AND julianday(s.started_at) < julianday(?)
                  \(video == nil ? "" : "AND s.video_id = ?")
                """, params
            ) { r in
                guard let d = r.string("day"), let v = r.int("vid") else { return }
                cells[d, default: [:]][v, default: RollupCell()].add(r)
            }
            for (d, videos) in cells {
                for (v, c) in videos {
                    var c = c
                    c.finish()
                    add(day: d, video: v, c, viewers: c.viewers)
                }
            }
        }

        func report(
            _ db: SQLiteConnection, from: Date, to: Date, single: Bool, top: Int, stored: (String, String)?,
            stale: Set<String>, fromSessions: [String]
        ) throws -> AnalyticsReport {
            let videos = catalog.videos
            var total = RollupCell()
            var watched: [(Int, RollupCell)] = []
            var byCategory: [Int?: (String, RollupCell)] = [:]
            for (id, c) in byVideo {
                guard let v = videos[id] else { continue }
                total.merge(c)
                watched.append((id, c))
                byCategory[v.categoryID, default: (v.category, RollupCell())].1.merge(c)
            }
            // Every startup time is in its day's sums.
            total.qoe.startups = [:]
            for (_, c) in byDay {
                for (ms, n) in c.qoe.startups { total.qoe.startups[ms, default: 0] += n }
            }
            func rate(_ c: RollupCell) -> Double { c.views > 0 ? Double(c.completed) / Double(c.views) : 0 }
            func curve(_ c: RollupCell) -> [RetentionPoint] {
                (0...10).map {
                    RetentionPoint(
                        percent: $0 * 10,
                        share: c.reachSessions > 0 ? Double(c.reach[$0]) / Double(c.reachSessions) : 0)
                }
            }
            let all = watched.sorted {
                ($0.1.views, $0.1.watched, -$0.0) > ($1.1.views, $1.1.watched, -$1.0)
            }
            let ranked = all.prefix(top)
            // The top videos' viewers, counted once each, and their stored startup times.
            var byVideo = byVideo
            var viewersOf: [Int: ViewerSet] = [:]
            for (id, _) in ranked {
                var set = ViewerSet()
                for v in rawViewers[id] ?? [] { set.insert(v) }
                viewersOf[id] = set
            }
            if single, let (id, _) = ranked.first {
                // One video's report: its viewers and startup times are the whole report's.
                viewersOf[id] = viewers
                byVideo[id]?.qoe.startups = total.qoe.startups
            } else if let stored, !ranked.isEmpty {
                let ids = ranked.map { String($0.0) }.joined(separator: ",")
                try db.forEach(
                    "SELECT day, video_id, viewers, qoe FROM vlog_rollups WHERE day >= ? AND day < ? AND video_id IN (\(ids))",
                    [stored.0, stored.1]
                ) { r in
                    guard let id = r.int("video_id"), !stale.contains(r.string("day") ?? "") else { return }
                    viewersOf[id]?.insert(blob: Rollups.blob(r))
                    var startups: [Int32: Int] = [:]
                    RollupCodec.eachStartup(Rollups.bytes(r["qoe"])) { ms, n in startups[ms, default: 0] += n }
                    for (ms, n) in startups { byVideo[id]?.qoe.startups[ms, default: 0] += n }
                }
            }
            let videoRows = ranked.map { id, c in
                VideoRow(
                    slug: videos[id]?.slug ?? "", title: videos[id]?.title ?? "", views: c.views,
                    uniqueViewers: viewersOf[id]?.count ?? 0, watchHours: c.watched / 3600,
                    averageWatchedSeconds: c.views > 0 ? c.watched / Double(c.views) : 0, completionRate: rate(c))
            }
            let categories = byCategory.values.sorted { ($0.1.views, $1.0) > ($1.1.views, $0.0) }.map {
                CategoryRow(
                    category: $0.0, views: $0.1.views, watchHours: $0.1.watched / 3600, completionRate: rate($0.1))
            }
            // Every day of the period, days without views as zero (up to about a year of days).
            var days: [DayRow] = []
            func row(_ d: String, _ c: RollupCell) -> DayRow {
                DayRow(day: d, views: c.views, watchHours: c.watched / 3600, completionRate: rate(c))
            }
            let first = floor(from.timeIntervalSince1970 / 86400)
            let last = floor((to.timeIntervalSince1970 - 1) / 86400)
            if last - first < 400 {
                for d in stride(from: first, through: last, by: 1) {
                    let day = String(DBDate.format(Date(timeIntervalSince1970: d * 86400)).prefix(10))
                    days.append(row(day, byDay[day] ?? RollupCell()))
                }
            } else {
                days = byDay.keys.sorted().map { row($0, byDay[$0] ?? RollupCell()) }
            }
            let totalWatch = max(1e-9, total.watched)
            let qualities = total.qualities.sorted { ($0.value.watched, $1.key) > ($1.value.watched, $0.key) }.map {
                QualityRow(
                    quality: $0.key, sessions: $0.value.sessions, shareOfWatchTime: $0.value.watched / totalWatch)
            }
            let overview = Overview(
                views: total.views, uniqueViewers: viewers.count, watchHours: total.watched / 3600,
                completionRate: rate(total), fromPlayer: total.player, fromCMCD: total.cmcd,
                estimated: total.estimated)
            var report = AnalyticsReport(
                from: DBDate.format(from), to: DBDate.format(to), overview: overview, videos: videoRows,
                categories: categories, days: days, qualities: qualities,
                retention: single ? curve(total) : nil,
                retentionByVideo: Dictionary(
                    uniqueKeysWithValues: ranked.map { (videos[$0.0]?.slug ?? "", curve($0.1)) }),
                qoe: total.qoe.finish(),
                qoeByVideo: Dictionary(
                    uniqueKeysWithValues: ranked.map {
                        (videos[$0.0]?.slug ?? "", (byVideo[$0.0] ?? $0.1).qoe.finish())
                    }),
                qoeByDay: byDay.keys.sorted().filter { (byDay[$0]?.views ?? 0) > 0 }.map {
                    DayQoE(day: $0, qoe: (byDay[$0] ?? RollupCell()).qoe.finish())
                })
            report.fromSessions = fromSessions
            report.watchedVideos = all.filter { $0.1.views > 0 }.compactMap { videos[$0.0]?.slug }
            return report
        }
    }
}

/// The videos a report names, read once (`AnalyticsReport.load(catalog:)`): ids, slugs, titles
/// and categories.
public struct ReportCatalog: Sendable {
    struct Video: Sendable {
        var slug: String
        var title: String
        var category: String
        var categoryID: Int?
    }
    let videos: [Int: Video]
    let ids: [String: Int]

    public init(db: SQLiteConnection) throws {
        var videos: [Int: Video] = [:]
        var ids: [String: Int] = [:]
        try db.forEach(
            """
            SELECT v.id AS id, v.slug AS slug, v.title AS title, v.category_id AS cid,
                   COALESCE(c.name, '(no category)') AS cname
            FROM videos v LEFT JOIN categories c ON c.id = v.category_id
            """
        ) { r in
            guard let id = r.int("id") else { return }
            let slug = r.string("slug") ?? ""
            videos[id] = Video(
                slug: slug, title: r.string("title") ?? "", category: r.string("cname") ?? "", categoryID: r.int("cid"))
            ids[slug] = id
        }
        self.videos = videos
        self.ids = ids
    }
}
