import Foundation
import Testing

@testable import VLogAnalytics
@testable import VLogContent
@testable import VLogStore
@testable import VLogSupport

/// A site with ready videos of the given durations (6 s segments, no playlists on disk).
func analyticsSite(_ durations: [Double], identity: String = "cookie") throws -> (
    TestSite, [TrafficGenerator.VideoSpec]
) {
    // Sessionizing is compared across sites here; the cookie identity does not depend on a site's salt.
    let t = try TestSite {
        $0 = $0.replacingOccurrences(of: "viewer_id = \"anonymous\"", with: "viewer_id = \"\(identity)\"")
    }
    var specs: [TrafficGenerator.VideoSpec] = []
    for (i, d) in durations.enumerated() {
        try insertReadyVideo(t, slug: "video-\(i)", title: "Video \(i)")
        try t.store.db.run("UPDATE videos SET duration = ? WHERE slug = ?", [d, "video-\(i)"])
        specs.append(.init(slug: "video-\(i)", duration: d, rungs: ["720p", "480p", "360p"]))
    }
    return (t, specs)
}

struct SessionRow: Equatable {
    var token: String
    var video: Int
    var watched: Double
    var maxPos: Double
    var completed: Bool
    var quality: String?
}

func sessionRows(_ db: SQLiteConnection) throws -> [SessionRow] {
    try db.query("SELECT * FROM playback_sessions ORDER BY session_token").map {
        SessionRow(
            token: $0.string("session_token")!, video: $0.int("video_id")!, watched: $0.double("duration_watched")!,
            maxPos: $0.double("max_position")!, completed: $0.bool("completed"), quality: $0.string("quality_used"))
    }
}

func writeLog(_ lines: [String], to url: URL) throws {
    try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
}

let day0 = 1_764_000_000.0

@Suite(.serialized, .tags(.server), .fullTierOnly) struct IngestTests {
    /// Generated traffic whose truth is known: the estimate is close, and much closer than
    /// counting fetched segments.
    /// Players that buffer a fixed lead: 12 s (Chromium's native HLS) and 30 s (hls.js).
    @Test(arguments: [12.0, 30.0]) func accuracyForPlayersThatBuffer(seconds: Double) throws {
        let (t, specs) = try analyticsSite([90, 180, 240, 300, 420, 600, 900, 1200])
        var gen = TrafficGenerator(videos: specs, seed: 31)
        gen.buffer = seconds...seconds
        let (lines, truth) = gen.traffic(sessions: 600, start: day0, days: 3)
        let log = t.tmp.url.appendingPathComponent("access.log")
        try writeLog(lines, to: log)
        _ = try Ingester(site: t.site).run(inputs: [log.path])
        let rows = try sessionRows(t.store.db)
        let trueWatch = truth.reduce(0) { $0 + $1.watched }
        let estWatch = rows.reduce(0) { $0 + $1.watched }
        let trueDone = Double(truth.filter(\.completed).count)
        let estDone = Double(rows.filter(\.completed).count)
        let watchErr = abs(estWatch - trueWatch) / trueWatch
        let doneErr = abs(estDone - trueDone) / trueDone
        print(
            String(
                format:
                    "buffer %.0f s: watch time error %.1f%%, completions error %.1f%% (%d sessions, truth %d, completions %.0f vs %.0f)",
                seconds, watchErr * 100, doneErr * 100, rows.count, truth.count, estDone, trueDone))
        #expect(rows.count == truth.count)
        #expect(watchErr < 0.05, "watch time within 5% of the truth")
        #expect(doneErr < 0.08, "completions within 8% of the truth")
    }

    @Test(arguments: [7, 99, 2024] as [UInt64]) func accuracyOnGeneratedTraffic(seed: UInt64) throws {
        let (t, specs) = try analyticsSite([90, 180, 240, 300, 420, 600, 900, 1200])
        var gen = TrafficGenerator(videos: specs, seed: seed)
        let (lines, truth) = gen.traffic(sessions: 600, start: day0, days: 3)
        let log = t.tmp.url.appendingPathComponent("access.log")
        try writeLog(lines, to: log)
        let s = try Ingester(site: t.site).run(inputs: [log.path])
        #expect(s.format == "combined+cookie")
        #expect(s.skipped["bot or tool"] == 60 && s.skipped["malformed line"] == 60)
        let rows = try sessionRows(t.store.db)
        #expect(rows.count == truth.count, "one session per generated viewing")

        let trueWatch = truth.reduce(0) { $0 + $1.watched }
        let naiveWatch = truth.reduce(0) { $0 + $1.naiveWatched }
        let estWatch = rows.reduce(0) { $0 + $1.watched }
        let trueDone = Double(truth.filter(\.completed).count)
        let naiveDone = Double(truth.filter(\.naiveCompleted).count)
        let estDone = Double(rows.filter(\.completed).count)
        let watchErr = abs(estWatch - trueWatch) / trueWatch
        let naiveWatchErr = abs(naiveWatch - trueWatch) / trueWatch
        let doneErr = abs(estDone - trueDone) / trueDone
        let naiveDoneErr = abs(naiveDone - trueDone) / trueDone
        print(
            "completions: truth \(trueDone) est \(estDone) naive \(naiveDone); watch truth \(Int(trueWatch)) est \(Int(estWatch)) naive \(Int(naiveWatch))"
        )
        print(
            String(
                format: "accuracy: watch time error %.1f%% (naive %.1f%%), completions error %.1f%% (naive %.1f%%)",
                watchErr * 100, naiveWatchErr * 100, doneErr * 100, naiveDoneErr * 100))
        #expect(watchErr < 0.05, "watch time within 5% of the truth")
        #expect(doneErr < 0.08, "completions within 8% of the truth")
        #expect(watchErr < naiveWatchErr && doneErr < naiveDoneErr, "better than counting segments")
        // Viewers are the cookies, hashed.
        #expect(try t.store.db.queryOne("SELECT COUNT(*) AS n FROM viewers")?.int("n") == truth.count)
        let oneCookie = truth[0].cookie
        #expect(
            try t.store.db.queryOne("SELECT id FROM viewers WHERE session_id = ?", [SHA256.hex("cookie:" + oneCookie)])
                != nil)
    }

    @Test func formatsGzipAndStdin() throws {
        let (t, specs) = try analyticsSite([120])
        var gen = TrafficGenerator(videos: specs, seed: 3)
        let (lines, _) = gen.traffic(sessions: 5, start: day0, noise: false)
        let segs = lines.filter { $0.contains(".m4s ") }
        // Common format (no UA, no cookie): every viewer is the IP+UA hash; no UA is a tool, so
        // nothing counts -> use combined (drop the cookie field) instead.
        let combined = segs.map {
            $0.replacingOccurrences(of: #" "[0-9a-f]{32}"$"#, with: "", options: .regularExpression)
        }
        let custom = segs.enumerated().map { i, l in
            l.replacingOccurrences(of: " \"https://", with: " 0.0\(i % 10) \"https://")
        }
        let f1 = t.tmp.url.appendingPathComponent("combined.log")
        let f2 = t.tmp.url.appendingPathComponent("custom.log")
        try writeLog(combined, to: f1)
        try writeLog(custom, to: f2)
        var s = try Ingester(site: t.site).run(inputs: [f1.path])
        #expect(s.format == "combined" && s.segmentRequests == combined.count)
        let fmt = try LogFormat.nginx(
            #"'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent $request_time "$http_referer" "$http_user_agent" "$cookie_vlog_viewer"'"#
        )
        s = try Ingester(site: t.site, format: fmt).run(inputs: [f2.path])
        #expect(s.segmentRequests == custom.count, "\(s.skipped)")

        // Common format: no user agent, no cookie; viewers by IP.
        let common = t.tmp.url.appendingPathComponent("common.log")
        try writeLog(segs.map { $0.components(separatedBy: " \"https://")[0] }, to: common)
        let t4 = try analyticsSite([120]).0
        s = try Ingester(site: t4.site).run(inputs: [common.path])
        #expect(s.format == "common" && s.segmentRequests == segs.count, "\(s.format) \(s.skipped)")
        #expect(try sessionRows(t4.store.db).count == 5)

        // Caddy JSON.
        let caddy = t.tmp.url.appendingPathComponent("caddy.log")
        let json = segs.prefix(3).map { line -> String in
            let uri = line.components(separatedBy: "\"GET ")[1].components(separatedBy: " ")[0]
            return
                #"{"level":"info","ts":\#(day0 + 10),"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"2001:db8::1","client_ip":"2001:db8::1","proto":"HTTP/2.0","method":"GET","host":"videos.example.org","uri":"\#(uri)","headers":{"User-Agent":["Mozilla/5.0 Firefox/133.0"],"Cookie":["a=1; vlog_viewer=0123456789abcdef0123456789abcdef"]}},"status":200,"size":1000}"#
        }
        try writeLog(json, to: caddy)
        s = try Ingester(site: t.site).run(inputs: [caddy.path])
        #expect(s.format == "caddy" && s.segmentRequests == 3)
        #expect(
            try t.store.db.queryOne(
                "SELECT id FROM viewers WHERE session_id = ?", [SHA256.hex("cookie:0123456789abcdef0123456789abcdef")])
                != nil)

        // gzip'd rotated file, and stdin, through the CLI.
        let plain = t.tmp.url.appendingPathComponent("access.log.2")
        try writeLog(lines, to: plain)
        #expect(try runProcess("/usr/bin/gzip", ["-k", plain.path]).status == 0)
        let t2 = try analyticsSite([120]).0
        let gz = try vlog(["ingest", plain.path + ".gz", "--site", t2.root.path])
        #expect(gz.status == 0 && gz.stdout.contains("segment requests:  \(segs.count)"), "\(gz.stdout)\(gz.stderr)")
        let t3 = try analyticsSite([120]).0
        let p = Process()
        p.executableURL = URL(fileURLWithPath: vlogBinary)
        p.arguments = ["ingest", "-", "--site", t3.root.path]
        p.standardInput = try FileHandle(forReadingFrom: plain)
        let o = Pipe()
        p.standardOutput = o
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: o.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.contains("segment requests:  \(segs.count)"), "\(text)")
        #expect(try sessionRows(t2.store.db).map(\.watched) == sessionRows(t3.store.db).map(\.watched))
    }

    @Test func malformedInputIsCountedAndSkipped() throws {
        let (t, _) = try analyticsSite([120])
        let ua = #"Mozilla/5.0 (X11; Linux) \"quoted\" Firefox/133.0"#
        var bytes = Data()
        func add(_ s: String) {
            bytes.append(Data(s.utf8))
            bytes.append(10)
        }
        add(
            #"2001:db8::7 - - [24/Nov/2025:10:00:00 +0000] "GET /v/video-0/720p_0000.ts HTTP/1.1" 206 100 "-" "\#(ua)" "-""#
        )
        add(
            #"2001:db8::7 - - [24/Nov/2025:10:00:01 +0000] "GET /v/video-0/720p_0001.ts HTTP/1.1" 200 100 "-" "\#(ua)" "-""#
        )
        // TLS on a plain port.
        bytes.append(contentsOf: [0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 10])
        add(
            "10.0.0.1 - - [24/Nov/2025:10:00:02 +0000] \"GET /" + String(repeating: "a", count: 70_000)
                + " HTTP/1.1\" 200 1 \"-\" \"x\" \"-\"")
        bytes.append(
            contentsOf: Array(
                "10.0.0.2 - - [24/Nov/2025:10:00:03 +0000] \"GET /caf\u{e9} HTTP/1.1\" 200 1 \"-\" \"".utf8) + [
                    0xff, 0xfe,
                ] + Array("\" \"-\"\n".utf8))
        add("POST /v/video-0/720p_0002.ts")
        add(
            #"10.0.0.3 - - [24/Nov/2025:10:00:04 +0000] "POST /v/video-0/720p_0002.ts HTTP/1.1" 200 1 "-" "Mozilla/5.0" "-""#
        )
        add(
            #"10.0.0.3 - - [24/Nov/2025:10:00:05 +0000] "GET /v/video-0/720p_0002.ts HTTP/1.1" 404 1 "-" "Mozilla/5.0" "-""#
        )
        add(
            #"10.0.0.3 - - [24/Nov/2025:10:00:06 +0000] "GET /v/nope/720p_0002.ts HTTP/1.1" 200 1 "-" "Mozilla/5.0" "-""#
        )
        // Still being written.
        bytes.append(Data(#"10.0.0.9 - - [24/Nov/2025:10:00:07 +0000] "GET /v/video-0/720p_00"#.utf8))
        let log = t.tmp.url.appendingPathComponent("messy.log")
        try bytes.write(to: log)
        let s = try Ingester(site: t.site, format: .combinedCookie).run(inputs: [log.path])
        #expect(s.segmentRequests == 2)
        #expect(
            s.skipped["not a segment request"] == 2, "the 70 kB line and the invalid UTF-8 one are parsed, not fatal")
        #expect(s.skipped["binary or garbage"] == 1)
        #expect(s.skipped["not GET"] == 1 && s.skipped["status not 200/206"] == 1 && s.skipped["unknown video"] == 1)
        #expect(s.skipped["last line still being written (read next time)"] == 1)
        #expect((s.skipped["malformed line"] ?? 0) >= 1)
        #expect(try sessionRows(t.store.db).count == 1, "the IPv6 viewer with the escaped-quote user agent")
        // The last line is finished later: the next run reads it (and only it).
        let h = try FileHandle(forWritingTo: log)
        h.seekToEndOfFile()
        h.write(Data("02.ts HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0\" \"-\"\n".utf8))
        try h.close()
        let again = try Ingester(site: t.site, format: .combinedCookie).run(inputs: [log.path])
        #expect(again.linesRead == 1 && again.segmentRequests == 1)
    }

    @Test func idempotentIncrementalAndRotationSafe() throws {
        let (t, specs) = try analyticsSite([300, 600])
        var gen = TrafficGenerator(videos: specs, seed: 11)
        let (lines, _) = gen.traffic(sessions: 80, start: day0, days: 0.5)
        // Reference: everything in one run, on another site.
        let (ref, _) = try analyticsSite([300, 600])
        let full = ref.tmp.url.appendingPathComponent("all.log")
        try writeLog(lines, to: full)
        _ = try Ingester(site: ref.site).run(inputs: [full.path])
        let expected = try sessionRows(ref.store.db)

        // The log grows between two runs (sessions open at the end of run 1 are extended).
        let log = t.tmp.url.appendingPathComponent("access.log")
        let cut = lines.count / 2
        try writeLog(Array(lines[..<cut]), to: log)
        let first = try Ingester(site: t.site).run(inputs: [log.path])
        try writeLog(lines, to: log)
        let second = try Ingester(site: t.site).run(inputs: [log.path])
        #expect(second.alreadyIngested == cut && second.linesRead == lines.count - cut)
        #expect(second.sessionsExtended > 0, "sessions open at the end of run 1 continue")
        #expect(
            try sessionRows(t.store.db) == expected,
            "two runs = one run (\(first.sessionsNew)+\(second.sessionsNew) new)")

        // Same file again, then its rotated .gz: nothing new.
        let again = try Ingester(site: t.site).run(inputs: [log.path])
        #expect(again.linesRead == 0 && again.segmentRequests == 0)
        let rotated = t.tmp.url.appendingPathComponent("access.log.1")
        try FileManager.default.moveItem(at: log, to: rotated)
        _ = try runProcess("/usr/bin/gzip", [rotated.path])
        let gz = try Ingester(site: t.site).run(inputs: [rotated.path + ".gz"])
        #expect(gz.linesRead == 0)
        #expect(try sessionRows(t.store.db) == expected)
    }

    @Test func sessionsSplitOnLongGapsAndBotsAreExcluded() throws {
        let (t, _) = try analyticsSite([600])
        let ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"
        var lines: [String] = []
        func seg(_ t0: Double, _ i: Int, ip: String = "10.1.1.1", agent: String = ua) {
            lines.append(
                "\(ip) - - [\(TrafficGenerator.clf(t0))] \"GET /v/video-0/480p_\(String(format: "%04d", i)).ts HTTP/1.1\" 200 1 \"-\" \"\(agent)\" \"-\""
            )
        }
        for i in 0..<5 { seg(day0 + Double(i) * 6, i) }
        for i in 0..<5 { seg(day0 + 3600 + Double(i) * 6, i) }  // 1 h later: a new session
        for i in 0..<100 { seg(day0 + 10 + Double(i) * 0.05, i, ip: "10.9.9.9") }  // a downloader with a browser UA
        for i in 0..<3 {
            seg(day0 + Double(i), i, ip: "66.249.66.1", agent: "Googlebot/2.1 (+http://www.google.com/bot.html)")
        }
        let log = t.tmp.url.appendingPathComponent("a.log")
        try writeLog(lines, to: log)
        let s = try Ingester(site: t.site).run(inputs: [log.path])
        #expect(s.skipped["bot or tool"] == 3)
        let rows = try sessionRows(t.store.db)
        #expect(rows.count == 2, "two sessions of the real viewer; the downloader is dropped: \(rows)")
        #expect(rows.allSatisfy { $0.quality == "480p" && !$0.completed && $0.watched > 20 && $0.watched < 35 })
    }

    @Test func killedIngestResumesToTheSameRowsAndASecondIngestRefuses() throws {
        let (t, specs) = try analyticsSite([300, 600, 900])
        var gen = TrafficGenerator(videos: specs, seed: 5)
        let (lines, _) = gen.traffic(sessions: 1500, start: day0, days: 2)
        let log = t.tmp.url.appendingPathComponent("big.log")
        try writeLog(lines, to: log)
        let (ref, _) = try analyticsSite([300, 600, 900])
        _ = try Ingester(site: ref.site).run(inputs: [log.path])
        let expected = try sessionRows(ref.store.db)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: vlogBinary)
        p.arguments = ["ingest", log.path, "--site", t.root.path]
        p.environment = ProcessInfo.processInfo.environment.merging(["VLOG_INGEST_CHECKPOINT_LINES": "5000"]) { $1 }
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        var killed = false
        for _ in 0..<400 {
            usleep(20_000)
            if let r = try? t.store.db.queryOne("SELECT offset FROM vlog_ingest_files"), (r.int("offset") ?? 0) > 0 {
                // A second ingest while the first holds the lock refuses clearly.
                let second = try vlog(["ingest", log.path, "--site", t.root.path])
                #expect(
                    second.status != 0 && second.stderr.contains("another `vlog ingest` is running"), "\(second.stderr)"
                )
                kill(p.processIdentifier, SIGKILL)
                killed = true
                break
            }
        }
        p.waitUntilExit()
        #expect(killed, "killed mid-ingest")
        let partial = try t.store.db.queryOne("SELECT offset FROM vlog_ingest_files")?.int("offset") ?? 0
        #expect(partial < (try FileManager.default.attributesOfItem(atPath: log.path)[.size] as? Int ?? 0))
        let r = try vlog(["ingest", log.path, "--site", t.root.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try sessionRows(t.store.db) == expected)
    }
}
