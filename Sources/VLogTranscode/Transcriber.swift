import Foundation
import VLogConfig
import VLogMedia
import VLogStore
import VLogSupport

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

    public init(site: Site, effects: Effects = .system) {
        self.site = site
        (runner, clock) = (effects.runner, effects.clock)
    }

    var config: SiteConfig { site.config }
    var language: String { config.transcriptionLanguage ?? config.language }

    /// The engine's command line (placeholders `{audio}`, `{out}`, `{dir}`, `{lang}`, `{model}`)
    /// and what it writes.
    func command() -> (template: String, output: String) {
        switch config.transcriptionEngine {
        case .pocketsphinx: return ("pocketsphinx_continuous -infile {audio} -time yes", "pocketsphinx")
        case .whisperCpp: return ("whisper-cli -m {model} -l {lang} -f {audio} -ovtt -of {out}", "vtt")
        case .fasterWhisper:
            return (
                "whisper-ctranslate2 {audio} --model {model} --language {lang} --output_format vtt --output_dir {dir}",
                "vtt"
            )
        case .command, .off: return (config.transcriptionCommand ?? "", config.transcriptionOutput)
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

    /// Ready videos without a finished transcription.
    static let needingWork = """
        FROM videos v LEFT JOIN transcriptions t ON t.video_id = v.id
        WHERE v.status = 'ready' AND v.deleted_at IS NULL AND (t.status IS NULL OR t.status IN ('pending', 'processing'))
        """

    /// Whether a run would transcribe anything (no lock, no files: `vlog serve` asks every few seconds).
    public func hasWork() throws -> Bool {
        guard config.transcriptionEngine != .off else { return false }
        return try site.openDatabase(.read).queryOne("SELECT 1 AS x " + Self.needingWork + " LIMIT 1") != nil
    }

    /// Transcribes every ready video that needs it (or only `slug`).
    public func run(slug: String? = nil, retryFailed: Bool = false) throws -> TranscribeSummary {
        var summary = TranscribeSummary()
        guard config.transcriptionEngine != .off else { return summary }
        try site.ensureStorage()
        let db = try site.openDatabase()
        if retryFailed {
            try db.transaction {
                try db.run(
                    """
                    DELETE FROM vlog_transcription_attempts
                    WHERE video_id IN (SELECT video_id FROM transcriptions WHERE status = 'failed')
                    """)
                try db.run("UPDATE transcriptions SET status = 'pending', error_message = NULL WHERE status = 'failed'")
            }
        }
        let rows = try db.query("SELECT v.id, v.slug, v.duration, t.status " + Self.needingWork + " ORDER BY v.id")
        let work = WorkFolder.root(videos: site.videosURL)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        for r in rows {
            guard let id = r.int("id"), let s = r.string("slug"), slug == nil || slug == s,
                (try? Slug.validate(s)) != nil
            else { continue }
            // One process per video: a row left `processing` is taken again only when its lock is free.
            let lock = WorkerLock(url: WorkFolder.transcribeLock(slug: s, videos: site.videosURL))
            guard try lock.tryAcquire().acquired else {
                summary.busy.append(s)
                continue
            }
            defer { lock.release() }
            if let why = try transcribe(id: id, slug: s, duration: r.double("duration") ?? 0, db: db, work: work) {
                summary.failed[s] = why
            } else {
                summary.completed.append(s)
            }
        }
        return summary
    }

    /// One video's attempts, each counted before it starts (so a killed run counts too), until one
    /// completes, a permanent error, or `max_attempts`. Returns the error that failed the row.
    func transcribe(id: Int, slug: String, duration: Double, db: SQLiteConnection, work: URL) throws -> String? {
        while true {
            let taken: (attempt: Int, lastError: String?)? = try db.transaction {
                let row = try db.queryOne(
                    "SELECT attempts, last_error FROM vlog_transcription_attempts WHERE video_id = ?", [id])
                let used = row?.int("attempts") ?? 0
                guard used < config.transcriptionMaxAttempts else { return (used, row?.string("last_error")) }
                try db.run(
                    """
                    INSERT INTO vlog_transcription_attempts (video_id, attempts) VALUES (?, 1)
                    ON CONFLICT (video_id) DO UPDATE SET attempts = attempts + 1
                    """, [id])
                try db.run(
                    """
                    INSERT INTO transcriptions (video_id, status, language, started_at) VALUES (?, 'processing', ?, ?)
                    ON CONFLICT (video_id) DO UPDATE SET status = 'processing', language = excluded.language,
                        started_at = excluded.started_at, completed_at = NULL
                    """, [id, language, clock.now()])
                return nil
            }
            if let used = taken {
                // Attempts used up (runs killed, or errors): the row fails with what is known.
                let why =
                    "gave up after \(used.attempt) attempt(s): "
                    + (used.lastError ?? "the transcriber was stopped each time before it finished")
                    + "; run `vlog transcribe --retry-failed` to try again"
                try fail(id: id, why, db: db)
                return why
            }
            do {
                let done = try transcribe(slug: slug, duration: duration, work: work)
                try db.transaction {
                    try db.run(
                        """
                        UPDATE transcriptions SET status = 'completed', completed_at = ?, duration_seconds = ?,
                            transcript_text = ?, vtt_path = ?, word_count = ?, error_message = NULL WHERE video_id = ?
                        """, [clock.now(), done.duration, done.text, done.path, done.words, id])
                    try db.run("DELETE FROM vlog_transcription_attempts WHERE video_id = ?", [id])
                }
                return nil
            } catch {
                let why = String("\(error)".suffix(2000))
                let permanent = (error as? TranscribeError)?.permanent ?? false
                let used = try db.queryOne("SELECT attempts FROM vlog_transcription_attempts WHERE video_id = ?", [id])
                if permanent || (used?.int("attempts") ?? 0) >= config.transcriptionMaxAttempts {
                    try fail(id: id, why, db: db)
                    return why
                }
                try db.run(
                    """
                    UPDATE transcriptions SET status = 'pending', error_message = ? WHERE video_id = ?
                    """, [why, id])
                try db.run("UPDATE vlog_transcription_attempts SET last_error = ? WHERE video_id = ?", [why, id])
            }
        }
    }

    func fail(id: Int, _ why: String, db: SQLiteConnection) throws {
        try db.run(
            "UPDATE transcriptions SET status = 'failed', completed_at = ?, error_message = ? WHERE video_id = ?",
            [clock.now(), why, id])
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
            if a.stderrTail.contains("matches no streams") {
                throw TranscribeError(message: "the video has no audio track", permanent: true)
            }
            throw TranscribeError(message: "ffmpeg could not extract the audio: \(a.stderrTail)")
        }
        let (template, output) = command()
        let out = dir.appendingPathComponent("audio")
        let args = Self.split(template).map {
            $0.replacingOccurrences(of: "{audio}", with: audio.path).replacingOccurrences(of: "{out}", with: out.path)
                .replacingOccurrences(of: "{dir}", with: dir.path).replacingOccurrences(of: "{lang}", with: language)
                .replacingOccurrences(of: "{model}", with: config.transcriptionModel ?? "")
        }
        guard let exe = args.first else { throw VLogError.config("transcription.command is empty") }
        if runner is SystemProcessRunner, SystemProcessRunner.which(exe) == nil {
            throw TranscribeError(
                message: "\(exe) is not installed; \(Self.install(config.transcriptionEngine))", permanent: true)
        }
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
        guard !captions.cues.isEmpty else {
            throw TranscribeError(message: "the transcription engine heard no words", permanent: true)
        }
        let label = CaptionTracks.name(language) + " (automatic)"
        let name = "transcript.\(language).vtt"
        try site.changingMedia(slug: slug) {
            try FileIO.writeAtomically(Data(captions.vtt(label: label).utf8), to: media.appendingPathComponent(name))
        }
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

/// An error in one transcription attempt; `permanent` ones (no audio, no engine) are not retried.
struct TranscribeError: Error, CustomStringConvertible {
    var message: String
    var permanent = false
    var description: String { message }
}

extension Transcriber {
    /// How to get each engine (docs/usage.md: Transcription).
    static func install(_ engine: TranscriptionEngine) -> String {
        switch engine {
        case .pocketsphinx: return "install it (Debian: apt-get install pocketsphinx pocketsphinx-en-us)"
        case .whisperCpp: return "build whisper.cpp and put whisper-cli on the PATH (docs/usage.md: Transcription)"
        case .fasterWhisper: return "install it with pipx install whisper-ctranslate2 (docs/usage.md: Transcription)"
        case .command, .off: return "check transcription.command in vlog.toml"
        }
    }
}
