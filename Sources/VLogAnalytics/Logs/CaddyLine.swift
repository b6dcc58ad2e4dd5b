import Foundation

/// One line of Caddy's JSON access log (`"logger":"http.log.access..."`).
enum CaddyLine {
    static func parse(_ line: UnsafeBufferPointer<UInt8>) -> RecordLine? {
        guard let first = line.first(where: { $0 != 32 }), first == UInt8(ascii: "{"),
            let obj = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
            let req = obj["request"] as? [String: Any],
            let ts = obj["ts"] as? Double ?? (obj["ts"] as? Int).map(Double.init)
        else { return nil }
        let headers = req["headers"] as? [String: Any] ?? [:]
        func header(_ name: String) -> String {
            for (k, v) in headers where k.lowercased() == name { return (v as? [String])?.first ?? "" }
            return ""
        }
        let addr = req["client_ip"] as? String ?? req["remote_ip"] as? String ?? (req["remote_addr"] as? String) ?? ""
        return RecordLine(
            time: ts, method: req["method"] as? String ?? "", uri: req["uri"] as? String ?? "",
            status: obj["status"] as? Int ?? 0, addr: addr, ua: header("user-agent"),
            cookie: RecordLine.viewerCookie(header("cookie")))
    }
}
