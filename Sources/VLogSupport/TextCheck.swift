/// Checks text a user gives (titles, names, descriptions) before it is stored: characters that
/// XML 1.0 forbids (C0 controls other than tab, newline and carriage return; U+FFFE, U+FFFF)
/// would make feeds and sitemaps ill-formed, and a NUL cuts text in C libraries. Such text is
/// refused with where the character is, never silently cut.
public enum TextCheck {
    /// True for a scalar XML 1.0 allows in a document.
    public static func isXMLAllowed(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x9, 0xA, 0xD: return true
        case 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }

    /// Refuses a one-line text (a title, a name) with any control character.
    public static func singleLine(_ text: String, what: String) throws {
        if let (i, u) = text.unicodeScalars.enumerated().first(where: {
            $0.element.value < 0x20 || $0.element.value == 0x7f || !isXMLAllowed($0.element)
        }) {
            throw VLogError.invalidInput(
                "the \(what) contains the control character U+\(hex(u.value)) at character \(i + 1); remove it")
        }
    }

    /// Refuses a multi-line text (a description) with NUL or another forbidden character.
    public static func multiLine(_ text: String, what: String) throws {
        var line = 1
        for u in text.unicodeScalars {
            if u == "\n" {
                line += 1
                continue
            }
            if !isXMLAllowed(u) || u.value == 0x7f {
                let name = u.value == 0 ? "a NUL byte" : "the control character U+\(hex(u.value))"
                throw VLogError.invalidInput(
                    "the \(what) contains \(name) on line \(line); remove it (is it a text file?)")
            }
        }
    }

    /// Text from a file, fit to quote in a one-line message: control characters (C0, DEL, C1) and
    /// undecodable bytes shown as `\xHH` / `U+FFFD`, never sent raw to a terminal.
    public static func shown<S: StringProtocol>(_ text: S, limit: Int = 40) -> String {
        var out = ""
        for u in text.unicodeScalars.prefix(limit) {
            if u.value < 0x20 || (0x7f...0x9f).contains(u.value) {
                out += "\\x" + (u.value < 0x10 ? "0" : "") + String(u.value, radix: 16, uppercase: true)
            } else if u.value == 0xFFFD {
                out += "U+FFFD"
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    static func hex(_ v: UInt32) -> String {
        let h = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - h.count)) + h
    }
}
