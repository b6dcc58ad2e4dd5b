import Foundation
import VLogSupport

/// Viewer keys. With `useCookie` (the `cookie` identity) the `vlog_viewer` cookie when present;
/// otherwise, and always in the default `anonymous` identity, a hash of the IP address (IPv6 cut
/// to its /64) and the user agent with a salt that changes every day (UTC). Only the SHA-256 of
/// that material is stored (for an anonymous key, after its day number); the raw IP never is. `previous` is the key the same viewer had under
/// yesterday's salt, so a session that crosses midnight stays one (the salt lives 48 h). Keys are
/// cached per distinct input, in two generations of at most `generation` entries (the recent
/// viewers of a time-ordered log), so the cache does not grow with the log.
final class ViewerKeys {
    let secret: [UInt8]
    let useCookie: Bool
    private var cache: [UInt64: (String, UInt64)] = [:]
    private var older: [UInt64: (String, UInt64)] = [:]
    static let generation = 8192
    init(secret: [UInt8], useCookie: Bool) {
        self.secret = secret
        self.useCookie = useCookie
    }

    /// The viewer key and its `Sessionizer.hash`.
    func key(
        _ line: UnsafeBufferPointer<UInt8>, addr: Range<Int>, ua: Range<Int>, uaHash: UInt64, cookie: Range<Int>,
        time: Double
    ) -> (String, UInt64) {
        key(line, addr: addr, ua: ua, uaHash: uaHash, cookie: cookie, day: Int(floor(time / 86400)))
    }

    /// The key under the previous day's salt (nil for cookie keys, which do not change).
    func previous(
        _ line: UnsafeBufferPointer<UInt8>, addr: Range<Int>, ua: Range<Int>, uaHash: UInt64, cookie: Range<Int>,
        time: Double
    ) -> (String, UInt64)? {
        if useCookie && Self.validCookie(line, cookie) { return nil }
        return key(line, addr: addr, ua: ua, uaHash: uaHash, cookie: cookie, day: Int(floor(time / 86400)) - 1)
    }

    static func validCookie(_ line: UnsafeBufferPointer<UInt8>, _ cookie: Range<Int>) -> Bool {
        cookie.count >= 16 && cookie.count <= 64
            && cookie.allSatisfy { j in
                let c = line[j]
                return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
            }
    }

    private func key(
        _ line: UnsafeBufferPointer<UInt8>, addr: Range<Int>, ua: Range<Int>, uaHash: UInt64, cookie: Range<Int>,
        day: Int
    ) -> (String, UInt64) {
        let byCookie = useCookie && Self.validCookie(line, cookie)
        let h =
            byCookie
            ? FNV.mix(FNV.hash(line, cookie), 0x63 as UInt64)
            : FNV.mix(FNV.mix(FNV.hash(line, addr), uaHash), UInt64(bitPattern: Int64(day)))
        if let k = cache[h] { return k }
        if let k = older[h] {
            remember(h, k)
            return k
        }
        var material: [UInt8]
        if byCookie {
            material = Array("cookie:".utf8) + Array(line[cookie]).map { ($0 >= 65 && $0 <= 70) ? $0 | 0x20 : $0 }
        } else {
            let salt = SHA256.hash(secret + Array("day:\(day)".utf8))
            material = Array("ipua:".utf8) + salt + Self.network(Array(line[addr])) + [0] + Array(line[ua])
        }
        // An anonymous key starts with its day (5 hex digits): keys of one day sit together in the
        // viewers index, so a checkpoint writes the few pages of today's keys, not all of them.
        // (A cookie key stays the same every day: it is the hash alone.)
        let k: String
        if byCookie {
            k = SHA256.hex(material)
        } else {
            let d = String(UInt32(clamping: max(0, day)), radix: 16)
            k = String(repeating: "0", count: max(0, 5 - d.count)) + d + SHA256.hex(material).prefix(59)
        }
        let entry = (k, Sessionizer.hash(k))
        remember(h, entry)
        return entry
    }

    private func remember(_ h: UInt64, _ entry: (String, UInt64)) {
        if cache.count >= Self.generation {
            older = cache
            cache = [:]
            cache.reserveCapacity(Self.generation)
        }
        cache[h] = entry
    }

    /// An IPv6 address cut to its /64 (the part a provider assigns to one household; the rest
    /// changes with privacy extensions); IPv4 and anything else as it is.
    static func network(_ addr: [UInt8]) -> [UInt8] {
        guard addr.contains(UInt8(ascii: ":")) else { return addr }
        var text = String(decoding: addr, as: UTF8.self)
        if text.hasPrefix("[") { text = String(text.dropFirst().prefix { $0 != "]" }) }
        var bytes = [UInt8](repeating: 0, count: 16)
        guard inet_pton(AF_INET6, text, &bytes) == 1 else { return addr }
        return Array("v6:".utf8) + Array(bytes[0..<8])
    }
}
