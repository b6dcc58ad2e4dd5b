import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogMedia
@testable import VLogStore
@testable import VLogSupport

/// Automatic captions with a real engine: speech made by espeak-ng, transcribed by Debian's
/// pocketsphinx, end to end through `vlog build`.
@Suite(.serialized, .tags(.ffmpeg, .browser, .server), .fullTierOnly) struct TranscribeTests {
    /// A clip whose sound is espeak-ng speaking `text`.
    func speechClip(_ t: TestSite, _ name: String, text: String) throws -> URL {
        let wav = t.tmp.url.appendingPathComponent("\(name).wav")
        let speak = try runProcess("/usr/bin/espeak-ng", ["-w", wav.path, text])
        #expect(speak.status == 0, "espeak-ng: \(speak.stderr)")
        let clip = t.tmp.url.appendingPathComponent("\(name).mp4")
        let r = try runProcess(
            "/usr/bin/ffmpeg",
            [
                "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-i",
                wav.path, "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
                clip.path,
            ])
        #expect(r.status == 0, "ffmpeg: \(r.stderr)")
        return clip
    }

    func site(engine: String) throws -> TestSite {
        try TestSite {
            $0 = $0.replacingOccurrences(of: "preset = \"veryfast\"", with: "preset = \"ultrafast\"")
                .replacingOccurrences(of: "segment_seconds = 6 ", with: "segment_seconds = 2 ")
                .replacingOccurrences(of: "engine = \"off\"", with: engine)
        }
    }

    @Test func pocketsphinxTranscribesSpeechEndToEnd() throws {
        let t = try site(engine: "engine = \"pocketsphinx\"")
        let clip = try speechClip(
            t, "talk", text: "Hello and welcome to the mountain railway. Today we travel across the alps by train.")
        #expect(
            try vlog([
                "video", "add", clip.path, "--title", "Talk", "--slug", "talk", "--publish", "--site", t.root.path,
            ])
            .status == 0)
        let b = try vlog(["build", "--site", t.root.path])
        #expect(b.status == 0 && b.stdout.contains("Transcribe: 1 completed"), "\(b.stdout)\(b.stderr)")
        let row = try #require(try t.store.db.queryOne("SELECT * FROM transcriptions"))
        let duration = try #require(try t.store.db.queryOne("SELECT duration FROM videos")?.double("duration"))
        #expect(row.string("status") == "completed" && row.string("language") == "en")
        #expect((row.int("word_count") ?? 0) >= 5, "words: \(row.int("word_count") ?? 0)")
        #expect(abs((row.double("duration_seconds") ?? 0) - duration) < 0.5)
        #expect(
            row.string("started_at") != nil && row.string("completed_at") != nil && row.string("error_message") == nil)
        #expect(row.string("vtt_path") == "videos/talk/transcript.en.vtt")
        // A valid WebVTT whose cues fall inside the clip.
        let vtt = try String(
            contentsOf: t.site.mediaDir(slug: "talk").appendingPathComponent("transcript.en.vtt"), encoding: .utf8)
        let parsed = try Captions.parse(vtt, name: "transcript", duration: duration)
        #expect(!parsed.cues.isEmpty && parsed.cues.allSatisfy { $0.start >= 0 && $0.end <= duration + 0.01 })
        #expect(parsed.label == "English (automatic)")
        // On the page: the track, the transcript with seek links, and JSON-LD.
        let page = try String(contentsOf: t.site.outputURL.appendingPathComponent("v/talk/index.html"), encoding: .utf8)
        #expect(page.contains(#"src="/v/talk/transcript.en.vtt" srclang="en" label="English (automatic)" default"#))
        #expect(page.contains(#"<details class="transcript">"#) && page.contains("data-seek=\"0\""))
        #expect(page.contains("\"transcript\":\""), "JSON-LD transcript")
        // Search finds a word that is only in the transcript, in a real browser, from a static server.
        let said =
            (row.string("transcript_text") ?? "").lowercased().split(separator: " ").map(String.init)
            .first { $0.count >= 4 && $0.allSatisfy(\.isLetter) && !"talk".contains($0) } ?? "missing"
        let shards = t.site.outputURL.appendingPathComponent("search/w")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: shards.path).contains {
                (try? String(contentsOf: shards.appendingPathComponent($0), encoding: .utf8))?.contains("\"\(said)\"")
                    == true
            }, "a shard holds `\(said)`")
        let nginx = try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx"))
        let c = try Chromium(profile: t.tmp.url.appendingPathComponent("chrome"))
        try c.open("http://127.0.0.1:\(nginx.port)/search/?q=\(said)")
        #expect(
            try c.waitFor(
                "document.querySelector('.results a') && document.querySelector('.results a').href.endsWith('/v/talk/')",
                timeout: 10),
            "`\(said)` finds the video")
        #expect(
            try c.eval("document.querySelector('.results').textContent.includes('said in the video')") as? Bool == true)
        _ = try c.eval("document.getElementById('q').focus(), 1")
        try c.press("ArrowDown", code: "ArrowDown", keyCode: 40)
        #expect(try c.eval("document.activeElement.href") as? String == "http://127.0.0.1:\(nginx.port)/v/talk/")

        // Done is done.
        #expect(try vlog(["transcribe", "--site", t.root.path]).stdout.contains("nothing to do"))
        #expect(try vlog(["jobs", "--site", t.root.path]).stdout.contains("talk  completed  en"))
    }

    @Test func aFailingEngineFailsItsRowAfterItsAttemptsAndTheVideoStillPublishes() throws {
        let tmp = try TempDir()
        let runs = tmp.url.appendingPathComponent("runs").path
        let t = try site(
            engine:
                #"engine = "command"\#nmax_attempts = 2\#ncommand = "/bin/sh -c 'echo run >> \#(runs); echo the engine exploded >&2; exit 3' {audio}""#
        )
        let clip = try speechClip(t, "talk", text: "Nothing will come of this.")
        #expect(
            try vlog([
                "video", "add", clip.path, "--title", "Talk", "--slug", "talk", "--publish", "--site", t.root.path,
            ])
            .status == 0)
        let b = try vlog(["build", "--site", t.root.path])
        #expect(b.stdout.contains("Transcribe: 0 completed, 1 failed"), "\(b.stdout)\(b.stderr)")
        let row = try #require(try t.store.db.queryOne("SELECT status, error_message FROM transcriptions"))
        #expect(row.string("status") == "failed")
        #expect(
            row.string("error_message")?.contains("the engine exploded") == true, "\(row.string("error_message") ?? "")"
        )
        let tries = { (try? String(contentsOfFile: runs, encoding: .utf8))?.split(separator: "\n").count ?? 0 }
        #expect(tries() == 2, "max_attempts = 2: the engine ran twice")
        #expect(FileIO.exists(t.site.outputURL.appendingPathComponent("v/talk/index.html")), "the video publishes")
        // A later build does not try again; --retry-failed does (with fresh attempts).
        _ = try vlog(["build", "--site", t.root.path])
        #expect(tries() == 2)
        let retry = try vlog(["transcribe", "--retry-failed", "--site", t.root.path])
        #expect(retry.status == 2 && retry.stdout.contains("1 failed"), "\(retry.stdout)")
        #expect(tries() == 4)
    }

    @Test func aTranscriptionKilledAtEveryAttemptEndsFailedWithAReadableReason() throws {
        let t = try site(engine: "engine = \"pocketsphinx\"\nmax_attempts = 2")
        let clip = try speechClip(t, "talk", text: "One two three four five six seven eight nine ten.")
        #expect(
            try vlog(["video", "add", clip.path, "--title", "Talk", "--slug", "talk", "--site", t.root.path]).status
                == 0)
        #expect(try vlog(["transcode", "--site", t.root.path]).status == 0)
        // What two runs killed while processing leave behind.
        let id = try #require(try t.store.db.queryOne("SELECT id FROM videos")?.int("id"))
        try t.store.db.run(
            "INSERT INTO transcriptions (video_id, status, language, started_at) VALUES (?, 'processing', 'en', ?)",
            [id, "2026-11-25 10:00:00"])
        try t.store.db.run("INSERT INTO vlog_transcription_attempts (video_id, attempts) VALUES (?, 2)", [id])
        let r = try vlog(["transcribe", "--site", t.root.path])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        let row = try #require(try t.store.db.queryOne("SELECT status, error_message FROM transcriptions"))
        #expect(row.string("status") == "failed")
        #expect(row.string("error_message")?.contains("gave up after 2 attempt(s)") == true)
        #expect(row.string("error_message")?.contains("--retry-failed") == true)
        // --retry-failed starts afresh and completes.
        let again = try vlog(["transcribe", "--retry-failed", "--site", t.root.path])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(try t.store.db.queryOne("SELECT status FROM transcriptions")?.string("status") == "completed")
        #expect(try t.store.db.queryOne("SELECT COUNT(*) AS n FROM vlog_transcription_attempts")?.int("n") == 0)
    }

    @Test func killedMidTranscriptionThenRerunCompletes() throws {
        let t = try site(engine: "engine = \"pocketsphinx\"")
        let clip = try speechClip(
            t, "talk",
            text: "One two three four five six seven eight nine ten. The train leaves the station at noon every day.")
        #expect(
            try vlog(["video", "add", clip.path, "--title", "Talk", "--slug", "talk", "--site", t.root.path]).status
                == 0)
        #expect(try vlog(["transcode", "--site", t.root.path]).status == 0)
        let p = try spawnVlog(["transcribe", "--site", t.root.path])
        // Kill while the engine runs (the row is processing).
        var sawProcessing = false
        for _ in 0..<100 {
            usleep(50_000)
            if try t.store.db.queryOne("SELECT status FROM transcriptions")?.string("status") == "processing" {
                sawProcessing = true
                usleep(300_000)
                break
            }
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(sawProcessing)
        let left = try t.store.db.queryOne("SELECT status FROM transcriptions")?.string("status")
        #expect(left == "processing" || left == "completed")
        let again = try vlog(["transcribe", "--site", t.root.path])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(try t.store.db.queryOne("SELECT status FROM transcriptions")?.string("status") == "completed")
        let leftovers = try runProcess("/usr/bin/pgrep", ["-f", "pocketsphinx_continuous -infile \(t.root.path)"])
        #expect(leftovers.stdout.isEmpty, "no engine left running")
    }
}
