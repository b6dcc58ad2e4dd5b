import Foundation
import VLogSupport

/// A playback session being reconstructed. Codable so a session still open at the end of one
/// ingest is picked up, not duplicated, by the next. How watching is estimated from requests:
/// `EstimatorPriors`.
public struct SessionState: Codable, Sendable {
    public var token: String
    public var viewer: String
    public var videoID: Int
    public var videoDuration: Double
    public var firstTime: Double
    public var lastTime: Double
    public var watched = 0.0
    public var maxPosition = 0.0
    public var fetched = 0.0
    public var requests = 0
    public var rungSeconds: [String: Double] = [:]
    public var run: Run?
    /// True when the session was loaded from an earlier ingest.
    public var carried = false
    /// A session measured by the player's beacons (one page view): its events.
    public var beacons: [BeaconHit]?
    /// A segment-request session that beacons of the same viewer and video also describe: the
    /// beacons win, and it is not written.
    public var covered = false
    /// For a beacon session: the last segment request of its viewer and video while it was open,
    /// and the furthest point fetched (what segments add where beacons stop).
    public var segmentsUntil: Double?
    public var segmentsFetchedEnd: Double?
    public var segmentLength: Double?
    /// For a beacon session: its first segment requests, `[time, start, end]` (what the estimator's
    /// priors are fitted on).
    public var segmentLog: [[Double]]?
    /// A page view measured from its player's CMCD: its media requests (beacons, when they also
    /// arrive, win; these then only fill in after the last beacon).
    public var media: [MediaSample]?
    /// Sessions of one page view (beacons or CMCD) have tokens starting with this (estimated ones
    /// are hex): the same token either way, so a page view is one row whichever arrives first.
    public static let playerTokenPrefix = "p"
    static let mediaSampleLimit = 4000

    /// An estimated session's token: its start (seconds, 8 hex digits), then 24 hex digits of a
    /// hash of viewer, video and start. Growing with time, new tokens go to the end of the
    /// token index: random ones rewrote most of the index at every checkpoint, so ingest slowed
    /// as the database grew.
    static func estimatedToken(viewer: String, videoID: Int, time: Double) -> String {
        let seconds = String(UInt32(clamping: Int(max(0, time))), radix: 16)
        return String(repeating: "0", count: 8 - seconds.count) + seconds
            + SHA256.hex("\(viewer)|\(videoID)|\(Int(time * 1000))").prefix(24)
    }

    /// Playback from one position on, until a seek. Requests 1.5 s or more apart start a new batch.
    public struct Run: Codable, Sendable {
        var startPos: Double
        var startTime: Double
        var fetchedEnd: Double
        var lastTime: Double
        var lastDuration: Double
        /// The buffer left at the first refill (content seconds), once measured.
        var lead: Double?
        /// Fetched end when the first burst ended, and the time of the first refill.
        var burstEnd: Double?
        var firstRefill: Double?
        /// The current batch (after the burst): when it began and the fetched end before it.
        var batchStart: Double?
        var batchFrom: Double?
        /// Content per wall second between consecutive refill batches (the rate played at).
        var rates: [Double]?

        init(_ h: SegmentHit) {
            startPos = h.start
            startTime = h.time
            fetchedEnd = h.start + h.duration
            lastTime = h.time
            lastDuration = h.duration
        }
    }

    public init(hit: SegmentHit, videoDuration: Double) {
        viewer = hit.viewer
        videoID = hit.videoID
        self.videoDuration = videoDuration
        firstTime = hit.time
        lastTime = hit.time
        token = Self.estimatedToken(viewer: hit.viewer, videoID: hit.videoID, time: hit.time)
    }

    public mutating func add(_ h: SegmentHit, priors: EstimatorPriors) {
        requests += 1
        fetched += h.duration
        rungSeconds[h.rung, default: 0] += h.duration
        lastTime = max(lastTime, h.time)
        // The run is changed where it is (`run!.x`): a copy of it per request was a tenth of ingest.
        guard run != nil else {
            run = Run(h)
            return
        }
        let level = run!.lead ?? 10
        let fetchedEnd = run!.fetchedEnd
        let forwardJump = h.start > fetchedEnd + 0.5
        let backwardJump =
            h.start + h.duration < fetchedEnd - max(level, 10) - h.duration - 0.5 || h.start < run!.startPos - 0.5
        if forwardJump || backwardJump {
            closeRun(tailLimit: h.time - run!.lastTime, priors: priors)
            run = Run(h)
            return
        }
        if h.time - run!.lastTime >= 1.5 {
            // A new batch: the previous one was consumed in the time since it began.
            if let start = run!.batchStart, let from = run!.batchFrom, h.time > start {
                if (run!.rates?.count ?? 0) < 32 {
                    if run!.rates == nil { run!.rates = [] }
                    run!.rates!.append((fetchedEnd - from) / (h.time - start))
                }
            } else {
                run!.burstEnd = fetchedEnd
                run!.firstRefill = h.time
                run!.lead = max(0, fetchedEnd - run!.startPos - (h.time - run!.startTime))
            }
            run!.batchStart = h.time
            run!.batchFrom = fetchedEnd
        }
        run!.fetchedEnd = max(fetchedEnd, h.start + h.duration)
        run!.lastTime = h.time
        run!.lastDuration = h.duration
    }

    /// Ends the run at a seek `tailLimit` seconds after its last request (the end of a session is
    /// estimated by `summary`, with the completion threshold).
    mutating func closeRun(tailLimit: Double, priors: EstimatorPriors) {
        guard let r = run else { return }
        let e = Self.estimate(r, videoDuration: videoDuration, threshold: 1, tailLimit: tailLimit, priors: priors)
        watched += max(0, e.end - r.startPos)
        maxPosition = max(maxPosition, e.end)
        run = nil
    }

    /// A session of one page view, from the player's beacons.
    public init(beacon b: BeaconHit, videoDuration: Double) {
        viewer = b.viewer
        videoID = b.videoID
        self.videoDuration = videoDuration
        firstTime = b.time
        lastTime = b.time
        token = Self.playerTokenPrefix + String(SHA256.hex("\(b.pageView)|\(b.videoID)").prefix(31))
        beacons = [b]
    }

    /// A page view seen first through its CMCD.
    public init(media h: SegmentHit, sid: String, videoDuration: Double) {
        viewer = h.viewer
        videoID = h.videoID
        self.videoDuration = videoDuration
        firstTime = h.time
        lastTime = h.time
        token = Self.playerTokenPrefix + String(SHA256.hex("\(sid)|\(h.videoID)").prefix(31))
        media = []
        addMedia(h)
    }

    /// A request carrying this page view's CMCD.
    mutating func addMedia(_ h: SegmentHit) {
        guard let c = h.cmcd else { return }
        requests += 1
        fetched += h.duration
        lastTime = max(lastTime, h.time)
        if (media?.count ?? 0) < Self.mediaSampleLimit { media = (media ?? []) + [MediaSample(h, c)] }
        if beacons != nil, h.duration > 0 { saw(h) }
    }

    /// A segment request of this beacon session's viewer and video.
    mutating func saw(_ h: SegmentHit) {
        segmentsUntil = max(segmentsUntil ?? 0, h.time)
        segmentsFetchedEnd = max(segmentsFetchedEnd ?? 0, h.start + h.duration)
        segmentLength = h.duration
        if (segmentLog?.count ?? 0) < 64 {
            segmentLog = (segmentLog ?? []) + [[h.time, h.start, h.start + h.duration]]
        }
    }

    /// The session's figures if it ended now (the open run is estimated, not closed).
    /// `decide`: how an uncertain completion (fetched to the end) of the given chance is counted;
    /// nil: when it is the likelier case (an open session, written again later).
    /// `sameVideo`: what the measured sessions (player or CMCD) of the same video showed on average,
    /// for a session whose requests cannot say (`fetchedWholeInOneBurst`).
    public func summary(
        completionThreshold: Double, priors: EstimatorPriors = EstimatorPriors(),
        sameVideo: MeasuredAverage? = nil, decide: ((Double) -> Bool)? = nil
    ) -> SessionSummary {
        if let beacons {
            let s = BeaconSessions.summarize(
                beacons, duration: videoDuration, threshold: completionThreshold, segmentsUntil: segmentsUntil,
                fetchedEnd: segmentsFetchedEnd, segmentLength: segmentLength)
            var qoe = s.qoe
            if let media, !media.isEmpty {
                // What CMCD adds where the beacons are silent: stalls, and the startup they missed.
                let m = MediaSessions.summarize(
                    media, duration: videoDuration, threshold: completionThreshold, priors: priors, decide: nil)
                qoe.startupMs = qoe.startupMs ?? m.qoe.startupMs
                if qoe.rebuffers == nil { qoe.rebuffers = m.qoe.rebuffers }
                qoe.failed = qoe.failed || m.qoe.failed
            }
            return SessionSummary(
                token: token, viewer: viewer, videoID: videoID, startedAt: min(s.first, firstTime),
                endedAt: max(s.last, media == nil ? s.last : lastTime),
                watched: s.watched, maxPosition: s.maxPosition, quality: s.quality, completed: s.completed,
                intervals: s.intervals, qoe: qoe)
        }
        if let media {
            let m = MediaSessions.summarize(
                media, duration: videoDuration, threshold: completionThreshold, priors: priors, decide: decide)
            return SessionSummary(
                token: token, viewer: viewer, videoID: videoID, startedAt: m.first, endedAt: m.last,
                watched: m.watched, maxPosition: m.maxPosition, quality: m.quality, completed: m.completed,
                intervals: m.intervals, finishChance: m.finishChance, qoe: m.qoe)
        }
        if fetchedWholeInOneBurst(priors: priors), let avg = sameVideo, avg.sessions > 0 {
            // A player that downloads the whole video and then plays it: the requests say nothing
            // about watching, so the session takes the figures of the video's measured sessions.
            let finished = decide?(avg.completed) ?? (avg.completed >= 0.5)
            let mark = completionThreshold * videoDuration
            let m = finished ? max(avg.maxPosition, mark) : min(avg.maxPosition, max(0, mark - 0.5))
            var qoe = SessionQoE(kind: .estimated)
            if let r = rungSeconds.first?.key { qoe.rungSeconds = [r: avg.watched] }
            return SessionSummary(
                token: token, viewer: viewer, videoID: videoID, startedAt: firstTime,
                endedAt: lastTime + avg.watched, watched: min(avg.watched, videoDuration * 3),
                maxPosition: min(m, videoDuration),
                quality: rungSeconds.first?.key, completed: finished, finishChance: avg.completed, qoe: qoe)
        }
        var w = watched
        var m = maxPosition
        var end = lastTime
        var chance: Double?
        if let r = run {
            let e = Self.estimate(
                r, videoDuration: videoDuration, threshold: completionThreshold, tailLimit: nil, priors: priors)
            var finished = true
            if let notFinished = e.notFinished {
                chance = e.chance
                finished = decide?(e.chance) ?? (e.chance >= 0.5)
                if !finished {
                    w += max(0, notFinished - r.startPos)
                    m = max(m, notFinished)
                    end = r.lastTime + max(0, (notFinished - e.end) + e.tail)
                }
            }
            if finished {
                w += max(0, e.end - r.startPos)
                m = max(m, e.end)
                end = r.lastTime + e.tail
            }
        }
        if videoDuration > 0 {
            m = min(m, videoDuration)
            w = min(w, max(videoDuration * 3, lastTime - firstTime + 60))
        }
        let quality = Played.longest(rungSeconds)
        let completed = videoDuration > 0 ? m >= completionThreshold * videoDuration - 0.01 : false
        // (An estimated session keeps no measures row: its rung is `quality`.)
        let qoe = SessionQoE(kind: .estimated)
        return SessionSummary(
            token: token, viewer: viewer, videoID: videoID, startedAt: firstTime, endedAt: end,
            watched: w, maxPosition: m, quality: quality, completed: completed, finishChance: chance, qoe: qoe)
    }

    /// The whole video in the first burst, more than any player's usual burst would fetch (1.5x the
    /// site's): a player that downloads everything and then plays it. Where the viewer stopped is not
    /// in the log.
    public func fetchedWholeInOneBurst(priors: EstimatorPriors) -> Bool {
        guard beacons == nil, media == nil, videoDuration > 0, watched == 0, let r = run else { return false }
        return r.startPos < 0.5 && r.fetchedEnd >= videoDuration - 0.5 && r.firstRefill == nil
            && videoDuration > priors.burst * 1.5
    }

    /// Downloaders (and crawlers that fetch media) take content far faster than anyone can watch it.
    public var looksAutomated: Bool {
        beacons == nil && media == nil && fetched > 4 * (lastTime - firstTime) + 120
    }

    /// Not written: automated, or described better by the player's beacons.
    public var dropped: Bool { looksAutomated || covered }
}

/// The average of a video's measured sessions (player or CMCD).
public struct MeasuredAverage: Sendable, Equatable {
    public var sessions: Int
    public var watched: Double
    public var maxPosition: Double
    /// The share completed.
    public var completed: Double
}

public struct SessionSummary: Sendable, Equatable {
    public var token: String
    public var viewer: String
    public var videoID: Int
    public var startedAt: Double
    public var endedAt: Double
    public var watched: Double
    public var maxPosition: Double
    public var quality: String?
    public var completed: Bool
    /// What was played, exactly (sessions measured by the player).
    public var intervals: [[Double]]? = nil
    /// Estimated sessions fetched to the end of the video: the chance the viewer finished.
    public var finishChance: Double? = nil
    /// How it was measured, and the quality of experience.
    public var qoe: SessionQoE? = nil
}
