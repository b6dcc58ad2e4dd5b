import Foundation
import VLogStore

/// A job as `vlog jobs` lists it: the job, its video and its rungs' progress.
public struct JobListing: Sendable {
    public struct Rung: Sendable {
        public var quality: String
        public var status: String
        public var percent: Int
        public var segmentsCompleted: Int
        public var segmentsTotal: Int?
    }
    public var job: TranscodingJob
    public var slug: String
    public var videoStatus: String
    public var rungs: [Rung]
    /// The worker holding it, as the user reads it: a local run's token, or the engine's job.
    public var worker: String? {
        job.workerID.map { WorkerID($0) }.map { $0.isCluster ? $0.engineJob : $0.description }
    }
}

/// A row of `transcriptions` as `vlog jobs` lists it.
public struct TranscriptionListing: Sendable {
    public var slug: String
    public var status: String
    public var language: String
    public var wordCount: Int?
    public var errorMessage: String?
}

extension JobStore {
    /// Every job with its video and rungs, oldest first.
    public func listing() throws -> [JobListing] {
        var out: [JobListing] = []
        for r in try db.query(
            """
            SELECT j.*, v.slug, v.status AS video_status, qp.quality, qp.status AS q_status,
                   qp.progress_percent AS q_percent, qp.segments_completed, qp.segments_total
            FROM transcoding_jobs j JOIN videos v ON v.id = j.video_id
            LEFT JOIN quality_progress qp ON j.id = qp.job_id
            ORDER BY j.id, qp.id
            """)
        {
            let job = try TranscodingJob(row: r)
            if out.last?.job.id != job.id {
                out.append(
                    JobListing(
                        job: job, slug: r.string("slug") ?? "?", videoStatus: r.string("video_status") ?? "?", rungs: []
                    ))
            }
            if let q = r.string("quality") {
                out[out.count - 1].rungs.append(
                    .init(
                        quality: q, status: r.string("q_status") ?? "?", percent: r.int("q_percent") ?? 0,
                        segmentsCompleted: r.int("segments_completed") ?? 0, segmentsTotal: r.int("segments_total")))
            }
        }
        return out
    }

    /// Every transcription, oldest first.
    public func transcriptions() throws -> [TranscriptionListing] {
        try db.query(
            """
            SELECT v.slug, t.status, t.language, t.word_count, t.error_message FROM transcriptions t
            JOIN videos v ON v.id = t.video_id ORDER BY t.id
            """
        ).map {
            TranscriptionListing(
                slug: $0.string("slug") ?? "?", status: $0.string("status") ?? "?",
                language: $0.string("language") ?? "",
                wordCount: $0.int("word_count"), errorMessage: $0.string("error_message"))
        }
    }
}
