/// FNV-1a, 64-bit: a cheap non-cryptographic hash for cache keys on the ingest hot path.
public enum FNV {
    public static let offset: UInt64 = 0xcbf2_9ce4_8422_2325
    @inline(__always) public static func mix(_ h: UInt64, _ byte: UInt8) -> UInt64 {
        (h ^ UInt64(byte)) &* 0x100_0000_01b3
    }
    @inline(__always) public static func mix(_ h: UInt64, _ value: UInt64) -> UInt64 { (h ^ value) &* 0x100_0000_01b3 }

    /// Hash of bytes `range` of `buffer`, continuing from `h`.
    @inline(__always) public static func hash(
        _ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, from h: UInt64 = offset
    ) -> UInt64 {
        var h = h
        for j in range { h = mix(h, buffer[j]) }
        return h
    }

    public static func hash<S: Sequence>(_ bytes: S, from h: UInt64 = offset) -> UInt64 where S.Element == UInt8 {
        var h = h
        for b in bytes { h = mix(h, b) }
        return h
    }

    /// A 64-bit hash of bytes `range` of `buffer` taken 8 bytes at a time (FNV-1a goes byte by
    /// byte: over each log line's user agent it was a tenth of the classifier). For keys of
    /// in-memory caches only: it is never stored.
    @inline(__always) public static func words(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(range.count)
        guard let base = buffer.baseAddress, !range.isEmpty else { return h }
        let raw = UnsafeRawPointer(base)
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xff51_afd7_ed55_8ccd
            h ^= h >> 32
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < range.upperBound {
            tail |= UInt64(buffer[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0xc4ce_b9fe_1a85_ec53
        return h ^ (h >> 29)
    }
}
