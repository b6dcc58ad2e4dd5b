import Foundation
import VLogConfig

/// The URL layout of a built site.
public struct SiteURLs: Sendable {
    /// Absolute base URL with trailing slash, and its path (what links start with).
    public let absoluteBase: String
    public let base: String
    public let mediaBase: String?

    public init(config: SiteConfig) {
        absoluteBase = config.baseURL.hasSuffix("/") ? config.baseURL : config.baseURL + "/"
        var path = URL(string: absoluteBase)?.path ?? "/"
        if !path.hasSuffix("/") { path += "/" }
        base = path
        mediaBase = config.mediaBaseURL.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
    }

    public func video(_ slug: String) -> String { base + "v/\(Self.encode(slug))/" }
    public func category(_ slug: String) -> String { base + "c/\(Self.encode(slug))/" }
    public func absolute(_ path: String) -> String { absoluteBase + path }
    /// Media (HLS and posters) live beside the page, /v/<slug>/, unless a media base URL is set.
    public func media(_ slug: String, _ file: String) -> String {
        (mediaBase ?? base + "v/") + "\(Self.encode(slug))/\(file)"
    }
    public func absoluteMedia(_ slug: String, _ file: String) -> String {
        let slug = Self.encode(slug)
        if let m = mediaBase, m.contains("://") { return m + "\(slug)/\(file)" }
        if let m = mediaBase {
            return (URL(string: m, relativeTo: URL(string: absoluteBase))?.absoluteString ?? m) + "\(slug)/\(file)"
        }
        return absolute("v/\(slug)/\(file)")
    }

    /// A slug as one URL path segment: percent-encoded unless it is plain ASCII letters, digits
    /// and `-._~` (what vlog makes; slugs given by hand may hold `é` or `'`).
    public static func encode(_ slug: String) -> String {
        if slug.utf8.allSatisfy({ b in
            (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || b == 0x2d || b == 0x2e
                || b == 0x5f || b == 0x7e
        }) {
            return slug
        }
        var allowed = CharacterSet.alphanumerics.intersection(
            CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~")
        return slug.addingPercentEncoding(withAllowedCharacters: allowed) ?? slug
    }
}
