/// What every kind of session (beacons, CMCD, segment requests) reduces its playback to.
enum Played {
    /// The union of played intervals `(start, end)`, sorted: a range watched twice counts once.
    static func union(_ intervals: [(Double, Double)]) -> [[Double]] {
        var merged: [[Double]] = []
        for (a, b) in intervals.sorted(by: { $0.0 < $1.0 }) where b > a {
            if let end = merged.last?[1], a <= end {
                merged[merged.count - 1][1] = max(end, b)
            } else {
                merged.append([a, b])
            }
        }
        return merged
    }

    /// The rung watched longest. Ties go to the higher rung, by its number (`1080p` sorts before
    /// `360p` as text).
    static func longest(_ rungSeconds: [String: Double]) -> String? {
        rungSeconds.max { a, b in a.value == b.value ? height(a.key) < height(b.key) : a.value < b.value }?.key
    }

    /// The number in a rung name (`720p` -> 720).
    static func height(_ rung: String) -> Int { Int(rung.prefix { $0.isNumber }) ?? 0 }
}
