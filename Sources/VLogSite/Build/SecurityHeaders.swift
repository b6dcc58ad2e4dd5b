import Foundation

/// The response headers a careful host sends, in one place for nginx, Caddy and `vlog serve`:
///
/// - `X-Content-Type-Options: nosniff` on everything (a browser never guesses a script out of a
///   segment or an attachment);
/// - a Content-Security-Policy on pages that allows only what vlog's own pages load: its scripts
///   and styles from the site, media, posters and captions from the site or `media_base_url`, the
///   player's `blob:` MediaSource, its beacons and search index by `fetch`. The embed page may be
///   framed by any site; every other page by none (`frame-ancestors`);
/// - `Referrer-Policy: strict-origin-when-cross-origin`, and HSTS when served over HTTPS;
/// - attachments whose type can run script (HTML, SVG, XML, JavaScript) get `sandbox`: a browser
///   shows them, but as a document of no origin that runs no script, so an attached `notes.html`
///   or `diagram.svg` can never act as the site.
public enum SecurityHeaders {
    public static let nosniff = "nosniff"
    public static let referrerPolicy = "strict-origin-when-cross-origin"
    public static let hsts = "max-age=31536000"
    /// For an attachment that could run script.
    public static let sandbox = "sandbox"

    /// Extensions of files a browser may run script in.
    public static let scriptable = ["html", "htm", "xhtml", "shtml", "svg", "svgz", "xml", "xsl", "xslt", "js", "mjs"]

    /// The policy of vlog's pages. `mediaBaseURL`: where segments and posters come from when not
    /// from the site; `embed`: the embed page, which other sites frame.
    public static func pagePolicy(mediaBaseURL: String?, embed: Bool) -> String {
        let media = origin(mediaBaseURL).map { " " + $0 } ?? ""
        return [
            "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:\(media)",
            "media-src 'self' blob:\(media)", "connect-src 'self'\(media)", "font-src 'self'", "object-src 'none'",
            "base-uri 'self'", "form-action 'self'", "frame-ancestors \(embed ? "*" : "'none'")",
        ].joined(separator: "; ")
    }

    /// `scheme://host[:port]` of an absolute URL; nil for a path on the site itself.
    static func origin(_ url: String?) -> String? {
        guard let url, let u = URL(string: url), let scheme = u.scheme, let host = u.host else { return nil }
        return "\(scheme)://\(host)\(u.port.map { ":\($0)" } ?? "")"
    }

    /// True for a site path (`v/SLUG/NAME`, no leading slash) that is an attachment a browser
    /// could run script in: a file directly in a video's folder other than its page.
    public static func isScriptableAttachment(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v", parts[2] != "index.html" else { return false }
        let ext = (String(parts[2]) as NSString).pathExtension.lowercased()
        return scriptable.contains(ext)
    }

    /// The Content-Security-Policy of a site path (no leading slash), as the printed nginx and
    /// Caddy configurations give it.
    public static func policy(forSitePath path: String, mediaBaseURL: String?) -> String {
        if isScriptableAttachment(path) { return sandbox }
        return pagePolicy(
            mediaBaseURL: mediaBaseURL, embed: path.range(of: embedRegex(base: ""), options: .regularExpression) != nil)
    }

    /// The same test as a regular expression on the request path under `base` (PCRE and RE2 alike).
    static func scriptableAttachmentRegex(base: String) -> String {
        "^\(base)v/[^/]+/[^/]+\\.(?i:\(scriptable.joined(separator: "|")))$"
    }

    /// The embed page's folder as a regular expression on the request path under `base`.
    static func embedRegex(base: String) -> String { "^\(base)v/[^/]+/embed/" }
}
