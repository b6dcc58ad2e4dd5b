import Foundation
import Testing
import VLogConfig
import VLogStore
import VLogSupport

@testable import VLogAnalytics
@testable import VLogContent

/// The dashboard and `vlog stats` read well: every day shown, minutes on small sites, retention,
/// dark mode, aligned columns.
@Suite struct DashboardTests {
    @Test func aSmallSitesDashboardAndStats() throws {
        let (t, specs) = try analyticsSite([120, 300])
        // Two days of traffic, a day apart, then a quiet day: 20 sessions, well under an hour.
        var gen = TrafficGenerator(videos: specs, seed: 5)
        let now = Date()
        let start = (now.timeIntervalSince1970 / 86400).rounded(.down) * 86400 - 3 * 86400
        let (a, _) = gen.traffic(sessions: 10, start: start, days: 0.1)
        let (b, _) = gen.traffic(sessions: 10, start: start + 2 * 86400, days: 0.1)
        let log = t.tmp.url.appendingPathComponent("a.log")
        try writeLog(a + b, to: log)
        _ = try Ingester(site: t.site).run(inputs: [log.path])
        let report = try AnalyticsReport.load(db: t.store.db, from: now.addingTimeInterval(-7 * 86400), to: now)
        #expect(report.days.count == 7 || report.days.count == 8, "every day of the period: \(report.days.map(\.day))")
        #expect(report.days.filter { $0.views == 0 }.count >= 4, "days without views are zero")
        #expect(report.overview.watchHours < 1)
        let html = Dashboard.html(report, title: "T")
        #expect(html.contains("min</b>"), "minutes, not 0.0 h")
        #expect(html.contains("prefers-color-scheme:dark"))
        #expect(html.contains("Audience retention") && html.contains("<polyline"))
        #expect(html.contains("Completion per day"))
        let stats = try vlog(["stats", "--days", "7"], cwd: t.root)
        let rows =
            stats.stdout.components(separatedBy: "Top videos\n").last?.components(separatedBy: "\n\n").first?
            .split(separator: "\n") ?? []
        #expect(rows.count == 3, "\(stats.stdout)")
        #expect(Set(rows.map(\.count)).count == 1, "columns aligned:\n\(rows.joined(separator: "\n"))")
        #expect(stats.stdout.contains(" min"), "\(stats.stdout)")
    }

    /// `vlog build` writes a page per video watched in the last 90 days beside the main page, each
    /// with the video's own figures (equal to its sessions), linked from the main page; a video
    /// no longer watched loses its page.
    @Test func aPagePerVideoWatched() throws {
        let (t, specs) = try analyticsSite([120, 300, 600])
        var gen = TrafficGenerator(videos: Array(specs.prefix(2)), seed: 9)
        let start = (Date().timeIntervalSince1970 / 86400).rounded(.down) * 86400 - 4 * 86400
        let (lines, _) = gen.traffic(sessions: 60, start: start, days: 3)
        let log = t.tmp.url.appendingPathComponent("a.log")
        try writeLog(lines, to: log)
        #expect(try vlog(["ingest", log.path], cwd: t.root).status == 0)
        let build = try vlog(["build", "--no-transcode"], cwd: t.root)
        #expect(build.status == 0, "\(build.stderr)")
        let folder = t.site.dashboardURL
        let main = try String(contentsOf: folder.appendingPathComponent("index.html"), encoding: .utf8)
        for slug in ["video-0", "video-1"] {
            #expect(main.contains("href=\"videos/\(slug).html\""), "the main page links \(slug)'s page")
            let page = try String(contentsOf: folder.appendingPathComponent("videos/\(slug).html"), encoding: .utf8)
            let truth = try #require(
                try t.store.db.queryOne(
                    """
                    SELECT COUNT(*) AS n, COUNT(DISTINCT viewer_id) AS u FROM playback_sessions s JOIN videos v ON v.id = s.video_id
                    WHERE v.slug = ?
                    """, [slug]))
            #expect(page.contains("Views<b>\(truth.int("n") ?? -1)</b>"), "\(slug): views")
            #expect(page.contains("Unique viewers<b>\(truth.int("u") ?? -1)</b>"), "\(slug): unique viewers")
            #expect(page.contains("<polyline") && page.contains("Views per day"), "\(slug): retention and days")
            #expect(page.contains("href=\"../index.html\""), "back to the main page")
        }
        #expect(!FileIO.exists(folder.appendingPathComponent("videos/video-2.html")), "no page without views")
        // Its sessions gone, a video's page goes with the next build.
        try t.store.db.run(
            "DELETE FROM playback_sessions WHERE video_id = (SELECT id FROM videos WHERE slug = 'video-1')")
        #expect(try vlog(["build", "--no-transcode"], cwd: t.root).status == 0)
        #expect(!FileIO.exists(folder.appendingPathComponent("videos/video-1.html")))
        #expect(FileIO.exists(folder.appendingPathComponent("videos/video-0.html")))
    }
}
