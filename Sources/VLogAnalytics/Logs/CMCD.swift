import Foundation

/// Common Media Client Data (CTA-5004 and its v2 draft, query-argument mode) as a player puts it on
/// a media request: `...?CMCD=bl%3D21300%2Cbr%3D3200%2Cot%3Dav%2Csid%3D%22...%22`. vlog's player,
/// hls.js, Shaka, dash.js and AVPlayer send it; a static server or CDN logs it with the URI.
///
/// Read here: `sid` (one page view's player; vlog's player uses the beacons' page-view id), `cid`
/// (the content: vlog's player sends the slug), `ot` (m playlist, i init, v/a/av media), `bl`
/// buffer length (ms), `pt` playhead (ms, v2), `pr` playback rate, `su` startup, `bs` the buffer ran
/// dry since the last request, `sta` the play state (v2: s starting, p playing, a paused,
/// w waiting, k seeking, r rebuffering, f fatal error, e ended), `msd` media start delay (ms, v2:
/// play pressed to the first frame, sent once). Unknown keys (custom ones too) are ignored.
public struct CMCDData: Sendable, Codable, Equatable {
    public var sid: String?
    public var cid: String?
    public var objectType: String?
    public var bufferLength: Double?
    public var playhead: Double?
    public var rate: Double?
    public var startup = false
    public var starved = false
    public var state: String?
    public var startDelay: Double?

    static let marker = Array("CMCD=".utf8)

    /// The CMCD of a request URI (its query), or nil when it carries none or none that parses.
    static func parse(_ line: UnsafeBufferPointer<UInt8>, _ uri: Range<Int>) -> CMCDData? {
        var q = uri.lowerBound
        while q < uri.upperBound, line[q] != UInt8(ascii: "?") { q += 1 }
        guard q < uri.upperBound else { return nil }
        // `CMCD=` at the start of the query or after `&`.
        var i = q + 1
        var found: Int?
        while i + marker.count <= uri.upperBound {
            if line[i - 1] == UInt8(ascii: "?") || line[i - 1] == UInt8(ascii: "&") {
                var match = true
                for (k, b) in marker.enumerated() where line[i + k] != b {
                    match = false
                    break
                }
                if match {
                    found = i + marker.count
                    break
                }
            }
            i += 1
        }
        guard let start = found else { return nil }
        var end = start
        while end < uri.upperBound, line[end] != UInt8(ascii: "&"), line[end] != UInt8(ascii: "#") { end += 1 }
        let raw = String(decoding: UnsafeBufferPointer(rebasing: line[start..<end]), as: UTF8.self)
        // The value is percent-encoded once (a log may encode it again: `%253D`).
        var text = raw.replacingOccurrences(of: "+", with: " ")
        for _ in 0..<2 where text.contains("%") { text = text.removingPercentEncoding ?? text }
        return parse(payload: text)
    }

    /// `key=value,key,...` (strings quoted, with `\"` and `\\` escapes).
    static func parse(payload: String) -> CMCDData? {
        var d = CMCDData()
        for item in splitItems(payload) {
            let kv = item.split(separator: "=", maxSplits: 1)
            guard let rawKey = kv.first else { continue }
            let key = rawKey.trimmingCharacters(in: .whitespaces)
            let value = kv.count == 2 ? String(kv[1]) : nil
            func number() -> Double? {
                guard let v = value, let x = Double(v), x.isFinite, x >= 0 else { return nil }
                return x
            }
            func string() -> String? {
                guard var v = value, v.count >= 2, v.hasPrefix("\""), v.hasSuffix("\"") else { return value }
                v = String(v.dropFirst().dropLast())
                return v.replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
            }
            switch key {
            case "sid":
                if let s = string(), !s.isEmpty, s.count <= 64 { d.sid = s }
            case "cid":
                if let s = string(), !s.isEmpty, s.count <= 128 { d.cid = s }
            case "ot": d.objectType = value
            case "bl": d.bufferLength = number().map { min($0, 3_600_000) / 1000 }
            case "pt": d.playhead = number().map { $0 / 1000 }
            case "pr": d.rate = number().flatMap { $0 > 0 && $0 <= 16 ? $0 : nil }
            case "su": d.startup = value == nil || value == "true"
            case "bs": d.starved = value == nil || value == "true"
            case "sta": d.state = value.map { String($0.prefix(1)) }
            case "msd": d.startDelay = number().map { min($0, 600_000) / 1000 }
            default: continue
            }
        }
        return d == CMCDData() ? nil : d
    }

    /// Splits on commas outside quotes.
    static func splitItems(_ s: String) -> [Substring] {
        var items: [Substring] = []
        var quoted = false
        var escaped = false
        var start = s.startIndex
        for i in s.indices {
            let c = s[i]
            if escaped {
                escaped = false
            } else if c == "\\" && quoted {
                escaped = true
            } else if c == "\"" {
                quoted.toggle()
            } else if c == "," && !quoted {
                items.append(s[start..<i])
                start = s.index(after: i)
            }
        }
        items.append(s[start...])
        return items
    }

    /// A segment of media (not a playlist or an init segment).
    var isMedia: Bool { objectType.map { ["v", "a", "av", "muxed"].contains($0) } ?? true }
}
