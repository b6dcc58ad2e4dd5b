import Foundation
import Testing

@testable import VLogConfig
@testable import VLogTranscode

/// The rules of job state with no ffmpeg, sleeps or cluster: the worker id's mini-language, the
/// work folder's names, and what `--collect` decides from what it saw.
@Suite struct JobStateTests {
    @Test func workerIDsReadAndWriteTheStoredText() {
        let local = WorkerID("3f2a-token")
        #expect(local == .local("3f2a-token") && !local.isCluster && local.engine == nil)
        let claimed = WorkerID.claimed(by: .slurm)
        #expect(claimed.description == "cluster:slurm" && claimed.engineID(part: 0) == "")
        let sent = claimed.submitted(["1234_0", "1234_1"])
        #expect(sent.description == "cluster:slurm:1234_0+1234_1" && WorkerID(sent.description) == sent)
        #expect(sent.engineID(part: 1) == "1234_1" && sent.engineJob == "slurm:1234_0+1234_1")
        let parallel = WorkerID("cluster:parallel:host-a:4242")
        #expect(parallel.engine == .parallel && parallel.engineID(part: 0) == "host-a:4242")
        let unknown = WorkerID("cluster:nomad:7")
        #expect(unknown.isCluster && unknown.engine == nil && unknown.description == "cluster:nomad:7")
    }

    @Test func theWorkFolderNamesEveryFile() {
        let videos = URL(fileURLWithPath: "/srv/media/videos")
        let w = WorkFolder.of(slug: "talk", videos: videos)
        #expect(w.url.path == "/srv/media/videos/.work/talk")
        #expect(
            w.spec.lastPathComponent == "spec.json" && w.part("audio").result.path.hasSuffix("parts/audio/result.json"))
        #expect(WorkFolder.transcodeLock(slug: "talk", videos: videos).path == "/srv/media/videos/.work/talk.lock")
        #expect(WorkFolder.relative(slug: "talk") == "videos/.work/talk")
    }

    @Test func oneStalenessRule() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(JobStore.isStale(lastCheckpoint: nil, now: now, timeout: 60))
        #expect(!JobStore.isStale(lastCheckpoint: now.addingTimeInterval(-60), now: now, timeout: 60))
        #expect(JobStore.isStale(lastCheckpoint: now.addingTimeInterval(-61), now: now, timeout: 60))
    }

    func seen(
        attempt: Int = 1, of max: Int = 3, checkpoint: Double = -10, result: WorkerReport? = nil,
        progress: WorkerReport? = nil, spec: Bool = true, here: Bool = false, gone: Bool = false
    ) -> Cluster.Observation {
        Cluster.Observation(
            attemptNumber: attempt, maxAttempts: max, lastCheckpoint: now.addingTimeInterval(checkpoint),
            engineJob: "slurm:1234_0", hasSpec: spec, result: result, progress: progress, workerHere: here,
            engineGone: gone)
    }
    let now = Date(timeIntervalSince1970: 2_000_000)
    func report(ok: Bool?, permanent: Bool? = nil, at: Double = -5) -> WorkerReport {
        var r = WorkerReport(
            job: "talk#1", host: "node7", pid: 9, step: "transcode", percent: 40, updatedAt: now.addingTimeInterval(at))
        r.ok = ok
        r.permanent = permanent
        r.error = ok == false ? "ffmpeg failed" : nil
        return r
    }

    @Test func collectDecidesFromWhatItSaw() {
        let d = { (o: Cluster.Observation) in Cluster.decide(o, now: self.now, staleTimeout: 600) }
        #expect(d(seen(result: report(ok: true))) == .publish)
        #expect(d(seen(result: report(ok: false))) == .resend("the worker on node7 failed: ffmpeg failed"))
        #expect(
            d(seen(result: report(ok: false, permanent: true))) == .fail("the worker on node7 failed: ffmpeg failed"))
        #expect(
            d(seen(attempt: 3, result: report(ok: false)))
                == .fail("the worker on node7 failed: ffmpeg failed (after 3 attempt(s))"), "attempts used up")
        let p = report(ok: nil)
        #expect(d(seen(progress: p)) == .running(progress: p), "running, its progress recorded")
        #expect(d(seen(gone: true)) == .resend("the engine's job (slurm:1234_0) ended without a result"))
        #expect(d(seen(here: true, gone: true)) == .running(progress: nil), "a worker here is never lost")
        #expect(d(seen(spec: false)) == .resend("the dispatch stopped before the job was submitted"))
        #expect(d(seen(checkpoint: -601)) == .resend("the worker was silent for 600 s"))
        #expect(
            d(seen(checkpoint: -601, progress: report(ok: nil, at: -30)))
                == .running(progress: report(ok: nil, at: -30)),
            "a recent progress report counts as heard from")
    }
}
