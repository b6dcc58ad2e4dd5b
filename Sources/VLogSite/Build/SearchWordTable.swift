import Foundation
import VLogSupport

/// The search index's words while the pages render: each distinct word once (its bytes in one
/// buffer), with the `video << 2 | field` postings of the videos that have it.
///
/// Hand-written, not a `Dictionary`: on bench/search's site (10,000 transcripts, 9 million words)
/// the dictionaries' hashing (SipHash on every lookup) and copy-on-write checks were a fifth of
/// the build with transcripts. This is an open-addressing table on a fast 64-bit hash of the
/// bytes (collisions are told apart by comparing the bytes), and a video's repeated words are
/// folded into the last posting of their list (a video's words are added together) instead of
/// through a dictionary per video.
struct SearchWordTable {
    private var slots: [Int32] = Array(repeating: -1, count: 1 << 14)
    private var hashes: [UInt64] = []
    private var starts: [Int] = []
    private var lengths: [Int] = []
    private var bytes: [UInt8] = []
    private(set) var postings: [[UInt32]] = []

    var count: Int { hashes.count }

    /// Adds `word` said by `video` in `field` (0 title ... 3 transcript; a video keeps its best).
    mutating func add(_ word: UnsafeBufferPointer<UInt8>, video: UInt32, field: UInt32) {
        let i = index(of: word)
        let posting = video << 2 | field
        if let last = postings[i].last, last >> 2 == video {
            if field < last & 3 { postings[i][postings[i].count - 1] = posting }
            return
        }
        postings[i].append(posting)
    }

    /// The word of entry `i`.
    func word(_ i: Int) -> String {
        bytes.withUnsafeBufferPointer { String(decoding: $0[starts[i]..<(starts[i] + lengths[i])], as: UTF8.self) }
    }

    private mutating func index(of word: UnsafeBufferPointer<UInt8>) -> Int {
        let h = FNV.words(word, 0..<word.count)
        var mask = slots.count - 1
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[s])
            if e < 0 { break }
            if hashes[e] == h && lengths[e] == word.count
                && bytes.withUnsafeBufferPointer({ b in
                    word.isEmpty || memcmp(b.baseAddress! + starts[e], word.baseAddress!, word.count) == 0
                })
            {
                return e
            }
            s = (s + 1) & mask
        }
        // A new word.
        let e = hashes.count
        hashes.append(h)
        starts.append(bytes.count)
        lengths.append(word.count)
        bytes.append(contentsOf: word)
        postings.append([])
        slots[s] = Int32(e)
        if hashes.count * 2 > slots.count {
            // Half full: twice the slots, every entry placed again.
            slots = Array(repeating: -1, count: slots.count * 2)
            mask = slots.count - 1
            for (k, hk) in hashes.enumerated() {
                var t = Int(truncatingIfNeeded: hk) & mask
                while slots[t] >= 0 { t = (t + 1) & mask }
                slots[t] = Int32(k)
            }
        }
        return e
    }
}
