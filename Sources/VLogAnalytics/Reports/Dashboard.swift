import Foundation
import VLogSupport

/// A private analytics dashboard: one self-contained HTML page with inline SVG charts (views,
/// watch time and completion per day, every day of the period; audience retention per video;
/// quality mix) and tables. No external chart service. Labels are HTML around the charts, so they
/// stay legible on a phone; light and dark follow the reader's system.
public enum Dashboard {
    public static func html(_ r: AnalyticsReport, title: String) -> String {
        let e = HTML.escape
        func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
        var out = head("Analytics · \(title)") + "<h1>\(e(title)) · analytics</h1>" + period(r)
        out += cards([
            ("Views", "\(r.overview.views)"), ("Unique viewers", "\(r.overview.uniqueViewers)"),
            ("Watched", AnalyticsReport.watchTime(r.overview.watchHours)),
            ("Completion", pct(r.overview.completionRate)),
        ])
        out += perDay(r)
        if !r.videos.isEmpty {
            out +=
                "<h2>Audience retention</h2><p class=\"muted\">Share of sessions that reached each point of the video.</p><div class=\"grid\">"
            for v in r.videos.prefix(6) {
                let points = r.retentionByVideo[v.slug] ?? []
                out += retention(points, label: v.title)
            }
            out += "</div>"
        }
        out += qualityMix(r)
        out += qoe(r, perVideo: true)
        out +=
            "<h2>Videos</h2><div class=\"scroll\"><table><tr><th>Video</th><th>Views</th><th>Unique</th><th>Watched</th><th>Avg watched</th><th>Completed</th></tr>"
        for v in r.videos {
            out +=
                "<tr><td><a href=\"\(page(v.slug))\">\(e(v.title))</a> <span class=\"muted\">\(e(v.slug))</span></td><td>\(v.views)</td><td>\(v.uniqueViewers)</td>"
            out +=
                "<td>\(AnalyticsReport.watchTime(v.watchHours))</td><td>\(Format.duration(v.averageWatchedSeconds))</td><td>\(pct(v.completionRate))</td></tr>"
        }
        out += "</table></div>"
        // Every video watched has its page, not only the top ones.
        let others = r.watchedVideos.filter { slug in !r.videos.contains { $0.slug == slug } }
        if !others.isEmpty {
            out += "<details><summary>\(others.count) more videos watched in the period</summary><p>"
            out += others.map { "<a href=\"\(page($0))\">\(e($0))</a>" }.joined(separator: " · ") + "</p></details>"
        }
        out +=
            "<h2>Categories</h2><div class=\"scroll\"><table><tr><th>Category</th><th>Views</th><th>Watched</th><th>Completed</th></tr>"
        for c in r.categories {
            out +=
                "<tr><td>\(e(c.category))</td><td>\(c.views)</td><td>\(AnalyticsReport.watchTime(c.watchHours))</td><td>\(pct(c.completionRate))</td></tr>"
        }
        return out + "</table></div></body></html>\n"
    }

    /// A video's page of the dashboard (`page(slug)` beside the main page), from a report of that
    /// video alone (`AnalyticsReport.load(video:)`): its figures, its days, its whole retention
    /// curve, its quality mix and quality of experience.
    public static func videoHTML(_ r: AnalyticsReport, slug: String, site: String) -> String {
        let e = HTML.escape
        func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
        let v = r.videos.first { $0.slug == slug }
        let name = v?.title ?? slug
        var out = head("\(name) · Analytics · \(site)")
        out += "<p><a href=\"../index.html\">← \(e(site)) · analytics</a></p><h1>\(e(name))</h1>" + period(r)
        out += cards([
            ("Views", "\(r.overview.views)"), ("Unique viewers", "\(r.overview.uniqueViewers)"),
            ("Watched", AnalyticsReport.watchTime(r.overview.watchHours)),
            ("Avg watched", Format.duration(v?.averageWatchedSeconds ?? 0)),
            ("Completion", pct(r.overview.completionRate)),
        ])
        out += perDay(r)
        if let points = r.retention, r.overview.views > 0 {
            out +=
                "<h2>Audience retention</h2><p class=\"muted\">Share of sessions that reached each point of the video.</p>"
            out += "<div class=\"wide\">" + retention(points, label: name) + "</div>"
        }
        out += qualityMix(r)
        out += qoe(r, perVideo: false)
        return out + "</body></html>\n"
    }

    /// Where a video's page is, from the main page.
    public static func page(_ slug: String) -> String { "videos/\(slug).html" }

    static func head(_ title: String) -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex"><meta name="color-scheme" content="light dark"><title>\(HTML.escape(title))</title>
        <style>
        :root{--bg:#f6f7f9;--fg:#16181d;--card:#fff;--line:#e3e5e8;--muted:#5d6470;--link:#1f5fbf}
        @media (prefers-color-scheme:dark){:root{--bg:#121417;--fg:#e8eaed;--card:#1c1f24;--line:#2e333a;--muted:#9aa1ab;--link:#8ab4f8}}
        body{font-family:system-ui,sans-serif;margin:0;padding:1.5rem clamp(1rem,4vw,3rem);background:var(--bg);color:var(--fg)}
        a{color:var(--link)}h1{font-size:1.4rem}h2{font-size:1.05rem;margin:2rem 0 .5rem}.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:1rem}
        .card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1rem}.card b{display:block;font-size:1.6rem}
        figure{margin:0;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:.6rem .8rem}
        figure svg{display:block;width:100%;height:auto}figcaption{display:flex;justify-content:space-between;gap:1rem;font-size:.85rem;color:var(--muted)}
        .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:1rem}.wide{max-width:720px}
        .scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;background:var(--card)}
        th,td{padding:.4rem .6rem;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
        th:first-child,td:first-child{text-align:left}.muted{color:var(--muted)}details{margin:1rem 0}details p{line-height:1.8}
        </style></head><body>

        """
    }

    static func period(_ r: AnalyticsReport) -> String {
        """
        <p class="muted">Sessions started \(HTML.escape(r.from)) – \(HTML.escape(r.to)) UTC, from the web server's logs
        (\(r.overview.fromPlayer) measured by the player's beacons, \(r.overview.fromCMCD) by its media requests (CMCD), \(r.overview.estimated) estimated from segment requests).</p>

        """
    }

    static func cards(_ items: [(String, String)]) -> String {
        "<div class=\"cards\">"
            + items.map { "<div class=\"card\">\(HTML.escape($0.0))<b>\(HTML.escape($0.1))</b></div>" }.joined()
            + "</div>\n"
    }

    /// Views, watch time and completion per day.
    static func perDay(_ r: AnalyticsReport) -> String {
        let small = r.overview.watchHours < 1
        var out =
            "<h2>Views per day</h2>" + bars(r.days.map { ($0.day, Double($0.views)) }, color: "#c4302b", unit: "views")
        out +=
            "<h2>Watch time per day (\(small ? "minutes" : "hours"))</h2>"
            + bars(
                r.days.map { ($0.day, small ? $0.watchHours * 60 : $0.watchHours) }, color: "#2b6cc4",
                unit: small ? "min" : "h")
        out +=
            "<h2>Completion per day</h2>"
            + bars(
                r.days.map { ($0.day, $0.views > 0 ? $0.completionRate * 100 : 0) }, color: "#2f9e62", unit: "%",
                peak: 100)
        return out
    }

    static func qualityMix(_ r: AnalyticsReport) -> String {
        var out =
            "<h2>Quality mix (share of watch time)</h2>"
            + stacked(
                r.qoe.rungs.isEmpty
                    ? r.qualities.map { ($0.quality, $0.shareOfWatchTime) } : r.qoe.rungs.map { ($0.rung, $0.share) })
        let rare = r.qoe.rungs.filter(\.rarelyWatched).map(\.rung)
        if !rare.isEmpty {
            out +=
                "<p class=\"muted\">\(HTML.escape(rare.joined(separator: ", "))) carried under 1% of watch time: a candidate to drop from the ladder.</p>"
        }
        return out
    }

    /// Quality of experience: the period's figures, then per video (`perVideo`) and per day.
    static func qoe(_ r: AnalyticsReport, perVideo: Bool) -> String {
        guard r.qoe.sessions > 0 else { return "" }
        func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
        func startup(_ q: QoEReport) -> String {
            q.startupMedianMs.map { String(format: "%.2f s", Double($0) / 1000) } ?? "–"
        }
        func rebuffer(_ q: QoEReport) -> String {
            q.rebufferShare.map { pct($0) } ?? (q.rebufferMeasured > 0 ? "\(q.rebuffers) stalls" : "–")
        }
        let q = r.qoe
        var out = "<h2>Quality of experience</h2><div class=\"cards\">"
        out +=
            "<div class=\"card\">Startup (median)<b>\(startup(q))</b><span class=\"muted\">\(q.startupMeasured) sessions</span></div>"
        out +=
            "<div class=\"card\">Exits before start<b>\(pct(q.exitBeforeStartRate))</b><span class=\"muted\">\(q.exitsBeforeStart) views</span></div>"
        out +=
            "<div class=\"card\">Playback failures<b>\(pct(q.failureRate))</b><span class=\"muted\">\(q.failures) views</span></div>"
        out +=
            "<div class=\"card\">Rebuffering<b>\(rebuffer(q))</b><span class=\"muted\">\(q.rebuffers) stalls in \(q.sessionsWithRebuffering) sessions</span></div></div>"
        let header =
            "<tr><th></th><th>Views</th><th>Startup</th><th>Exits before start</th><th>Failures</th><th>Rebuffering</th></tr>"
        func row(_ label: String, _ x: QoEReport) -> String {
            "<tr><td>\(HTML.escape(label))</td><td>\(x.sessions)</td><td>\(startup(x))</td><td>\(pct(x.exitBeforeStartRate))</td><td>\(pct(x.failureRate))</td><td>\(rebuffer(x))</td></tr>"
        }
        if perVideo {
            out += "<h2>Quality of experience per video</h2><div class=\"scroll\"><table>" + header
            for v in r.videos { if let x = r.qoeByVideo[v.slug] { out += row(v.title, x) } }
            out += "</table></div>"
        }
        out += "<h2>Quality of experience per day</h2><div class=\"scroll\"><table>" + header
        for d in r.qoeByDay { out += row(d.day, d.qoe) }
        return out + "</table></div>"
    }

    /// A bar chart, a bar per entry (days without views are zero-height bars); labels in HTML.
    static func bars(_ data: [(String, Double)], color: String, unit: String, peak fixed: Double? = nil) -> String {
        guard !data.isEmpty else { return "<p class=\"muted\">No data yet.</p>" }
        let w = 600.0
        let h = 160.0
        let peak = fixed ?? max(data.map(\.1).max() ?? 1, 1e-9)
        let bw = w / Double(data.count)
        var s =
            "<figure><svg viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"bar chart\" preserveAspectRatio=\"none\">"
        for (i, (label, v)) in data.enumerated() {
            let bh = max(v > 0 ? 1 : 0, (h - 4) * v / peak)
            s += String(
                format:
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"><title>%@: %.1f %@</title></rect>",
                Double(i) * bw + bw * 0.1, h - bh, max(1, bw * 0.8), bh, color, HTML.escape(label), v, unit)
        }
        s += "</svg><figcaption><span>\(HTML.escape(data.first?.0 ?? ""))</span>"
        s += "<span>max \(String(format: "%.1f", data.map(\.1).max() ?? 0)) \(HTML.escape(unit))</span>"
        return s + "<span>\(HTML.escape(data.last?.0 ?? ""))</span></figcaption></figure>"
    }

    /// A video's retention curve: share of sessions (0-100%) against the point of the video.
    static func retention(_ points: [AnalyticsReport.RetentionPoint], label: String) -> String {
        guard points.count > 1 else { return "" }
        let w = 300.0
        let h = 120.0
        let coords = points.map { p in
            String(format: "%.1f,%.1f", w * Double(p.percent) / 100, h - 2 - (h - 4) * p.share)
        }
        var s =
            "<figure><svg viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"audience retention of \(HTML.escape(label))\">"
        s +=
            "<polyline fill=\"none\" stroke=\"#c4302b\" stroke-width=\"3\" points=\"\(coords.joined(separator: " "))\"/>"
        for p in points {
            s += String(
                format:
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#c4302b\"><title>%d%%: %.0f%% of sessions</title></circle>",
                w * Double(p.percent) / 100, h - 2 - (h - 4) * p.share, p.percent, p.share * 100)
        }
        let half = points.first { $0.percent == 50 }?.share ?? 0
        s += "</svg><figcaption><span>\(HTML.escape(label))</span>"
        return s + "<span>\(String(format: "%.0f", half * 100))% reach the middle</span></figcaption></figure>"
    }

    static func stacked(_ data: [(String, Double)]) -> String {
        guard !data.isEmpty else { return "<p class=\"muted\">No data yet.</p>" }
        let colors = ["#c4302b", "#2b6cc4", "#2f9e62", "#d49a1e", "#7b4cc4", "#5d6470"]
        var s =
            "<figure><svg viewBox=\"0 0 600 30\" role=\"img\" aria-label=\"quality mix\" preserveAspectRatio=\"none\">"
        var x = 0.0
        var legend = ""
        for (i, (label, share)) in data.enumerated() {
            let w = 600 * share
            let color = colors[i % colors.count]
            s += String(
                format:
                    "<rect x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"30\" fill=\"%@\"><title>%@ %.1f%%</title></rect>",
                x, w, color, HTML.escape(label), share * 100)
            legend +=
                "<span><span style=\"color:\(color)\">■</span> \(HTML.escape(label)) \(String(format: "%.0f", share * 100))%</span>"
            x += w
        }
        return s + "</svg><figcaption>\(legend)</figcaption></figure>"
    }
}
