import Foundation

/// Dates as the schema stores them: UTC text `YYYY-MM-DD HH:MM:SS` (fraction optional),
/// the form SQLite's `datetime('now')` produces and the Python VLog wrote.
public enum DBDate {
    /// Formats a date as `YYYY-MM-DD HH:MM:SS` in UTC (whole seconds).
    public static func format(_ date: Date) -> String {
        let t = time_t(floor(date.timeIntervalSince1970))
        var tm = tm()
        var tt = t
        gmtime_r(&tt, &tm)
        // Digits written directly: this runs for every date vlog stores (String(format:) is slow).
        var out = [UInt8](repeating: 0, count: 19)
        func put(_ v: Int, _ at: Int, _ width: Int) {
            var v = v
            for k in stride(from: at + width - 1, through: at, by: -1) {
                out[k] = UInt8(48 + v % 10)
                v /= 10
            }
        }
        put(Int(tm.tm_year) + 1900, 0, 4)
        out[4] = 45
        put(Int(tm.tm_mon) + 1, 5, 2)
        out[7] = 45
        put(Int(tm.tm_mday), 8, 2)
        out[10] = 32
        put(Int(tm.tm_hour), 11, 2)
        out[13] = 58
        put(Int(tm.tm_min), 14, 2)
        out[16] = 58
        put(Int(tm.tm_sec), 17, 2)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses `YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]][Z|±HH:MM]` or `YYYY-MM-DD`.
    /// Without a zone the time is UTC, as the database stores it.
    public static func parse(_ text: String) -> Date? {
        let s = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= s.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = s[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < s.count, s[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(45), let month = digits(2), expect(45), let day = digits(2)
        else { return nil }
        var hour = 0
        var minute = 0
        var second = 0
        var fraction = 0.0
        var offset = 0
        if i < s.count {
            guard s[i] == 32 || s[i] == 84 || s[i] == 116 else { return nil }  // ' ' or T
            i += 1
            guard let h = digits(2), expect(58), let m = digits(2) else { return nil }
            hour = h
            minute = m
            if expect(58) {
                guard let sec = digits(2) else { return nil }
                second = sec
                if expect(46) {
                    var scale = 0.1
                    var any = false
                    while i < s.count, s[i] >= 48, s[i] <= 57 {
                        fraction += Double(s[i] - 48) * scale
                        scale /= 10
                        i += 1
                        any = true
                    }
                    if !any { return nil }
                }
            }
            if i < s.count {
                if s[i] == 90 || s[i] == 122 {
                    i += 1
                }  // Z
                else if s[i] == 43 || s[i] == 45 {  // + or -
                    let sign = s[i] == 43 ? 1 : -1
                    i += 1
                    guard let oh = digits(2) else { return nil }
                    _ = expect(58)
                    let om = digits(2) ?? 0
                    offset = sign * (oh * 3600 + om * 60)
                }
            }
            guard i == s.count else { return nil }
        }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var tm = tm()
        tm.tm_year = Int32(year - 1900)
        tm.tm_mon = Int32(month - 1)
        tm.tm_mday = Int32(day)
        tm.tm_hour = Int32(hour)
        tm.tm_min = Int32(minute)
        tm.tm_sec = Int32(second)
        let t = timegm(&tm)
        // timegm normalises impossible dates (Feb 30); reject them.
        var back = tm
        var tt = t
        gmtime_r(&tt, &back)
        guard back.tm_mday == Int32(day), back.tm_mon == Int32(month - 1) else { return nil }
        return Date(timeIntervalSince1970: Double(t - offset) + fraction)
    }
}
