import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogMedia
@testable import VLogStore
@testable import VLogSupport
@testable import VLogTranscode

/// `vlog transcode --remux`: a site transcoded to MPEG-TS (as before CMAF) is upgraded in place
/// without re-encoding, and a kill at any moment leaves every playlist naming files that exist.
@Suite(.serialized, .tags(.ffmpeg), .fullTierOnly) struct RemuxTests {
    /// A site whose one video was transcoded to MPEG-TS segments (three rungs, with audio).
    func tsSite() throws -> TestSite {
        let t = try TestSite {
            $0 = $0.replacingOccurrences(of: "preset = \"veryfast\"", with: "preset = \"ultrafast\"")
                .replacingOccurrences(of: "segment_seconds = 6 ", with: "segment_seconds = 2 ")
                .replacingOccurrences(of: "segment_format = \"cmaf\"", with: "segment_format = \"ts\"")
        }
        _ = try addClip(t, "walk", size: "854x480", seconds: 9)
        let r = try vlog(["transcode", "--site", t.root.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        try t.store.db.run(
            "UPDATE videos SET published_at = ? WHERE slug = 'walk'", [Date(timeIntervalSince1970: 1_760_000_000)])
        return t
    }

    /// Every playlist of the video names files that exist; returns (CMAF rungs, TS rungs).
    func consistent(_ dir: URL) throws -> (cmaf: Int, ts: Int) {
        let master = try String(contentsOf: dir.appendingPathComponent("master.m3u8"), encoding: .utf8)
        var cmaf = 0
        var ts = 0
        for rung in Remuxer.rungs(master: master) {
            let pl = MediaPlaylist.parse(
                try String(contentsOf: dir.appendingPathComponent("\(rung).m3u8"), encoding: .utf8))
            #expect(pl.hasEndList && pl.segments.count == 5, "\(rung): \(pl.segments.count) segments")
            for f in [pl.initURI].compactMap({ $0 }) + pl.segments.map(\.uri) {
                #expect(FileIO.exists(dir.appendingPathComponent(f)), "\(rung) names \(f), which exists")
            }
            if pl.initURI != nil { cmaf += 1 } else { ts += 1 }
        }
        return (cmaf, ts)
    }

    @Test func aTSSiteIsUpgradedInPlaceWithoutReencoding() throws {
        let t = try tsSite()
        let dir = t.site.mediaDir(slug: "walk")
        let initial = try consistent(dir)
        #expect(initial.cmaf == 0 && initial.ts >= 2, "\(initial)")
        let before = try String(contentsOf: dir.appendingPathComponent("480p.m3u8"), encoding: .utf8)
        #expect(before.contains("480p_0000.ts"))

        let r = try vlog(["transcode", "--remux", "--site", t.root.path])
        #expect(r.status == 0 && r.stdout.contains("Remux: 1 upgraded to CMAF"), "\(r.stdout)\(r.stderr)")
        #expect(try consistent(dir) == (initial.ts, 0))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(!files.contains { $0.hasSuffix(".ts") }, "old segments removed: \(files.sorted())")
        #expect(
            try String(contentsOf: dir.appendingPathComponent("master.m3u8"), encoding: .utf8).contains("VERSION:7"))
        // The same frames: every fragment starts with a keyframe, and the rung lasts as long.
        let pl = MediaPlaylist.parse(try String(contentsOf: dir.appendingPathComponent("480p.m3u8"), encoding: .utf8))
        #expect(abs(pl.totalDuration - MediaPlaylist.parse(before).totalDuration) < 0.1)
        for s in pl.segments {
            #expect(
                try startsWithKeyframe(
                    dir.appendingPathComponent(s.uri), initSegment: dir.appendingPathComponent(pl.initURI!)))
        }
        // Done is done, and the build publishes it.
        let again = try vlog(["transcode", "--remux", "--site", t.root.path])
        #expect(again.stdout.contains("0 upgraded to CMAF, 1 already CMAF"), "\(again.stdout)")
        #expect(try vlog(["build", "--site", t.root.path]).status == 0)
        #expect(FileIO.exists(t.site.outputURL.appendingPathComponent("v/walk/480p_init.mp4")))
    }

    @Test func aKilledRemuxLeavesPlayablePlaylistsAndFinishesWhenRunAgain() throws {
        let t = try tsSite()
        let dir = t.site.mediaDir(slug: "walk")
        let initial = try consistent(dir)
        let pristine = t.tmp.url.appendingPathComponent("pristine")
        try FileManager.default.copyItem(at: dir, to: pristine)
        var partial = 0
        for round in 0..<8 {
            try FileManager.default.removeItem(at: dir)
            try FileManager.default.copyItem(at: pristine, to: dir)
            let p = try spawnVlog(["transcode", "--remux", "--site", t.root.path])
            usleep(UInt32(40_000 + round * 45_000))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let state = try consistent(dir)
            if state.cmaf > 0 && state.ts > 0 { partial += 1 }
            let r = try vlog(["transcode", "--remux", "--site", t.root.path])
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
            #expect(try consistent(dir) == (initial.ts, 0))
            let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            #expect(!files.contains { $0.hasSuffix(".ts") })
        }
        print("remux kill rounds: \(partial) of 8 killed between rungs")
    }
}
