import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogMedia
@testable import VLogStore

/// Subtitles people bring: SRT and WebVTT in the encodings editors write, mistakes reported by
/// line, clean WebVTT out, one track per language on the page.
@Suite(.tags(.ffmpeg), .fullTierOnly) struct CaptionsTests {
    func parse(_ data: Data, duration: Double = 60) throws -> Captions {
        try Captions.parse(Captions.decode(data), name: "subs.srt", duration: duration)
    }
    func error(_ text: String, duration: Double = 60) -> String {
        do {
            _ = try parse(Data(text.utf8), duration: duration)
            return ""
        } catch { return "\(error)" }
    }

    @Test func srtAndWebVTTInTheirUsualEncodings() throws {
        // SRT, UTF-8 with a BOM and CRLF line ends, with SRT's <font> and an ampersand.
        let srt =
            "\u{FEFF}1\r\n00:00:01,000 --> 00:00:03,500\r\n<font color=\"red\">Hello</font> & <i>welcome</i>\r\n\r\n2\r\n00:00:04,000 --> 00:00:06,000\r\nSecond line\r\n"
        let a = try parse(Data(srt.utf8))
        #expect(a.cues.count == 2 && a.cues[0].start == 1 && a.cues[0].end == 3.5)
        #expect(a.cues[0].text == "Hello &amp; <i>welcome</i>", "\(a.cues[0].text)")
        #expect(
            a.vtt(label: "English")
                == "WEBVTT - English\n\n00:00:01.000 --> 00:00:03.500\nHello &amp; <i>welcome</i>\n\n00:00:04.000 --> 00:00:06.000\nSecond line\n\n"
        )
        // Old Mac line ends (a lone CR), and a cue of two lines ending in CRLF.
        let mac = try parse(Data("1\r00:00:01,000 --> 00:00:02,000\rTop\r\nBottom\r\n\r\n".utf8))
        #expect(mac.cues == [.init(start: 1, end: 2, text: "Top\nBottom")])
        // Windows-1252 (a French file from an old editor).
        var latin = Data("1\n00:00:01,000 --> 00:00:02,000\n".utf8)
        latin.append(contentsOf: [0x44, 0xE9, 0x6A, 0xE0, 0x20, 0x76, 0x75, 0x0A])  // "Déjà vu"
        #expect(try parse(latin).cues[0].text == "Déjà vu")
        // WebVTT in UTF-16 with a BOM, with a label, a NOTE block, cue settings and short times.
        let vtt =
            "WEBVTT - Deutsch\n\nNOTE made by hand\n\nintro\n00:01.000 --> 00:02.500 align:start line:0\nGrüß Gott\n"
        var utf16 = Data([0xFF, 0xFE])
        utf16.append(vtt.data(using: .utf16LittleEndian)!)
        let c = try parse(utf16)
        #expect(c.label == "Deutsch" && c.cues == [.init(start: 1, end: 2.5, text: "Grüß Gott")])
    }

    @Test func eachMistakeIsOneClearLine() {
        #expect(
            error("1\n00:00:05,000 --> 00:00:04,000\nBackwards\n")
                == "subs.srt, line 2: the cue ends (00:00:04.000) before it starts (00:00:05.000)")
        #expect(
            error("1\n00:00:01,000 --> 00:00:05,000\nA\n\n2\n00:00:04,000 --> 00:00:06,000\nB\n")
                .contains(
                    "line 6: the cue starts (00:00:04.000) while the one above it still shows (until 00:00:05.000)"))
        #expect(
            error("1\n00:00:08,000 --> 00:00:09,000\nA\n\n2\n00:00:04,000 --> 00:00:06,000\nB\n")
                .contains("line 6: the cue starts (00:00:04.000) before the one above it"))
        #expect(
            error("1\n00:02:00,000 --> 00:02:01,000\nLate\n", duration: 90)
                == "subs.srt, line 2: the cue starts at 00:02:00.000, after the video ends (00:01:30.000)")
        #expect(error("1\n00:00:01 --> soon\nA\n").contains("line 2: `00:00:01 --> soon` is not a cue timing"))
        #expect(error("Just some text\nwithout times\n").contains("line 1: expected a cue timing"))
        #expect(error("") == "subs.srt has no cues; is it an SRT or WebVTT file?")
        #expect(!error("1\n00:00:01,000 --> 00:00:02,000\nA\n").contains("line"), "a good file has no error")
    }

    @Test func tracksPerLanguageSurviveTranscodingAndReachThePage() throws {
        let t = try fastSite()
        let clip = t.tmp.url.appendingPathComponent("walk.mp4")
        try makeClip(clip, size: "640x360", seconds: 6)
        let en = t.tmp.url.appendingPathComponent("walk.en.srt")
        try "1\r\n00:00:00,500 --> 00:00:02,000\r\nHello\r\n".write(to: en, atomically: true, encoding: .utf8)
        let bad = t.tmp.url.appendingPathComponent("bad.srt")
        try "1\n00:00:03,000 --> 00:00:01,000\nNo\n".write(to: bad, atomically: true, encoding: .utf8)
        // A broken captions file stops `video add` before anything changes.
        let refused = try vlog([
            "video", "add", clip.path, "--title", "Walk", "--captions", bad.path, "--site", t.root.path,
        ])
        #expect(refused.status != 0 && refused.stderr.contains("bad.srt, line 2: the cue ends"), "\(refused.stderr)")
        #expect(try t.store.db.queryOne("SELECT COUNT(*) AS n FROM videos")?.int("n") == 0)
        let added = try vlog([
            "video", "add", clip.path, "--title", "Walk", "--slug", "walk", "--publish", "--captions", en.path,
            "--site", t.root.path,
        ])
        #expect(added.status == 0, "\(added.stderr)")
        // Transcoding replaces the media folder; the captions stay.
        #expect(try vlog(["transcode", "--site", t.root.path]).status == 0)
        let de = t.tmp.url.appendingPathComponent("walk.de.vtt")
        try "WEBVTT\n\n00:00.500 --> 00:02.000\nHallo\n".write(to: de, atomically: true, encoding: .utf8)
        let r = try vlog(["captions", "add", "walk", de.path, "--lang", "de", "--site", t.root.path])
        #expect(r.status == 0 && r.stdout.contains("Added Deutsch (de) captions"), "\(r.stdout)\(r.stderr)")
        let late = t.tmp.url.appendingPathComponent("late.srt")
        try "1\n00:01:00,000 --> 00:01:02,000\nToo late\n".write(to: late, atomically: true, encoding: .utf8)
        let tooLate = try vlog(["captions", "add", "walk", late.path, "--lang", "fr", "--site", t.root.path])
        #expect(tooLate.status != 0 && tooLate.stderr.contains("after the video ends"), "\(tooLate.stderr)")
        let list = try vlog(["captions", "list", "walk", "--site", t.root.path]).stdout
        #expect(
            list.contains("de       Deutsch") && list.contains("en       English") && !list.contains("fr"), "\(list)")

        #expect(try vlog(["build", "--site", t.root.path]).status == 0)
        let page = try String(contentsOf: t.site.outputURL.appendingPathComponent("v/walk/index.html"), encoding: .utf8)
        #expect(page.contains(#"<track kind="subtitles" src="/v/walk/captions.de.vtt" srclang="de" label="Deutsch">"#))
        #expect(
            page.contains(
                #"<track kind="subtitles" src="/v/walk/captions.en.vtt" srclang="en" label="English" default>"#),
            "the site's language is the default track")
        let served = try String(
            contentsOf: t.site.outputURL.appendingPathComponent("v/walk/captions.en.vtt"), encoding: .utf8)
        #expect(served == "WEBVTT - English\n\n00:00:00.500 --> 00:00:02.000\nHello\n\n")

        #expect(try vlog(["captions", "remove", "walk", "--lang", "de", "--site", t.root.path]).status == 0)
        #expect(!(try vlog(["captions", "list", "walk", "--site", t.root.path]).stdout.contains("de ")))
        let missing = try vlog(["captions", "remove", "walk", "--lang", "de", "--site", t.root.path])
        #expect(missing.stderr.contains("`walk` has no de captions"), "\(missing.stderr)")
    }
}
