import Foundation

/// URL slugs: generated from titles (lowercase ASCII and hyphens, every script transliterated by
/// ICU's `Any-Latin; Latin-ASCII` transform, which Foundation carries) and validated when a user
/// gives one.
public enum Slug {
    static let toASCII = StringTransform("Any-Latin; Latin-ASCII")

    /// `Über Café` -> `uber-cafe`, `Поездка в Альпы` -> `poezdka-v-alpy`, `Ελλάδα 2024` ->
    /// `ellada-2024`. Returns `fallback` when nothing usable is left.
    public static func make(_ title: String, fallback: String = "video") -> String {
        var out = ""
        var pendingHyphen = false
        let latin =
            title.utf8.allSatisfy { $0 < 0x80 } ? title : title.applyingTransform(toASCII, reverse: false) ?? title
        for ch in latin {
            let mapped = ch == "&" ? "and" : String(ch)
            for u in mapped.lowercased().unicodeScalars {
                if (u >= "a" && u <= "z") || (u >= "0" && u <= "9") {
                    if pendingHyphen && !out.isEmpty { out += "-" }
                    pendingHyphen = false
                    out.unicodeScalars.append(u)
                } else if u.isASCII && u != "'" {
                    pendingHyphen = true
                }
                // Apostrophes (`al'py`, a soft sign) join; non-ASCII left over is dropped.
            }
            if out.count >= 80 { break }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? fallback : out
    }

    /// Checks a slug given by the user; the message says what to do.
    public static func validate(_ slug: String) throws {
        // What vlog makes (lowercase ASCII, digits, hyphens) is safe: the common case costs one pass.
        if !slug.isEmpty, slug.utf8.count <= 255, slug.utf8.first != UInt8(ascii: "-"),
            slug.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d })
        {
            return
        }
        if slug.isEmpty { throw VLogError.invalidInput("the slug is empty; give one like `my-first-video`") }
        if slug.count > 255 {
            throw VLogError.invalidInput("the slug `\(slug.prefix(40))...` is longer than 255 characters")
        }
        if slug.contains("/") || slug.contains("\\") || slug.contains("..") || slug.hasPrefix(".")
            || slug.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7f }
            )
        {
            throw VLogError.invalidInput(
                "the slug `\(slug.debugDescription.dropFirst().dropLast())` is unsafe in a URL or file name (no /, .., leading dot, spaces or control characters); try `\(make(slug))`"
            )
        }
        if slug.contains("?") || slug.contains("#") || slug.contains("%") {
            throw VLogError.invalidInput("the slug `\(slug)` contains ?, # or %, which break URLs; try `\(make(slug))`")
        }
    }

    /// The first of `base`, `base-2`, `base-3` ... for which `taken` is false.
    public static func unique(_ base: String, taken: (String) throws -> Bool) rethrows -> String {
        if try !taken(base) { return base }
        var n = 2
        while try taken("\(base)-\(n)") { n += 1 }
        return "\(base)-\(n)"
    }
}
