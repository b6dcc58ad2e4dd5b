import Foundation
import Testing

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
}
