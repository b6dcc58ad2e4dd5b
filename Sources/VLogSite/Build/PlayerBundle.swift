import Foundation
import VLogSupport

/// vlog's player is written in units (`public/assets/player/NN-name.js`: helpers, tuning numbers,
/// playlists, bandwidth estimate, rung choice, buffer, engine, beacons, controls, start-up), each
/// readable on its own. The build joins them, in the order of their names, into one strict-mode
/// function as `assets/player.js`, and minifies it. A site overrides one unit by putting a file
/// of the same name in its own `public/assets/player/`, or the whole player with its own
/// `public/assets/player.js`.
enum PlayerBundle {
    static let unitsFolder = "assets/player/"
    static let bundle = "assets/player.js"

    /// Replaces the units among `assets` (path -> bytes) by the bundle, unless a whole player is
    /// given.
    static func apply(to assets: inout [String: Data]) {
        let units = assets.keys.filter { $0.hasPrefix(unitsFolder) && $0.hasSuffix(".js") }.sorted()
        guard !units.isEmpty else { return }
        defer { for key in assets.keys where key.hasPrefix(unitsFolder) { assets[key] = nil } }
        guard assets[bundle] == nil else { return }
        var source = """
            // vlog's player (written for vlog, no third-party code): vlog's own VOD CMAF HLS through MSE
            // (ManagedMediaSource on iPhone); native HLS only as the last resort and for MPEG-TS.
            // Built from public/assets/player/ by `vlog build`.
            (() => {
            "use strict";

            """
        for unit in units { source += String(decoding: assets[unit] ?? Data(), as: UTF8.self) + "\n" }
        source += "})();\n"
        assets[bundle] = Data(Minify.javaScript(source).utf8)
    }
}

/// A conservative JavaScript minifier for vlog's own scripts: comments go, and so does
/// indentation and every blank line; strings, template literals and regular expressions are kept
/// byte for byte, and line breaks stay where they were (so automatic semicolon insertion reads the
/// code as before). No names are changed. Hand-written: no JavaScript minifier is among the Swift
/// packages or Debian libraries vlog may use at build time, and this one keeps the player's
/// semantics obvious (the browser tests run the minified bundle).
enum Minify {
    static func javaScript(_ source: String) -> String {
        let s = Array(source.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        /// The last byte written that is not white space: decides whether `/` starts a regex.
        func lastSignificant() -> UInt8? { out.last(where: { $0 != 32 && $0 != 10 }) }
        func lastWord() -> String {
            var j = out.count - 1
            while j >= 0 && (out[j] == 32 || out[j] == 10) { j -= 1 }
            var k = j
            while k >= 0 && (isWordByte(out[k])) { k -= 1 }
            return j > k ? String(decoding: out[(k + 1)...j], as: UTF8.self) : ""
        }
        func copyQuoted(_ quote: UInt8) {
            out.append(s[i])
            i += 1
            while i < s.count {
                let c = s[i]
                out.append(c)
                i += 1
                if c == 92, i < s.count {  // backslash: the next byte is taken as it is
                    out.append(s[i])
                    i += 1
                } else if c == quote {
                    return
                }
            }
        }
        func copyRegex() {
            out.append(s[i])
            i += 1
            var inClass = false
            while i < s.count {
                let c = s[i]
                out.append(c)
                i += 1
                if c == 92, i < s.count {
                    out.append(s[i])
                    i += 1
                } else if c == 91 {
                    inClass = true
                } else if c == 93 {
                    inClass = false
                } else if c == 47 && !inClass {
                    while i < s.count && isWordByte(s[i]) {  // flags
                        out.append(s[i])
                        i += 1
                    }
                    return
                } else if c == 10 {
                    return
                }
            }
        }
        while i < s.count {
            let c = s[i]
            let next: UInt8 = i + 1 < s.count ? s[i + 1] : 0
            switch c {
            case 34, 39, 96:  // " ' `
                copyQuoted(c)
            case 47 where next == 47:  // line comment
                while i < s.count && s[i] != 10 { i += 1 }
            case 47 where next == 42:  // block comment
                i += 2
                while i + 1 < s.count && !(s[i] == 42 && s[i + 1] == 47) { i += 1 }
                i += 2
                if !out.isEmpty && out.last != 10 && out.last != 32 { out.append(32) }
            case 47:
                let prev = lastSignificant()
                let regex =
                    prev == nil || "(,=:[!&|?{};+-*%<>~^".utf8.contains(prev!)
                    || ["return", "typeof", "case", "do", "else", "in", "of", "void", "yield"].contains(lastWord())
                if regex {
                    copyRegex()
                } else {
                    out.append(c)
                    i += 1
                }
            case 10, 13:
                // One line break for any run of them, none at the start, none after a blank.
                while out.last == 32 { out.removeLast() }
                if !out.isEmpty && out.last != 10 { out.append(10) }
                i += 1
            case 32, 9:
                // Indentation goes; a run of spaces inside a line becomes one, kept only between
                // two bytes that would otherwise join.
                while i < s.count && (s[i] == 32 || s[i] == 9) { i += 1 }
                let after: UInt8 = i < s.count ? s[i] : 0
                if let before = out.last, before != 10, needsSpace(before, after) { out.append(32) }
            default:
                out.append(c)
                i += 1
            }
        }
        while out.last == 10 || out.last == 32 { out.removeLast() }
        out.append(10)
        return String(decoding: out, as: UTF8.self)
    }

    static func isWordByte(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 36 || c >= 128
    }

    /// Whether dropping the space between `a` and `b` would change the code (`var x`, `a + +b`,
    /// `a - -b`, `x / /re/`).
    static func needsSpace(_ a: UInt8, _ b: UInt8) -> Bool {
        if isWordByte(a) && isWordByte(b) { return true }
        if (a == 43 || a == 45) && a == b { return true }
        if a == 47 || b == 47 { return true }
        if b == 34 || b == 39 || b == 96 || a == 34 || a == 39 || a == 96 { return false }
        return false
    }
}
