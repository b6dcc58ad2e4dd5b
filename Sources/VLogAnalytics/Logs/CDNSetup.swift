import Foundation

/// What to set up at a CDN so `vlog ingest` can read its logs: the log format (where the vendor
/// lets you choose one), the fields, and the cache key. `vlog cdn-log-format VENDOR` prints it.
public enum CDNSetup {
    public static let vendors = ["fastly", "cloudfront", "cloudflare", "bunny", "s3", "gcs"]

    /// Fastly's format (version 2 directives) for the NCSA combined line vlog reads, with the viewer
    /// cookie as the last field when the site uses one.
    public static func fastlyFormat(cookie: Bool) -> String {
        #"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""# + (cookie ? #" "%{vlog_viewer}C""# : "")
    }

    /// The setup text for `vendor`, or nil for an unknown one.
    public static func guide(_ vendor: String, cookie: Bool) -> String? {
        let cacheKey =
            "Cache key: leave the query string out of it (vlog's player adds CMCD=... to every media request; the media files never vary by query)."
        switch vendor {
        case "fastly":
            return """
                # Fastly: a logging endpoint (S3, GCS, SFTP, HTTPS, ...) with
                #   Log format version: 2    Message type: Blank    Placement: Format version default
                # and this format (the request line %r keeps the query, so CMCD reaches the log):
                \(fastlyFormat(cookie: cookie))
                # \(cacheKey)
                #   (Fastly's default key is the whole URL: add `set req.url = querystring.remove(req.url);`
                #   in vcl_hash for /videos/, or the equivalent in the UI, so one segment is cached once.)
                # Then: vlog ingest fastly/*.log --site SITE   (read as combined\(cookie ? "+cookie" : ""))
                """
        case "cloudfront":
            return """
                # CloudFront standard logs (legacy, to S3) or v2 (to S3/CloudWatch/Firehose, format W3C or JSON):
                # any field selection that includes date, time, c-ip, cs-method, cs-uri-stem, cs-uri-query,
                # sc-status and cs(User-Agent)\(cookie ? ", plus cs(Cookie) with cookie logging on" : ""). vlog reads the
                # #Fields: line, so the order does not matter.
                # \(cacheKey)
                #   (CloudFront's managed CachingOptimized policy already leaves the query out.)
                # Then: vlog ingest cloudfront/*.gz --site SITE
                """
        case "cloudflare":
            return """
                # Cloudflare Logpush, dataset http_requests, NDJSON, with at least the fields
                #   ClientIP ClientRequestMethod ClientRequestURI ClientRequestUserAgent EdgeResponseStatus EdgeStartTimestamp\(cookie ? " Cookies (vlog_viewer)" : "")
                # and timestamps as RFC 3339 or Unix nanoseconds.
                # \(cacheKey)
                #   (A Cache Rule with "Ignore query string" for /videos/.)
                # Then: vlog ingest cloudflare/*.log.gz --site SITE
                """
        case "bunny":
            return """
                # Bunny CDN: Log Forwarding or the log storage download (pipe-separated, as Bunny writes it).
                # Bunny masks the last octet of addresses: viewers are told apart by address and user agent, less
                # finely than on your own server\(cookie ? "; the vlog_viewer cookie is not in Bunny's log" : "").
                # \(cacheKey)
                #   (Pull zone: Caching, "Vary Cache" with Query String off.)
                # Then: vlog ingest bunny/*.log --site SITE
                """
        case "s3":
            return """
                # Amazon S3 server access logging on the media bucket (read as they are; no cookie in them).
                # Then: vlog ingest s3-logs/* --site SITE
                """
        case "gcs":
            return """
                # Google Cloud Storage usage logs on the media bucket (CSV with its header line; no cookie in them).
                # Then: vlog ingest gcs-logs/*_usage_* --site SITE
                """
        default:
            return nil
        }
    }
}
