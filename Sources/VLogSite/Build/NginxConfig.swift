import Foundation
import VLogSupport

/// An nginx server block for a built site: the headers of `SecurityHeaders` (nosniff, a CSP on
/// pages, attachments that could run script sandboxed, HSTS with HTTPS), no version disclosed, no
/// symbolic link followed; HLS MIME types; caching that fits HLS (segments, init
/// segments and posters immutable for a year, playlists and pages a minute); gzip for text;
/// dotfiles (`.vlog-manifest`) denied; HTTPS with HTTP/2 when given a certificate; old video
/// addresses answered with 301 from the build's redirect map; a sub-path `base_url` honoured; and
/// an access log in combined format plus the `vlog_viewer` cookie (what `vlog ingest` reads). It
/// passes `nginx -t` on Debian without warnings: HLS types are set per location, not added to
/// `mime.types` (which already lists m3u8 and ts, so a second `types` block warns about duplicates).
public enum NginxConfig {
    public static let logFormatName = "vlog"
    public static let logFormat =
        "'$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" \"$cookie_vlog_viewer\"'"

    /// Lines for the `http {}` context: the log format and the map of old addresses, which the
    /// build rewrites (reload nginx after a build that changed a slug). The include is a glob, so
    /// nginx starts before the first build has written the map.
    public static func httpLines(output: String) -> String {
        """
        log_format \(logFormatName) \(logFormat);
        map $uri $vlog_moved {
            default "";
            include \(quoted(output + "/" + Redirects.nginxMap.dropLast() + "[x]"));
        }

        """
    }

    /// A certificate and its key, for HTTPS.
    public struct TLS: Sendable {
        public var certificate: String
        public var key: String
        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    /// Checks a `server_name` value: host names (with `*.` wildcards) separated by spaces, nothing
    /// that could end the directive or open a block.
    public static func checkServerName(_ name: String) throws {
        let ok =
            !name.isEmpty
            && name.split(separator: " ").allSatisfy { part in
                part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._*:[]".contains($0)) }
            }
        guard ok else {
            throw VLogError.invalidInput(
                "--server-name `\(name)` is not a list of host names; give e.g. videos.example.org")
        }
    }

    /// A path as an nginx string: quoted, so spaces and `;` stay inside it.
    public static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// What each response says besides its own type: how long it may be cached, and the headers
    /// of `SecurityHeaders` (repeated in every location, since nginx drops a server's `add_header`s
    /// in a location that has its own).
    struct Headers {
        var pagePolicy: String
        var embedPolicy: String
        var hsts: Bool

        func add(cache: String, policy: String? = nil) -> String {
            var h = [
                "add_header Cache-Control \"\(cache)\";",
                "add_header X-Content-Type-Options \(SecurityHeaders.nosniff) always;",
                "add_header Referrer-Policy \(SecurityHeaders.referrerPolicy) always;",
                "add_header Content-Security-Policy \"\(policy ?? pagePolicy)\" always;",
            ]
            if hsts { h.append("add_header Strict-Transport-Security \"\(SecurityHeaders.hsts)\" always;") }
            return h.joined(separator: " ")
        }
    }

    static let immutable = "public, max-age=31536000, immutable"
    static let short = "public, max-age=60"

    /// The locations every site needs, for a site at `base` (`/` or `/videos/`).
    static func locations(base: String, indent: String, headers h: Headers) -> String {
        let attachment = SecurityHeaders.scriptableAttachmentRegex(base: base)
        return """
            \(indent)location ~ /\\.(?!well-known/) { return 404; }
            \(indent)location ~ \\.m3u8$ { types { application/vnd.apple.mpegurl m3u8; } \(h.add(cache: short)) }
            \(indent)location ~ \\.ts$ { types { video/mp2t ts; } \(h.add(cache: immutable)) }
            \(indent)location ~ \\.m4s$ { types { video/iso.segment m4s; } \(h.add(cache: immutable)) }
            \(indent)location ~ _init\\.mp4$ { \(h.add(cache: immutable)) }
            \(indent)location ~ \\.(jpg|jpeg|png|webp)$ { \(h.add(cache: immutable)) }
            \(indent)location ~ ^\(base)search/[wr]/ { \(h.add(cache: immutable)) }
            \(indent)location ~ \\.vtt$ { types { text/vtt vtt; } \(h.add(cache: "public, max-age=300")) }
            \(indent)location ~ ^\(base)v/[^/]+/index\\.html$ { \(h.add(cache: short)) }
            \(indent)location ~ \(SecurityHeaders.embedRegex(base: base)) { \(h.add(cache: short, policy: h.embedPolicy)) }
            \(indent)location ~ \(attachment) { \(h.add(cache: short, policy: SecurityHeaders.sandbox)) }
            \(indent)location ^~ \(base)assets/ { \(h.add(cache: "public, max-age=3600")) }

            """
    }

    /// What every server block says: no version in headers or error pages, no symbolic link
    /// followed inside the output (the build writes none: a second wall), compression for text,
    /// short caching for pages.
    static func common(_ h: Headers) -> String {
        """
            server_tokens off;
            disable_symlinks on from=$document_root;
            gzip on;
            gzip_vary on;
            gzip_min_length 256;
            gzip_types text/css application/javascript application/json application/xml application/rss+xml image/svg+xml text/vtt application/vnd.apple.mpegurl;
            \(h.add(cache: short))
            if ($vlog_moved) { return 301 $vlog_moved$is_args$args; }

        """
    }

    /// The `server {}` block. `base` is the path of `base_url` (`/`, or `/videos/` for a site in a
    /// sub-folder of its host). With `tls`, it listens with HTTPS and HTTP/2 on `listen` (443) and a
    /// second block on port 80 sends plain HTTP there.
    public static func server(
        root: String, listen: String, serverName: String, accessLog: String,
        base: String = "/", tls: TLS? = nil, mediaBaseURL: String? = nil, extra: String = ""
    ) -> String {
        let base = base.hasSuffix("/") ? base : base + "/"
        let headers = Headers(
            pagePolicy: SecurityHeaders.pagePolicy(mediaBaseURL: mediaBaseURL, embed: false),
            embedPolicy: SecurityHeaders.pagePolicy(mediaBaseURL: mediaBaseURL, embed: true), hsts: tls != nil)
        var out = ""
        if tls != nil {
            out += """
                server {
                    listen 80;
                    server_name \(serverName);
                    server_tokens off;
                    return 301 https://$host$request_uri;
                }

                """
        }
        out += """
            server {
                listen \(listen)\(tls == nil ? "" : " ssl http2");
                server_name \(serverName);
                index index.html;
                access_log \(quoted(accessLog)) \(logFormatName);
                error_page 404 \(base)404.html;

            """
        if let tls {
            out += """
                    ssl_certificate \(quoted(tls.certificate));
                    ssl_certificate_key \(quoted(tls.key));
                    ssl_protocols TLSv1.2 TLSv1.3;
                    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
                    ssl_prefer_server_ciphers off;
                    ssl_session_cache shared:vlog:10m;

                """
        }
        out += common(headers)
        if base == "/" {
            out += "    root \(quoted(root));\n" + locations(base: base, indent: "    ", headers: headers)
        } else {
            let bare = String(base.dropLast())
            out += """
                    location = \(bare) { return 301 \(base); }
                    location ^~ \(base) {
                        alias \(quoted(root + "/"));

                """ + locations(base: base, indent: "        ", headers: headers) + "    }\n"
        }
        return out + extra + "}\n"
    }

    /// A complete nginx.conf that runs unprivileged from `dir` (tests, trying things out).
    public static func standalone(
        dir: String, root: String, port: Int, base: String = "/", mediaBaseURL: String? = nil, extra: String = ""
    ) -> String {
        """
        daemon off;
        worker_processes 1;
        pid \(dir)/nginx.pid;
        error_log \(dir)/error.log;
        events { worker_connections 256; }
        http {
            include /etc/nginx/mime.types;
            default_type application/octet-stream;
            client_body_temp_path \(dir)/body; proxy_temp_path \(dir)/proxy; fastcgi_temp_path \(dir)/fastcgi;
            uwsgi_temp_path \(dir)/uwsgi; scgi_temp_path \(dir)/scgi;
            \(httpLines(output: root))
        \(server(root: root, listen: "127.0.0.1:\(port)", serverName: "localhost", accessLog: "\(dir)/access.log", base: base, mediaBaseURL: mediaBaseURL, extra: extra))
        }
        """ + "\n"
    }
}
