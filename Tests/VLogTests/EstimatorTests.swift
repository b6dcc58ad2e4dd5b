import Foundation
import Testing

@testable import VLogAnalytics

/// The segment estimator on request patterns of real players (the timings Chromium's native HLS
/// showed in the real-browser test), and its priors fitted on beacon sessions.
@Suite struct EstimatorTests {
    let t0 = 1_764_000_000.0

    /// Requests `[wall offset, first segment, last segment]` of 2 s segments.
    func session(_ batches: [(Double, Int, Int)], duration: Double, priors: EstimatorPriors = .init()) -> SessionState {
        var s: SessionState?
        for (t, first, last) in batches {
            for i in first...last {
                let h = SegmentHit(
                    time: t0 + t, viewer: "v", videoID: 1, rung: "480p", start: Double(i) * 2, duration: 2)
                if s == nil { s = SessionState(hit: h, videoDuration: duration) }
                s!.add(h, priors: priors)
            }
        }
        return s!
    }

    @Test func theRateIsReadFromRefillsNotFromWallTime() {
        // 1.5x: a burst of 18 s of content, then 9 s every 6 s; left before the next refill was due.
        let s = session([(0, 0, 8), (6, 9, 13), (12, 14, 17), (18, 18, 22)], duration: 120)
        let sum = s.summary(completionThreshold: 0.9)
        // The playhead at the last refill was 36 - 9 = 27 (at 1x it would be read as about 27 - 9 = 18).
        #expect(sum.watched > 27 && sum.watched < 37, "\(sum.watched)")
        #expect(!sum.completed)
    }

    @Test func twoTimesToTheEndIsAWholeViewing() {
        // Chromium at 2x on a 24 s video: a 22 s burst, the last segment 6 s later, then it ended.
        let s = session([(0, 0, 10), (6, 11, 11)], duration: 24)
        let sum = s.summary(completionThreshold: 0.9)
        #expect(sum.completed && abs(sum.watched - 24) < 0.01, "\(sum)")
    }

    @Test func aViewerWhoLeftInTheFirstBurstIsCreditedHalfOfIt() {
        // A 12 s burst and nothing more: they left before the refill, due at about 6.5 s.
        let sum = session([(0, 0, 5)], duration: 120).summary(completionThreshold: 0.9)
        #expect(sum.watched > 2 && sum.watched < 5, "\(sum.watched)")
    }

    @Test func uncertainCompletionsAreCountedAsExpected() {
        // Ten viewers of a 10 s clip, fetched whole at once: nothing says who finished. With the default
        // retention (a third finish), about a third are counted complete, not all or none.
        var priors = EstimatorPriors()
        var done = 0
        for _ in 0..<30 {
            let sum = session([(0, 0, 4)], duration: 10).summary(completionThreshold: 0.9) { priors.decide($0) }
            if sum.completed { done += 1 }
        }
        #expect(done >= 9 && done <= 12, "\(done) of 30")
    }

    @Test func priorsAreFittedOnBeaconSessions() {
        // An hls.js-like player: a 30 s burst, then one segment whenever 28 s remain.
        var s = SessionState(
            beacon: BeaconHit(
                time: t0, viewer: "v", videoID: 1, pageView: "0123456789abcdef", event: .play, position: 0, rate: 1,
                rung: "480p", seq: 0), videoDuration: 600)
        for i in 0..<15 {
            s.saw(SegmentHit(time: t0 + 0.5, viewer: "v", videoID: 1, rung: "480p", start: Double(i) * 2, duration: 2))
        }
        s.saw(SegmentHit(time: t0 + 2.5, viewer: "v", videoID: 1, rung: "480p", start: 30, duration: 2))
        s.beacons?.append(
            BeaconHit(
                time: t0 + 60, viewer: "v", videoID: 1, pageView: "0123456789abcdef", event: .hide, position: 60,
                rate: 1, rung: "480p", seq: 1))
        var priors = EstimatorPriors()
        for _ in 0..<20 {
            priors.learn(from: s, summary: s.summary(completionThreshold: 0.9), threshold: 0.9)
        }
        #expect(abs(priors.burst - 30) < 2 && abs(priors.refill - 27.5) < 2.5, "\(priors.burst) \(priors.refill)")
        // Everyone left at 10% of the video: retention falls to nothing after it.
        #expect(priors.staying(0.05) > 0.9 && priors.staying(0.5) < 0.1)
    }
}
