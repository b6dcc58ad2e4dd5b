import Foundation
import Synchronization
import VLogSupport

/// A chunk of complete log lines copied out of the reader (one bulk copy), cut at newlines into
/// pieces that threads classify (`ClassifyJob`), with the results kept in log order.
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

    /// Where the batch is cut into `parts` pieces, at newlines, so no line is split.
    func cuts(parts: Int) -> [Int] {
        let n = bytes.count
        var cuts = [0]
        bytes.withUnsafeBufferPointer { b in
            for k in 1..<max(1, parts) {
                var c = max(cuts.last!, n * k / parts)
                if c < n, let p = memchr(b.baseAddress! + c, 10, n - c) {
                    c = b.baseAddress!.distance(to: p.assumingMemoryBound(to: UInt8.self)) + 1
                } else {
                    c = n
                }
                cuts.append(c)
            }
        }
        cuts.append(n)
        return cuts
    }

    /// The outcomes of the lines in `range` (a piece between two cuts), in order.
    func classify(_ range: Range<Int>, _ fmt: LogFormat, _ c: LineClassifier) -> [Outcome] {
        let n = bytes.count
        let (start, done) = (startOffset, self.done)
        return bytes.withUnsafeBufferPointer { base in
            var out: [Outcome] = []
            out.reserveCapacity(range.count / 200 + 16)
            var pos = range.lowerBound
            let hi = range.upperBound
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
            return out
        }
    }

    func counted(_ lines: Int) { lineCount = lines }
}

/// One batch's classification, shared out piece by piece: the worker threads take pieces, and so
/// does the main thread once it has fed the previous batch to the sessions (it used to wait idle
/// for the workers, a fifth of an ingest). Each thread uses its own classifier (`slot`), whose
/// caches are its own; each piece's outcomes are written once, by the thread that took it.
final class ClassifyJob: @unchecked Sendable {
    let batch: LineBatch
    let format: LogFormat
    let classifiers: [LineClassifier]
    let cuts: [Int]
    private let next = Atomic<Int>(0)
    private let results: UnsafeMutableBufferPointer<[Outcome]>
    private let workers = DispatchGroup()
    static let pieces = 8

    /// Starts the workers (slots 0..<classifiers.count - 1); the last slot is the caller's.
    init(batch: LineBatch, format: LogFormat, classifiers: [LineClassifier]) {
        self.batch = batch
        self.format = format
        self.classifiers = classifiers
        cuts = batch.cuts(parts: Self.pieces)
        results = .allocate(capacity: Self.pieces)
        results.initialize(repeating: [])
        for slot in 0..<(classifiers.count - 1) {
            workers.enter()
            DispatchQueue.global().async {
                self.work(slot: slot)
                self.workers.leave()
            }
        }
    }

    deinit {
        results.deinitialize()
        results.deallocate()
    }

    private func work(slot: Int) {
        while case let i = next.wrappingAdd(1, ordering: .relaxed).oldValue, i < Self.pieces {
            results[i] = batch.classify(cuts[i]..<cuts[i + 1], format, classifiers[slot])
        }
    }

    /// Takes pieces on the calling thread until none is left, waits for the workers' last ones,
    /// and returns every piece's outcomes in log order.
    func finish() -> [[Outcome]] {
        work(slot: classifiers.count - 1)
        workers.wait()
        let out = Array(results)
        batch.counted(out.reduce(0) { $0 + $1.count })
        return out
    }
}
