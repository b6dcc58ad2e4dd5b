import Foundation

/// Formatting shared by pages and feeds.
public enum Format {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]

    static func parts(_ d: Date) -> tm {
        var t = time_t(d.timeIntervalSince1970)
        var out = tm()
        gmtime_r(&t, &out)
        return out
    }
    /// `m:ss`, or `h:mm:ss` from an hour (written directly: it runs for every card).
    public static func duration(_ s: Double) -> String {
        let n = max(0, Int(s.rounded()))
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return n >= 3600 ? "\(n / 3600):\(two(n / 60 % 60)):\(two(n % 60))" : "\(n / 60):\(two(n % 60))"
    }
    /// `1:23`, or `0:04.5` for a time between whole seconds (to the tenth): what `clock` reads back.
    public static func clock(_ t: Double) -> String {
        let tenths = Int((max(0, t) * 10).rounded())
        guard tenths % 10 != 0 else { return duration(Double(tenths / 10)) }
        return "\(duration(Double(tenths / 10))).\(tenths % 10)"
    }

    /// A time a user types: `83`, `83.5`, `1:23`, `1:23.5`, `1:02:03`; nil if it is none.
    public static func seconds(clock s: String) -> Double? {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var total = 0.0
        for (i, p) in parts.enumerated() {
            guard let n = Double(p), n.isFinite, n >= 0, i == 0 || n < 60 else { return nil }
            total = total * 60 + n
        }
        return total
    }

    public static func isoDuration(_ s: Double) -> String {
        let n = Int(s.rounded())
        return "PT" + (n >= 3600 ? "\(n / 3600)H" : "") + (n >= 60 ? "\(n / 60 % 60)M" : "") + "\(n % 60)S"
    }
    public static func date(_ d: Date?) -> String {
        guard let d else { return "" }
        let t = parts(d)
        return "\(t.tm_mday) \(months[Int(t.tm_mon)]) \(t.tm_year + 1900)"
    }
    public static func iso(_ d: Date?) -> String {
        guard let d else { return "" }
        var utf8 = Array(DBDate.format(d).utf8)
        utf8[10] = UInt8(ascii: "T")
        return String(decoding: utf8, as: UTF8.self) + "Z"
    }
    public static func rfc822(_ d: Date?) -> String {
        guard let d else { return "" }
        let t = parts(d)
        return String(
            format: "%@, %02d %@ %04d %02d:%02d:%02d +0000", days[Int(t.tm_wday)], t.tm_mday, months[Int(t.tm_mon)],
            t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec)
    }

    /// A word as the shell reads it back: `'...'`, or bash's `$'...'` with `\xHH` for control
    /// characters, so a hostile name is shown safely and can be pasted as it is.
    public static func shellQuoted(_ s: String) -> String {
        let plain = s.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7f }
        if plain { return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        var out = "$'"
        for u in s.unicodeScalars {
            switch u {
            case "'": out += "\\'"
            case "\\": out += "\\\\"
            default:
                if u.value < 0x20 || u.value == 0x7f {
                    out += "\\x" + (u.value < 0x10 ? "0" : "") + String(u.value, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "'"
    }

    /// A number as ffmpeg's options take it: `6` for 6.0, `2.5` otherwise.
    /// `1.2 MB`, `800 bytes`.
    public static func bytes(_ n: Int) -> String {
        ByteCountFormatter.string(fromByteCount: Int64(n), countStyle: .file)
    }
    public static func number(_ d: Double) -> String { d == d.rounded() ? String(Int(d)) : String(d) }
}
