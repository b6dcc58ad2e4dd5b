import Foundation
import VLogSupport

/// A chunk of complete log lines copied out of the reader (one bulk copy), split into lines and
/// classified on every worker (each over a contiguous part, cut at a newline), with the results
/// kept in log order.
final class LineBatch: @unchecked Sendable {
    private(set) var bytes: [UInt8] = []
    /// Content offset of the first byte, and lines ending at or before `done` were ingested earlier.
    private(set) var startOffset: Int64 = 0
    private(set) var done: Int64 = 0
    /// Content offset just past the last line, and the number of lines (known after `classify`).
    var endOffset: Int64 { startOffset + Int64(bytes.count) }
    private(set) var lineCount = 0

    init() { bytes.reserveCapacity(LineReader.chunk + LineReader.maxLine) }

    func fill(_ chunk: UnsafeBufferPointer<UInt8>, startOffset: Int64, done: Int64) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: chunk)
        self.startOffset = startOffset
        self.done = done
        lineCount = 0
    }

    /// The outcomes of each worker's part, in log order (not joined: a copy of them all would
    /// double the batch's memory).
    func classify(_ fmt: LogFormat, _ classifiers: [LineClassifier]) -> [[Outcome]] {
        let n = bytes.count
        guard n > 0 else { return [] }
        // Cut points at newlines, so no line is split between workers.
        var cuts = [0]
        bytes.withUnsafeBufferPointer { b in
            for k in 1..<classifiers.count {
                var c = max(cuts.last!, n * k / classifiers.count)
                if let p = memchr(b.baseAddress! + c, 10, n - c) {
                    c = b.baseAddress!.distance(to: p.assumingMemoryBound(to: UInt8.self)) + 1
                } else {
                    c = n
                }
                cuts.append(c)
            }
        }
        cuts.append(n)
        let bounds = cuts
        let parts = classifiers.count
        let results = LockedBox<[[Outcome]]>(Array(repeating: [], count: parts))
        let (start, done) = (startOffset, self.done)
        bytes.withUnsafeBufferPointer { all in
            nonisolated(unsafe) let base = all  // read-only while the workers run
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                var out: [Outcome] = []
                out.reserveCapacity((bounds[part + 1] - bounds[part]) / 200 + 16)
                let c = classifiers[part]
                var pos = bounds[part]
                let hi = bounds[part + 1]
                while pos < hi {
                    let nl =
                        memchr(base.baseAddress! + pos, 10, hi - pos).map {
                            base.baseAddress!.distance(to: $0.assumingMemoryBound(to: UInt8.self))
                        } ?? hi
                    let lineEnd = nl > pos && base[nl - 1] == 13 ? nl - 1 : nl
                    let after = start + Int64(min(nl + 1, n))
                    if after <= done {
                        out.append(.already)
                    } else {
                        out.append(c.classify(UnsafeBufferPointer(rebasing: base[pos..<lineEnd]), fmt))
                    }
                    pos = nl + 1
                }
                results.withLock { $0[part] = out }
            }
        }
        let outcomes = results.value
        lineCount = outcomes.reduce(0) { $0 + $1.count }
        return outcomes
    }
}
