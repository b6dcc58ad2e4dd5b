import Foundation
import Testing

@testable import VLogConfig
@testable import VLogSupport

/// vlog's own player in real browsers: nginx serves a built site; headless Chromium (DevTools
/// protocol) and Firefox ESR (WebDriver BiDi) play it.
@Suite(.serialized, .tags(.ffmpeg, .browser, .server), .fullTierOnly) struct PlayerTests {
    /// A site with a 90 s landscape clip (480p and 360p, captions) and a portrait one.
    func site() throws -> (TestSite, Nginx) {
        let t = try fastSite()
        let walk = t.tmp.url.appendingPathComponent("walk.mp4")
        try makeClip(walk, size: "854x480", seconds: 90)
        let tall = t.tmp.url.appendingPathComponent("tall.mp4")
        try makeClip(tall, size: "480x854", seconds: 12)
        for (clip, slug) in [(walk, "walk"), (tall, "tall")] {
            let r = try vlog([
                "video", "add", clip.path, "--title", slug, "--slug", slug, "--publish", "--site", t.root.path,
            ])
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(try vlog(["transcode", "--site", t.root.path]).status == 0)
        try "WEBVTT\n\n00:00:00.000 --> 00:01:30.000\nA test caption\n".write(
            to: t.site.mediaDir(slug: "walk").appendingPathComponent("captions.vtt"), atomically: true, encoding: .utf8)
        let de = t.tmp.url.appendingPathComponent("walk.de.srt")
        try "1\n00:00:00,000 --> 00:01:30,000\nEin Untertitel\n".write(to: de, atomically: true, encoding: .utf8)
        #expect(try vlog(["captions", "add", "walk", de.path, "--lang", "de", "--site", t.root.path]).status == 0)
        let b = try vlog(["build", "--site", t.root.path])
        #expect(b.status == 0, "\(b.stdout)\(b.stderr)")
        return (t, try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx")))
    }

    /// The rungs of segment requests in nginx's log after line `from`.
    func rungs(_ nginx: Nginx, after from: Int) -> [String] {
        nginx.log().split(separator: "\n").dropFirst(from).compactMap { line in
            guard let r = line.range(of: #"/v/walk/(\d+p)_\d+\.m4s"#, options: .regularExpression) else { return nil }
            return String(line[r].dropFirst(8).prefix { $0 != "_" })
        }
    }
    func lines(_ nginx: Nginx) -> Int { nginx.log().split(separator: "\n").count }
    /// Whether nginx logs a segment of `rung` after line `from` within `seconds` (a request is
    /// logged when it ends, a moment after the player starts it).
    func logged(_ nginx: Nginx, _ rung: String, after from: Int, seconds: Double = 10) -> Bool {
        for _ in 0..<Int(seconds * 10) {
            if rungs(nginx, after: from).contains(rung) { return true }
            usleep(100_000)
        }
        return false
    }

    @Test func chromiumPlaysThroughMSEAdaptsAndAnswersTheKeyboard() throws {
        let (t, nginx) = try site()
        let base = "http://127.0.0.1:\(nginx.port)"
        let master = try String(
            contentsOf: t.site.outputURL.appendingPathComponent("v/walk/master.m3u8"), encoding: .utf8)
        let bandwidths = master.split(separator: "\n").compactMap { line -> Int? in
            guard let r = line.range(of: #"BANDWIDTH=\d+"#, options: .regularExpression) else { return nil }
            return Int(line[r].dropFirst(10))
        }.sorted()
        #expect(bandwidths.count == 2)
        let c = try Chromium(profile: t.tmp.url.appendingPathComponent("chrome"))
        try c.open("\(base)/v/walk/")
        #expect(try c.eval("document.querySelector('.player').dataset.mode") as? String == "mse")
        sleep(1)
        #expect(rungs(nginx, after: 0).isEmpty, "nothing fetched before play")

        // Plays through MSE, starting low and climbing.
        _ = try c.eval("document.querySelector('video').play().then(() => 1)")
        #expect(try c.waitFor("document.querySelector('video').currentTime > 3", timeout: 20), "playback advances")
        let start = rungs(nginx, after: 0)
        #expect(start.first == "360p" && start.contains("480p"), "starts low, climbs: \(start.prefix(6))")
        // Every media request carries CMCD (query-argument mode): the view's id, the buffer ahead, the rung.
        let segments = nginx.log().split(separator: "\n").filter { $0.contains(".m4s?CMCD=") }
        let playlists = nginx.log().split(separator: "\n").filter { $0.contains(".m3u8?CMCD=") }
        #expect(segments.count >= 2 && playlists.count >= 2, "\(nginx.log().suffix(600))")
        let first =
            segments.first.flatMap { $0.split(separator: "CMCD=").last?.split(separator: " ").first }
            .flatMap { String($0).removingPercentEncoding } ?? ""
        #expect(
            first.contains("ot=av") && first.contains("bl=") && first.contains("br=") && first.contains("su"),
            "\(first)")
        #expect(first.contains("sid=\"") && first.contains("cid=\"walk\""), "\(first)")

        // A throttled link: it drops to the lower rung, and climbs back when the link is fast again.
        var mark = lines(nginx)
        try c.throttle(bytesPerSecond: bandwidths[0] * 13 / 80)
        let dropped = try c.waitFor("document.querySelector('.player').dataset.level === '360p'", timeout: 30)
        #expect(dropped && logged(nginx, "360p", after: mark), "drops to 360p: \(rungs(nginx, after: mark))")
        mark = lines(nginx)
        try c.throttle(bytesPerSecond: 0)
        #expect(try c.waitFor("document.querySelector('.player').dataset.level === '480p'", timeout: 30))
        #expect(logged(nginx, "480p", after: mark), "climbs back: \(rungs(nginx, after: mark))")

        // A seek lands within one segment of its target, and playback goes on from there.
        let landed =
            try c.eval(
                """
                new Promise(r => { const v = document.querySelector('video');
                  v.addEventListener('seeked', () => r(v.currentTime), {once: true}); v.currentTime = 60; })
                """) as? Double ?? -1
        #expect(abs(landed - 60) <= 2, "landed at \(landed)")
        #expect(try c.waitFor("document.querySelector('video').currentTime > \(landed + 1)", timeout: 15))

        // Keys, as YouTube has them.
        _ = try c.eval("document.activeElement && document.activeElement.blur && document.activeElement.blur(), 1")
        try c.press("k")
        #expect(try c.waitFor("document.querySelector('video').paused", timeout: 3), "k pauses")
        let before = try c.eval("document.querySelector('video').currentTime") as? Double ?? 0
        try c.press("l")
        let after = try c.eval("document.querySelector('video').currentTime") as? Double ?? 0
        #expect(after - before > 9 && after - before < 11, "l skips 10 s: \(before) -> \(after)")
        try c.press("m")
        #expect(try c.eval("document.querySelector('video').muted") as? Bool == true, "m mutes")
        try c.press(">", code: "Period", shift: true)
        #expect(try c.eval("document.querySelector('video').playbackRate") as? Double == 1.25, "> speeds up")
        try c.press("k")
        #expect(try c.waitFor("!document.querySelector('video').paused", timeout: 3), "k plays")

        // The quality menu by keyboard alone: Enter opens it on the checked item, arrows move, Enter picks.
        _ = try c.eval("document.querySelector('.vp-q').focus(), 1")
        try c.press("Enter", code: "Enter", keyCode: 13)
        #expect(try c.eval("document.querySelector('.vp-q').getAttribute('aria-expanded')") as? String == "true")
        #expect(try c.eval("document.activeElement.getAttribute('aria-checked')") as? String == "true")
        try c.press("ArrowDown", code: "ArrowDown", keyCode: 40)
        try c.press("ArrowDown", code: "ArrowDown", keyCode: 40)
        #expect(try c.eval("document.activeElement.textContent") as? String == "360p")
        mark = lines(nginx)
        try c.press("Enter", code: "Enter", keyCode: 13)
        #expect(try c.eval("document.activeElement.classList.contains('vp-q')") as? Bool == true, "focus returns")
        #expect(try c.eval("localStorage.getItem('vlog.quality')") as? String == "360p", "remembered")
        #expect(try c.waitFor("document.querySelector('.player').dataset.rung === '360p'", timeout: 20))
        #expect(!rungs(nginx, after: mark).contains("480p"), "only 360p after choosing it")

        // Every track is in the captions menu (Off, Deutsch, English).
        _ = try c.eval("document.querySelector('.vp-cc').click(), 1")
        #expect(
            try c.eval(
                "Array.from(document.querySelectorAll('.vp-menu:not([hidden]) .vp-item')).map(i => i.textContent).join(',')"
            )
                as? String == "Off,Deutsch,English")
        try c.press("Escape", code: "Escape", keyCode: 27)
        #expect(
            try c.eval("document.querySelector('video').textTracks[1].mode") as? String == "showing",
            "English, the default")
        // The captions menu by keyboard (Home picks Off, End the last track, English); c toggles them.
        _ = try c.eval("document.querySelector('.vp-cc').focus(), 1")
        try c.press("Enter", code: "Enter", keyCode: 13)
        try c.press("Home", code: "Home", keyCode: 36)
        try c.press("Enter", code: "Enter", keyCode: 13)
        #expect(try c.eval("document.querySelector('video').textTracks[1].mode") as? String == "disabled")
        #expect(try c.eval("localStorage.getItem('vlog.captions')") as? String == "off", "remembered")
        try c.press("Enter", code: "Enter", keyCode: 13)
        try c.press("End", code: "End", keyCode: 35)
        #expect(try c.eval("document.activeElement.textContent") as? String == "English")
        try c.press("Enter", code: "Enter", keyCode: 13)
        #expect(try c.eval("document.querySelector('video').textTracks[1].mode") as? String == "showing")
        _ = try c.eval("document.activeElement.blur(), 1")
        try c.press("c")
        #expect(try c.eval("document.querySelector('video').textTracks[1].mode") as? String == "disabled")

        // Seek previews: the pointer over the seek bar shows the storyboard's thumbnail for that time.
        let bar =
            try c.eval(
                "(r => [r.left + r.width * 0.25, r.top + r.height / 2])(document.querySelector('.vp-seek').getBoundingClientRect())"
            )
            as? [Double] ?? [0, 0]
        // The first move wakes the controls and loads the map; the next ones show the thumbnail.
        for dx in [0.0, 2, 4] {
            try c.session.call("Input.dispatchMouseEvent", ["type": "mouseMoved", "x": bar[0] + dx, "y": bar[1]])
            usleep(700_000)
        }
        #expect(
            try c.waitFor(
                "document.querySelector('.vp-thumb').style.background.includes('storyboard_00.jpg')", timeout: 5),
            "a storyboard thumbnail at a quarter of the bar")

        // The share box: the link at the current time.
        _ = try c.eval("document.querySelector('video').pause(), document.querySelector('[data-share-at]').click(), 1")
        let shared = try c.eval("document.getElementById('share-url').value") as? String ?? ""
        #expect(shared.contains("/v/walk/?t="), "share at the current time: \(shared)")
        #expect(try c.eval("document.getElementById('share-embed').value.includes('/v/walk/embed/')") as? Bool == true)

        // `#t=1m10s` starts there.
        try c.open("\(base)/v/walk/#t=1m10s")
        _ = try c.eval("document.querySelector('video').play().then(() => 1)")
        #expect(try c.waitFor("document.querySelector('video').currentTime > 70", timeout: 15), "starts at 1:10")
    }

    @Test func chromiumWithoutMSEPlaysNativeHLS() throws {
        let (t, nginx) = try site()
        let c = try Chromium(profile: t.tmp.url.appendingPathComponent("chrome"))
        try c.session.call(
            "Page.addScriptToEvaluateOnNewDocument",
            ["source": "delete window.MediaSource; delete window.ManagedMediaSource;"])
        try c.open("http://127.0.0.1:\(nginx.port)/v/walk/")
        #expect(try c.eval("document.querySelector('.player').dataset.mode") as? String == "native")
        _ = try c.eval("document.querySelector('video').play().then(() => 1, () => 0)")
        #expect(
            try c.waitFor("document.querySelector('video').currentTime > 2", timeout: 20), "native playback advances")
        let landed =
            try c.eval(
                """
                new Promise(r => { const v = document.querySelector('video');
                  v.addEventListener('seeked', () => r(v.currentTime), {once: true}); v.currentTime = 40; })
                """) as? Double ?? -1
        #expect(abs(landed - 40) <= 2, "landed at \(landed)")
        #expect(try c.eval("document.querySelector('.vp-q').hidden") as? Bool == true, "no quality menu in native mode")
    }

    @Test func theVideoPageAtPhoneAndDesktopWidthsLightAndDark() throws {
        let (t, nginx) = try site()
        let dir = URL(
            fileURLWithPath: ProcessInfo.processInfo.environment["VLOG_SCREENSHOTS"]
                ?? t.tmp.url.appendingPathComponent("shots").path)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let c = try Chromium(profile: t.tmp.url.appendingPathComponent("chrome"))
        for slug in ["walk", "tall"] {
            try c.open("http://127.0.0.1:\(nginx.port)/v/\(slug)/")
            _ = try c.eval("document.querySelector('video').play().then(() => 1)")
            _ = try c.waitFor("document.querySelector('video').currentTime > 1", timeout: 20)
            _ = try c.eval("document.querySelector('video').pause(), 1")
            for (w, h, mobile) in [(1280, 800, false), (390, 844, true)] {
                for dark in [false, true] {
                    try c.screenshot(
                        to: dir.appendingPathComponent("\(slug)-\(w)-\(dark ? "dark" : "light").png"), width: w,
                        height: h,
                        mobile: mobile, dark: dark)
                    let box =
                        try c.eval(
                            "(r => [r.width, r.height])(document.querySelector('video').getBoundingClientRect())")
                        as? [Double] ?? []
                    #expect(box.count == 2 && box[0] <= Double(w) && box[1] <= Double(h) * 0.85, "\(slug) \(w): \(box)")
                    if slug == "tall" && mobile {
                        // Portrait stays portrait: the picture is not squeezed into a 16:9 box.
                        #expect(box.count == 2 && box[1] > box[0] * 1.3, "portrait on a phone: \(box)")
                    }
                }
            }
        }
        print("screenshots in \(dir.path)")
    }

    @Test func firefoxPlaysARemuxedSiteAndSwitchesRungs() throws {
        let t = try TestSite {
            $0 = $0.replacingOccurrences(of: "preset = \"veryfast\"", with: "preset = \"ultrafast\"")
                .replacingOccurrences(of: "segment_seconds = 6 ", with: "segment_seconds = 2 ")
                .replacingOccurrences(of: "segment_format = \"cmaf\"", with: "segment_format = \"ts\"")
        }
        let clip = t.tmp.url.appendingPathComponent("walk.mp4")
        try makeClip(clip, size: "854x480", seconds: 40)
        #expect(
            try vlog([
                "video", "add", clip.path, "--title", "Walk", "--slug", "walk", "--publish", "--site", t.root.path,
            ])
            .status == 0)
        #expect(try vlog(["transcode", "--site", t.root.path]).status == 0)
        #expect(FileIO.exists(t.site.mediaDir(slug: "walk").appendingPathComponent("480p_0000.ts")), "an MPEG-TS site")
        for (lang, text) in [("en", "Hello"), ("fr", "Bonjour")] {
            let f = t.tmp.url.appendingPathComponent("walk.\(lang).srt")
            try "1\n00:00:00,000 --> 00:00:30,000\n\(text)\n".write(to: f, atomically: true, encoding: .utf8)
            #expect(try vlog(["captions", "add", "walk", f.path, "--lang", lang, "--site", t.root.path]).status == 0)
        }
        let remux = try vlog(["transcode", "--remux", "--site", t.root.path])
        #expect(remux.stdout.contains("1 upgraded"), "\(remux.stdout)\(remux.stderr)")
        #expect(try vlog(["build", "--site", t.root.path]).status == 0)
        let nginx = try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx"))

        let f = try Firefox(profile: t.tmp.url.appendingPathComponent("firefox"))
        try f.open("http://127.0.0.1:\(nginx.port)/v/walk/")
        #expect(try f.eval("document.querySelector('.player').dataset.mode") as? String == "mse")
        // Both subtitle tracks, English (the site's language) showing.
        _ = try f.eval("document.querySelector('.vp-cc').click(), 1")
        #expect(
            try f.eval(
                "Array.from(document.querySelectorAll('.vp-menu:not([hidden]) .vp-item')).map(i => i.textContent).join(',')"
            )
                as? String == "Off,English,Français")
        _ = try f.eval("document.querySelector('.vp-cc').click(), 1")
        #expect(try f.eval("document.querySelector('video').textTracks[0].mode") as? String == "showing")
        _ = try f.eval("document.querySelector('video').play().then(() => 1, e => String(e))")
        let plays = try f.waitFor("document.querySelector('video').currentTime > 3", timeout: 30)
        let state = try f.eval("String(document.querySelector('video').currentTime)")
        #expect(plays, "Firefox plays through MSE: \(String(describing: state))")
        #expect(try f.waitFor("document.querySelector('.player').dataset.rung === '480p'", timeout: 20))
        // The quality menu switches rungs.
        let mark = lines(nginx)
        _ = try f.eval("document.querySelector('.vp-q').click(), 1")
        _ = try f.eval(
            "Array.from(document.querySelectorAll('.vp-item')).find(i => i.textContent === '360p').click(), 1")
        #expect(try f.waitFor("document.querySelector('.player').dataset.rung === '360p'", timeout: 20), "now 360p")
        #expect(logged(nginx, "360p", after: mark))
        #expect(try f.eval("document.querySelector('video').paused") as? Bool == false)
    }

}
