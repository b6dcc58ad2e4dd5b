import Foundation
import VLogSupport

/// Simulated viewers for testing the ingester against a known truth: HLS players that prefetch
/// 20-60 s ahead, viewers who pause, seek, switch quality and give up; plus page, playlist and asset
/// requests, bots and junk lines. Writes combined-format lines with the `vlog_viewer` cookie.
public struct TrafficGenerator {
    public struct VideoSpec: Sendable {
        public var slug: String
        public var duration: Double
        public var rungs: [String]
        public init(slug: String, duration: Double, rungs: [String]) {
            self.slug = slug
            self.duration = duration
            self.rungs = rungs
        }
    }
    public struct Truth: Sendable {
        public var cookie: String
        public var slug: String
        public var start: Double
        public var watched: Double
        public var maxPosition: Double
        public var completed: Bool
        public var quality: String
        /// What counting the fetched segments would say.
        public var naiveWatched: Double
        public var naiveCompleted: Bool
    }

    public var videos: [VideoSpec]
    public var segment: Double
    /// How far ahead the simulated players buffer, in seconds: anywhere in 20-60 s by default; 12 s
    /// models Chromium's native HLS, 30 s hls.js.
    public var buffer: ClosedRange<Double> = 20...60
    var rng: SplitMix
    public init(videos: [VideoSpec], segment: Double = 6, seed: UInt64 = 42) {
        self.videos = videos
        self.segment = segment
        rng = SplitMix(seed: seed)
    }

    static let agents = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    ]

    /// One session: lines (time, text) and the truth.
    public mutating func session(start: Double, cookie: String?, ip: String) -> ([(Double, String)], Truth) {
        let v = videos[rng.int(videos.count)]
        let ua = Self.agents[rng.int(Self.agents.count)]
        let buffer = self.buffer.lowerBound + rng.double() * (self.buffer.upperBound - self.buffer.lowerBound)
        var rung = v.rungs[rng.int(v.rungs.count)]
        let completes = rng.double() < 0.35
        let abandonAt = completes ? v.duration + 1 : 5 + rng.double() * max(1, v.duration - 5)
        var pauseAt = rng.double() < 0.3 ? rng.double() * v.duration : -1
        var seek: (at: Double, to: Double)? =
            rng.double() < 0.25 ? (rng.double() * v.duration * 0.7, rng.double() * v.duration * 0.9) : nil
        var switchAt = rng.double() < 0.3 ? rng.double() * v.duration : -1
        var lines: [(Double, String)] = []
        let c = cookie.map { "\"\($0)\"" } ?? "\"-\""
        func log(_ t: Double, _ path: String, _ status: Int, _ bytes: Int) {
            lines.append(
                (
                    t,
                    "\(ip) - - [\(Self.clf(t))] \"GET \(path) HTTP/1.1\" \(status) \(bytes) \"https://videos.example.org/v/\(v.slug)/\" \"\(ua)\" \(c)"
                ))
        }
        log(start, "/v/\(v.slug)/", 200, 5120)
        log(start + 0.2, "/v/\(v.slug)/\(MediaLayout.master)", 200, 420)
        log(start + 0.3, "/v/\(v.slug)/\(MediaLayout.playlist(rung))", 200, 900)
        var t = start + 0.5
        var p = 0.0
        var fetchedEnd = 0.0
        var inFlightUntil = -1.0
        var pending = -1.0
        var watched = 0.0
        var maxPos = 0.0
        var fetchedSegs = Set<Int>()
        var rungWatch: [String: Double] = [:]
        let tick = 0.25
        let lastIndex = Int((v.duration / segment).rounded(.up)) - 1
        while t < start + 6 * 3600 {
            // Fetching: one request at a time, while the buffer is below target.
            if inFlightUntil >= 0 && t >= inFlightUntil {
                fetchedEnd = pending
                inFlightUntil = -1
            }
            if inFlightUntil < 0 && fetchedEnd < min(v.duration, p + buffer) {
                let idx = Int(fetchedEnd / segment)
                log(t, "/v/\(v.slug)/\(MediaLayout.segment(rung, idx))", 200, 300_000)
                fetchedSegs.insert(idx)
                inFlightUntil = t + 0.1 + rng.double() * 0.4
                pending = min(v.duration, Double(idx + 1) * segment)
            }
            // Viewer events, by playhead position.
            if p >= abandonAt || p >= v.duration { break }
            if pauseAt >= 0 && p >= pauseAt {
                t += 10 + rng.double() * 600  // paused: the buffer is full, no requests
                pauseAt = -1
                continue
            }
            if let s = seek, p >= s.at {
                p = s.to
                fetchedEnd = (p / segment).rounded(.down) * segment
                inFlightUntil = -1
                seek = nil
            }
            if switchAt >= 0 && p >= switchAt, v.rungs.count > 1 {
                rung = v.rungs.filter { $0 != rung }[rng.int(v.rungs.count - 1)]
                // Refetch ahead in the new rung.
                fetchedEnd = min(fetchedEnd, (p / segment).rounded(.down) * segment + segment)
                switchAt = -1
            }
            if p + tick <= fetchedEnd {
                p += tick
                watched += tick
                rungWatch[rung, default: 0] += tick
                maxPos = max(maxPos, p)
            }
            t += tick
        }
        let naive = Double(fetchedSegs.count) * segment
        let truth = Truth(
            cookie: cookie ?? "", slug: v.slug, start: start, watched: min(watched, v.duration * 3),
            maxPosition: maxPos,
            completed: maxPos >= 0.9 * v.duration, quality: rungWatch.max { $0.value < $1.value }?.key ?? rung,
            naiveWatched: min(naive, v.duration), naiveCompleted: fetchedSegs.contains(lastIndex))
        return (lines, truth)
    }

    /// `count` sessions spread over `days` from `start`, with some noise lines. Sorted by time.
    public mutating func traffic(sessions count: Int, start: Double, days: Double = 1, noise: Bool = true) -> (
        lines: [String], truth: [Truth]
    ) {
        var all: [(Double, String)] = []
        var truths: [Truth] = []
        for i in 0..<count {
            let s = start + rng.double() * days * 86400
            let cookie = String(format: "%016llx%016llx", rng.next(), UInt64(i))
            let ip = "\(10 + rng.int(200)).\(rng.int(256)).\(rng.int(256)).\(1 + rng.int(254))"
            let (lines, truth) = session(start: s, cookie: cookie, ip: ip)
            all += lines
            truths.append(truth)
            if noise && i % 10 == 0 {
                let v = videos[rng.int(videos.count)].slug
                all.append(
                    (
                        s + 1,
                        "66.249.66.1 - - [\(Self.clf(s + 1))] \"GET /v/\(v)/360p_0000.ts HTTP/1.1\" 200 1000 \"-\" \"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)\" \"-\""
                    ))
                all.append(
                    (
                        s + 2,
                        "\(ip) - - [\(Self.clf(s + 2))] \"GET /assets/style.css HTTP/1.1\" 200 4000 \"-\" \"Mozilla/5.0\" \"-\""
                    ))
                all.append(
                    (
                        s + 3,
                        "\(ip) - - [\(Self.clf(s + 3))] \"\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03\" 400 157 \"-\" \"-\" \"-\""
                    ))
                all.append((s + 4, "garbage that is not a log line at all"))
            }
        }
        all.sort { $0.0 < $1.0 }
        return (all.map(\.1), truths)
    }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    /// `25/Nov/2026:08:49:18 +0000`
    public static func clf(_ t: Double) -> String {
        var tt = time_t(t)
        var m = tm()
        gmtime_r(&tt, &m)
        return String(
            format: "%02d/%@/%04d:%02d:%02d:%02d +0000", m.tm_mday, months[Int(m.tm_mon)], m.tm_year + 1900, m.tm_hour,
            m.tm_min, m.tm_sec)
    }
}

/// A small deterministic random generator, so generated traffic is reproducible.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func double() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
}
