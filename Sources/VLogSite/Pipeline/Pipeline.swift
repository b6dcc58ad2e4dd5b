import Foundation
import VLogAnalytics
import VLogConfig
import VLogSupport
import VLogTranscode

/// The named steps of a build, in the order they run.
public enum BuildStep: String, Sendable, CaseIterable {
    /// Read what cluster workers left on the shared storage (only when a cluster holds jobs).
    case collect
    /// Encode pending videos into HLS ladders.
    case transcode
    /// Automatic captions (when `[transcription] engine` is not off).
    case transcribe
    /// Read what the pages show, in one transaction, and hash it.
    case snapshot
    /// Plan every page, asset and media link.
    case render
    /// Render and write what changed (a clean build swaps the new folder in).
    case write
    /// The private analytics dashboard.
    case dashboard
}

/// Times named steps and says, in what a step throws, which step and which path it was.
public struct StepRunner: Sendable {
    public private(set) var timings: [(step: BuildStep, seconds: Double)] = []

    public init() {}

    public mutating func run<T>(_ step: BuildStep, path: URL? = nil, _ body: () throws -> T) throws -> T {
        let start = Date()
        defer {
            let seconds = Date().timeIntervalSince(start)
            if let i = timings.firstIndex(where: { $0.step == step }) {
                timings[i].seconds += seconds
            } else {
                timings.append((step, seconds))
            }
        }
        do { return try body() } catch {
            throw VLogError.wrapping(error).inStep("build step `\(step.rawValue)`", path: path?.path)
        }
    }
}

/// What the pipeline reports as it goes: each stage's summary as soon as it is known, and the
/// transcode's progress. The CLI prints; tests and `vlog serve` may stay quiet.
public protocol PipelineReporting: Sendable {
    var transcodeProgress: any TranscodeReporting { get }
    func collected(_ summary: ClusterSummary)
    func transcoded(_ summary: TranscodeSummary)
    func transcribed(_ summary: TranscribeSummary)
}

/// Reports nothing.
public struct QuietPipeline: PipelineReporting {
    public init() {}
    public var transcodeProgress: any TranscodeReporting { SilentReporter() }
    public func collected(_ summary: ClusterSummary) {}
    public func transcoded(_ summary: TranscodeSummary) {}
    public func transcribed(_ summary: TranscribeSummary) {}
}

/// What a whole build did, stage by stage.
public struct PipelineResult: Sendable {
    public var collect: ClusterSummary?
    public var transcode: TranscodeSummary?
    public var transcribe: TranscribeSummary?
    public var build: BuildReport
    public var timings: [(step: BuildStep, seconds: Double)]

    /// A video failed to transcode or transcribe, or the build left something out: exit code 2.
    public var hadFailures: Bool {
        !(transcode?.failed.isEmpty ?? true) || !(transcribe?.failed.isEmpty ?? true) || !build.warnings.isEmpty
    }
}

/// One build of a site: collect -> transcode -> transcribe -> snapshot -> render -> write ->
/// dashboard. `vlog build`, `vlog serve` and the tests all run it.
public struct Pipeline {
    public struct Options: Sendable {
        /// Run collect, transcode and transcribe (`--no-transcode` turns them off).
        public var media = true
        /// Skip transcode and transcribe when there is nothing to do, without a summary
        /// (`vlog serve` rebuilds every few seconds and should not repeat "nothing to do").
        public var onlyWhenWork = false
        public var output: URL?
        public var build = BuildOptions()
        public init(media: Bool = true, onlyWhenWork: Bool = false, output: URL? = nil, build: BuildOptions = .init()) {
            self.media = media
            self.onlyWhenWork = onlyWhenWork
            self.output = output
            self.build = build
        }
    }

    public let site: Site
    public var reporter: any PipelineReporting
    public var effects: Effects
    var clock: Clock { effects.clock }
    var runner: any ProcessRunning { effects.runner }

    public init(site: Site, reporter: any PipelineReporting = QuietPipeline(), effects: Effects = .system) {
        self.site = site
        self.reporter = reporter
        self.effects = effects
    }

    public func run(_ options: Options = .init()) throws -> PipelineResult {
        var steps = StepRunner()
        var collect: ClusterSummary?
        var transcode: TranscodeSummary?
        var transcribe: TranscribeSummary?
        if options.media {
            // Cluster workers' results first, so their videos publish in this build.
            let cluster = Cluster(site: site, effects: effects)
            if try cluster.holdsJobs() {
                collect = try steps.run(.collect) { try cluster.collect() }
                collect.map(reporter.collected)
            }
            let transcoder = Transcoder(site: site, runner: runner, clock: clock, reporter: reporter.transcodeProgress)
            if try !options.onlyWhenWork || transcoder.hasWork() {
                transcode = try steps.run(.transcode) { try transcoder.run(workers: site.config.workers) }
                transcode.map(reporter.transcoded)
            }
            let transcriber = Transcriber(site: site, effects: effects)
            if site.config.transcriptionEngine != .off, try !options.onlyWhenWork || transcriber.hasWork() {
                transcribe = try steps.run(.transcribe) { try transcriber.run() }
                transcribe.map(reporter.transcribed)
            }
        }
        // Downloads offered and not made yet (or older than a re-encode): a stream copy each.
        let downloads = Downloads(site: site, runner: runner)
        var downloadWarnings = options.media ? try downloads.prepare() : []
        if let art = try downloads.artworkProblem() { downloadWarnings.append(art) }
        var build = try Builder(site: site, clock: clock).build(
            output: options.output, options: options.build, steps: &steps)
        build.warnings += downloadWarnings
        return PipelineResult(
            collect: collect, transcode: transcode, transcribe: transcribe, build: build, timings: steps.timings)
    }
}
