import Foundation

/// An nginx server block for a built site: HLS MIME types, caching suited to VOD, the 404 page, and
/// an access log in combined format plus the `vlog_viewer` cookie (what `vlog ingest` reads).
public enum NginxConfig {
    public static let logFormatName = "vlog"
    public static let logFormat =
        "'$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" \"$cookie_vlog_viewer\"'"

    /// Lines for the `http {}` context.
    public static func httpLines(accessLog: String) -> String {
        """
        log_format \(logFormatName) \(logFormat);
        types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; text/vtt vtt; }
        """ + "\n"
    }

    /// The `server {}` block.
    public static func server(root: String, listen: String, serverName: String, accessLog: String, extra: String = "") -> String {
        """
        server {
            listen \(listen);
            server_name \(serverName);
            root \(root);
            index index.html;
            access_log \(accessLog) \(logFormatName);
            error_page 404 /404.html;
            location ~ \\.ts$ { add_header Cache-Control "public, max-age=31536000, immutable"; }
            location ~ \\.m3u8$ { add_header Cache-Control "public, max-age=60"; }
            location /assets/ { add_header Cache-Control "public, max-age=3600"; }
        \(extra)}
        """ + "\n"
    }

    /// A complete nginx.conf that runs unprivileged from `dir` (tests, trying things out).
    public static func standalone(dir: String, root: String, port: Int, extra: String = "") -> String {
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
        \(httpLines(accessLog: "\(dir)/access.log").split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        \(server(root: root, listen: "127.0.0.1:\(port)", serverName: "localhost", accessLog: "\(dir)/access.log", extra: extra))
        }
        """ + "\n"
    }
}
