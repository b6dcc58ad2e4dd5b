import Foundation

/// What a `vlog transcribe` run did.
public struct TranscribeSummary: Sendable {
    public var completed: [String] = []
    public var failed: [String: String] = [:]
    public var busy: [String] = []
}

/// Automatic captions, a step after transcoding. For each ready video without a finished
/// transcription: ffmpeg extracts 16 kHz mono audio once, the configured engine (a command, run
/// without a shell) turns it into WebVTT, SRT, whisper's JSON or pocketsphinx's word times, and the
/// result becomes `transcript.LANG.vtt` in the media folder and the video's `transcriptions` row
/// (pending -> processing -> completed or failed, with the engine's stderr tail). Crash-safe as
/// transcoding is: the file is written atomically before the row completes; a row left
/// `processing` by a killed run is taken again once its lock (`videos/.work/SLUG.transcribe.lock`)
/// is free; one video's failure never stops the others.
public struct Transcriber: Sendable {
    public let site: Site
    public var runner: any ProcessRunning
    public var clock: Clock

    public init(site: Site, runner: any ProcessRunning = SystemProcessRunner(), clock: Clock = .system) {
        self.site = site
        self.runner = runner
        self.clock = clock
    }

    var config: SiteConfig { site.config }
    var language: String { config.transcriptionLanguage ?? config.language }

    /// The engine's command line (placeholders `{audio}`, `{out}`, `{dir}`, `{lang}`, `{model}`)
    /// and what it writes.
    func command() -> (template: String, output: String) {
        switch config.transcriptionEngine {
        case "pocketsphinx": return ("pocketsphinx_continuous -infile {audio} -time yes", "pocketsphinx")
        case "whisper-cpp": return ("whisper-cli -m {model} -l {lang} -f {audio} -ovtt -of {out}", "vtt")
        case "faster-whisper":
            return (
                "whisper-ctranslate2 {audio} --model {model} --language {lang} --output_format vtt --output_dir {dir}",
                "vtt"
            )
        default: return (config.transcriptionCommand ?? "", config.transcriptionOutput)
        }
    }

    /// Splits a command template into arguments: spaces separate, single or double quotes group.
    static func split(_ template: String) -> [String] {
        var args: [String] = []
        var cur = ""
        var quote: Character?
        var started = false
        for ch in template {
            if let q = quote {
                if ch == q { quote = nil } else { cur.append(ch) }
            } else if ch == "'" || ch == "\"" {
                quote = ch
                started = true
            } else if ch == " " || ch == "\t" {
                if started || !cur.isEmpty { args.append(cur) }
                cur = ""
                started = false
            } else {
                cur.append(ch)
            }
        }
        if started || !cur.isEmpty { args.append(cur) }
        return args
    }

    /// Transcribes every ready video that needs it (or only `slug`).
    public func run(slug: String? = nil, retryFailed: Bool = false) throws -> TranscribeSummary {
        var summary = TranscribeSummary()
        guard config.transcriptionEngine != "off" else { return summary }
        try site.ensureStorage()
        let db = try site.openDatabase()
        if retryFailed {
            try db.run("UPDATE transcriptions SET status = 'pending', error_message = NULL WHERE status = 'failed'")
        }
        let rows = try db.query(
            """
            SELECT v.id, v.slug, v.duration, t.status FROM videos v LEFT JOIN transcriptions t ON t.video_id = v.id
            WHERE v.status = 'ready' AND v.deleted_at IS NULL AND (t.status IS NULL OR t.status IN ('pending', 'processing'))
            ORDER BY v.id
            """)
        let work = site.videosURL.appendingPathComponent(".work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        for r in rows {
            guard let id = r.int("id"), let s = r.string("slug"), slug == nil || slug == s,
                (try? Slug.validate(s)) != nil
            else { continue }
            // One process per video: a row left `processing` is taken again only when its lock is free.
            let lock = WorkerLock(url: work.appendingPathComponent("\(s).transcribe.lock"))
            guard try lock.tryAcquire().acquired else {
                summary.busy.append(s)
                continue
            }
            defer { lock.release() }
            try db.run(
                """
                INSERT INTO transcriptions (video_id, status, language, started_at) VALUES (?, 'processing', ?, ?)
                ON CONFLICT (video_id) DO UPDATE SET status = 'processing', language = excluded.language,
                    started_at = excluded.started_at, error_message = NULL
                """, [id, language, clock.now()])
            do {
                let done = try transcribe(slug: s, duration: r.double("duration") ?? 0, work: work)
                try db.run(
                    """
                    UPDATE transcriptions SET status = 'completed', completed_at = ?, duration_seconds = ?,
                        transcript_text = ?, vtt_path = ?, word_count = ?, error_message = NULL WHERE video_id = ?
                    """, [clock.now(), done.duration, done.text, done.path, done.words, id])
                summary.completed.append(s)
            } catch {
                let why = "\(error)"
                try db.run(
                    "UPDATE transcriptions SET status = 'failed', completed_at = ?, error_message = ? WHERE video_id = ?",
                    [clock.now(), String(why.suffix(2000)), id])
                summary.failed[s] = why
            }
        }
        return summary
    }

    /// One video: audio, engine, captions; returns what the row records.
    func transcribe(slug: String, duration: Double, work: URL) throws -> (
        duration: Double, text: String, path: String, words: Int
    ) {
        let dir = work.appendingPathComponent("\(slug).transcribe")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let media = site.mediaDir(slug: slug)
        let input = site.sourceFile(slug: slug) ?? media.appendingPathComponent(MediaLayout.master)
        let audio = dir.appendingPathComponent("audio.wav")
        let a = try runner.run(
            "ffmpeg",
            [
                "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-i", input.path, "-map", "0:a:0", "-vn", "-ac",
                "1",
                "-ar", "16000", "-c:a", "pcm_s16le", audio.path,
            ], timeout: max(300, duration * 4))
        guard a.status == 0 else {
            let tail = a.stderrTail.contains("matches no streams") ? "the video has no audio track" : a.stderrTail
            throw VLogError.tool("ffmpeg could not extract the audio: \(tail)")
        }
        let (template, output) = command()
        let out = dir.appendingPathComponent("audio")
        let args = Self.split(template).map {
            $0.replacingOccurrences(of: "{audio}", with: audio.path).replacingOccurrences(of: "{out}", with: out.path)
                .replacingOccurrences(of: "{dir}", with: dir.path).replacingOccurrences(of: "{lang}", with: language)
                .replacingOccurrences(of: "{model}", with: config.transcriptionModel ?? "")
        }
        guard let exe = args.first else { throw VLogError.config("transcription.command is empty") }
        let r = try runner.run(exe, Array(args.dropFirst()), timeout: max(600, duration * 20))
        guard r.status == 0, !r.timedOut else {
            throw VLogError.tool(
                "the transcription engine (\(exe)) \(r.timedOut ? "took too long and was stopped" : "failed (exit \(r.status))"): \(r.stderrTail)"
            )
        }
        let captions: Captions
        switch output {
        case "pocketsphinx": captions = Self.pocketsphinx(r.stdout)
        case "json": captions = try Self.whisperJSON(try read(out, "json"))
        default:
            captions = try Captions.parse(try read(out, output), name: "the engine's \(output)", duration: duration)
        }
        guard !captions.cues.isEmpty else { throw VLogError.tool("the transcription engine heard no words") }
        let label = CaptionTracks.name(language) + " (automatic)"
        let name = "transcript.\(language).vtt"
        try FileIO.writeAtomically(Data(captions.vtt(label: label).utf8), to: media.appendingPathComponent(name))
        let text = captions.cues.map { Captions.plain($0.text) }.joined(separator: " ")
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).count
        return (duration, text, "videos/\(slug)/\(name)", words)
    }

    func read(_ out: URL, _ ext: String) throws -> String {
        let url = out.appendingPathExtension(ext)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw VLogError.tool("the transcription engine wrote no \(url.lastPathComponent)")
        }
        return Captions.decode(data)
    }

    /// pocketsphinx_continuous `-time yes`: per word `WORD START END CONFIDENCE`; fillers (`<s>`,
    /// `<sil>`, `[NOISE]`) dropped, `word(2)` alternates named plainly; cues of at most 5 s or 12
    /// words, broken at silences.
    static func pocketsphinx(_ text: String) -> Captions {
        var cues: [Captions.Cue] = []
        var words: [String] = []
        var start = 0.0
        var end = 0.0
        func flush() {
            if !words.isEmpty {
                cues.append(.init(start: start, end: max(end, start + 0.5), text: words.joined(separator: " ")))
            }
            words = []
        }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 4, let a = Double(f[1]), let b = Double(f[2]) else { continue }
            let w = f[0]
            if w.hasPrefix("<") || w.hasPrefix("[") || w.hasPrefix("++") {
                if w == "<sil>" || w == "</s>" { flush() }
                continue
            }
            if words.isEmpty {
                start = a
            } else if b - start > 5 || words.count >= 12 {
                flush()
                start = a
            }
            words.append(String(w.prefix { $0 != "(" }))
            end = b
        }
        flush()
        return Captions(cues: cues, label: nil)
    }

    /// whisper's JSON (`{"segments": [{"start", "end", "text"}]}`, as faster-whisper and
    /// whisper.cpp's `-oj` write it; whisper.cpp's `transcription` with `offsets` in ms too).
    static func whisperJSON(_ text: String) throws -> Captions {
        let obj = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        var cues: [Captions.Cue] = []
        for s in obj?["segments"] as? [[String: Any]] ?? [] {
            guard let a = s["start"] as? Double, let b = s["end"] as? Double, let t = s["text"] as? String else {
                continue
            }
            cues.append(.init(start: a, end: b, text: Captions.clean(t.trimmingCharacters(in: .whitespaces))))
        }
        for s in obj?["transcription"] as? [[String: Any]] ?? [] {
            guard let o = s["offsets"] as? [String: Any], let a = o["from"] as? Double, let b = o["to"] as? Double,
                let t = s["text"] as? String
            else { continue }
            cues.append(
                .init(start: a / 1000, end: b / 1000, text: Captions.clean(t.trimmingCharacters(in: .whitespaces))))
        }
        return Captions(cues: cues.filter { !$0.text.isEmpty }, label: nil)
    }
}
