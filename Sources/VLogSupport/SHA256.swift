import CCrypto

/// SHA-256, for viewer keys, session tokens and log identities: the system's libcrypto
/// (OpenSSL, `libssl-dev`), linked dynamically so it costs the build nothing.
public enum SHA256 {
    public static func hash(_ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        message.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { o in _ = CCrypto.SHA256(m.baseAddress, m.count, o.baseAddress) }
        }
        return out
    }

    public static func hex(_ s: String) -> String { hex(Array(s.utf8)) }
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in hash(bytes) {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
