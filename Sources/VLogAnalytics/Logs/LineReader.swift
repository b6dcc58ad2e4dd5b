import CZlib
import Foundation
import VLogSupport

/// Reads a log file (plain, or gzip by its magic bytes) or stdin in large chunks and hands out
/// runs of complete lines as bytes, without building a String per line. Memory stays at one chunk
/// whatever the size of the log.
public final class LineReader {
    /// zlib for gzip files; plain files are read directly (one copy less).
    private let file: gzFile?
    private let fd: Int32
    public let path: String
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false
    /// Bytes of (decompressed) content consumed through the last complete line handed out.
    public private(set) var offset: Int64 = 0
    public let isCompressed: Bool
    public let compressedSize: Int64
    /// Bytes read at a time (two batches of this are in flight: memory, not speed, sets it).
    public static let chunk = 1 << 20
    /// Longer lines are cut to this many bytes and reported as too long.
    public static let maxLine = 128 * 1024

    public init(path: String) throws {
        self.path = path
        let fd = path == "-" ? dup(0) : open(path, O_RDONLY)
        guard fd >= 0 else { throw VLogError.notFound("cannot open log \(path): \(String(cString: strerror(errno)))") }
        var st = stat()
        fstat(fd, &st)
        compressedSize = Int64(st.st_size)
        var magic: [UInt8] = [0, 0]
        let isRegular = (st.st_mode & S_IFMT) == S_IFREG
        // A regular file starting with gzip's magic bytes goes through zlib; stdin always does
        // (it cannot be peeked without consuming it).
        let gzip = !isRegular || (pread(fd, &magic, 2, 0) == 2 && magic == [0x1f, 0x8b])
        if gzip {
            guard let f = gzdopen(fd, "rb") else {
                close(fd)
                throw VLogError.io("cannot read \(path)")
            }
            gzbuffer(f, 1 << 20)
            file = f
            isCompressed = gzdirect(f) == 0
        } else {
            file = nil
            isCompressed = false
        }
        self.fd = fd
        buffer = [UInt8](repeating: 0, count: Self.chunk + Self.maxLine)
    }

    deinit { if let file { gzclose(file) } else { close(fd) } }

    /// Position in the underlying file, for progress.
    public var rawPosition: Int64 { file.map { Int64(gzoffset($0)) } ?? Int64(lseek(fd, 0, SEEK_CUR)) }

    public enum Chunk {
        /// Complete lines (the last may lack its newline only at the end of a compressed file),
        /// and the content offset of their first byte. Valid during the call only.
        case lines(UnsafeBufferPointer<UInt8>, start: Int64)
        case tooLong
        case incomplete
    }

    /// Hands out everything read so far, up to its last newline, in one piece (the caller splits
    /// lines, possibly on other threads). For a live (uncompressed) file a last line without
    /// newline is left for the next run; a compressed file is complete.
    public func forEachChunk(_ body: (Chunk) throws -> Void) throws {
        while true {
            if !eof { try fill() }
            if let nl = findLastNewline() {
                try buffer.withUnsafeBufferPointer { b in
                    try body(.lines(UnsafeBufferPointer(rebasing: b[start...nl]), start: offset))
                }
                offset += Int64(nl + 1 - start)
                start = nl + 1
                continue
            }
            if eof {
                if end > start {
                    if isCompressed {
                        try buffer.withUnsafeBufferPointer { b in
                            try body(.lines(UnsafeBufferPointer(rebasing: b[start..<end]), start: offset))
                        }
                        offset += Int64(end - start)
                    } else {
                        try body(.incomplete)
                    }
                }
                return
            }
            if end - start >= Self.maxLine {
                try body(.tooLong)
                offset += Int64(end - start)
                start = 0
                end = 0
                while true {
                    try fill()
                    if let nl = findNewline() {
                        offset += Int64(nl + 1)
                        start = nl + 1
                        break
                    }
                    if eof { return }
                    offset += Int64(end)
                    end = 0
                }
            }
        }
    }

    private func findLastNewline() -> Int? {
        guard end > start else { return nil }
        return buffer.withUnsafeBufferPointer { b -> Int? in
            var i = end - 1
            while i >= start {
                if b[i] == 10 { return i }
                i -= 1
            }
            return nil
        }
    }

    private func findNewline() -> Int? {
        guard end > start else { return nil }
        return buffer.withUnsafeBufferPointer { b -> Int? in
            guard let p = memchr(b.baseAddress! + start, 10, end - start) else { return nil }
            return b.baseAddress!.distance(to: p.assumingMemoryBound(to: UInt8.self))
        }
    }

    private func fill() throws {
        if start > 0 {
            let remaining = end - start
            if remaining > 0 {
                buffer.withUnsafeMutableBufferPointer { b in
                    _ = memmove(b.baseAddress!, b.baseAddress! + start, remaining)
                }
            }
            start = 0
            end = remaining
        }
        let room = buffer.count - end
        guard room > 0 else { return }
        let n = buffer.withUnsafeMutableBufferPointer { b -> Int in
            if let file { return Int(gzread(file, b.baseAddress! + end, UInt32(min(room, Self.chunk)))) }
            return read(fd, b.baseAddress! + end, min(room, Self.chunk))
        }
        if n < 0 {
            var errnum: Int32 = 0
            let msg = file.map { String(cString: gzerror($0, &errnum)) } ?? String(cString: strerror(errno))
            if end > start {
                eof = true
                return
            }  // a truncated .gz: keep what was read
            throw VLogError.io("cannot read \(path): \(msg)")
        }
        if n == 0 { eof = true } else { end += Int(n) }
    }

    /// The first bytes of content, to recognise the same log after rotation or compression.
    public static func head(path: String, bytes: Int = 2048) -> [UInt8]? {
        guard path != "-", let f = gzopen(path, "rb") else { return nil }
        defer { gzclose(f) }
        var buf = [UInt8](repeating: 0, count: bytes)
        let n = buf.withUnsafeMutableBytes { gzread(f, $0.baseAddress, UInt32(bytes)) }
        guard n > 0 else { return nil }
        return completeLines(buf[0..<Int(n)], limit: bytes)
    }

    /// The complete lines within the first `limit` bytes (a live file's last line may still grow).
    public static func completeLines(_ bytes: ArraySlice<UInt8>, limit: Int) -> [UInt8]? {
        let slice = bytes.prefix(limit)
        guard let last = slice.lastIndex(of: 10) else { return nil }
        return Array(slice[...last])
    }
}
