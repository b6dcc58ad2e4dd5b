import Foundation

/// A private analytics dashboard: one self-contained HTML page with inline SVG charts (views per
/// day, watch time, completion, quality mix) and a per-video table. No external chart service.
public enum Dashboard {
    public static func html(_ r: AnalyticsReport, title: String) -> String {
        let e = HTML.escape
        func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
        var out = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex"><title>Analytics · \(e(title))</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:0;padding:1.5rem clamp(1rem,4vw,3rem);background:#f6f7f9;color:#16181d}
            h1{font-size:1.4rem}h2{font-size:1.05rem;margin:2rem 0 .5rem}.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:1rem}
            .card{background:#fff;border:1px solid #e3e5e8;border-radius:10px;padding:1rem}.card b{display:block;font-size:1.6rem}
            svg{background:#fff;border:1px solid #e3e5e8;border-radius:10px;width:100%;height:auto}
            table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:.4rem .6rem;border-bottom:1px solid #eee;text-align:right}
            th:first-child,td:first-child{text-align:left}.muted{color:#5d6470}
            </style></head><body>
            <h1>\(e(title)) · analytics</h1><p class="muted">Sessions started \(e(r.from)) – \(e(r.to)) UTC, from the web server's logs.</p>
            <div class="cards">
            <div class="card">Views<b>\(r.overview.views)</b></div><div class="card">Unique viewers<b>\(r.overview.uniqueViewers)</b></div>
            <div class="card">Watch hours<b>\(String(format: "%.1f", r.overview.watchHours))</b></div>
            <div class="card">Completion<b>\(pct(r.overview.completionRate))</b></div></div>

            """
        out +=
            "<h2>Views per day</h2>" + bars(r.days.map { ($0.day, Double($0.views)) }, color: "#c4302b", unit: "views")
        out +=
            "<h2>Watch time per day (hours)</h2>"
            + bars(r.days.map { ($0.day, $0.watchHours) }, color: "#2b6cc4", unit: "h")
        out +=
            "<h2>Quality mix (share of watch time)</h2>"
            + stacked(r.qualities.map { ($0.quality, $0.shareOfWatchTime) })
        out +=
            "<h2>Completion by video</h2>"
            + bars(r.videos.map { ($0.slug, $0.completionRate * 100) }, color: "#2f9e62", unit: "%")
        out +=
            "<h2>Videos</h2><table><tr><th>Video</th><th>Views</th><th>Unique</th><th>Watch hours</th><th>Avg watched</th><th>Completed</th></tr>"
        for v in r.videos {
            out +=
                "<tr><td>\(e(v.title)) <span class=\"muted\">\(e(v.slug))</span></td><td>\(v.views)</td><td>\(v.uniqueViewers)</td>"
            out +=
                "<td>\(String(format: "%.2f", v.watchHours))</td><td>\(Format.duration(v.averageWatchedSeconds))</td><td>\(pct(v.completionRate))</td></tr>"
        }
        out +=
            "</table><h2>Categories</h2><table><tr><th>Category</th><th>Views</th><th>Watch hours</th><th>Completed</th></tr>"
        for c in r.categories {
            out +=
                "<tr><td>\(e(c.category))</td><td>\(c.views)</td><td>\(String(format: "%.2f", c.watchHours))</td><td>\(pct(c.completionRate))</td></tr>"
        }
        return out + "</table></body></html>\n"
    }

    /// A bar chart; each bar has a <title> tooltip with its value.
    static func bars(_ data: [(String, Double)], color: String, unit: String) -> String {
        guard !data.isEmpty else { return "<p class=\"muted\">No data yet.</p>" }
        let w = 900.0
        let h = 220.0
        let pad = 30.0
        let peak = max(data.map(\.1).max() ?? 1, 1e-9)
        let bw = (w - 2 * pad) / Double(data.count)
        var s = "<svg viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"bar chart\">"
        s +=
            "<text x=\"\(pad)\" y=\"16\" font-size=\"12\" fill=\"#5d6470\">max \(String(format: "%.1f", peak)) \(unit)</text>"
        for (i, (label, v)) in data.enumerated() {
            let bh = (h - 2 * pad) * v / peak
            let x = pad + Double(i) * bw
            s += String(
                format:
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"><title>%@: %.2f %@</title></rect>",
                x + 1, h - pad - bh, max(1, bw - 2), bh, color, HTML.escape(label), v, unit)
        }
        if let first = data.first?.0, let last = data.last?.0 {
            s += "<text x=\"\(pad)\" y=\"\(h - 8)\" font-size=\"12\" fill=\"#5d6470\">\(HTML.escape(first))</text>"
            s +=
                "<text x=\"\(w - pad)\" y=\"\(h - 8)\" font-size=\"12\" fill=\"#5d6470\" text-anchor=\"end\">\(HTML.escape(last))</text>"
        }
        return s + "</svg>"
    }

    static func stacked(_ data: [(String, Double)]) -> String {
        guard !data.isEmpty else { return "<p class=\"muted\">No data yet.</p>" }
        let colors = ["#c4302b", "#2b6cc4", "#2f9e62", "#d49a1e", "#7b4cc4", "#5d6470"]
        var s = "<svg viewBox=\"0 0 900 70\" role=\"img\" aria-label=\"quality mix\">"
        var x = 0.0
        for (i, (label, share)) in data.enumerated() {
            let w = 900 * share
            s += String(
                format:
                    "<rect x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"40\" fill=\"%@\"><title>%@ %.1f%%</title></rect>",
                x, w, colors[i % colors.count], HTML.escape(label), share * 100)
            if w > 60 {
                s += String(
                    format: "<text x=\"%.1f\" y=\"60\" font-size=\"12\">%@ %.0f%%</text>", x + 4, HTML.escape(label),
                    share * 100)
            }
            x += w
        }
        return s + "</svg>"
    }
}
