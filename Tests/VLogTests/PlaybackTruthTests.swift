import Foundation
import Testing

@testable import VLogAnalytics
@testable import VLogConfig
@testable import VLogContent
@testable import VLogStore
@testable import VLogSupport

/// The page script of the real-browser accuracy test: plays the scenario named in the URL's hash
/// on the page's own player, then reports the truth read from the `<video>` element itself (the
/// union of its `played` ranges, the furthest point, whether it ended, the height held longest) to
/// `/truth`, which nginx logs, and leaves the page.
let scenarioScript = scenarioPage(
    steps: """
        full:async function(){await v.play();await untilEnded(v);},
        abandon:async function(){await v.play();await sleep(9);},
        seekfwd:async function(){await v.play();await sleep(4);v.currentTime=14;await untilEnded(v);},
        seekback:async function(){await v.play();await sleep(10);v.currentTime=3;await sleep(5);},
        pause:async function(){await v.play();await sleep(5);v.pause();await sleep(5);await v.play();await sleep(5);},
        fast:async function(){v.playbackRate=2;await v.play();await untilEnded(v);},
        rate15:async function(){v.playbackRate=1.5;await v.play();await sleep(7);},
        short:async function(){await v.play();await sleep(5);},
        noplay:async function(){await sleep(6);}
        """)

/// The scenario page script around `steps` (an object literal's members: name, async function).
func scenarioPage(steps: String) -> String {
    """
    if(/[#&]native/.test(location.hash)){delete window.MediaSource;delete window.ManagedMediaSource;}
    (function(){var m=/#s=(\\w+)/.exec(location.hash);if(!m)return;var name=m[1];
    function sleep(s){return new Promise(function(r){setTimeout(r,s*1000);});}
    function untilEnded(v){return new Promise(function(r){if(v.ended)r();v.addEventListener("ended",r);});}
    var heights={},ended=false,err="",stall=0,lt=0,lc=0,started=false;
    function report(v){var w=0,mx=0;for(var i=0;i<v.played.length;i++){w+=v.played.end(i)-v.played.start(i);mx=Math.max(mx,v.played.end(i));}
    var hb=0,hh=0;for(var k in heights)if(heights[k]>hb){hb=heights[k];hh=k;}
    navigator.sendBeacon("/truth?n="+name+"&mode="+v.parentNode.dataset.mode+"&w="+w.toFixed(2)+"&m="+mx.toFixed(2)+"&c="+(ended?1:0)+"&h="+hh+"&st="+stall.toFixed(2)+"&err="+encodeURIComponent(err+"|"+((v.parentNode.querySelector(".player-msg")||{}).textContent||"")+"|"+(v.error?v.error.code+" "+v.error.message:"")));}
    window.addEventListener("load",async function(){var v=document.querySelector("video");
    window.addEventListener("pagehide",function(){report(v);});
    setInterval(function(){if(!v.paused&&v.videoHeight){heights[v.videoHeight]=(heights[v.videoHeight]||0)+0.25;}},250);
    v.addEventListener("playing",function(){started=true;});v.addEventListener("seeking",function(){lt=0;});
    setInterval(function(){var n=performance.now()/1000;if(started&&lt&&!v.paused&&!v.ended&&!v.seeking){stall+=Math.max(0,(n-lt)-(v.currentTime-lc)/(v.playbackRate||1));}lt=n;lc=v.currentTime;},250);
    v.addEventListener("ended",function(){ended=true;});
    var steps={\(steps)};
    try{await steps[name]();}catch(e){err=String(e);}
    location.href="about:blank";});})();
    """
}

/// Real viewers, real players: nginx serves a built site, headless Chromium plays scripted
/// sessions on vlog's page, through vlog's own player (MSE) and through Chromium's native HLS (as a
/// player vlog did not write: the page without Media Source Extensions), and the sessions vlog
/// ingests from nginx's log are graded against the `<video>` element's own account of what was
/// played. Beacons make both exact. From segment requests alone (the fallback for players without
/// beacons) the native player is graded against the targets; vlog's player buffers 30 s, so on
/// this 24 s video it fetches everything at once and its segments alone say little (reported).
@Suite(.serialized, .tags(.ffmpeg, .browser, .server), .fullTierOnly) struct PlaybackTruthTests {
    struct Truth {
        var watched: Double
        var maxPosition: Double
        var completed: Bool
        var cookie: String
        /// Wall seconds the element was playing (after its first frame, not paused, seeking or
        /// ended) while its playhead did not move: a player starved on a loaded machine.
        var stalled = 0.0
    }

    @Test(arguments: ["native", "mse"]) func beaconsMakeSessionsMatchWhatTheBrowserPlayed(player: String) throws {
        let t = try fastSite(identity: "cookie")
        try installPageScript(t, scenarioScript)
        let clip = t.tmp.url.appendingPathComponent("walk.mp4")
        try makeClip(clip, size: "854x480", seconds: 24)
        #expect(
            try vlog([
                "video", "add", clip.path, "--title", "Walk", "--slug", "walk", "--publish", "--site", t.root.path,
            ]).status == 0)
        let build = try vlog(["build", "--site", t.root.path])
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        FileManager.default.createFile(atPath: t.site.outputURL.appendingPathComponent("truth").path, contents: Data())
        let nginx = try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx"))

        let scenarios = ["full", "abandon", "seekfwd", "seekback", "pause", "fast", "rate15", "short", "noplay"]
        let batches = stride(from: 0, to: scenarios.count, by: 3).map {
            Array(scenarios[$0..<min(scenarios.count, $0 + 3)])
        }
        for batch in batches {
            DispatchQueue.concurrentPerform(iterations: batch.count) { i in
                let name = batch[i]
                _ = try? playInChromium(
                    "http://127.0.0.1:\(nginx.port)/v/walk/#s=\(name)\(player == "native" ? "&native" : "")",
                    profile: t.tmp.url.appendingPathComponent("chrome-\(name)"), seconds: 70
                ) { nginx.log().contains(" /truth?n=\(name)&") }
            }
        }
        let log = nginx.log()
        if let keep = ProcessInfo.processInfo.environment["VLOG_KEEP_TRUTH_LOG"] {
            try? log.write(toFile: keep, atomically: true, encoding: .utf8)
        }
        let truth = Self.truths(in: log, duration: 24)
        #expect(Set(truth.keys) == Set(scenarios), "every scenario reported its truth: \(truth.keys.sorted())")
        #expect(!log.contains("GET /v/walk/master.m3u8") || truth["noplay"] != nil)

        // With beacons: the log as nginx wrote it.
        #expect(log.contains("/truth?n=full&mode=\(player)&"), "played through \(player)")
        let withBeacons = try grade(t, log: nginx.accessLog, truth: truth, label: "\(player), beacons")
        if withBeacons.medianError > 1.5 {
            print(
                log.split(separator: "\n").filter { $0.contains("beacon.gif") || $0.contains("/truth") }.joined(
                    separator: "\n"))
        }
        #expect(withBeacons.missing.isEmpty && withBeacons.extra.isEmpty, "one session per played page view")
        #expect(withBeacons.noPlayViews == 0, "no view for a page left without play")
        #expect(withBeacons.totalError <= 0.02, "total watch within 2%: \(withBeacons.totalError)")
        #expect(withBeacons.medianError <= 1.5, "median per-session error \(withBeacons.medianError) s")
        #expect(withBeacons.completionRight == withBeacons.sessions, "every completion right")
        let stats = try vlog(["stats", "--video", "walk", "--site", t.root.path])
        #expect(
            stats.stdout.contains(
                "measured: 8 from the player's beacons, 0 from its media requests (CMCD), 0 estimated"),
            "\(stats.stdout)")
        #expect(
            stats.stdout.contains("startup             median") && stats.stdout.contains("exits before start  0"),
            "\(stats.stdout)")
        #expect(stats.stdout.contains("Audience retention") && stats.stdout.contains("  0%  100.0%"), "\(stats.stdout)")
        // Retention from what was played: at the middle (12 s) only the two played through are there;
        // the forward seek skipped it (its furthest point alone would count it).
        let json = try vlog(["stats", "--video", "walk", "--json", "--site", t.root.path])
        let obj = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let points = obj?["retention"] as? [[String: Any]] ?? []
        let middle = points.first { ($0["percent"] as? Int) == 50 }?["share"] as? Double
        let intervals = try t.store.db.query("SELECT intervals FROM vlog_session_intervals").compactMap {
            $0.string("intervals")
        }
        #expect(
            middle.map { abs($0 - 0.25) < 0.001 } == true,
            "retention at 50%: \(String(describing: middle)) \(intervals)")

        // Without beacons (the fallback): only playlist and segment lines.
        let segmentsOnly = t.tmp.url.appendingPathComponent("segments.log")
        try log.split(separator: "\n").filter { !$0.contains("/beacon.gif?") }.joined(separator: "\n").appending("\n")
            .write(to: segmentsOnly, atomically: true, encoding: .utf8)
        func reset() throws {
            for table in ["playback_sessions", "viewers", "vlog_ingest_files", "vlog_open_sessions"] {
                try t.store.db.run("DELETE FROM \(table)")
            }
        }
        try reset()
        // The estimator's priors were fitted on the beacon sessions of the first ingest.
        let fallback = try grade(t, log: segmentsOnly, truth: truth, label: "\(player), segments only")
        #expect(fallback.missing.isEmpty && fallback.extra.isEmpty, "one session per played page view")
        #expect(fallback.noPlayViews == 0, "no view without play")
        guard player == "native" else { return }
        // Request timing says how long a player played only where it played in real time: a
        // session the browser stalled in (a starved machine) is reported, not graded on timing.
        #expect(
            fallback.steady >= 5,
            "the browser stalled in \(fallback.stalled.joined(separator: ", ")): too few sessions in real time to grade"
        )
        #expect(fallback.steadyTotalError <= 0.05, "total watch within 5%: \(fallback.steadyTotalError)")
        #expect(
            Double(fallback.steadyCompletionRight) >= 0.85 * Double(fallback.steady), "completions right for 85%")
        // A site that never had beacons: the priors it starts with.
        try reset()
        try t.store.db.run("DELETE FROM vlog_estimator_samples")
        let unfitted = try grade(t, log: segmentsOnly, truth: truth, label: "\(player), segments only, default priors")
        #expect(unfitted.noPlayViews == 0 && unfitted.sessions == 8)
    }

    /// What each scenario's `<video>` element reported (`/truth?n=NAME&...` in the log).
    static func truths(in log: String, duration: Double) -> [String: Truth] {
        var truth: [String: Truth] = [:]
        for line in log.split(separator: "\n") where line.contains(" /truth?n=") {
            guard let q = line.split(separator: " ").first(where: { $0.hasPrefix("/truth?") })?.dropFirst(7) else {
                continue
            }
            var f: [String: String] = [:]
            for kv in q.split(separator: "&") {
                let p = kv.split(separator: "=", maxSplits: 1)
                if p.count == 2 { f[String(p[0])] = String(p[1]) }
            }
            let cookie = String(line.split(separator: "\"").last ?? "")
            truth[f["n"] ?? ""] = Truth(
                watched: Double(f["w"] ?? "") ?? -1, maxPosition: Double(f["m"] ?? "") ?? -1,
                completed: f["c"] == "1" || (Double(f["m"] ?? "") ?? 0) >= 0.9 * duration, cookie: cookie,
                stalled: Double(f["st"] ?? "") ?? 0)
        }
        return truth
    }

    struct Grade {
        var sessions = 0, missing: [String] = [], extra: [String] = [], noPlayViews = 0
        var totalError = 0.0, medianError = 0.0, completionRight = 0
        /// The same over the sessions the browser played in real time (stalled at most 1 s): what
        /// request timing can tell, since a stall looks like playing in a log without beacons.
        var steady = 0, steadyTotalError = 0.0, steadyCompletionRight = 0
        var stalled: [String] = []
        /// Per session: the truth, and vlog's watched, furthest point and completion.
        var rows: [(name: String, truth: Truth, watched: Double, maxPosition: Double, completed: Bool)] = []
    }

    func grade(_ t: TestSite, log: URL, truth: [String: Truth], label: String) throws -> Grade {
        let r = try vlog(["ingest", log.path, "--site", t.root.path])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try t.store.db.query(
            """
            SELECT s.duration_watched, s.max_position, s.completed, w.session_id FROM playback_sessions s
            JOIN viewers w ON w.id = s.viewer_id
            """)
        var g = Grade()
        var errors: [Double] = []
        var trueTotal = 0.0
        var estTotal = 0.0
        var steadyTrue = 0.0
        var steadyEst = 0.0
        for (name, tr) in truth.sorted(by: { $0.key < $1.key }) {
            let mine = rows.filter { $0.string("session_id") == SHA256.hex("cookie:" + tr.cookie) }
            if name == "noplay" {
                g.noPlayViews = mine.count
                continue
            }
            guard mine.count == 1, let s = mine.first else {
                if mine.isEmpty { g.missing.append(name) } else { g.extra.append(name) }
                continue
            }
            g.sessions += 1
            let w = s.double("duration_watched") ?? 0
            errors.append(abs(w - tr.watched))
            trueTotal += tr.watched
            estTotal += w
            if s.bool("completed") == tr.completed { g.completionRight += 1 }
            if tr.stalled > 1 {
                g.stalled.append(String(format: "%@ %.1f s", name, tr.stalled))
            } else {
                g.steady += 1
                steadyTrue += tr.watched
                steadyEst += w
                if s.bool("completed") == tr.completed { g.steadyCompletionRight += 1 }
            }
            g.rows.append((name, tr, w, s.double("max_position") ?? 0, s.bool("completed")))
            print(
                String(
                    format: "%@ %-9@ truth %5.1f s (max %5.1f%@)  vlog %5.1f s (max %5.1f%@)", label, name,
                    tr.watched, tr.maxPosition, tr.completed ? ", done" : "", w, s.double("max_position") ?? 0,
                    s.bool("completed") ? ", done" : ""))
        }
        errors.sort()
        g.medianError = errors.isEmpty ? 0 : errors[errors.count / 2]
        g.totalError = trueTotal > 0 ? abs(estTotal - trueTotal) / trueTotal : 1
        g.steadyTotalError = steadyTrue > 0 ? abs(steadyEst - steadyTrue) / steadyTrue : 1
        if !g.stalled.isEmpty {
            print(
                String(
                    format:
                        "%@: the browser stalled in %@; over the other %d: total watch error %.1f%%, completions right %d/%d",
                    label, g.stalled.joined(separator: ", "), g.steady, g.steadyTotalError * 100,
                    g.steadyCompletionRight, g.steady))
        }
        print(
            String(
                format:
                    "%@: %d sessions, total watch error %.1f%%, median error %.2f s, completions right %d/%d, no-play views %d",
                label, g.sessions, g.totalError * 100, g.medianError, g.completionRight, g.sessions, g.noPlayViews))
        return g
    }
}
