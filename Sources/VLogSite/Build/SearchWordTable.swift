import Foundation
import VLogSupport

/// The search index's words while the pages render: each distinct word once (its bytes in one
/// buffer), and every posting (`word << 32 | video << 2 | field`) in one flat list, in the order
/// added. `SearchWordTable.merge` groups the postings by word at the end.
///
/// Hand-written, not a `Dictionary` of arrays: on bench/search's site (10,000 transcripts, 9
/// million words) the dictionaries' hashing (SipHash on every lookup) was a fifth of the build with
/// transcripts, and a list per word was a cache miss per word added (the end of one of 5,000 lists
/// spread over 35 MB): a third of the search index's cost. This is an open-addressing table on a
/// fast 64-bit hash of the bytes (collisions are told apart by comparing the bytes), appending to
/// one list; a video's repeated words fold into its latest posting, kept per word in a small array.
struct SearchWordTable {
    /// A slot holds its word's hash and length (a lookup reads one slot, then the bytes).
    private struct Slot {
        var hash: UInt64 = 0
        var entry: Int32 = -1
        var length: Int32 = 0
    }
    private var slots = [Slot](repeating: Slot(), count: 1 << 12)
    private var hashes: [UInt64] = []
    private var starts: [Int] = []
    private var lengths: [Int] = []
    private var bytes: [UInt8] = []
    /// Per word, its latest posting and where that is in `entries`.
    private var latest: [UInt32] = []
    private var latestAt: [Int] = []
    /// Every posting, as added.
    private(set) var entries: [UInt64] = []
    /// Where each video's postings start in `entries`, in the order added.
    private var runs: [(video: UInt32, start: Int)] = []

    var count: Int { hashes.count }

    /// Adds `word` said by `video` in `field` (0 title ... 3 transcript; a video keeps its best).
    /// A video's words are added together, before the next video's.
    mutating func add(_ word: UnsafeBufferPointer<UInt8>, video: UInt32, field: UInt32) {
        let i = index(of: word)
        let posting = video << 2 | field
        if runs.last?.video != video { runs.append((video, entries.count)) }
        if latestAt[i] >= 0 && latest[i] >> 2 == video {
            if field < latest[i] & 3 {
                latest[i] = posting
                entries[latestAt[i]] = UInt64(i) << 32 | UInt64(posting)
            }
            return
        }
        latest[i] = posting
        latestAt[i] = entries.count
        entries.append(UInt64(i) << 32 | UInt64(posting))
    }

    /// The word of entry `i`.
    func word(_ i: Int) -> String {
        bytes.withUnsafeBufferPointer { String(decoding: $0[starts[i]..<(starts[i] + lengths[i])], as: UTF8.self) }
    }

    /// The words of several tables (each filled by one thread) and their postings grouped by word:
    /// word `k`'s postings are `postings[ranges[k]]`, by ascending video id.
    static func merge(_ tables: [SearchWordTable]) -> (words: [String], postings: [UInt32], ranges: [Range<Int>]) {
        var all = SearchWordTable()
        let maps = tables.map { t in
            t.bytes.withUnsafeBufferPointer { b in
                (0..<t.count).map {
                    all.index(of: UnsafeBufferPointer(rebasing: b[t.starts[$0]..<(t.starts[$0] + t.lengths[$0])]))
                }
            }
        }
        // Each video's run of postings, in the order of video ids, so that a counting sort by word
        // (two passes) leaves each word's postings in that order too.
        var order: [(video: UInt32, table: Int, range: Range<Int>)] = []
        for (k, t) in tables.enumerated() {
            for (r, run) in t.runs.enumerated() {
                order.append((run.video, k, run.start..<(r + 1 < t.runs.count ? t.runs[r + 1].start : t.entries.count)))
            }
        }
        order.sort { $0.video < $1.video }
        var counts = [Int](repeating: 0, count: all.count + 1)
        for (t, map) in zip(tables, maps) {
            for e in t.entries { counts[map[Int(e >> 32)] + 1] += 1 }
        }
        for k in 1..<counts.count { counts[k] += counts[k - 1] }
        let ranges = (0..<all.count).map { counts[$0]..<counts[$0 + 1] }
        var postings = [UInt32](repeating: 0, count: counts[all.count])
        for run in order {
            let map = maps[run.table]
            tables[run.table].entries.withUnsafeBufferPointer { entries in
                for e in entries[run.range] {
                    let w = map[Int(e >> 32)]
                    postings[counts[w]] = UInt32(truncatingIfNeeded: e)
                    counts[w] += 1
                }
            }
        }
        return ((0..<all.count).map { all.word($0) }, postings, ranges)
    }

    private mutating func index(of word: UnsafeBufferPointer<UInt8>) -> Int {
        let h = FNV.words(word, 0..<word.count)
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: h) & mask
        // No closure reads `self` here: one that did retained an array on every lookup.
        while true {
            let slot = slots[s]
            if slot.entry < 0 { break }
            if slot.hash == h && Int(slot.length) == word.count {
                let start = starts[Int(slot.entry)]
                if bytes.withUnsafeBufferPointer({ Self.same($0.baseAddress! + start, word) }) {
                    return Int(slot.entry)
                }
            }
            s = (s + 1) & mask
        }
        // A new word.
        let e = hashes.count
        hashes.append(h)
        starts.append(bytes.count)
        lengths.append(word.count)
        bytes.append(contentsOf: word)
        latest.append(0)
        latestAt.append(-1)
        slots[s] = Slot(hash: h, entry: Int32(e), length: Int32(word.count))
        if hashes.count * 2 > slots.count {
            // Half full: twice the slots, every entry placed again.
            slots = [Slot](repeating: Slot(), count: slots.count * 2)
            let mask = slots.count - 1
            for (k, hk) in hashes.enumerated() {
                var t = Int(truncatingIfNeeded: hk) & mask
                while slots[t].entry >= 0 { t = (t + 1) & mask }
                slots[t] = Slot(hash: hk, entry: Int32(k), length: Int32(lengths[k]))
            }
        }
        return e
    }

    /// Whether `n` bytes at `a` are `word`'s, 8 at a time (words are short: calling `memcmp` cost
    /// more than comparing).
    @inline(__always)
    private static func same(_ a: UnsafePointer<UInt8>, _ word: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let b = word.baseAddress else { return true }
        let n = word.count
        var i = 0
        while i + 8 <= n {
            if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self)
                != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self)
            {
                return false
            }
            i += 8
        }
        while i < n {
            if a[i] != b[i] { return false }
            i += 1
        }
        return true
    }
}
