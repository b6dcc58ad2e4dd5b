import Foundation

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

    public func video(_ slug: String) -> String { base + "v/\(slug)/" }
    public func category(_ slug: String) -> String { base + "c/\(slug)/" }
    public func absolute(_ path: String) -> String { absoluteBase + path }
    /// Media (HLS and posters) live beside the page, /v/<slug>/, unless a media base URL is set.
    public func media(_ slug: String, _ file: String) -> String { (mediaBase ?? base + "v/") + "\(slug)/\(file)" }
    public func absoluteMedia(_ slug: String, _ file: String) -> String {
        if let m = mediaBase, m.contains("://") { return m + "\(slug)/\(file)" }
        if let m = mediaBase { return (URL(string: m, relativeTo: URL(string: absoluteBase))?.absoluteString ?? m) + "\(slug)/\(file)" }
        return absolute("v/\(slug)/\(file)")
    }
}
