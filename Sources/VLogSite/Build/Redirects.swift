import Foundation
import VLogContent
import VLogSupport

/// Old video addresses (`video edit --slug`) kept alive. The build writes, for every old slug of a
/// visible video, a static page at `v/OLD/` and `v/OLD/embed/` (canonical link, immediate
/// redirect keeping `?t=` and `#t=`, a plain link for readers without scripts), so any static host
/// redirects; and two rule files that `vlog nginx-config` and `vlog caddy-config` include, so
/// those servers answer `301 Moved Permanently` instead. Both are dotfiles: servers never serve them.
public enum Redirects {
    public static let nginxMap = ".vlog-redirects.nginx"
    public static let caddyFile = ".vlog-redirects.caddy"

    /// The page at an old address. Its script is a file (`assets/moved.js`, the target in
    /// `data-to`), not inline, so the page keeps the site's Content-Security-Policy.
    static func page(to target: String, absolute: String, title: String, language: String, base: String) -> Data {
        let t = HTML.escape(target)
        return Data(
            """
            <!doctype html>
            <html lang="\(HTML.escape(language))">
            <head>
            <meta charset="utf-8">
            <title>\(HTML.escape(title))</title>
            <link rel="canonical" href="\(HTML.escape(absolute))">
            <meta name="robots" content="noindex">
            <meta http-equiv="refresh" content="0; url=\(t)">
            <script src="\(HTML.escape(base))assets/moved.js" data-to="\(t)"></script>
            </head>
            <body><p>This video has moved to <a href="\(t)">\(HTML.escape(absolute))</a>.</p></body>
            </html>

            """.utf8)
    }

    /// Old and new paths, page and embed, under the site's `base` path.
    static func pairs(_ redirects: [(old: String, video: PublishedVideo)], base: String) -> [(String, String)] {
        redirects.flatMap { r in
            ["", "embed/"].map { sub in
                (
                    base + "v/\(SiteURLs.encode(r.old))/" + sub,
                    base + "v/\(SiteURLs.encode(r.video.video.slug))/" + sub
                )
            }
        }
    }

    /// Entries of an nginx `map $uri $vlog_moved { ... }` (see NginxConfig).
    static func nginx(_ redirects: [(old: String, video: PublishedVideo)], base: String) -> Data {
        var out = "# Written by vlog build: old video addresses -> new ones (vlog_slug_redirects).\n"
        for (from, to) in pairs(redirects, base: base) {
            out += "\(NginxConfig.quoted(from)) \(NginxConfig.quoted(to));\n"
            out += "\(NginxConfig.quoted(from + "index.html")) \(NginxConfig.quoted(to));\n"
        }
        return Data(out.utf8)
    }

    /// Caddyfile directives, imported inside the site block (see CaddyConfig): a `handle` per old
    /// address, which Caddy runs before `handle_path` and `file_server`; the query (`?t=`) kept.
    static func caddy(_ redirects: [(old: String, video: PublishedVideo)], base: String) -> Data {
        var out = "# Written by vlog build: old video addresses -> new ones (vlog_slug_redirects).\n"
        for (n, (from, to)) in pairs(redirects, base: base).enumerated() {
            out += """
                @vlog_moved_\(n) path \(from) \(from)index.html
                handle @vlog_moved_\(n) {
                \tredir @vlog_query \(to)?{query} 301
                \tredir * \(to) 301
                }

                """
        }
        return Data(out.utf8)
    }
}
