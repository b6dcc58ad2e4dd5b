import Foundation
import Testing

@testable import VLogAnalytics
@testable import VLogContent

/// What a page view's beacons say was watched.
@Suite struct BeaconTests {
    func b(
        _ t: Double, _ e: BeaconHit.Event, _ pos: Double, from: Double? = nil, rate: Double = 1, seq: Int,
        rung: String? = "720p"
    ) -> BeaconHit {
        BeaconHit(
            time: 1_764_000_000 + t, viewer: "v", videoID: 1, pageView: "0123456789abcdef", event: e,
            position: pos, from: from, rate: rate, rung: rung, seq: seq)
    }

    @Test func aRewatchedRangeCountsOnceAndSeeksSplitIntervals() {
        // Play 0-20, seek back to 5, play to 15, pause: watched is the union, 20 s.
        let s = BeaconSessions.summarize(
            [
                b(0, .play, 0, seq: 0), b(10, .tick, 10, seq: 1), b(20, .seek, 5, from: 20, seq: 2),
                b(30, .pause, 15, seq: 3),
            ],
            duration: 60, threshold: 0.9)
        #expect(abs(s.watched - 20) < 0.01 && abs(s.maxPosition - 20) < 0.01 && !s.completed)
    }

    @Test func rateIsCreditedAndBoundedByWallTime() {
        // 2x for 10 s of wall time covers 20 s of video; a position beyond what the rate allows is cut.
        let s = BeaconSessions.summarize(
            [b(0, .play, 0, rate: 2, seq: 0), b(10, .ended, 20, rate: 2, seq: 1)],
            duration: 20, threshold: 0.9)
        #expect(abs(s.watched - 20) < 0.01 && s.completed)
        let forged = BeaconSessions.summarize(
            [b(0, .play, 0, seq: 0), b(5, .pause, 500, seq: 1)], duration: 600, threshold: 0.9)
        #expect(forged.watched <= 5 * 1.25 + 2 + 0.01, "\(forged.watched)")
    }

    @Test func beaconsOutOfOrderAreSortedBySequence() {
        let s = BeaconSessions.summarize(
            [b(10, .pause, 10, seq: 1), b(0, .play, 0, seq: 0)], duration: 100, threshold: 0.9)
        #expect(abs(s.watched - 10) < 0.01 && s.quality == "720p")
    }

    @Test func whereBeaconsStopSegmentsCarryOn() {
        // The browser died while playing: its segment requests went on until +8 s.
        let s = BeaconSessions.summarize(
            [b(0, .play, 0, seq: 0)], duration: 60, threshold: 0.9,
            segmentsUntil: 1_764_000_008, fetchedEnd: 20, segmentLength: 2)
        #expect(abs(s.watched - 9) < 0.01, "\(s.watched)")
    }

    @Test func malformedQueriesAreRefused() {
        #expect(BeaconHit.parseQuery("v=walk&p=0123456789abcdef&e=play&t=1.5&r=1&h=720&s=0") != nil)
        for q in [
            "v=walk&p=xyz&e=play&t=1&s=0", "v=walk&p=0123456789abcdef&e=jump&t=1&s=0",
            "v=walk&p=0123456789abcdef&e=play&t=nan&s=0", "p=0123456789abcdef&e=play&t=1&s=0",
        ] {
            #expect(BeaconHit.parseQuery(Substring(q)) == nil, "\(q)")
        }
    }

    @Test func caddyLogsCarryBeaconsToo() throws {
        let (t, _) = try analyticsSite([120])
        func line(_ ts: Double, _ method: String, _ q: String) -> String {
            #"{"level":"info","ts":\#(ts),"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"10.0.0.1","client_ip":"10.0.0.1","proto":"HTTP/2.0","method":"\#(method)","host":"x","uri":"/beacon.gif?\#(q)","headers":{"User-Agent":["Mozilla/5.0 Firefox/133.0"]}},"status":\#(method == "GET" ? 200 : 405),"size":42}"#
        }
        let log = t.tmp.url.appendingPathComponent("caddy.log")
        try writeLog(
            [
                line(day0, "GET", "v=video-0&p=00112233aabbccdd&e=play&t=0&r=1&h=480&s=0"),
                line(day0 + 10, "GET", "v=video-0&p=00112233aabbccdd&e=tick&t=10&r=1&h=480&s=1"),
                line(day0 + 15, "POST", "v=video-0&p=00112233aabbccdd&e=hide&t=15&r=1&h=480&s=2"),
            ], to: log)
        let s = try Ingester(site: t.site).run(inputs: [log.path])
        #expect(s.format == "caddy" && s.beacons == 3, "\(s.skipped)")
        let rows = try sessionRows(t.store.db)
        #expect(
            rows.count == 1 && abs((rows.first?.watched ?? 0) - 15) < 0.05 && rows.first?.token.hasPrefix("p") == true)
    }
}
