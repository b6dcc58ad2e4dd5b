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
}
