import Foundation
import Testing

@testable import VLogConfig
@testable import VLogStore
@testable import VLogSupport

/// The AV1 ladder beside the H.264 one (`transcode.codecs`), and `vlog transcode --reencode`,
/// through a real transcode, nginx serving the build, and real browsers playing it.
@Suite(.serialized, .tags(.ffmpeg, .browser, .server), .fullTierOnly) struct LadderTests {
    /// A site with both ladders and one published 16 s clip (480p and 360p), built and served.
    func site() throws -> (TestSite, Nginx) {
        let t = try fastSite()
        let cfg = t.root.appendingPathComponent("vlog.toml")
        var text = try String(contentsOf: cfg, encoding: .utf8)
        text = text.replacingOccurrences(of: "codecs = [\"h264\"]", with: "codecs = [\"h264\", \"av1\"]")
        try text.write(to: cfg, atomically: true, encoding: .utf8)
        let clip = t.tmp.url.appendingPathComponent("walk.mp4")
        try makeClip(clip, size: "854x480", seconds: 16)
        let add = try vlog([
            "video", "add", clip.path, "--title", "Walk", "--slug", "walk", "--publish", "--site", t.root.path,
        ])
        #expect(add.status == 0, "\(add.stderr)")
        let b = try vlog(["build", "--site", t.root.path])
        #expect(b.status == 0, "\(b.stdout)\(b.stderr)")
        return (t, try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx")))
    }

    /// The segment files requested (path and status) after log line `from`.
    func segments(_ nginx: Nginx, after from: Int = 0) -> [(file: String, status: String)] {
        nginx.log().split(separator: "\n").dropFirst(from).compactMap { line in
            guard let r = line.range(of: #"/v/walk/[^ ?]+\.m4s"#, options: .regularExpression) else { return nil }
            let status = line[r.upperBound...].split(separator: "\"").dropFirst().first?.split(separator: " ").first
            return (String(line[r].dropFirst(8)), String(status ?? ""))
        }
    }
    func lines(_ nginx: Nginx) -> Int { nginx.log().split(separator: "\n").count }
    func play(_ b: some Browser) throws {
        _ = try b.eval("document.querySelector('video').play().then(() => 1, e => String(e))")
    }

    @Test func chromiumPlaysAV1FallsBackToH264AndAReencodeChangesTheSegmentURLs() throws {
        let (t, nginx) = try site()
        let master = try String(
            contentsOf: t.site.outputURL.appendingPathComponent("v/walk/master.m3u8"), encoding: .utf8)
        #expect(master.contains("CODECS=\"av01.0.") && master.contains("CODECS=\"avc1."), "\(master)")
        #expect(
            master.range(of: "avc1")!.lowerBound < master.range(of: "av01")!.lowerBound,
            "the H.264 ladder first, for native players")
        let base = "http://127.0.0.1:\(nginx.port)/v/walk/"

        // AV1 where Chromium plays it.
        let c = try Chromium(profile: t.tmp.url.appendingPathComponent("chrome"))
        try c.open(base)
        try play(c)
        #expect(try c.waitFor("document.querySelector('video').currentTime > 3", timeout: 30), "plays")
        #expect(try c.eval("document.querySelector('.player').dataset.codec") as? String == "av1")
        let av1 = segments(nginx)
        #expect(!av1.isEmpty && av1.allSatisfy { $0.file.contains(".av1_") }, "only AV1 segments: \(av1.map(\.file))")

        // H.264 where the browser says it cannot play AV1.
        let mark = lines(nginx)
        let c2 = try Chromium(profile: t.tmp.url.appendingPathComponent("chrome2"))
        try c2.session.call(
            "Page.addScriptToEvaluateOnNewDocument",
            [
                "source": """
                const s = MediaSource.isTypeSupported.bind(MediaSource);
                MediaSource.isTypeSupported = t => !/av01/.test(t) && s(t);
                """
            ])
        try c2.open(base)
        try play(c2)
        #expect(try c2.waitFor("document.querySelector('video').currentTime > 3", timeout: 30), "plays H.264")
        #expect(try c2.eval("document.querySelector('.player').dataset.codec") as? String == "h264")
        let avc = segments(nginx, after: mark)
        #expect(!avc.isEmpty && avc.allSatisfy { !$0.file.contains("av1") }, "only H.264: \(avc.map(\.file))")

        // A re-encode: the built site is untouched, so the page as built still plays its old files.
        let old = Set(t.files(in: t.site.mediaDir(slug: "walk")).filter { $0.hasSuffix(".m4s") })
        let r = try vlog(["transcode", "--reencode", "walk", "--site", t.root.path])
        #expect(r.status == 0 && r.stdout.contains("Re-encoded 1"), "\(r.stdout)\(r.stderr)")
        let new = Set(t.files(in: t.site.mediaDir(slug: "walk")).filter { $0.hasSuffix(".m4s") })
        #expect(old.isDisjoint(with: new) && new.allSatisfy { $0.contains(".v2") }, "new names: \(new.sorted())")
        /// The page opened again and played: which segments it fetched, all of them answered.
        func playsOnly(_ files: Set<String>, _ what: Comment) throws {
            let mark = lines(nginx)
            try c.open(base)
            try play(c)
            #expect(try c.waitFor("document.querySelector('video').currentTime > 3", timeout: 30), what)
            let got = segments(nginx, after: mark)
            #expect(!got.isEmpty && got.allSatisfy { files.contains($0.file) && $0.status == "200" }, "\(got)")
        }
        try playsOnly(old, "the page as built plays its old files")

        // Once built, the page plays the new files; the old names are gone from the site.
        #expect(try vlog(["build", "--site", t.root.path]).status == 0)
        try playsOnly(new, "the rebuilt page plays the new files")
        let gone = try runProcess(
            "/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", base + old.sorted()[0]])
        #expect(gone.stdout == "404")

        // The ingester reads the new names as the same rungs.
        let ingest = try vlog(["ingest", nginx.accessLog.path, "--site", t.root.path])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let db = try t.site.openDatabase(.read)
        let rungs = try db.query("SELECT DISTINCT quality_used FROM playback_sessions").compactMap {
            $0.string("quality_used")
        }
        #expect(!rungs.isEmpty && rungs.allSatisfy { ["480p", "360p"].contains($0) }, "\(rungs)")
        let show = try vlog(["video", "show", "walk", "--site", t.root.path])
        #expect(show.stdout.contains("480p.av1"), "each AV1 rung's quality is shown: \(show.stdout)")
        // Each AV1 rung at its searched CRF, at the H.264 rung's SSIM (within the ladder's 0.002).
        func ssim(_ rung: String) -> Double? {
            show.stdout.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(rung + " ") }
                .flatMap { line in
                    line.split(separator: " ").firstIndex(of: "SSIM").flatMap {
                        Double(line.split(separator: " ")[$0 + 1])
                    }
                }
        }
        for rung in ["480p", "360p"] {
            let h264 = try #require(ssim(rung))
            let av1 = try #require(ssim(rung + ".av1"))
            #expect(av1 >= h264 - 0.002, "\(rung): AV1 \(av1) against H.264 \(h264)")
        }
        #expect(show.stdout.contains("AV1 CRF"), "\(show.stdout)")
    }

    @Test func firefoxPlaysAV1() throws {
        let (t, nginx) = try site()
        let f = try Firefox(profile: t.tmp.url.appendingPathComponent("firefox"))
        try f.open("http://127.0.0.1:\(nginx.port)/v/walk/")
        try play(f)
        let plays = try f.waitFor("document.querySelector('video').currentTime > 3", timeout: 30)
        #expect(
            plays,
            "Firefox plays: \(String(describing: try? f.eval("String(document.querySelector('video').currentTime)")))")
        #expect(try f.eval("document.querySelector('.player').dataset.codec") as? String == "av1")
        let files = segments(nginx).map(\.file)
        #expect(!files.isEmpty && files.allSatisfy { $0.contains(".av1_") }, "\(files)")
    }
}
