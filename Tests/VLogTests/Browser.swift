import Foundation
import Testing

@testable import VLogAnalytics
@testable import VLogSupport

/// A blocking WebSocket client (RFC 6455, text frames), enough to drive browsers: Chromium's
/// DevTools protocol and Firefox's WebDriver BiDi. Hand-written because Foundation's
/// URLSessionWebSocketTask needs a libcurl built with WebSockets, which Debian 12's is not
/// ("WebSockets not supported by libcurl"), and swift-nio's would be a heavy dependency for tests.
final class WebSocket {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(host: String = "127.0.0.1", port: Int, path: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard ok == 0 else { throw VLogError.io("cannot connect to \(host):\(port)") }
        // No Origin header: Firefox refuses WebDriver BiDi connections that send one.
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try write(
            Array(
                "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
                    .utf8))
        while true {
            if let end = buffer.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
                buffer.removeSubrange(..<end.upperBound)
                guard head.hasPrefix("HTTP/1.1 101") else { throw VLogError.io("WebSocket refused: \(head)") }
                return
            }
            try fill(timeout: 10)
        }
    }
    deinit { close(fd) }

    private func write(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw VLogError.io("WebSocket send failed") }
            off += n
        }
    }

    private func fill(timeout: Double) throws {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(timeout * 1000)) > 0 else { throw VLogError.io("WebSocket: no data in \(timeout) s") }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &chunk, chunk.count, 0)
        guard n > 0 else { throw VLogError.io("WebSocket closed") }
        buffer += chunk[0..<n]
    }

    func send(_ text: String) throws {
        let payload = Array(text.utf8)
        var frame: [UInt8] = [0x81]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count < 65536 {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        } else {
            frame.append(0x80 | 127)
            for i in (0..<8).reversed() { frame.append(UInt8((payload.count >> (8 * i)) & 0xff)) }
        }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try write(frame)
    }

    /// The next text message (control frames are answered or skipped).
    func receive(timeout: Double = 30) throws -> String {
        var message: [UInt8] = []
        while true {
            while buffer.count < 2 { try fill(timeout: timeout) }
            var len = Int(buffer[1] & 0x7f)
            var head = 2
            if len == 126 {
                while buffer.count < 4 { try fill(timeout: timeout) }
                len = Int(buffer[2]) << 8 | Int(buffer[3])
                head = 4
            } else if len == 127 {
                while buffer.count < 10 { try fill(timeout: timeout) }
                len = (2..<10).reduce(0) { $0 << 8 | Int(buffer[$1]) }
                head = 10
            }
            while buffer.count < head + len { try fill(timeout: timeout) }
            let opcode = buffer[0] & 0x0f
            let fin = buffer[0] & 0x80 != 0
            let payload = Array(buffer[head..<head + len])
            buffer.removeSubrange(0..<head + len)
            if opcode == 0x8 { throw VLogError.io("WebSocket closed by the browser") }
            if opcode == 0x9 || opcode == 0xA { continue }
            message += payload
            if fin { return String(decoding: message, as: UTF8.self) }
        }
    }
}

/// A JSON-RPC session over a WebSocket: commands with ids, events skipped (or kept for `events`).
class BrowserSession {
    let ws: WebSocket
    private var nextID = 1
    private(set) var events: [[String: Any]] = []

    init(ws: WebSocket) { self.ws = ws }

    @discardableResult
    func call(_ method: String, _ params: [String: Any] = [:], extra: [String: Any] = [:], timeout: Double = 60) throws
        -> [String: Any]
    {
        let id = nextID
        nextID += 1
        var msg: [String: Any] = ["id": id, "method": method, "params": params]
        for (k, v) in extra { msg[k] = v }
        try ws.send(String(decoding: try JSONSerialization.data(withJSONObject: msg), as: UTF8.self))
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = try ws.receive(timeout: max(1, deadline.timeIntervalSinceNow))
            guard let obj = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { continue }
            if obj["id"] as? Int == id {
                if let error = obj["error"] { throw VLogError.io("\(method): \(error) \(obj["message"] ?? "")") }
                return obj["result"] as? [String: Any] ?? [:]
            }
            if events.count < 1000 { events.append(obj) }
        }
        throw VLogError.io("\(method): no answer in \(timeout) s")
    }
}

/// What a test does with a browser's page, whichever browser it is.
protocol Browser {
    func open(_ url: String) throws
    func eval(_ js: String) throws -> Any?
}

extension Browser {
    /// Waits until the expression is truthy; returns whether it became so. A page that is
    /// reloading has no document for a moment: tried again; a script that never works is reported
    /// when time runs out.
    @discardableResult
    func waitFor(_ js: String, timeout: Double) throws -> Bool {
        var lastError: Error?
        let held = poll(seconds: timeout, every: 0.2) {
            do {
                lastError = nil
                return try eval("!!(\(js))") as? Bool == true
            } catch {
                lastError = error
                return false
            }
        }
        if !held, let lastError { throw lastError }
        return held
    }
}

/// Headless Chromium driven through the DevTools protocol, on one page.
final class Chromium: Browser {
    let process = Process()
    let session: BrowserSession
    let profile: URL

    init(profile: URL, width: Int = 1280, height: Int = 800, extraArgs: [String] = []) throws {
        self.profile = profile
        try? FileManager.default.removeItem(at: profile)
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
        process.arguments =
            [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--mute-audio", "--no-first-run",
                "--autoplay-policy=no-user-gesture-required", "--remote-debugging-port=0",
                "--user-data-dir=\(profile.path)", "--window-size=\(width),\(height)",
            ] + extraArgs + ["about:blank"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try runInOwnGroup(process)
        // Chromium writes its port to DevToolsActivePort; the page's socket is listed at /json.
        let portFile = profile.appendingPathComponent("DevToolsActivePort")
        var port = 0
        for _ in 0..<100 where port == 0 {
            usleep(100_000)
            port = Int((try? String(contentsOf: portFile, encoding: .utf8))?.split(separator: "\n").first ?? "") ?? 0
        }
        guard port > 0 else { throw VLogError.io("Chromium did not open its DevTools port") }
        var path: String?
        for _ in 0..<50 where path == nil {
            let r = try runProcess("/usr/bin/curl", ["-s", "http://127.0.0.1:\(port)/json/list"])
            let list = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [[String: Any]] ?? []
            if let ws = list.first(where: { $0["type"] as? String == "page" })?["webSocketDebuggerUrl"] as? String {
                path = URLComponents(string: ws)?.path
            } else {
                usleep(100_000)
            }
        }
        guard let path else { throw VLogError.io("Chromium lists no page") }
        session = BrowserSession(ws: try WebSocket(port: port, path: path))
        try session.call("Page.enable")
        try session.call("Network.enable")
    }
    deinit {
        killGroup(process)
    }

    func open(_ url: String) throws {
        try session.call("Page.navigate", ["url": url])
        let page = url.split(separator: "#")[0]
        _ = try waitFor(
            "location.href.split('#')[0] === \(String(decoding: try JSONEncoder().encode(String(page)), as: UTF8.self)) && document.readyState === 'complete'",
            timeout: 20)
    }

    /// Evaluates an expression (awaiting a promise) and returns its JSON value.
    func eval(_ js: String) throws -> Any? {
        let r = try session.call(
            "Runtime.evaluate", ["expression": js, "awaitPromise": true, "returnByValue": true])
        if let ex = r["exceptionDetails"] { throw VLogError.io("script failed: \(js): \(ex)") }
        return (r["result"] as? [String: Any])?["value"]
    }

    /// A real key press, as a user's keyboard makes it.
    func press(_ key: String, code: String? = nil, keyCode: Int = 0, shift: Bool = false) throws {
        for type in ["keyDown", "keyUp"] {
            var p: [String: Any] = [
                "type": type, "key": key, "code": code ?? "Key\(key.uppercased())", "windowsVirtualKeyCode": keyCode,
                "modifiers": shift ? 8 : 0,
            ]
            if type == "keyDown" && key.count == 1 { p["text"] = key }
            if type == "keyDown" && key == "Enter" { p["text"] = "\r" }
            try session.call("Input.dispatchKeyEvent", p)
        }
    }

    /// Network throttling (bytes per second; 0 lifts it).
    func throttle(bytesPerSecond: Int) throws {
        try session.call(
            "Network.emulateNetworkConditions",
            [
                "offline": false, "latency": bytesPerSecond > 0 ? 40 : 0,
                "downloadThroughput": bytesPerSecond > 0 ? bytesPerSecond : -1,
                "uploadThroughput": bytesPerSecond > 0 ? bytesPerSecond : -1,
            ])
    }

    func screenshot(to url: URL, width: Int, height: Int, mobile: Bool, dark: Bool) throws {
        try session.call(
            "Emulation.setDeviceMetricsOverride",
            ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile])
        try session.call(
            "Emulation.setEmulatedMedia",
            ["features": [["name": "prefers-color-scheme", "value": dark ? "dark" : "light"]]])
        usleep(400_000)
        let r = try session.call("Page.captureScreenshot", ["format": "png"])
        if let b64 = r["data"] as? String, let data = Data(base64Encoded: b64) { try data.write(to: url) }
    }
}

/// Headless Firefox ESR driven through WebDriver BiDi on `--remote-debugging-port` (no driver).
final class Firefox: Browser {
    let process = Process()
    let session: BrowserSession
    let profile: URL
    var context = ""

    init(profile: URL) throws {
        self.profile = profile
        try? FileManager.default.removeItem(at: profile)
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        // Autoplay allowed, no first-run pages; no system-wide add-ons (Debian's uBlock Origin
        // package puts one there); everything but loopback to a closed proxy port, so neither
        // Firefox nor an add-on reaches past this machine.
        try """
        user_pref("media.autoplay.default", 0);
        user_pref("media.autoplay.blocking_policy", 0);
        user_pref("browser.shell.checkDefaultBrowser", false);
        user_pref("datareporting.policy.dataSubmissionEnabled", false);
        user_pref("media.volume_scale", "0.0");
        user_pref("extensions.enabledScopes", 5);
        user_pref("network.proxy.type", 1);
        user_pref("network.proxy.http", "127.0.0.1");
        user_pref("network.proxy.http_port", 9);
        user_pref("network.proxy.share_proxy_settings", true);
        user_pref("network.proxy.no_proxies_on", "");
        user_pref("network.proxy.allow_hijacking_localhost", false);
        """.write(to: profile.appendingPathComponent("user.js"), atomically: true, encoding: .utf8)
        let port = freePort()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/firefox-esr")
        process.arguments = [
            "--headless", "--no-remote", "--profile", profile.path, "--remote-debugging-port", "\(port)",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try runInOwnGroup(process)
        var ws: WebSocket?
        for _ in 0..<150 where ws == nil {
            usleep(200_000)
            ws = try? WebSocket(port: port, path: "/session")
        }
        guard let ws else { throw VLogError.io("Firefox did not open WebDriver BiDi on port \(port)") }
        session = BrowserSession(ws: ws)
        try session.call("session.new", ["capabilities": [:] as [String: Any]])
        let tree = try session.call("browsingContext.getTree", [:])
        context = ((tree["contexts"] as? [[String: Any]])?.first?["context"] as? String) ?? ""
    }
    deinit {
        _ = try? session.call("session.end", [:], timeout: 5)
        // Firefox may ignore SIGTERM while it shuts down: every process it started is killed.
        killGroup(process)
    }

    func open(_ url: String) throws {
        try session.call("browsingContext.navigate", ["context": context, "url": url, "wait": "complete"])
    }

    /// Installs an unpacked add-on (a folder) for this session, as `about:debugging` does.
    func installExtension(folder: String) throws -> String {
        let r = try session.call("webExtension.install", ["extensionData": ["type": "path", "path": folder]])
        return r["extension"] as? String ?? ""
    }

    /// A new viewer: every cookie goes.
    func deleteCookies() throws { try session.call("storage.deleteCookies", [:]) }

    func eval(_ js: String) throws -> Any? {
        let r = try session.call(
            "script.evaluate",
            ["expression": js, "target": ["context": context], "awaitPromise": true, "resultOwnership": "none"])
        if r["type"] as? String == "exception" { throw VLogError.io("script failed: \(js): \(r)") }
        return Self.value(r["result"] as? [String: Any])
    }

    /// A BiDi remote value as plain JSON values.
    static func value(_ v: [String: Any]?) -> Any? {
        guard let v, let type = v["type"] as? String else { return nil }
        switch type {
        case "string", "number", "boolean": return v["value"]
        case "array": return (v["value"] as? [[String: Any]])?.map { value($0) ?? NSNull() }
        default: return nil
        }
    }

}
