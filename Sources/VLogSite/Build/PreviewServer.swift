import Foundation
import VLogSupport

/// A small static file server for previewing a built site on localhost: GET/HEAD, byte ranges,
/// the right MIME types for HLS, the site's 404 page, and an access log in combined format plus
/// the `vlog_viewer` cookie (so `vlog ingest` can be tried without nginx). Not for production, but
/// safe on a shared machine: it serves only files inside the output (or, through the media links,
/// inside `mediaRoot`), never dotfiles such as `.vlog-manifest`, answers malformed targets with 400,
/// and bounds idle connections (a thread each, at most `maxConnections`, idle ones closed after
/// `idleSeconds`), so a pile of idle clients cannot starve everyone else.
///
/// For previews it also serves the site under its `base_url` path (`/videos/`), reloads open pages
/// when `generation` grows (a script added to HTML responses polls `/__vlog/build`), and shows the
/// private analytics dashboard at `/__vlog/dashboard/`, to clients on this machine only.
public final class PreviewServer: @unchecked Sendable {
    public let root: URL
    public private(set) var port: Int
    let address: String
    /// The site's path, `/` or `/videos/`.
    let base: String
    let dashboard: URL?
    /// Grows with every rebuild that changed a file; open pages reload when it does.
    public let generation = LockedBox(0)
    /// Polls `/__vlog/build` and reloads when it no longer says the generation the page was served
    /// at. A script file of its own (not inline), so pages keep the same Content-Security-Policy as
    /// behind nginx or Caddy.
    static func reloadScript(_ generation: Int) -> Data {
        Data("<script src=\"/__vlog/reload.js?g=\(generation)\"></script>\n".utf8)
    }
    static let reloadJS = Data(
        """
        (()=>{const v=new URL(document.currentScript.src).searchParams.get('g');setInterval(()=>fetch('/__vlog/build',{cache:'no-store'}).then(r=>r.text()).then(x=>{if(x!==v)location.reload()}).catch(()=>{}),1000)})()

        """.utf8)
    /// The dashboard is one page with its own inline styles and SVG, and loads nothing.
    static let dashboardPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
    let mediaBaseURL: String?
    /// Where the output's media links may point (the storage's videos/ folder).
    let allowedRoots: [String]
    public static let maxConnections = 256
    public static let idleSeconds = 5
    private let active = LockedBox(0)
    let accessLog: FileHandle?
    let logLock = NSLock()
    private var listener: Int32 = -1

    public static let mimeTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "json": "application/json", "xml": "application/xml; charset=utf-8", "txt": "text/plain; charset=utf-8",
        "m3u8": "application/vnd.apple.mpegurl", "ts": "video/mp2t", "m4s": "video/iso.segment", "mp4": "video/mp4",
        "vtt": "text/vtt; charset=utf-8", "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
        "webp": "image/webp",
        "svg": "image/svg+xml", "ico": "image/x-icon", "woff2": "font/woff2",
    ]

    public init(
        root: URL, port: Int, accessLog: URL?, mediaRoot: URL? = nil, address: String = "127.0.0.1",
        base: String = "/", dashboard: URL? = nil, mediaBaseURL: String? = nil
    ) throws {
        self.mediaBaseURL = mediaBaseURL
        self.root = root.standardizedFileURL
        self.port = port
        self.address = address
        self.base = base.hasSuffix("/") ? base : base + "/"
        self.dashboard = dashboard
        allowedRoots = ([root] + (mediaRoot.map { [$0] } ?? [])).map {
            $0.resolvingSymlinksInPath().standardizedFileURL.path
        }
        if let accessLog {
            if !FileManager.default.fileExists(atPath: accessLog.path) {
                FileManager.default.createFile(atPath: accessLog.path, contents: nil)
            }
            let h = try FileHandle(forWritingTo: accessLog)
            h.seekToEndOfFile()
            self.accessLog = h
        } else {
            self.accessLog = nil
        }
        try bind()
    }

    private func bind() throws {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &addr.sin_addr) == 1 else {
            close(listener)
            throw VLogError.invalidInput("--bind `\(address)` is not an IPv4 address; give e.g. 127.0.0.1 or 0.0.0.0")
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0, listen(listener, 128) == 0 else {
            close(listener)
            throw VLogError.conflict(
                "cannot listen on \(address):\(port) (\(String(cString: strerror(errno)))); pick another --port")
        }
        var bound = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) }
        }
        port = Int(UInt16(bigEndian: bound.sin_port))
    }

    /// Accepts connections until the process ends.
    public func run() {
        while true {
            var peer = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let fd = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &len) }
            }
            if fd < 0 { continue }
            // 127.0.0.0/8: this machine.
            let local = UInt32(bigEndian: peer.sin_addr.s_addr) >> 24 == 127
            let admitted = active.withLock { n -> Bool in
                guard n < Self.maxConnections else { return false }
                n += 1
                return true
            }
            guard admitted else {
                send(
                    fd, status: 503, reason: "Service Unavailable",
                    headers: ["Connection": "close", "Retry-After": "1"],
                    body: Data(), head: false)
                close(fd)
                continue
            }
            // A thread per connection (not a shared pool that idle clients could exhaust).
            let t = Thread { [self] in
                handle(fd, local: local)
                active.withLock { $0 -= 1 }
            }
            t.stackSize = 256 * 1024
            t.start()
        }
    }

    private func handle(_ fd: Int32, local: Bool) {
        defer { close(fd) }
        var tv = timeval(tv_sec: Self.idleSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var stv = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stv, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            // Read one request head.
            var headEnd: Int?
            while headEnd == nil {
                if let r = find(buffer, [13, 10, 13, 10]) {
                    headEnd = r
                    break
                }
                let n = recv(fd, &chunk, chunk.count, 0)
                if n <= 0 || buffer.count > 65536 { return }
                buffer.append(contentsOf: chunk[0..<n])
            }
            let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
            buffer.removeFirst(headEnd! + 4)
            let keepAlive = respond(fd, head: head, local: local)
            if !keepAlive { return }
        }
    }

    private func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<i + needle.count]) == needle
        { return i }
        return nil
    }

    /// Serves one request; returns whether to keep the connection open.
    private func respond(_ fd: Int32, head: String, local: Bool) -> Bool {
        let lines = head.components(separatedBy: "\r\n")
        let parts = lines.first?.split(separator: " ").map(String.init) ?? []
        var headers: [String: String] = [:]
        for l in lines.dropFirst() {
            if let c = l.firstIndex(of: ":") {
                headers[l[..<c].lowercased()] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)
            }
        }
        guard parts.count == 3 else {
            send(fd, status: 400, reason: "Bad Request", headers: [:], body: Data(), head: false)
            return false
        }
        let method = parts[0]
        let target = parts[1]
        let keepAlive = headers["connection"]?.lowercased() != "close"
        var status = 200
        var bytes = 0
        defer { log(method: method, target: target, version: parts[2], status: status, bytes: bytes, headers: headers) }
        guard method == "GET" || method == "HEAD" else {
            status = 405
            send(
                fd, status: 405, reason: "Method Not Allowed", headers: ["Allow": "GET, HEAD"], body: Data(),
                head: false)
            return keepAlive
        }
        guard Self.decodePath(target) != nil else {
            status = 400
            send(
                fd, status: 400, reason: "Bad Request", headers: ["Content-Type": "text/plain"],
                body: Data("Bad request\n".utf8),
                head: method == "HEAD")
            return false
        }
        let path = Self.decodePath(target) ?? "/"
        if path == "/__vlog/reload.js" {
            bytes = Self.reloadJS.count
            send(
                fd, status: 200, reason: "OK",
                headers: ["Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-store"],
                body: Self.reloadJS, head: method == "HEAD")
            return keepAlive
        }
        if path == "/__vlog/build" {
            let body = Data("\(generation.value)".utf8)
            bytes = body.count
            send(
                fd, status: 200, reason: "OK", headers: ["Content-Type": "text/plain", "Cache-Control": "no-store"],
                body: body, head: method == "HEAD")
            return keepAlive
        }
        var file: URL?
        if path.hasPrefix("/__vlog/dashboard/") {
            guard local else {
                status = 403
                send(
                    fd, status: 403, reason: "Forbidden", headers: ["Content-Type": "text/plain"],
                    body: Data("The dashboard is for this machine only\n".utf8), head: method == "HEAD")
                return keepAlive
            }
            // The main page, or a video's page (`videos/SLUG.html`, a slug: nothing else is served).
            let name = String(path.dropFirst("/__vlog/dashboard/".count))
            if name.isEmpty || name == "index.html" {
                file = dashboard?.appendingPathComponent("index.html")
            } else if name.hasPrefix("videos/"), name.hasSuffix(".html"),
                (try? Slug.validate(String(name.dropFirst(7).dropLast(5)))) != nil
            {
                file = dashboard?.appendingPathComponent(name)
            }
        } else if base != "/" && path + "/" == base {
            status = 301
            send(
                fd, status: 301, reason: "Moved Permanently", headers: ["Location": base], body: Data(),
                head: method == "HEAD")
            return keepAlive
        } else if path.hasPrefix(base) {
            file = resolve("/" + target.dropFirst(base.count))
        }
        if file == nil {
            status = 404
            file = root.appendingPathComponent("404.html")
        }
        guard let url = file, let data = FileManager.default.contents(atPath: url.path) else {
            status = 404
            send(
                fd, status: 404, reason: "Not Found", headers: ["Content-Type": "text/plain"],
                body: Data("Not found\n".utf8), head: method == "HEAD")
            return keepAlive
        }
        var out = [
            "Content-Type": Self.mimeTypes[url.pathExtension.lowercased()] ?? "application/octet-stream",
            "Accept-Ranges": "bytes", "Cache-Control": "no-cache",
        ]
        let site = path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
        out["Content-Security-Policy"] =
            path.hasPrefix("/__vlog/dashboard/")
            ? Self.dashboardPolicy
            : SecurityHeaders.policy(forSitePath: site, mediaBaseURL: mediaBaseURL)
        var body = data
        if url.pathExtension == "html", headers["range"] == nil {
            // Live reload: the page asks whether a rebuild happened.
            let script = Self.reloadScript(generation.value)
            if let end = body.range(of: Data("</body>".utf8), options: .backwards) {
                body.replaceSubrange(end.lowerBound..<end.lowerBound, with: script)
            } else {
                body.append(script)
            }
        }
        if status == 200, let range = headers["range"], let r = Self.parseRange(range, size: data.count) {
            guard let (a, b) = r else {
                status = 416
                send(
                    fd, status: 416, reason: "Range Not Satisfiable",
                    headers: ["Content-Range": "bytes */\(data.count)"], body: Data(), head: false)
                return keepAlive
            }
            status = 206
            body = data.subdata(in: a..<(b + 1))
            out["Content-Range"] = "bytes \(a)-\(b)/\(data.count)"
        }
        bytes = method == "HEAD" ? 0 : body.count
        send(
            fd, status: status, reason: status == 206 ? "Partial Content" : status == 404 ? "Not Found" : "OK",
            headers: out, body: body, head: method == "HEAD")
        return keepAlive
    }

    /// A value as nginx writes it into an access log: `"`, `\\`, control characters and every
    /// byte above 0x7E as `\\xHH`, so no request can split or forge a log line.
    static func escapeForLog(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            if b < 0x20 || b >= 0x7f || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                out += "\\x" + (b < 0x10 ? "0" : "") + String(b, radix: 16).uppercased()
            } else {
                out.unicodeScalars.append(Unicode.Scalar(b))
            }
        }
        return out
    }

    /// The decoded path of a request target; nil when it is malformed (not starting with /,
    /// invalid percent-encoding or UTF-8, NUL).
    static func decodePath(_ target: String) -> String? {
        let raw = String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        guard raw.hasPrefix("/"), let path = raw.removingPercentEncoding, !path.contains("\0") else { return nil }
        return path
    }

    /// A file under root for a request target, or nil: for anything escaping root, a dotfile or
    /// dot-folder (`.vlog-manifest`), or a symbolic link that points outside the output and media.
    func resolve(_ target: String) -> URL? {
        guard let path = Self.decodePath(target) else { return nil }
        if path.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { return nil }
        var url = root.appendingPathComponent(path).standardizedFileURL
        guard url.path == root.path || url.path.hasPrefix(root.path + "/") else { return nil }
        if FileIO.isDirectory(url) { url = url.appendingPathComponent("index.html") }
        guard FileIO.exists(url) else { return nil }
        let real = url.resolvingSymlinksInPath().standardizedFileURL.path
        guard allowedRoots.contains(where: { real.hasPrefix($0 + "/") }) else { return nil }
        return url
    }

    /// `bytes=a-b`, `bytes=a-`, `bytes=-n`. nil: ignore the header; .some(nil): unsatisfiable.
    static func parseRange(_ header: String, size: Int) -> (Int, Int)?? {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard spec.count == 2 else { return nil }
        if spec[0].isEmpty {
            guard let n = Int(spec[1]), n > 0 else { return .some(nil) }
            return size == 0 ? .some(nil) : (max(0, size - n), size - 1)
        }
        guard let a = Int(spec[0]), a < size else { return .some(nil) }
        let b = spec[1].isEmpty ? size - 1 : min(size - 1, Int(spec[1]) ?? (size - 1))
        return b >= a ? (a, b) : .some(nil)
    }

    private func send(_ fd: Int32, status: Int, reason: String, headers: [String: String], body: Data, head: Bool) {
        var text = """
            HTTP/1.1 \(status) \(reason)\r\nContent-Length: \(body.count)\r\nServer: vlog-preview\r\n\
            X-Content-Type-Options: \(SecurityHeaders.nosniff)\r\nReferrer-Policy: \(SecurityHeaders.referrerPolicy)\r\n
            """
        for (k, v) in headers { text += "\(k): \(v)\r\n" }
        text += "\r\n"
        var all = Data(text.utf8)
        if !head { all.append(body) }
        all.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + off, raw.count - off, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                off += n
            }
        }
    }

    private func log(
        method: String, target: String, version: String, status: Int, bytes: Int, headers: [String: String]
    ) {
        guard let accessLog else { return }
        var cookie = "-"
        for part in (headers["cookie"] ?? "").split(separator: ";") {
            let kv = part.trimmingCharacters(in: .whitespaces)
            if kv.hasPrefix("vlog_viewer=") { cookie = String(kv.dropFirst("vlog_viewer=".count)) }
        }
        func q(_ s: String?) -> String { Self.escapeForLog(s ?? "-") }
        var t = time_t(Date().timeIntervalSince1970)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        var buf = [CChar](repeating: 0, count: 64)
        strftime(&buf, 64, "%d/%b/%Y:%H:%M:%S +0000", &tmv)
        let line =
            "127.0.0.1 - - [\(String(cString: buf))] \"\(q(method)) \(q(target)) \(q(version))\" \(status) \(bytes) \"\(q(headers["referer"]))\" \"\(q(headers["user-agent"]))\" \"\(q(cookie))\"\n"
        logLock.lock()
        accessLog.write(Data(line.utf8))
        logLock.unlock()
    }
}
