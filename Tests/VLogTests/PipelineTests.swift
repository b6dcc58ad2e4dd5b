import Foundation
import Testing

@testable import VLogConfig
@testable import VLogSite
@testable import VLogSupport
@testable import VLogTranscode

/// The one build pipeline `vlog build` and `vlog serve` run: its named steps in order, each timed,
/// and an error that says which step and which file it came from.
@Suite struct PipelineTests {
    final class Seen: PipelineReporting, @unchecked Sendable {
        var stages: [String] = []
        var transcodeProgress: any TranscodeReporting { SilentReporter() }
        func collected(_ summary: ClusterSummary) { stages.append("collect") }
        func transcoded(_ summary: TranscodeSummary) { stages.append("transcode") }
        func transcribed(_ summary: TranscribeSummary) { stages.append("transcribe") }
    }

    @Test func theStepsRunInOrderAndAreTimed() throws {
        let t = try TestSite()
        let seen = Seen()
        let result = try Pipeline(site: t.site, reporter: seen).run()
        let steps = result.timings.map(\.step)
        #expect(steps == [.transcode, .snapshot, .render, .write], "\(steps)")
        #expect(seen.stages == ["transcode"], "the reporter hears each stage's summary")
        #expect(result.build.steps.map(\.name) == steps.map(\.rawValue), "the report prints the same steps")
        #expect(!result.hadFailures && FileManager.default.fileExists(atPath: t.site.outputURL.path + "/index.html"))
        // As `vlog serve` runs it: nothing to transcode, no transcode step; nothing changed, no write.
        let again = try Pipeline(site: t.site).run(.init(onlyWhenWork: true))
        #expect(again.timings.map(\.step) == [.snapshot], "\(again.timings.map(\.step))")
    }

    @Test func anErrorSaysWhichStepAndFile() throws {
        let t = try TestSite()
        let templates = t.root.appendingPathComponent("templates")
        try FileManager.default.createDirectory(at: templates, withIntermediateDirectories: true)
        try "{{#videos}} never closed".write(
            to: templates.appendingPathComponent("list.mustache"), atomically: true, encoding: .utf8)
        #expect {
            try Pipeline(site: t.site).run(.init(media: false))
        } throws: { error in
            guard let e = error as? VLogError else { return false }
            return e.step == "build step `render`" && e.kind == .config && e.description.contains("list.mustache")
        }
    }
}
