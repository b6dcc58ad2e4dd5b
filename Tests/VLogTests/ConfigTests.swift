import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogStore
@testable import VLogSupport
@testable import VLogTranscode

@Suite struct ConfigTests {
    @Test func initialConfigParsesToDefaults() throws {
        let c = try SiteConfig.parse(
            SiteConfig.initialFile(title: "My \"Videos\"", baseURL: "https://v.example.org", language: "de"))
        #expect(c.title == "My \"Videos\"" && c.baseURL == "https://v.example.org/" && c.language == "de")
        #expect(c.ladder == Rung.defaultLadder)
        #expect(c.segmentSeconds == 6 && c.retentionDays == 30 && c.maxAttempts == 3 && c.staleTimeoutSeconds == 1800)
    }

    @Test func chunkSettings() throws {
        let c = try SiteConfig.parse("[cluster]\nchunk_longer_than = 0\nchunk_seconds = 120.5\n")
        #expect(c.cluster.chunkLongerThan == 0 && c.cluster.chunkSeconds == 120.5)
        #expect(try SiteConfig.parse("").cluster.chunkLongerThan == 1200)
        for (bad, says) in [
            ("chunk_longer_than = -5", "cluster.chunk_longer_than must be a number of seconds >= 0"),
            ("chunk_seconds = 0", "cluster.chunk_seconds must be a positive number"),
            ("chunk_second = 60", "chunk_seconds"),
        ] {
            #expect(throws: (any Error).self) { try SiteConfig.parse("[cluster]\n\(bad)\n") }
            do { _ = try SiteConfig.parse("[cluster]\n\(bad)\n") } catch {
                #expect("\(error)".contains(says), "\(bad): \(error)")
            }
        }
        // Chunks are whole segments; a short tail joins the chunk before it.
        let plan = ChunkPlan.plan(duration: 631, chunkSeconds: 100, segmentSeconds: 6)
        #expect(plan.chunks.map(\.start) == [0, 96, 192, 288, 384, 480, 576])
        #expect(plan.chunks.last?.end == nil && plan.partNames.last == "audio")
        #expect(ChunkPlan.plan(duration: 620, chunkSeconds: 100, segmentSeconds: 6).chunks.count == 6)
    }

    @Test func tomlFeatures() throws {
        let t = try TOMLParser.parse(
            """
            # comment
            a = "x\\ty" # trailing
            b = 'raw\\n'
            c = 1_000
            d = 2.5
            e = [1, 2,
                 3,]
            [t.u]
            f = true
            g = { h = "i", j = [ 'k' ] }
            [[rows]]
            n = 1
            [[rows]]
            n = 2
            m = \"\"\"
            multi
            line\"\"\"
            """)
        #expect(
            t["a"] == .string("x\ty") && t["b"] == .string("raw\\n") && t["c"] == .int(1000) && t["d"] == .double(2.5))
        #expect(t["e"] == .array([.int(1), .int(2), .int(3)]))
        #expect(t["t"]?["u"]?["f"] == .bool(true))
        #expect(t["t"]?["u"]?["g"]?["j"] == .array([.string("k")]))
        #expect(t["rows"]?.array?.count == 2 && t["rows"]?.array?[1]["m"] == .string("multi\nline"))
        #expect(throws: TOMLError.self) { try TOMLParser.parse("a = \n") }
        #expect(throws: TOMLError.self) { try TOMLParser.parse("a = 1\na = 2") }
        #expect(throws: TOMLError.self) { try TOMLParser.parse("title = My Videos") }
        // TOML 1.0 as written (TOMLKit / toml++), where the old hand parser was lenient or wrong.
        #expect(throws: TOMLError.self) { try TOMLParser.parse("a = 01") }
        #expect(throws: TOMLError.self) { try TOMLParser.parse("a = 1__0") }
        #expect(try TOMLParser.parse("a = 0o17\nb = 0xff\nc = 1e3\nd = inf")["a"] == .int(15))
        #expect(try TOMLParser.parse("b = 0xff")["b"] == .int(255))
        #expect(try TOMLParser.parse("d = 1979-05-27T07:32:00Z")["d"]?.string?.hasPrefix("1979-05-27") == true)
        #expect(try TOMLParser.parse("a.b.c = 1")["a"]?["b"]?["c"] == .int(1))
        do {
            _ = try TOMLParser.parse("a = 1\n\nb = = 2\n")
            Issue.record("accepted a broken line")
        } catch let e as TOMLError {
            #expect(e.line == 3, "the error names its line: \(e)")
        }
    }

    @Test func customLadderAndEnvironmentOverrides() throws {
        var c = try SiteConfig.parse(
            """
            [transcode]
            ladder = [ { name = "720p", height = 720, video_kbps = 2000 }, { height = 360, video_kbps = 500, audio_kbps = 64 } ]
            """)
        #expect(c.ladder.map(\.name) == ["720p", "360p"] && c.ladder[0].audioKbps == 128)
        try c.applyEnvironment([
            "VLOG_DATABASE_PATH": "/data/vlog.db", "VLOG_STORAGE_PATH": "/nas/media",
            "VLOG_ARCHIVE_RETENTION_DAYS": "7", "VLOG_HLS_SEGMENT_DURATION": "4",
            "VLOG_MAX_RETRY_ATTEMPTS": "5", "VLOG_JOB_STALE_TIMEOUT": "600",
        ])
        #expect(c.databasePath == "/data/vlog.db" && c.storagePath == "/nas/media" && c.retentionDays == 7)
        #expect(c.segmentSeconds == 4 && c.maxAttempts == 5 && c.staleTimeoutSeconds == 600)
        #expect(throws: VLogError.self) { try c.applyEnvironment(["VLOG_ARCHIVE_RETENTION_DAYS": "soon"]) }
        #expect(throws: VLogError.self) { try SiteConfig.parse("[transcode]\nsegment_seconds = \"six\"") }
    }

    @Test func storageElsewhere() throws {
        let t = TempDir()
        let site = try Site.create(at: t.path("s"), title: "T", baseURL: "https://x.example")
        let nas = t.path("nas")
        let moved = try Site.load(
            site.root.path, environment: ["VLOG_STORAGE_PATH": nas, "VLOG_DATABASE_PATH": t.path("elsewhere.db")])
        // Storage or a database that is not there is an error (an unmounted NAS, a typo), never "empty".
        #expect(throws: VLogError.self) { try moved.ensureStorage() }
        #expect(throws: VLogError.self) { _ = try moved.openDatabase() }
        #expect(
            !FileManager.default.fileExists(atPath: nas)
                && !FileManager.default.fileExists(atPath: t.path("elsewhere.db")))
        // Once they are there (the NAS mounted, the database moved), the site works from them.
        try FileManager.default.createDirectory(atPath: nas, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: site.databaseURL, to: URL(fileURLWithPath: t.path("elsewhere.db")))
        try moved.ensureStorage()
        #expect(FileManager.default.fileExists(atPath: nas + "/uploads"))
        _ = try moved.openDatabase()
    }
}
