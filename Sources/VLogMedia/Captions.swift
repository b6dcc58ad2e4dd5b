import Foundation
import VLogConfig
import VLogSupport

/// Subtitles people bring: SRT or WebVTT in (UTF-8 with or without a BOM, UTF-16 with a BOM, else
/// Windows-1252; CRLF or LF), validated, and clean WebVTT out: `WEBVTT - LABEL`, then numbered-free
/// cues with `HH:MM:SS.mmm` times and text whose only markup is `<b>`, `<i>` and `<u>`.
/// Hand-written: no Swift package or Debian library parses SRT, and WebVTT's cue syntax is a few
/// lines; what matters is the validation, which is vlog's own.
public struct Captions: Sendable, Equatable {
    public struct Cue: Sendable, Equatable {
        public var start: Double
        public var end: Double
        public var text: String
        public init(start: Double, end: Double, text: String) {
            self.start = start
            self.end = end
            self.text = text
        }
    }
    public var cues: [Cue]
    public var label: String?
    public init(cues: [Cue], label: String?) {
        self.cues = cues
        self.label = label
    }

    /// Decodes the bytes of a subtitle file.
    public static func decode(_ data: Data) -> String {
        let b = [UInt8](data.prefix(3))
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { return String(decoding: data.dropFirst(3), as: UTF8.self) }
        if b.starts(with: [0xFF, 0xFE]) { return String(data: data.dropFirst(2), encoding: .utf16LittleEndian) ?? "" }
        if b.starts(with: [0xFE, 0xFF]) { return String(data: data.dropFirst(2), encoding: .utf16BigEndian) ?? "" }
        if let s = String(data: data, encoding: .utf8) { return s }
        return String(data: data, encoding: .windowsCP1252) ?? String(decoding: data, as: UTF8.self)
    }

    /// `00:01:02,500`, `01:02.500`, `1:02:03.5`: seconds, or nil. Byte by byte: builds parse every
    /// transcript on every page, and Foundation's string calls were most of a 10,000-video build.
    static func time<C: Collection<UInt8>>(_ bytes: C) -> Double? {
        // Hours and minutes in two variables, not an array: this runs twice per cue.
        var parts = 0
        var early = 0.0
        var whole = 0.0
        var frac = 0.0
        var scale = 0.0
        var digits = 0
        for b in bytes {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let d = Double(b - UInt8(ascii: "0"))
                if scale > 0 {
                    frac += d * scale
                    scale /= 10
                } else {
                    whole = whole * 10 + d
                }
                digits += 1
            case UInt8(ascii: ":"):
                guard digits > 0, scale == 0, parts < 2 else { return nil }
                early = early * 60 + whole
                parts += 1
                whole = 0
                digits = 0
            case UInt8(ascii: "."), UInt8(ascii: ","):
                guard digits > 0, scale == 0 else { return nil }
                scale = 0.1
            default: return nil
            }
        }
        guard digits > 0, (1...2).contains(parts) else { return nil }
        let sec = whole + frac
        guard sec < 60 else { return nil }
        return early * 60 + sec
    }

    /// Reads and parses a captions file: a regular file (a FIFO would hang the read), text without
    /// NUL or another character XML forbids (refused, as in a description), then `parse`.
    public static func read(_ file: URL, duration: Double) throws -> Captions {
        let kind = FileKind(path: file.resolvingSymlinksInPath().path)
        guard kind == .regular || kind == .missing else {
            throw VLogError.invalidInput(
                "\(file.path) is \(kind.described), not a captions file; give an SRT or WebVTT file")
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw VLogError.invalidInput("cannot read \(file.path); check the path")
        }
        let text = decode(data)
        try TextCheck.multiLine(text, what: "captions file \(file.lastPathComponent)")
        return try parse(text, name: file.lastPathComponent, duration: duration)
    }

    /// Parses SRT or WebVTT text. `duration`: the video's (cues must fall inside it; 0: unknown).
    /// Errors name the file, the line and what to do.
    public static func parse(_ text: String, name: String, duration: Double) throws -> Captions {
        var text = text
        return try text.withUTF8 { try parse(bytes: $0, name: name, duration: duration) }
    }

    /// The parse, over the text's UTF-8 bytes, its lines as byte ranges: builds parse every
    /// transcript (bench/search: 89 MB in 10,000 files), and lines as substrings, with their
    /// index arithmetic, made this parse several times slower.
    static func parse(bytes u: UnsafeBufferPointer<UInt8>, name: String, duration: Double) throws -> Captions {
        let lines = Lines(u)
        func fail(_ line: Int, _ why: String) -> VLogError { .invalidInput("\(name), line \(line): \(why)") }
        func shown(_ r: Range<Int>, limit: Int = 40) -> String { TextCheck.shown(lines.string(r), limit: limit) }
        var cues: [Cue] = []
        var label: String?
        var i = 0
        let vtt = lines.has(lines[0], prefix: "WEBVTT")
        if vtt {
            let rest = lines.trimmed(lines[0].dropFirst(6))
            if lines.has(rest, prefix: "-") { label = lines.string(lines.trimmed(rest.dropFirst())) }
            i = 1
        }
        var cueLines: [Int] = []
        while i < lines.count {
            let line = lines.trimmed(lines[i])
            if line.isEmpty {
                i += 1
                continue
            }
            if vtt && (lines.has(line, prefix: "NOTE") || lines.equals(line, "STYLE") || lines.equals(line, "REGION")) {
                while i < lines.count && !lines.trimmed(lines[i]).isEmpty { i += 1 }
                continue
            }
            // An optional identifier (SRT's number), then the timing line.
            var timing = i
            if lines.arrow(line) == nil { timing = i + 1 }
            guard timing < lines.count, let split = lines.arrow(lines[timing]) else {
                throw fail(
                    i + 1, "expected a cue timing such as `00:00:01.000 --> 00:00:04.000`, found `\(shown(line))`")
            }
            let startText = lines.trimmed(lines[timing].lowerBound..<split.lowerBound)
            let afterArrow = lines.trimmed(split.upperBound..<lines[timing].upperBound)
            // The end time, before any cue settings ("align:start").
            let endText = afterArrow.lowerBound..<(u[afterArrow].firstIndex(of: 32) ?? afterArrow.upperBound)
            guard let start = time(u[startText]), let end = time(u[endText]) else {
                throw fail(
                    timing + 1,
                    "`\(shown(lines.trimmed(lines[timing]), limit: 60))` is not a cue timing (HH:MM:SS.mmm --> HH:MM:SS.mmm)"
                )
            }
            guard end > start else {
                throw fail(timing + 1, "the cue ends (\(format(end))) before it starts (\(format(start)))")
            }
            var j = timing + 1
            while j < lines.count && !lines.trimmed(lines[j]).isEmpty { j += 1 }
            cues.append(Cue(start: start, end: end, text: lines.body(timing + 1..<j)))
            cueLines.append(timing + 1)
            i = j
        }
        guard !cues.isEmpty else { throw VLogError.invalidInput("\(name) has no cues; is it an SRT or WebVTT file?") }
        for k in cues.indices {
            if duration > 0 && cues[k].start >= duration {
                throw fail(
                    cueLines[k],
                    "the cue starts at \(format(cues[k].start)), after the video ends (\(format(duration)))")
            }
            if duration > 0 && cues[k].end > duration + 0.5 { cues[k].end = duration }
            if k > 0 && cues[k].start < cues[k - 1].start {
                throw fail(
                    cueLines[k],
                    "the cue starts (\(format(cues[k].start))) before the one above it (\(format(cues[k - 1].start))); cues must be in time order"
                )
            }
            if k > 0 && cues[k].start < cues[k - 1].end - 0.001 {
                throw fail(
                    cueLines[k],
                    "the cue starts (\(format(cues[k].start))) while the one above it still shows (until \(format(cues[k - 1].end))); fix one of the times"
                )
            }
        }
        return Captions(cues: cues, label: label)
    }

    /// The lines of a text as byte ranges: a line ends at `\n`, `\r\n` or a lone `\r`.
    struct Lines {
        let u: UnsafeBufferPointer<UInt8>
        private var ranges: [Range<Int>] = []
        /// Whether every line ends in one `\n` (so lines next to each other are one range).
        private var plainEnds = true

        init(_ u: UnsafeBufferPointer<UInt8>) {
            self.u = u
            ranges.reserveCapacity(u.count / 16 + 1)
            var start = 0
            var i = 0
            while i < u.count {
                let b = u[i]
                if b == 10 {
                    ranges.append(start..<i)
                    i += 1
                    start = i
                } else if b == 13 {
                    ranges.append(start..<i)
                    i += 1
                    if i < u.count && u[i] == 10 { i += 1 }
                    start = i
                    plainEnds = false
                } else {
                    i += 1
                }
            }
            ranges.append(start..<u.count)
        }

        var count: Int { ranges.count }
        subscript(_ i: Int) -> Range<Int> { ranges[i] }

        /// Without leading and trailing spaces and tabs.
        func trimmed(_ r: Range<Int>) -> Range<Int> {
            var a = r.lowerBound
            var b = r.upperBound
            while a < b && (u[a] == 32 || u[a] == 9) { a += 1 }
            while b > a && (u[b - 1] == 32 || u[b - 1] == 9) { b -= 1 }
            return a..<b
        }

        func has(_ r: Range<Int>, prefix: StaticString) -> Bool {
            let n = prefix.utf8CodeUnitCount
            return r.count >= n && memcmp(u.baseAddress! + r.lowerBound, prefix.utf8Start, n) == 0
        }

        func equals(_ r: Range<Int>, _ s: StaticString) -> Bool { r.count == s.utf8CodeUnitCount && has(r, prefix: s) }

        /// Where `-->` is in a range.
        func arrow(_ r: Range<Int>) -> Range<Int>? {
            var i = r.lowerBound
            while i + 3 <= r.upperBound {
                if u[i] == UInt8(ascii: "-") && u[i + 1] == UInt8(ascii: "-") && u[i + 2] == UInt8(ascii: ">") {
                    return i..<(i + 3)
                }
                i += 1
            }
            return nil
        }

        func string(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: u[r]), as: UTF8.self) }

        /// A cue's text: its lines joined by `\n`, cleaned (`clean`) where it has markup.
        func body(_ lineRange: Range<Int>) -> String {
            guard !lineRange.isEmpty else { return "" }
            let all = ranges[lineRange.lowerBound].lowerBound..<ranges[lineRange.upperBound - 1].upperBound
            let text = plainEnds ? string(all) : ranges[lineRange].map { string($0) }.joined(separator: "\n")
            let markup = u[all].contains {
                $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: ">")
            }
            return markup ? Captions.clean(text) : text
        }
    }

    /// Cue text with `<b>`, `<i>`, `<u>` kept, other tags (SRT's `<font>`) dropped, and `&`, `<`
    /// escaped as WebVTT wants.
    package static func clean(_ text: String) -> String {
        if !has(text, { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: ">") }) {
            return text
        }
        var out = ""
        var rest = text[...]
        while let lt = rest.firstIndex(of: "<") {
            out += escape(rest[..<lt])
            guard let gt = rest[lt...].firstIndex(of: ">") else {
                rest = rest[lt...]
                break
            }
            let tag = rest[rest.index(after: lt)..<gt].lowercased()
            if ["b", "i", "u", "/b", "/i", "/u"].contains(tag) { out += "<\(tag)>" }
            rest = rest[rest.index(after: gt)...]
        }
        return out + escape(rest)
    }

    /// Whether a byte of `text` passes `test` (a loop over its buffer: the UTF8View's `contains`
    /// cost 3x, on every cue of every transcript of a build).
    static func has(_ text: String, _ test: (UInt8) -> Bool) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { $0.contains(where: test) } ?? text.utf8.contains(where: test)
    }

    static func escape(_ s: Substring) -> String {
        if !s.utf8.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: ">") }) {
            return String(s)
        }
        return s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "&amp;amp;", with: "&amp;").replacingOccurrences(of: "&amp;lt;", with: "&lt;")
            .replacingOccurrences(of: "&amp;gt;", with: "&gt;")
    }

    static func format(_ t: Double) -> String { Storyboard.timestamp(t) }

    /// Clean WebVTT.
    public func vtt(label: String) -> String {
        var out = "WEBVTT - \(label.replacingOccurrences(of: "\n", with: " "))\n\n"
        for c in cues {
            out += "\(Self.format(c.start)) --> \(Self.format(c.end))\n\(c.text)\n\n"
        }
        return out
    }
}

extension Captions {
    /// Cue text as plain text: tags removed, entities decoded.
    public static func plain(_ text: String) -> String {
        if !has(text, { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "\n") }) {
            return text
        }
        var out = ""
        var inTag = false
        for ch in text {
            if ch == "<" { inTag = true } else if ch == ">" { inTag = false } else if !inTag { out.append(ch) }
        }
        return out.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "\n", with: " ")
    }
}
