import Foundation
import VLogAnalytics

/// A Caddyfile site block for a built site (Caddy 2.6, as Debian 12 ships it): HTTPS is Caddy's
/// own (automatic certificates for a host name), HLS types, the same caching as NginxConfig
/// (segments, init segments and posters immutable for a year, playlists and pages a minute), gzip
/// and zstd for text, dotfiles answered 404, the 404 page, old video addresses answered with 301
/// from the build's redirect file, a sub-path `base_url` honoured, and a JSON access log, which
/// `vlog ingest` reads (`--format caddy`). The headers of `SecurityHeaders` (nosniff, a CSP on
/// pages, attachments that could run script sandboxed, HSTS for an HTTPS address) and no `Server`
/// header. Caddy 2.6 has no switch like nginx's `disable_symlinks`: its second wall is `hide` for
/// database files; the first, for both servers, is that the build never writes a symbolic link
/// and `vlog check` reports one.
public enum CaddyConfig {
    /// Caddy 2.6 logs `Cookie` (the `vlog_viewer` cookie) unless told otherwise; nothing to add.
    public static func site(
        address: String, root: String, base: String, output: String, accessLog: String, mediaBaseURL: String? = nil,
        database: String? = nil
    ) -> String {
        let base = base.hasSuffix("/") ? base : base + "/"
        let https = !address.hasPrefix("http://") && !address.hasPrefix(":")
        let inner = """
            root * \(q(root))
            header {
                -Server
                X-Content-Type-Options \(SecurityHeaders.nosniff)
                Referrer-Policy \(SecurityHeaders.referrerPolicy)\(https ? "\n    Strict-Transport-Security \(q(SecurityHeaders.hsts))" : "")
            }
            @page {
                not path_regexp embed \(SecurityHeaders.embedRegex(base: "/"))
                not {
                    path_regexp scriptable \(SecurityHeaders.scriptableAttachmentRegex(base: "/"))
                    not path */index.html
                }
            }
            header @page Content-Security-Policy \(q(SecurityHeaders.pagePolicy(mediaBaseURL: mediaBaseURL, embed: false)))
            @embed path_regexp embed \(SecurityHeaders.embedRegex(base: "/"))
            header @embed Content-Security-Policy \(q(SecurityHeaders.pagePolicy(mediaBaseURL: mediaBaseURL, embed: true)))
            @scriptable {
                path_regexp scriptable \(SecurityHeaders.scriptableAttachmentRegex(base: "/"))
                not path */index.html
            }
            header @scriptable Content-Security-Policy \(SecurityHeaders.sandbox)
            encode zstd gzip
            @dotfiles path_regexp dotfiles /\\.
            error @dotfiles 404
            @immutable path *.m4s *.ts *_init.mp4 *.jpg *.jpeg *.png *.webp /search/w/* /search/r/*
            header @immutable Cache-Control "public, max-age=31536000, immutable"
            @short not path *.m4s *.ts *_init.mp4 *.jpg *.jpeg *.png *.webp /search/w/* /search/r/*
            header @short Cache-Control "public, max-age=60"
            @playlists path *.m3u8
            header @playlists Content-Type application/vnd.apple.mpegurl
            @segments path *.m4s
            header @segments Content-Type video/iso.segment
            @ts path *.ts
            header @ts Content-Type video/mp2t
            @vtt path *.vtt
            header @vtt Content-Type text/vtt
            file_server {
                hide \(([database].compactMap { $0 } + ["*.db", "*.db-wal", "*.db-shm", "vlog.toml"]).map(q).joined(separator: " "))
            }
            """
        let errors = """
            handle_errors {
                @missing expression {err.status_code} == 404
                root * \(q(root))
                rewrite @missing /404.html
                file_server
            }
            """
        var out = "\(address) {\n"
        out += "    log {\n        output file \(q(accessLog))\n        format json\n    }\n"
        // A glob, so Caddy starts before the first build has written the file.
        out += "    @vlog_query expression {query} != \"\"\n"
        out += "    import \(q(output + "/" + Redirects.caddyFile + "*"))\n"
        if base == "/" {
            out += indent(inner, "    ") + "\n"
        } else {
            let bare = String(base.dropLast())
            out += "    redir \(bare) \(base) 301\n"
            out += "    handle_path \(base)* {\n" + indent(inner, "        ") + "\n    }\n"
        }
        out += indent(errors, "    ") + "\n}\n"
        return tabs(out)
    }

    /// Indents with tabs, as `caddy fmt` does (Caddy warns about anything else).
    static func tabs(_ text: String) -> String {
        text.components(separatedBy: "\n").map { (line: String) -> String in
            let spaces = line.prefix { $0 == " " }.count
            return String(repeating: "\t", count: spaces / 4) + String(line.dropFirst(spaces - spaces % 4))
        }.joined(separator: "\n")
    }

    static func indent(_ text: String, _ by: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : by + $0 }
            .joined(separator: "\n")
    }

    /// A value as one Caddyfile token: quoted when it holds spaces or quotes.
    static func q(_ s: String) -> String {
        s.contains(where: { $0 == " " || $0 == "\"" || $0 == "\t" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : s
    }
}
