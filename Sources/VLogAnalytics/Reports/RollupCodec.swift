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
    static func unescape<S: StringProtocol>(_ s: S) -> String {
        s.contains("%") ? (String(s).removingPercentEncoding ?? String(s)) : String(s)
    }

    /// Items of `key U+001F values...`.
    static func map(_ pairs: [(String, [String])]) -> String {
        pairs.sorted { $0.0 < $1.0 }.map { ([escape($0.0)] + $0.1).joined(separator: String(field)) }
            .joined(separator: String(item))
    }
    static func map(_ text: Substring) -> [(String, [Substring])] {
        text.split(separator: item).compactMap { i in
            let f = i.split(separator: field, omittingEmptySubsequences: false)
            return f.isEmpty ? nil : (unescape(f[0]), Array(f.dropFirst()))
        }
    }

    static func qualities(_ q: [String: RollupCell.Quality]) -> String {
        map(q.map { ($0.key, [String($0.value.sessions), String($0.value.watched)]) })
    }
    static func qualities(_ text: String) -> [String: RollupCell.Quality] {
        var out: [String: RollupCell.Quality] = [:]
        for (k, v) in map(text[...]) where v.count == 2 {
            out[k] = RollupCell.Quality(sessions: Int(v[0]) ?? 0, watched: Double(v[1]) ?? 0)
        }
        return out
    }

    /// `sessions n0 n10 ... n100`.
    static func reach(_ c: RollupCell) -> String {
        ([c.reachSessions] + c.reach).map(String.init).joined(separator: " ")
    }
    static func reach(_ text: String, into c: inout RollupCell) {
        let n = text.split(separator: " ").map { Int($0) ?? 0 }
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
        let rungs = map(a.rungTotals.map { ($0.key, [String($0.value)]) })
        let startups = a.startups.sorted { $0.key < $1.key }.map { "\($0.key)\(field)\($0.value)" }
            .joined(separator: String(item))
        return [counts, rungs, startups].joined(separator: String(part))
    }
    static func qoe(_ text: String) -> QoEReport.Accumulator {
        var a = QoEReport.Accumulator()
        let parts = text.split(separator: part, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return a }
        let n = parts[0].split(separator: " ")
        guard n.count == 8 else { return a }
        a.report.sessions = Int(n[0]) ?? 0
        a.report.exitsBeforeStart = Int(n[1]) ?? 0
        a.report.failures = Int(n[2]) ?? 0
        a.report.rebufferMeasured = Int(n[3]) ?? 0
        a.report.sessionsWithRebuffering = Int(n[4]) ?? 0
        a.report.rebuffers = Int(n[5]) ?? 0
        a.report.rebufferSeconds = Double(n[6]) ?? 0
        a.timedWatch = Double(n[7]) ?? 0
        for (k, v) in map(parts[1]) where v.count == 1 { a.rungTotals[k] = Double(v[0]) ?? 0 }
        for (k, v) in map(parts[2]) where v.count == 1 {
            if let ms = Int32(k), let count = Int(v[0]) { a.startups[ms] = count }
        }
        return a
    }

    /// Ascending ids as gaps, LEB128.
    static func viewers(_ ids: [Int]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 2)
        var last = 0
        for id in ids {
            var gap = UInt64(id - last)
            last = id
            while gap >= 0x80 {
                out.append(UInt8(gap & 0x7F) | 0x80)
                gap >>= 7
            }
            out.append(UInt8(gap))
        }
        return out
    }
    static func eachViewer(_ blob: [UInt8], _ body: (Int) -> Void) {
        var last = 0
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for b in blob {
            value |= UInt64(b & 0x7F) << shift
            if b < 0x80 {
                last += Int(value)
                body(last)
                value = 0
                shift = 0
            } else {
                shift += 7
            }
        }
    }
    static func decodeViewers(_ blob: [UInt8]) -> [Int] {
        var out: [Int] = []
        eachViewer(blob) { out.append($0) }
        return out
    }
}
