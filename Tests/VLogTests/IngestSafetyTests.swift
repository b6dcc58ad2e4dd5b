import Foundation
import Testing

@testable import VLogAnalytics
@testable import VLogConfig
@testable import VLogContent
@testable import VLogStore
@testable import VLogSupport

/// The nightly ingest survives what real sites and logs do (issue 9, part 7).
@Suite(.serialized) struct IngestSafetyTests {
    func viewerRows(_ db: SQLiteConnection) throws -> [String] {
        try db.query("SELECT session_id, first_seen, last_seen FROM viewers ORDER BY session_id").map {
            "\($0.string("session_id")!) \($0.string("first_seen")!) \($0.string("last_seen")!)"
        }
    }

    func totals(_ db: SQLiteConnection) throws -> String {
        let r = try db.queryOne(
            "SELECT COUNT(*) AS n, SUM(duration_watched) AS w, SUM(completed) AS c FROM playback_sessions")
        return "\(r?.int("n") ?? -1) \(r?.double("w") ?? -1) \(r?.int("c") ?? -1)"
    }

    @Test func aPurgedVideoDoesNotBreakTheNextIngest() throws {
        let (t, specs) = try analyticsSite([600, 600])
        var gen = TrafficGenerator(videos: [specs[0]], seed: 3)
        let (first, _) = gen.traffic(sessions: 20, start: day0, days: 0.1)
        let log1 = t.tmp.url.appendingPathComponent("day1.log")
        try writeLog(first, to: log1)
        _ = try Ingester(site: t.site).run(inputs: [log1.path])
        #expect(
            try t.store.db.queryOne("SELECT COUNT(*) AS n FROM vlog_open_sessions")?.int("n") ?? 0 > 0,
            "a session is carried over")
        let videos = Videos(site: t.site, store: t.store)
        try videos.delete("video-0")
        #expect(try videos.purge(olderThanDays: 0) == ["video-0"])
        var gen2 = TrafficGenerator(videos: [specs[1]], seed: 4)
        let (second, _) = gen2.traffic(sessions: 20, start: day0 + 86400, days: 0.1)
        let log2 = t.tmp.url.appendingPathComponent("day2.log")
        try writeLog(second, to: log2)
        let r = try vlog(["ingest", log2.path], cwd: t.root)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            try t.store.db.queryOne("SELECT COUNT(*) AS n FROM playback_sessions WHERE video_id = 2")?.int("n") ?? 0 > 0
        )
        // And the night after.
        #expect(try vlog(["ingest", log2.path], cwd: t.root).status == 0)
    }

    @Test func aReplayThroughStdinAddsNothing() throws {
        let (t, specs) = try analyticsSite([300, 600])
        var gen = TrafficGenerator(videos: specs, seed: 21)
        let (lines, _) = gen.traffic(sessions: 120, start: day0, days: 0.5)
        let log = t.tmp.url.appendingPathComponent("access.log")
        try writeLog(lines, to: log)
        #expect(try vlog(["ingest", log.path], cwd: t.root).status == 0)
        let before = try totals(t.store.db)
        let viewers = try viewerRows(t.store.db)
        let r = try vlog(["ingest", "-", "--site", t.root.path], stdin: log)
        #expect(r.status == 0 && r.stdout.contains("already ingested"), "\(r.stdout) \(r.stderr)")
        #expect(try totals(t.store.db) == before)
        #expect(try viewerRows(t.store.db) == viewers)
        #expect(!tree(t.root).contains { $0.contains(".vlog-stdin-") }, "the spooled copy is gone")
        // And stdin first, then the file: the same.
        let (t2, _) = try analyticsSite([300, 600])
        #expect(try vlog(["ingest", "-", "--site", t2.root.path], stdin: log).status == 0)
        #expect(try vlog(["ingest", log.path], cwd: t2.root).status == 0)
        #expect(try totals(t2.store.db) == before)
    }

    @Test func aDirectoryIsNotALog() throws {
        let (t, _) = try analyticsSite([60])
        let r = try vlog(["ingest", t.tmp.url.path], cwd: t.root)
        #expect(r.status != 0 && r.stderr.contains("is a directory"), "\(r.stderr)")
    }

    @Test func absurdTimestampsAreSkippedAndCounted() throws {
        let (t, specs) = try analyticsSite([300, 600])
        var gen = TrafficGenerator(videos: specs, seed: 8)
        let (lines, _) = gen.traffic(sessions: 60, start: day0, days: 0.2)
        let (ref, _) = try analyticsSite([300, 600])
        let clean = ref.tmp.url.appendingPathComponent("clean.log")
        try writeLog(lines, to: clean)
        _ = try Ingester(site: ref.site).run(inputs: [clean.path])
        let ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"
        var odd = lines
        for (i, date) in ["01/Jan/1970:00:00:01 +0000", "31/Dec/9999:23:59:59 +0000", "01/Jan/2200:00:00:00 +0000"]
            .enumerated()
        {
            for k in 0..<30 {
                odd.insert(
                    "10.7.7.\(i) - - [\(date)] \"GET /v/video-\(k % 2)/480p_\(String(format: "%04d", k)).ts HTTP/1.1\" 200 1 \"-\" \"\(ua)\" \"-\"",
                    at: (k * 37) % odd.count)
            }
        }
        let log = t.tmp.url.appendingPathComponent("odd.log")
        try writeLog(odd, to: log)
        let s = try Ingester(site: t.site).run(inputs: [log.path])
        #expect(s.skipped[LineClassifier.outOfRange] == 90, "\(s.skipped)")
        #expect(try sessionRows(t.store.db) == sessionRows(ref.store.db), "the other sessions are unchanged")
    }

    @Test func theSameLinesGiveTheSameViewersHoweverTheyAreSplit() throws {
        let (t, specs) = try analyticsSite([120, 300, 600])
        var gen = TrafficGenerator(videos: specs, seed: 77)
        let (lines, _) = gen.traffic(sessions: 400, start: day0, days: 1)
        let (ref, _) = try analyticsSite([120, 300, 600])
        let whole = ref.tmp.url.appendingPathComponent("whole.log")
        try writeLog(lines, to: whole)
        _ = try Ingester(site: ref.site).run(inputs: [whole.path])
        let expected = try viewerRows(ref.store.db)
        // The log grows over five runs, with a checkpoint every 300 lines.
        let log = t.tmp.url.appendingPathComponent("live.log")
        var ingester = Ingester(site: t.site)
        ingester.checkpointLines = 300
        for part in 1...5 {
            try writeLog(Array(lines[..<(lines.count * part / 5)]), to: log)
            _ = try ingester.run(inputs: [log.path])
        }
        let got = try viewerRows(t.store.db)
        #expect(got.count == expected.count)
        #expect(
            Set(got).symmetricDifference(expected).count == 0,
            "viewers differ: \(Set(got).subtracting(expected).prefix(3))")
        #expect(try totals(t.store.db) == totals(ref.store.db))
    }

    /// A disk that fills up after the first checkpoint committed: the error says what was kept
    /// (never "nothing was changed"), and the run after the space is back goes on from there.
    @Test func aFullDiskAfterACheckpointSaysWhatWasKept() throws {
        guard let disk = SmallDisk(sizeKB: 4096) else {
            print("skipped: this machine cannot mount a tmpfs (needs root)")
            return
        }
        let (t, specs) = try analyticsSite([120, 300, 600])
        var gen = TrafficGenerator(videos: specs, seed: 5)
        let (lines, _) = gen.traffic(sessions: 600, start: day0, days: 1)
        let log = t.tmp.url.appendingPathComponent("access.log")
        try writeLog(lines, to: log)
        // The same site with its database on the small disk.
        try t.store.db.run("PRAGMA wal_checkpoint(TRUNCATE)")
        let db = disk.url.appendingPathComponent("vlog.db")
        try FileManager.default.copyItem(at: t.site.databaseURL, to: db)
        var config = t.site.config
        config.databasePath = db.path
        let site = Site(root: t.root, config: config)
        var ingester = Ingester(site: site)
        ingester.checkpointLines = 200
        let filled = LockedBox(false)
        ingester.progress = { _, _ in
            if !filled.value {
                filled.withLock { $0 = true }
                disk.fill()
            }
        }
        var said = ""
        do { _ = try ingester.run(inputs: [log.path]) } catch { said = "\(error)" }
        #expect(filled.value, "a checkpoint committed before the disk filled")
        #expect(said.contains("disk full") && said.contains("are kept"), "\(said)")
        #expect(!said.contains("nothing was changed"), "\(said)")
        disk.free()
        ingester.progress = nil
        let again = try ingester.run(inputs: [log.path])
        #expect(again.alreadyIngested > 0, "the second run went on from the checkpoint")
    }
}
