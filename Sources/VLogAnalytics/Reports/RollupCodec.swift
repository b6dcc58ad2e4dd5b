import Foundation

/// How a `RollupCell` is stored in a `vlog_rollups` row: numbers as columns, maps as text (items
/// apart by U+001D, a key from its values by U+001F; keys escaped), the viewers as a blob of
/// ascending ids in gaps of LEB128 varints (about 1.5 bytes a viewer).
/// Hand-written: a month of a busy site is 30,000 rows read per report, and `JSONDecoder` on each
/// took most of a second; the text here is split in a pass.
enum RollupCodec {
    static let item: Character = "\u{1D}"
    static let field: Character = "\u{1F}"
    static let part: Character = "\u{1E}"

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\u{1D}", with: "%1D")
            .replacingOccurrences(of: "\u{1E}", with: "%1E").replacingOccurrences(of: "\u{1F}", with: "%1F")
    }
    static func unescape(_ b: ArraySlice<UInt8>) -> String {
        let s = String(decoding: b, as: UTF8.self)
        return b.contains(UInt8(ascii: "%")) ? (s.removingPercentEncoding ?? s) : s
    }

    /// Items of `key U+001F values...`.
    static func map(_ pairs: [(String, [String])]) -> String {
        pairs.sorted { $0.0 < $1.0 }.map { ([escape($0.0)] + $0.1).joined(separator: String(field)) }
            .joined(separator: String(item))
    }
    /// The items of a map, each as its key's bytes and its values' (a pass over the bytes: splitting
    /// the text by Character was most of a month's report).
    static func items(_ b: ArraySlice<UInt8>, _ body: (ArraySlice<UInt8>, [ArraySlice<UInt8>]) -> Void) {
        for item in b.split(separator: 0x1D) {
            let f = item.split(separator: 0x1F, omittingEmptySubsequences: false)
            if let key = f.first { body(key, Array(f.dropFirst())) }
        }
    }

    static func int(_ b: ArraySlice<UInt8>) -> Int {
        var n = 0
        var negative = false
        for c in b {
            if c == UInt8(ascii: "-") {
                negative = true
            } else if c &- 0x30 < 10 {
                n = n * 10 + Int(c &- 0x30)
            }
        }
        return negative ? -n : n
    }

    static func double(_ b: ArraySlice<UInt8>) -> Double {
        // Whole numbers (most sums of seconds here end in .0 or a tenth) without strtod.
        if !b.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            return Double(int(b))
        }
        return Double(String(decoding: b, as: UTF8.self)) ?? 0
    }

    static func qualities(_ q: [String: RollupCell.Quality]) -> String {
        map(q.map { ($0.key, [String($0.value.sessions), String($0.value.watched)]) })
    }
    static func qualities(_ text: [UInt8]) -> [String: RollupCell.Quality] {
        var out: [String: RollupCell.Quality] = [:]
        items(text[...]) { k, v in
            if v.count == 2 { out[unescape(k)] = RollupCell.Quality(sessions: int(v[0]), watched: double(v[1])) }
        }
        return out
    }

    /// `sessions n0 n10 ... n100`.
    static func reach(_ c: RollupCell) -> String {
        ([c.reachSessions] + c.reach).map(String.init).joined(separator: " ")
    }
    static func reach(_ text: [UInt8], into c: inout RollupCell) {
        let n = text.split(separator: 0x20).map { int($0) }
        guard n.count == 12 else { return }
        c.reachSessions = n[0]
        c.reach = Array(n[1...])
    }

    /// The counts, then the watch time on each rung, then the startups (ms and how many).
    static func qoe(_ a: QoEReport.Accumulator) -> String {
        let r = a.report
        let counts = [
            String(r.sessions), String(r.exitsBeforeStart), String(r.failures), String(r.rebufferMeasured),
            String(r.sessionsWithRebuffering), String(r.rebuffers), String(r.rebufferSeconds), String(a.timedWatch),
        ].joined(separator: " ")
        let rungs = map(a.rungTotals.map { ($0.key, [String($0.value), String(a.rungSessions[$0.key] ?? 0)]) })
        let startups = a.startups.sorted { $0.key < $1.key }.map { "\($0.key)\(field)\($0.value)" }
            .joined(separator: String(item))
        return [counts, rungs, startups].joined(separator: String(part))
    }
    static func qoe(_ text: [UInt8], startups: Bool = true) -> QoEReport.Accumulator {
        var a = QoEReport.Accumulator()
        let parts = text.split(separator: 0x1E, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return a }
        let n = parts[0].split(separator: 0x20)
        guard n.count == 8 else { return a }
        a.report.sessions = int(n[0])
        a.report.exitsBeforeStart = int(n[1])
        a.report.failures = int(n[2])
        a.report.rebufferMeasured = int(n[3])
        a.report.sessionsWithRebuffering = int(n[4])
        a.report.rebuffers = int(n[5])
        a.report.rebufferSeconds = double(n[6])
        a.timedWatch = double(n[7])
        items(parts[1]) { k, v in
            guard v.count == 2 else { return }
            let key = unescape(k)
            a.rungTotals[key] = double(v[0])
            a.rungSessions[key] = int(v[1])
        }
        if startups { eachStartup(text) { ms, n in a.startups[ms] = n } }
        return a
    }

    /// The startup times of a qoe text (ms, how many), without parsing the rest.
    static func eachStartup(_ text: [UInt8], _ body: (Int32, Int) -> Void) {
        guard let last = text.lastIndex(of: 0x1E) else { return }
        var ms = 0
        var n = 0
        var negative = false
        var inCount = false
        for c in text[(last + 1)...] {
            switch c {
            case 0x1F: inCount = true
            case 0x1D:
                body(Int32(clamping: negative ? -ms : ms), n)
                (ms, n, negative, inCount) = (0, 0, false, false)
            case UInt8(ascii: "-"): negative = true
            default:
                if inCount { n = n * 10 + Int(c &- 0x30) } else { ms = ms * 10 + Int(c &- 0x30) }
            }
        }
        if inCount { body(Int32(clamping: negative ? -ms : ms), n) }
    }

    /// The viewers as LEB128 varints: how many, their ascending ids as gaps, then each one's
    /// sessions less one (a report reads only as far as the ids).
    static func viewers(_ ids: [Int], sessions: [Int]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 3 + 3)
        func put(_ n: Int) {
            var v = UInt64(max(0, n))
            while v >= 0x80 {
                out.append(UInt8(v & 0x7F) | 0x80)
                v >>= 7
            }
            out.append(UInt8(v))
        }
        put(ids.count)
        var last = 0
        for id in ids {
            put(id - last)
            last = id
        }
        for n in sessions { put(n - 1) }
        return out
    }
    /// The varints of a blob, in order, until `body` says stop.
    static func eachVarint(_ blob: [UInt8], _ body: (Int) -> Bool) {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for b in blob {
            value |= UInt64(b & 0x7F) << shift
            if b < 0x80 {
                guard body(Int(value)) else { return }
                value = 0
                shift = 0
            } else {
                shift += 7
            }
        }
    }
    static func eachViewer(_ blob: [UInt8], _ body: (Int) -> Void) {
        var left = -1
        var last = 0
        eachVarint(blob) { v in
            if left < 0 {
                left = v
            } else {
                last += v
                body(last)
                left -= 1
            }
            return left > 0
        }
    }
    /// The ids and each one's sessions.
    static func decodeViewers(_ blob: [UInt8]) -> (ids: [Int], sessions: [Int]) {
        var ids: [Int] = []
        var sessions: [Int] = []
        var n = -1
        var last = 0
        eachVarint(blob) { v in
            if n < 0 {
                n = v
                ids.reserveCapacity(n)
                sessions.reserveCapacity(n)
            } else if ids.count < n {
                last += v
                ids.append(last)
            } else {
                sessions.append(v + 1)
            }
            return sessions.count < n
        }
        guard sessions.count == ids.count else { return (ids, ids.map { _ in 1 }) }
        return (ids, sessions)
    }
}
