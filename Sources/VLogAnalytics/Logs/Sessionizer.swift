import Foundation
import VLogSupport

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
    /// The same viewer's key under yesterday's salt (anonymous identity): a session that crossed
    /// midnight continues under it.
    public var previousViewerHash: UInt64 = 0
    /// What the player said about itself on this request (CMCD), if anything. A playlist or init
    /// request carrying CMCD is a hit of `duration` 0. Boxed: most hits carry none, and a hit is
    /// copied through every batch (the struct inline made ingest 40% slower).
    public var cmcd: CMCDData? {
        get { cmcdBox?.value }
        set { cmcdBox = newValue.map(CMCDBox.init) }
    }
    var cmcdBox: CMCDBox? = nil
}

public final class CMCDBox: Sendable {
    public let value: CMCDData
    init(_ value: CMCDData) { self.value = value }
}

/// Groups segment hits into sessions: one viewer, one video, no gap longer than `timeout`.
public final class Sessionizer {
    public let timeout: Double
    public let completionThreshold: Double
    /// Updated by the ingest as beacon sessions are written.
    public var priors = EstimatorPriors()
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
    /// Viewer and video of open beacon sessions, with their last beacon time: segment sessions of
    /// the same viewer and video meanwhile are covered by them.
    private var beaconViewers: [Key: (session: Key, time: Double)] = [:]
    /// Today's key of a viewer whose session began under yesterday's (anonymous identity).
    private var aliases: [Key: Key] = [:]
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
            if let b = s.beacons?.first {
                boxes[Key(viewer: Self.hash("pv:" + b.pageView), video: s.videoID)] = Box(s)
                beaconViewers[Key(viewer: Self.hash(s.viewer), video: s.videoID)] = (
                    Key(viewer: Self.hash("pv:" + b.pageView), video: s.videoID), s.lastTime
                )
            } else {
                boxes[Key(viewer: Self.hash(s.viewer), video: s.videoID)] = Box(s)
            }
        }
    }

    static func hash(_ viewer: String) -> UInt64 { FNV.hash(viewer.utf8) }

    public func add(_ h: SegmentHit) {
        if let sid = h.cmcd?.sid {
            addMedia(h, sid: sid)
            return
        }
        // A playlist or init request without a page-view id says nothing about watching.
        guard h.duration > 0 else { return }
        var k = Key(viewer: h.viewerHash != 0 ? h.viewerHash : Self.hash(h.viewer), video: h.videoID)
        var found = boxes[k]
        if found == nil, !aliases.isEmpty || h.previousViewerHash != 0 {
            // A session that crossed midnight goes on under the key it started with.
            if let a = aliases[k], let box = boxes[a] {
                k = a
                found = box
            } else if h.previousViewerHash != 0 {
                let before = Key(viewer: h.previousViewerHash, video: h.videoID)
                if let box = boxes[before], h.time - box.state.lastTime <= timeout {
                    aliases[k] = before
                    k = before
                    found = box
                }
            }
        }
        let box: Box
        if let existing = found {
            box = existing
            if h.time - box.state.lastTime > timeout {
                closed.append(box.state)
                box.state = start(h)
            } else {
                if box.state.carried { extendedSessions.insert(box.state.token) }
                box.state.add(h, priors: priors)
            }
        } else {
            box = Box(start(h))
            boxes[k] = box
        }
        if !beaconViewers.isEmpty, let seen = beaconViewers[k], abs(h.time - seen.time) <= timeout {
            box.state.covered = true
            boxes[seen.session]?.state.saw(h)
        }
        if h.time - lastSweep > 60 {
            sweep(now: h.time)
            lastSweep = h.time
        }
    }

    /// A request of a player sending CMCD with a page-view id: the page view's session (the same
    /// as its beacons', when they arrive too).
    private func addMedia(_ h: SegmentHit, sid: String) {
        let k = Key(viewer: Self.hash("pv:" + sid), video: h.videoID)
        if let box = boxes[k], h.time - box.state.lastTime <= timeout {
            if box.state.carried { extendedSessions.insert(box.state.token) }
            box.state.addMedia(h)
        } else {
            if let box = boxes[k] { closed.append(box.state) }
            newSessions += 1
            boxes[k] = Box(SessionState(media: h, sid: sid, videoDuration: durations[h.videoID] ?? 0))
        }
        if h.time - lastSweep > 60 {
            sweep(now: h.time)
            lastSweep = h.time
        }
    }

    private func start(_ h: SegmentHit) -> SessionState {
        newSessions += 1
        var s = SessionState(hit: h, videoDuration: durations[h.videoID] ?? 0)
        s.add(h, priors: priors)
        return s
    }

    /// A player beacon: it joins its page view's session (a new one after a gap over the timeout),
    /// and covers the segment session of the same viewer and video.
    public func add(_ b: BeaconHit) {
        let viewerKey = Key(viewer: b.viewerHash != 0 ? b.viewerHash : Self.hash(b.viewer), video: b.videoID)
        let k = Key(viewer: Self.hash("pv:" + b.pageView), video: b.videoID)
        if let box = boxes[k], b.time - box.state.lastTime <= timeout {
            if box.state.carried { extendedSessions.insert(box.state.token) }
            if box.state.beacons == nil {
                // The page view's CMCD came first: from now on its beacons measure it.
                box.state.beacons = [b]
                for x in box.state.media ?? [] where x.isMedia {
                    box.state.saw(
                        SegmentHit(
                            time: x.t, viewer: b.viewer, videoID: b.videoID, rung: x.q, start: x.s, duration: x.e - x.s)
                    )
                }
            } else {
                box.state.beacons?.append(b)
            }
            box.state.lastTime = max(box.state.lastTime, b.time)
        } else {
            if let box = boxes[k] { closed.append(box.state) }
            newSessions += 1
            boxes[k] = Box(SessionState(beacon: b, videoDuration: durations[b.videoID] ?? 0))
        }
        beaconViewers[viewerKey] = (k, b.time)
        if let segments = boxes[viewerKey], b.time - segments.state.lastTime <= timeout {
            // Segments fetched before this page view's first beacon belong to it too.
            segments.state.covered = true
            if let page = boxes[k], page.state.segmentsUntil == nil, let r = segments.state.run {
                page.state.segmentsUntil = r.lastTime
                page.state.segmentsFetchedEnd = r.fetchedEnd
                page.state.segmentLength = r.lastDuration
            }
        }
        if b.time - lastSweep > 60 {
            sweep(now: b.time)
            lastSweep = b.time
        }
    }

    /// Ends sessions idle for longer than the timeout at log time `now`.
    public func sweep(now: Double) {
        for (k, box) in boxes where now - box.state.lastTime > timeout {
            closed.append(box.state)
            boxes[k] = nil
        }
        for (k, seen) in beaconViewers where now - seen.time > timeout { beaconViewers[k] = nil }
        for (k, a) in aliases where boxes[a] == nil { aliases[k] = nil }
    }

    public func takeClosed() -> [SessionState] {
        defer { closed = [] }
        return closed
    }
}
