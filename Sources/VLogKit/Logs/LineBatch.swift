import Foundation

/// Lines copied out of the reader's buffer, classified in parallel (one classifier per thread,
/// each over a contiguous half) with results kept in log order.
final class LineBatch: @unchecked Sendable {
    private(set) var bytes: [UInt8] = []
    private(set) var ranges: [Range<Int>] = []
    static let capacity = 2 << 20
    /// Content offset just past the batch's last line, and its number of lines (set by `seal`).
    private(set) var endOffset: Int64 = 0
    private(set) var lineCount = 0

    func seal(endOffset: Int64) {
        self.endOffset = endOffset
        lineCount = ranges.count
    }

    init() { bytes.reserveCapacity(Self.capacity + LineReader.maxLine) }

    var isFull: Bool { bytes.count >= Self.capacity }

    func append(_ line: UnsafeBufferPointer<UInt8>) {
        let start = bytes.count
        bytes.append(contentsOf: line)
        ranges.append(start..<bytes.count)
    }

    func clear() {
        bytes.removeAll(keepingCapacity: true)
        ranges.removeAll(keepingCapacity: true)
    }

    func classify(_ fmt: LogFormat, _ classifiers: [LineClassifier]) -> [Outcome] {
        let parts = classifiers.count
        let n = ranges.count
        guard n > 0 else { return [] }
        let results = LockedBox<[[Outcome]]>(Array(repeating: [], count: parts))
        let chunk = (n + parts - 1) / parts
        bytes.withUnsafeBufferPointer { all in
            nonisolated(unsafe) let base = all  // read-only while the workers run
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let lo = part * chunk, hi = min(n, lo + chunk)
                guard lo < hi else { return }
                var out: [Outcome] = []
                out.reserveCapacity(hi - lo)
                let c = classifiers[part]
                for i in lo..<hi {
                    let r = ranges[i]
                    out.append(c.classify(UnsafeBufferPointer(rebasing: base[r]), fmt))
                }
                results.withLock { $0[part] = out }
            }
        }
        return results.value.flatMap { $0 }
    }
}
