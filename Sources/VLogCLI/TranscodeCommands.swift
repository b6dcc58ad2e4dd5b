import ArgumentParser
import Foundation
import VLogAnalytics
import VLogConfig
import VLogContent
import VLogSupport
import VLogTranscode

struct TranscodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcode",
        abstract: "Turn every pending video into an HLS ladder (resumes interrupted jobs).")
    @OptionGroup var options: SiteOptions
    @Option(parsing: .unconditional, help: "Videos to transcode at once (default: transcode.workers).") var workers:
        Int?
    @Flag(name: .customLong("retry-failed"), help: "Give failed videos fresh attempts.") var retryFailed = false
    @Flag(
        help: """
            Upgrade ready videos with MPEG-TS segments to CMAF (fragmented MP4, playable through Media Source \
            Extensions in every browser) without re-encoding; then run `vlog build`.
            """) var remux = false
    @Option(
        help: ArgumentHelp(
            """
            Send pending videos to a cluster engine: parallel (GNU parallel over SSH), slurm (a job array), \
            kubernetes (an Indexed Job) or command (set up in [cluster] in vlog.toml); videos longer than \
            cluster.chunk_longer_than go in chunks. `--collect` publishes the results.
            """, valueName: "engine")) var dispatch: String?
    @Flag(help: "Publish what cluster workers finished; send lost or failed jobs again.") var collect = false
    @Flag(
        help: """
            Re-encode the ready videos named (or --all) to the ladder vlog.toml sets now; they stay published \
            on their old rendition until done, and the new one's files have new names. Then run `vlog build`.
            """) var reencode = false
    @Flag(help: "With --reencode: every ready video.") var all = false
    @Argument(help: "With --reencode: the videos' slugs.") var slugs: [String] = []

    func validate() throws {
        try requirePositive(workers, "--workers")
        if dispatch != nil && collect { throw ValidationError("give --dispatch or --collect, not both") }
        if reencode && (remux || dispatch != nil || collect) {
            throw ValidationError("--reencode runs here: give it without --remux, --dispatch or --collect")
        }
        if reencode && all != slugs.isEmpty {
            throw ValidationError("give --reencode the slugs of the videos to re-encode, or --all (not both)")
        }
        if !reencode && (all || !slugs.isEmpty) {
            throw ValidationError("slugs and --all go with --reencode (`vlog transcode --reencode SLUG`)")
        }
        if remux && (retryFailed || workers != nil) {
            throw ValidationError(
                "--remux copies streams of ready videos; it takes neither --retry-failed nor --workers")
        }
    }

    func run() throws {
        let site = try options.load()
        if reencode {
            let queued = try Reencoder(site: site).queue(slugs: all ? nil : slugs)
            out("Queued \(queued.count) video(s) for a re-encode: \(queued.prefix(10).joined(separator: ", "))")
        }
        if remux {
            let s = try Remuxer(site: site).run()
            out(
                "Remux: \(s.upgraded.count) upgraded to CMAF, \(s.alreadyCMAF.count) already CMAF, \(s.failed.count) failed."
            )
            for (slug, why) in s.failed.sorted(by: { $0.key < $1.key }) { out("  failed \(slug): \(why)") }
            if !s.upgraded.isEmpty { out("Run `vlog build` to publish the upgraded videos.") }
            if !s.failed.isEmpty { throw ExitCode(2) }
            return
        }
        if dispatch != nil || collect {
            let cluster = Cluster(site: site)
            if retryFailed { _ = try JobStore.open(site).requeueFailed() }
            let s = collect ? try cluster.collect() : try cluster.dispatch(engineName: dispatch)
            printCluster(s)
            if !s.failed.isEmpty { throw ExitCode(2) }
            return
        }
        let summary = try runTranscode(site: site, workers: workers ?? site.config.workers, retryFailed: retryFailed)
        if !summary.failed.isEmpty { throw ExitCode(2) }
    }
}

func printCluster(_ s: ClusterSummary) {
    if !s.dispatched.isEmpty { out("Dispatched \(s.dispatched.count): \(s.dispatched.joined(separator: ", "))") }
    if let m = s.manifest { out("  kubectl is not here: apply \(m.path) with `kubectl apply -f` where it is") }
    if !s.ready.isEmpty { out("Collected \(s.ready.count) ready: \(s.ready.joined(separator: ", "))") }
    if !s.running.isEmpty { out("Still running \(s.running.count): \(s.running.joined(separator: ", "))") }
    if !s.resent.isEmpty { out("Sent again \(s.resent.count): \(s.resent.joined(separator: ", "))") }
    for (slug, why) in s.failed.sorted(by: { $0.key < $1.key }) { out("  failed \(slug): \(why)") }
    if s.dispatched.isEmpty && s.ready.isEmpty && s.running.isEmpty && s.resent.isEmpty && s.failed.isEmpty {
        out("Cluster: nothing to do.")
    }
}

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Cluster workers: do one job spec's transcode with no database.",
        subcommands: [Run.self])

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Transcode one job spec (written by `vlog transcode --dispatch`) into its work folder; idempotent, resumable."
        )
        @Argument(help: "The job spec (spec.json).") var spec: String?
        @Option(help: "A list of specs, one per line (with --index).") var list: String?
        @Option(
            help: "Which line of --list (default: $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX, counted from 0).")
        var index: Int?
        @Option(help: "Where the media storage is mounted here (default: as in the spec, or $VLOG_STORAGE_PATH).")
        var storage: String?

        func run() throws {
            let env = ProcessInfo.processInfo.environment
            var path = spec
            if let list {
                guard let text = try? String(contentsOfFile: list, encoding: .utf8) else {
                    throw VLogError.notFound("cannot read the spec list \(list); is the shared storage mounted here?")
                }
                let lines = text.split(separator: "\n").map(String.init)
                let i = index ?? Int(env["SLURM_ARRAY_TASK_ID"] ?? env["JOB_COMPLETION_INDEX"] ?? "")
                guard let i, lines.indices.contains(i) else {
                    throw ValidationError(
                        "--index (or the engine's task index) must name a line of \(list) (0-\(lines.count - 1))")
                }
                path = lines[i]
            }
            guard let path else { throw ValidationError("give a spec, or --list with --index") }
            let s = try Worker.read(URL(fileURLWithPath: path))
            let mounted = storage ?? env["VLOG_STORAGE_PATH"]
            let r = try Worker(storageOverride: mounted.map { URL(fileURLWithPath: $0) }).run(s)
            if r.ok == true {
                out("\(s.job): done on \(r.host) in \(String(format: "%.1f", r.seconds ?? 0)) s")
            } else {
                FileHandle.standardError.write(Data("error: \(s.job): \(r.error ?? "failed")\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}

/// Runs the transcode stage with terminal progress and prints what happened.
func runTranscode(site: Site, workers: Int, retryFailed: Bool) throws -> TranscodeSummary {
    let reporter = TerminalReporter()
    let summary = try Transcoder(site: site, reporter: Output.quiet.value ? SilentReporter() : reporter).run(
        workers: workers, retryFailed: retryFailed)
    reporter.done()
    printTranscode(summary)
    return summary
}

/// What a transcode did, in the words `vlog transcode` and `vlog build` use.
func printTranscode(_ summary: TranscodeSummary) {
    for w in summary.warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
    let earlier =
        summary.failedEarlier.isEmpty
        ? ""
        : """
         \(summary.failedEarlier.count) video(s) failed earlier (\(summary.failedEarlier.prefix(5).joined(separator: ", "))); \
        `vlog jobs` says why, `vlog transcode --retry-failed` tries again.
        """
    if summary.ready.isEmpty && summary.failed.isEmpty && summary.busy.isEmpty && summary.reencoded.isEmpty {
        out(
            summary.failedEarlier.isEmpty
                ? "Transcode: nothing to do (every video is ready)." : "Transcode: nothing to do;" + earlier)
    } else {
        out(
            "Transcode: \(summary.ready.count) ready, \(summary.failed.count) failed, \(summary.busy.count) busy elsewhere."
        )
        for (slug, why) in summary.failed.sorted(by: { $0.key < $1.key }) { out("  failed \(slug): \(why)") }
        for slug in summary.busy { out("  \(slug) is being transcoded by another process") }
        if !summary.reencoded.isEmpty {
            out(
                "Re-encoded \(summary.reencoded.count): \(summary.reencoded.joined(separator: ", ")); run `vlog build` to publish them."
            )
        }
        if !earlier.isEmpty { out(" " + earlier) }
    }
}

/// A progress bar per running job on a terminal, with speed (times real time) and time left once
/// encoding has run a few seconds; plain lines (every 10%) otherwise.
final class TerminalReporter: TranscodeReporting, @unchecked Sendable {
    private let lock = NSLock()
    private var durations: [String: Double] = [:]
    private var encodeStart: [String: (Date, Int)] = [:]

    func probed(slug: String, duration: Double) {
        lock.lock()
        durations[slug] = duration
        lock.unlock()
    }

    /// ` 2.4x, 1:10 left` during the encode (5% to 95% of a job), else "".
    private func pace(_ slug: String, step: JobStep, percent: Int) -> String {
        guard step == .transcode else { return "" }
        guard let (t0, p0) = encodeStart[slug] else {
            encodeStart[slug] = (Date(), percent)
            return ""
        }
        let elapsed = Date().timeIntervalSince(t0)
        let done = Double(percent - p0)
        guard elapsed > 2, done > 0 else { return "" }
        let left = elapsed * Double(95 - percent) / done
        var text = ", \(Format.duration(max(0, left))) left"
        if let d = durations[slug], d > 0 { text = String(format: ", %.1fx", d * done / 90 / elapsed) + text }
        return text
    }
    private var rows: [(slug: String, text: String)] = []
    private var drawn = 0
    private var lastDraw = Date.distantPast
    private var lastPlain: [String: String] = [:]
    private let tty = isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["TERM"] != "dumb"

    func update(slug: String, step: JobStep, percent: Int) {
        lock.lock()
        defer { lock.unlock() }
        let width = 30
        let filled = width * percent / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let text =
            "\(slug.padding(toLength: 28, withPad: " ", startingAt: 0)) [\(bar)] \(String(format: "%3d", percent))% \(step.rawValue)\(pace(slug, step: step, percent: percent))"
        if let i = rows.firstIndex(where: { $0.slug == slug }) {
            rows[i].text = text
        } else {
            rows.append((slug, text))
        }
        if tty {
            guard Date().timeIntervalSince(lastDraw) > 0.2 else { return }
            redraw()
        } else {
            let key = "\(step.rawValue) \(percent / 10)"
            if lastPlain[slug] != key {
                lastPlain[slug] = key
                print("\(slug): \(step.rawValue) \(percent)%\(pace(slug, step: step, percent: percent))")
            }
        }
    }

    func finished(slug: String, ok: Bool, message: String) {
        lock.lock()
        defer { lock.unlock() }
        rows.removeAll { $0.slug == slug }
        if tty { clear() }
        print(ok ? "\(slug): ready" : "\(slug): FAILED: \(message)")
        if tty { redraw() }
    }

    func done() {
        lock.lock()
        if tty { clear() }
        lock.unlock()
    }

    private func clear() {
        if drawn > 0 { print("\u{1B}[\(drawn)A\u{1B}[J", terminator: "") }
        drawn = 0
    }

    private func redraw() {
        clear()
        for r in rows { print(r.text) }
        drawn = rows.count
        lastDraw = Date()
        fflush(nil)
    }
}

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List transcoding jobs: step, percent, per-quality progress, attempts, last error.")
    @OptionGroup var options: SiteOptions

    func run() throws {
        let site = try options.load()
        let jobs = try JobStore.open(site, .read)
        let listing = try jobs.listing()
        defer {
            let t = (try? jobs.transcriptions()) ?? []
            if !t.isEmpty { out("Transcriptions:") }
            for r in t {
                let words = r.wordCount.map { "  \($0) words" } ?? ""
                out("  \(r.slug)  \(r.status)  \(r.language)\(words)")
                if let e = r.errorMessage { out("    error: \(e.replacingOccurrences(of: "\n", with: " | "))") }
            }
        }
        if listing.isEmpty {
            out("No transcoding jobs yet. `vlog transcode` starts them.")
            return
        }
        for l in listing {
            let j = l.job
            let done = j.completedAt != nil
            out(
                "\(l.slug)  [\(l.videoStatus)]  step \(j.currentStep ?? "-") "
                    + "\(j.progressPercent)%  attempt \(j.attemptNumber)/\(j.maxAttempts)"
                    + (done
                        ? "  completed \(formatDate(j.completedAt))"
                        : "  checkpoint \(formatDate(j.lastCheckpoint))")
                    + (l.worker.map { done ? "" : "  worker \($0.prefix(8))" } ?? ""))
            if let e = j.lastError { out("    last error: \(e.replacingOccurrences(of: "\n", with: " | "))") }
            for q in l.rungs {
                let segs = q.segmentsTotal.map { " \(q.segmentsCompleted)/\($0) segments" } ?? ""
                out(
                    "    \(q.quality.padding(toLength: 6, withPad: " ", startingAt: 0)) \(q.status) \(q.percent)%\(segs)"
                )
            }
        }
        let reencodes = try Reencoder(site: site).listing()
        if !reencodes.isEmpty {
            out("Re-encodes (`vlog transcode --reencode`; the video plays its old rendition meanwhile):")
        }
        for r in reencodes {
            let left =
                r.attempts >= site.config.maxAttempts
                ? "  gave up: `vlog transcode --reencode \(r.slug)` tries again" : ""
            out("\(r.slug)  to version \(r.version)  attempt \(r.attempts)/\(site.config.maxAttempts)\(left)")
            if let e = r.error { out("    last error: \(e.replacingOccurrences(of: "\n", with: " | "))") }
        }
    }
}

struct TranscribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcribe",
        abstract: "Automatic captions for ready videos with the engine set in vlog.toml ([transcription]).")
    @OptionGroup var options: SiteOptions
    @Argument(help: "Only this video.") var slug: String?
    @Flag(name: .customLong("retry-failed"), help: "Transcribe failed videos again.") var retryFailed = false

    func run() throws {
        let site = try options.load()
        guard site.config.transcriptionEngine != .off else {
            throw VLogError.config(
                "transcription is off; set [transcription] engine in vlog.toml (pocketsphinx, whisper-cpp, faster-whisper or command)"
            )
        }
        let s = try runTranscribe(site: site, slug: slug, retryFailed: retryFailed)
        if !s.failed.isEmpty { throw ExitCode(2) }
    }
}

/// Runs the transcription stage and prints what happened.
func runTranscribe(site: Site, slug: String?, retryFailed: Bool) throws -> TranscribeSummary {
    let s = try Transcriber(site: site).run(slug: slug, retryFailed: retryFailed)
    printTranscribe(s)
    return s
}

func printTranscribe(_ s: TranscribeSummary) {
    if s.completed.isEmpty && s.failed.isEmpty && s.busy.isEmpty {
        out("Transcribe: nothing to do.")
    } else {
        out("Transcribe: \(s.completed.count) completed, \(s.failed.count) failed, \(s.busy.count) busy elsewhere.")
        for (slug, why) in s.failed.sorted(by: { $0.key < $1.key }) { out("  failed \(slug): \(why)") }
    }
}
