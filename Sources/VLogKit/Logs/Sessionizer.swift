import Foundation

/// One segment request, resolved to a video position.
public struct SegmentHit: Sendable {
    public var time: Double
    public var viewer: String
    /// `Sessionizer.hash(viewer)`, when the caller has it cached (0: compute it).
    public var viewerHash: UInt64 = 0
    public var videoID: Int
    public var rung: String
    /// Start of the segment within the video, and its length (from the media playlist).
    public var start: Double
    public var duration: Double
}

/// A playback session being reconstructed. Codable so a session still open at the end of one
/// ingest is picked up, not duplicated, by the next.
///
/// How watching is estimated from requests: players fetch ahead of the playhead. At the start of
/// a run (playback from a position, or after a seek) they burst to fill a buffer of L seconds,
/// then fetch one segment per segment played. L is measured from that burst (content fetched
/// minus wall time elapsed when requests slow to real time); the playhead at any later request is
/// then "fetched end - L", which pauses do not disturb. After the last request of a run, the
/// viewer watched on until the seek that ended the run, or, at the end of the session, about half a
/// segment (they stopped before the next fetch was due) — or 3/4 of the final buffer when the video
/// was fetched to its end (nothing in the log says how much of it was watched).
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

    public struct Run: Codable, Sendable {
        var startPos: Double
        var startTime: Double
        var fetchedEnd: Double
        var lastTime: Double
        var lastDuration: Double
        var lead: Double?
    }

    public init(hit: SegmentHit, videoDuration: Double) {
        viewer = hit.viewer
        videoID = hit.videoID
        self.videoDuration = videoDuration
        firstTime = hit.time
        lastTime = hit.time
        token = String(SHA256.hex("\(hit.viewer)|\(hit.videoID)|\(Int(hit.time * 1000))").prefix(32))
    }

    public mutating func add(_ h: SegmentHit) {
        requests += 1
        fetched += h.duration
        rungSeconds[h.rung, default: 0] += h.duration
        if var r = run {
            let lead = r.lead ?? 10
            let forwardJump = h.start > r.fetchedEnd + 0.5
            let backwardJump =
                h.start + h.duration < r.fetchedEnd - max(lead, 10) - h.duration - 0.5 || h.start < r.startPos - 0.5
            if forwardJump || backwardJump {
                closeRun(tailLimit: h.time - r.lastTime)
                run = Run(
                    startPos: h.start, startTime: h.time, fetchedEnd: h.start + h.duration, lastTime: h.time,
                    lastDuration: h.duration)
            } else {
                if r.lead == nil {
                    let elapsed = h.time - r.startTime
                    let content = h.start + h.duration - r.startPos
                    if elapsed > content * 0.5 + 2 {
                        // Requests slowed to real time: the burst is over.
                        r.lead = min(120, max(h.duration, r.fetchedEnd - (r.startPos + elapsed)))
                    }
                }
                r.fetchedEnd = max(r.fetchedEnd, h.start + h.duration)
                r.lastTime = h.time
                r.lastDuration = h.duration
                run = r
            }
        } else {
            run = Run(
                startPos: h.start, startTime: h.time, fetchedEnd: h.start + h.duration, lastTime: h.time,
                lastDuration: h.duration)
        }
        lastTime = max(lastTime, h.time)
    }

    /// Playhead at the run's last request, and what followed it.
    static func estimate(_ r: Run, videoDuration: Double, tailLimit: Double?) -> (
        watched: Double, end: Double, tail: Double
    ) {
        let wall = r.lastTime - r.startTime
        let positional = r.lead.map { r.fetchedEnd - $0 - r.startPos } ?? wall
        let atLast = max(0, min(positional, wall))
        let buffered = max(0, r.fetchedEnd - (r.startPos + atLast))
        let tail: Double
        if let tailLimit {
            tail = min(max(0, tailLimit), buffered)
        } else if videoDuration > 0 && r.fetchedEnd >= videoDuration - 0.5 {
            // Fetched to the end: nothing tells how much of the last buffer was watched. Most viewers who
            // get this far finish; three quarters of it is the prior (checked on simulated traffic).
            tail = buffered * 0.75
        } else {
            tail = min(buffered, r.lastDuration / 2)
        }
        return (atLast + tail, r.startPos + atLast + tail, tail)
    }

    mutating func closeRun(tailLimit: Double?) {
        guard let r = run else { return }
        let e = Self.estimate(r, videoDuration: videoDuration, tailLimit: tailLimit)
        watched += e.watched
        maxPosition = max(maxPosition, e.end)
        run = nil
    }

    /// The session's figures if it ended now (the open run is estimated, not closed).
    public func summary(completionThreshold: Double) -> SessionSummary {
        var w = watched
        var m = maxPosition
        var end = lastTime
        if let r = run {
            let e = Self.estimate(r, videoDuration: videoDuration, tailLimit: nil)
            w += e.watched
            m = max(m, e.end)
            end = r.lastTime + e.tail
        }
        if videoDuration > 0 {
            m = min(m, videoDuration)
            w = min(w, max(videoDuration * 3, lastTime - firstTime + 60))
        }
        let quality = rungSeconds.max { a, b in a.value == b.value ? a.key > b.key : a.value < b.value }?.key
        let completed = videoDuration > 0 ? m >= completionThreshold * videoDuration - 0.01 : false
        return SessionSummary(
            token: token, viewer: viewer, videoID: videoID, startedAt: firstTime, endedAt: end,
            watched: w, maxPosition: m, quality: quality, completed: completed)
    }

    /// Downloaders (and crawlers that fetch media) take content far faster than anyone can watch it.
    public var looksAutomated: Bool { fetched > 4 * (lastTime - firstTime) + 120 }
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
}

/// Groups segment hits into sessions: one viewer, one video, no gap longer than `timeout`.
public final class Sessionizer {
    public let timeout: Double
    public let completionThreshold: Double
    let durations: [Int: Double]
    struct Key: Hashable {
        var viewer: UInt64
        var video: Int
    }
    final class Box {
        var state: SessionState
        init(_ s: SessionState) { state = s }
    }
    private var boxes: [Key: Box] = [:]
    /// Sessions that ended (gap exceeded) since the last `takeClosed()`.
    private var closed: [SessionState] = []
    private var lastSweep = 0.0
    public private(set) var newSessions = 0
    public private(set) var extendedSessions = Set<String>()

    public var open: [SessionState] { boxes.values.map(\.state) }
    public var openCount: Int { boxes.count }

    public init(timeout: Double, completionThreshold: Double, durations: [Int: Double], carried: [SessionState] = []) {
        self.timeout = timeout
        self.completionThreshold = completionThreshold
        self.durations = durations
        for var s in carried {
            s.carried = true
            boxes[Key(viewer: Self.hash(s.viewer), video: s.videoID)] = Box(s)
        }
    }

    static func hash(_ viewer: String) -> UInt64 { FNV.hash(viewer.utf8) }

    public func add(_ h: SegmentHit) {
        let k = Key(viewer: h.viewerHash != 0 ? h.viewerHash : Self.hash(h.viewer), video: h.videoID)
        if let box = boxes[k] {
            if h.time - box.state.lastTime > timeout {
                box.state.closeRun(tailLimit: nil)
                closed.append(box.state)
                box.state = start(h)
            } else {
                if box.state.carried { extendedSessions.insert(box.state.token) }
                box.state.add(h)
            }
        } else {
            boxes[k] = Box(start(h))
        }
        if h.time - lastSweep > 60 {
            sweep(now: h.time)
            lastSweep = h.time
        }
    }

    private func start(_ h: SegmentHit) -> SessionState {
        newSessions += 1
        var s = SessionState(hit: h, videoDuration: durations[h.videoID] ?? 0)
        s.add(h)
        return s
    }

    /// Ends sessions idle for longer than the timeout at log time `now`.
    public func sweep(now: Double) {
        for (k, box) in boxes where now - box.state.lastTime > timeout {
            box.state.closeRun(tailLimit: nil)
            closed.append(box.state)
            boxes[k] = nil
        }
    }

    public func takeClosed() -> [SessionState] {
        defer { closed = [] }
        return closed
    }
}
