import Foundation
import VLogConfig

/// Who holds a transcoding job, as `transcoding_jobs.worker_id` stores it:
/// - a `vlog transcode` process here: a random token per run;
/// - a cluster engine: `cluster:ENGINE`, then once submitted `:ID` (one engine id per part of a
///   chunked video, joined by `+`; GNU parallel's and the command engine's ids are `HOST:PID`).
/// Parsed and written only here.
public enum WorkerID: Sendable, Equatable, CustomStringConvertible {
    case local(String)
    /// `engine` is nil when the stored name is not one vlog knows (a database from elsewhere).
    case cluster(engine: ClusterEngine?, name: String, ids: [String])

    static let clusterPrefix = "cluster:"
    /// For SQL: every worker_id a cluster engine holds starts with this.
    static let clusterPattern = clusterPrefix + "%"

    public init(_ text: String) {
        guard text.hasPrefix(Self.clusterPrefix) else {
            self = .local(text)
            return
        }
        let rest = text.dropFirst(Self.clusterPrefix.count)
        let name = String(rest.prefix { $0 != ":" })
        let idText = rest.dropFirst(name.count + 1)
        let ids = idText.isEmpty ? [] : idText.split(separator: "+", omittingEmptySubsequences: false).map(String.init)
        self = .cluster(engine: ClusterEngine(rawValue: name), name: name, ids: ids)
    }

    /// A job just claimed for `engine`, not yet submitted.
    public static func claimed(by engine: ClusterEngine) -> WorkerID {
        .cluster(engine: engine, name: engine.rawValue, ids: [])
    }

    /// The same claim once the engine gave its ids.
    public func submitted(_ ids: [String]) -> WorkerID {
        guard case .cluster(let engine, let name, _) = self else { return self }
        return .cluster(engine: engine, name: name, ids: ids)
    }

    public var engine: ClusterEngine? {
        if case .cluster(let e, _, _) = self { return e }
        return nil
    }

    public var isCluster: Bool {
        if case .cluster = self { return true }
        return false
    }

    /// The engine's id of part `index` ("" when not submitted).
    public func engineID(part index: Int) -> String {
        guard case .cluster(_, _, let ids) = self, index < ids.count else { return "" }
        return ids[index]
    }

    /// What the user sees: `slurm 1234_0+1234_1`.
    public var engineJob: String {
        guard case .cluster(_, let name, let ids) = self else { return description }
        return ([name] + (ids.isEmpty ? [] : [ids.joined(separator: "+")])).joined(separator: ":")
    }

    public var description: String {
        switch self {
        case .local(let token): token
        case .cluster(_, let name, let ids):
            Self.clusterPrefix + name + (ids.isEmpty ? "" : ":" + ids.joined(separator: "+"))
        }
    }
}

/// A video's work folder, `videos/.work/SLUG/`, on the shared storage, and every file in it:
/// where a local transcode stages its output and where cluster workers and `--collect` meet. The
/// one place these names are spelt.
public struct WorkFolder: Sendable, Equatable {
    public let url: URL

    public init(_ url: URL) { self.url = url }

    /// `videos/.work/` under a site's videos folder.
    public static func root(videos: URL) -> URL { videos.appendingPathComponent(rootName) }
    public static let rootName = Site.workFolderName
    /// A video's folder in it.
    public static func of(slug: String, videos: URL) -> WorkFolder {
        WorkFolder(root(videos: videos).appendingPathComponent(slug))
    }
    /// The folder relative to the storage, as a worker's spec names it.
    public static func relative(slug: String) -> String { "videos/\(rootName)/\(slug)" }

    /// The lock a transcode of `slug` holds (beside the folder, so removing the folder keeps it).
    public static func transcodeLock(slug: String, videos: URL) -> URL {
        root(videos: videos).appendingPathComponent("\(slug).lock")
    }
    public static func transcribeLock(slug: String, videos: URL) -> URL {
        root(videos: videos).appendingPathComponent("\(slug).transcribe.lock")
    }
    /// Held by a dispatch or collect run: one at a time per site.
    public static func dispatchLock(videos: URL) -> URL { root(videos: videos).appendingPathComponent("dispatch.lock") }
    /// A remux's own folder.
    public static func remux(slug: String, videos: URL) -> URL {
        root(videos: videos).appendingPathComponent("\(slug).remux")
    }

    /// A re-encode's own folder (`vlog transcode --reencode`).
    public static func reencode(slug: String, videos: URL) -> URL {
        root(videos: videos).appendingPathComponent("\(slug).reencode")
    }

    /// The job spec a cluster worker runs.
    public var spec: URL { url.appendingPathComponent("spec.json") }
    /// Each rung's CRF as the quality search chose it (`CRFSearch`), rung name to CRF.
    var crf: URL { url.appendingPathComponent("crf.json") }
    /// The AV1 ladder's CRFs (`CRFSearch.runAV1`).
    var av1CRF: URL { url.appendingPathComponent("crf-av1.json") }
    /// The saved CRFs (of `file`, default the H.264 ones); nil when none were searched.
    func savedCRF(_ file: URL? = nil) -> [String: Int]? {
        FileManager.default.contents(atPath: (file ?? crf).path).flatMap {
            try? JSONDecoder().decode([String: Int].self, from: $0)
        }
    }
    /// Written by a worker as it runs, and when it ends.
    public var progress: URL { url.appendingPathComponent("progress.json") }
    public var result: URL { url.appendingPathComponent("result.json") }
    /// Held by the worker running here.
    public var workerLock: URL { url.appendingPathComponent("worker.lock") }
    /// The rendition being made, then verified, then moved into place.
    public var out: URL { url.appendingPathComponent("out") }
    public var thumbs: URL { url.appendingPathComponent("thumbs") }
    /// A chunked video's parts, each a work folder of its own.
    public var partsFolder: URL { url.appendingPathComponent("parts") }
    public func part(_ name: String) -> WorkFolder { WorkFolder(partsFolder.appendingPathComponent(name)) }
    /// A finished part's output.
    public var done: URL { url.appendingPathComponent("done") }

    /// What an earlier attempt with other settings left (its encode no longer fits).
    public var encoded: [URL] { [partsFolder, out] }
    /// Reports of an earlier attempt, removed before a new one is sent.
    public var reports: [URL] { [result, progress] }
}
