import Foundation
import VLogContent
import VLogSupport

/// The site's search index, read by `assets/search.js` in the browser (no server), sharded so a
/// query downloads only what it needs (Pagefind's idea; docs/site.md, Search):
/// - `search/index.json`, the manifest: the first word of each shard and its file, and the file of
///   each group of result data. A few KB.
/// - `search/w/HASH.json`: a run of words in sorted order (UTF-16 order, as JavaScript compares),
///   `[word, title, category, description, transcript]`, each field the ids of the videos whose
///   best match for the word is there, ascending, as base-36 gaps ("1b 2 k"). About 40 KB each
///   before gzip.
/// - `search/r/HASH.json`: `{id: [url, title, category, summary]}` for the videos with
///   `id / perGroup` equal, fetched only for the hits shown.
/// Files are named by a hash of their bytes: a browser or CDN may keep them forever, a no-op
/// build writes the same names, and a page never mixes an old shard with a new manifest.
///
/// The words are collected while the video pages render (`add`, on the writer's threads, from
/// the values the page is made of: its transcript is parsed once per build), and the files are
/// made once every page is written (`files`).
final class SearchIndex: Sendable {
    static let version = 3
    /// Bytes of a shard before it is cut (a word's list is never split).
    static let shardBytes = 40_000
    static let perGroup = 16
    enum Field: UInt32, CaseIterable {
        case title = 0
        case category, description, transcript
    }

    /// Tables not in use: `add` takes one (or makes one) and gives it back, so threads add words
    /// side by side, without a lock held while they do; `files` merges them.
    private let tables = LockedBox<[SearchWordTable]>([])
    /// Per video added, what its result shows of its description (the first 240 characters of the
    /// plain text the page already made).
    private let summaries = LockedBox<[Int: String]>([:])

    /// Adds one video's words (once: a second call for the video is ignored); `transcript` is its
    /// cues as plain text.
    func add(id: Int, title: String, category: String, description: String, transcript: [String]) {
        guard summaries.withLock({ $0.updateValue(String(description.prefix(240)), forKey: id) == nil }) else {
            return
        }
        var sink = Sink(
            table: tables.withLock { $0.popLast() } ?? SearchWordTable(), video: UInt32(truncatingIfNeeded: id))
        var word: [UInt8] = []
        word.reserveCapacity(64)
        for (text, field) in [(title, Field.title), (category, .category), (description, .description)] {
            sink.field = field.rawValue
            SearchWords.each(text, word: &word, into: &sink)
        }
        sink.field = Field.transcript.rawValue
        for cue in transcript { SearchWords.each(cue, word: &word, into: &sink) }
        tables.withLock { [table = sink.table] in $0.append(table) }
    }

    private struct Sink: SearchWordSink {
        var table: SearchWordTable
        let video: UInt32
        var field: UInt32 = 0
        mutating func take(_ word: UnsafeBufferPointer<UInt8>) { table.add(word, video: video, field: field) }
    }

    /// The manifest, shards and result groups, once every video page is rendered. Videos whose
    /// page was not rendered (kept from the last build) are indexed by title and description.
    func files(videos: [PublishedVideo], urls: SiteURLs) -> [String: OutputEntry] {
        let seen = Set(summaries.withLock { $0.keys })
        for v in videos where !seen.contains(v.video.id) {
            add(
                id: v.video.id, title: v.video.title, category: v.category?.name ?? "",
                description: Markdown.plainText(v.video.description), transcript: [])
        }
        let summaries = self.summaries.withLock { s in
            defer { s = [:] }
            return s
        }
        let (list, postings, ranges) = SearchWordTable.merge(
            tables.withLock { t in
                defer { t = [] }
                return t
            })
        var out: [String: OutputEntry] = [:]
        var shards: [(first: String, file: String)] = []
        var buffer: [UInt8] = []
        var first = ""
        func cut() {
            guard !buffer.isEmpty else { return }
            buffer.append(UInt8(ascii: "]"))
            let name = Self.name(buffer)
            shards.append((first, name))
            out["search/w/\(name).json"] = .bytes(Data(buffer))
            buffer.removeAll(keepingCapacity: true)
        }
        let words = list.enumerated().map { ($0.element, $0.offset) }.sorted {
            $0.0.utf16.lexicographicallyPrecedes($1.0.utf16)
        }
        // Each word's entry is encoded on every core (sorting and writing 9 million postings took
        // a single thread half a second), then the entries are cut into shards in order.
        let parts = 64
        let encoded = LockedBox([[[UInt8]]](repeating: [], count: parts))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            var out: [[UInt8]] = []
            for k in stride(from: part * words.count / parts, to: (part + 1) * words.count / parts, by: 1) {
                var bytes: [UInt8] = []
                Self.entry(words[k].0, postings[ranges[words[k].1]], into: &bytes)
                out.append(bytes)
            }
            encoded.withLock { $0[part] = out }
        }
        for (k, bytes) in encoded.value.joined().enumerated() {
            if buffer.isEmpty {
                first = words[k].0
                buffer.append(UInt8(ascii: "["))
            } else {
                buffer.append(UInt8(ascii: ","))
            }
            buffer.append(contentsOf: bytes)
            if buffer.count >= Self.shardBytes { cut() }
        }
        cut()
        // Result data, by group of ids.
        var groups: [Int: [PublishedVideo]] = [:]
        for v in videos { groups[v.video.id / Self.perGroup, default: []].append(v) }
        var groupFiles: [(Int, String)] = []
        for (g, members) in groups.sorted(by: { $0.key < $1.key }) {
            var json = "{"
            for (i, v) in members.sorted(by: { $0.video.id < $1.video.id }).enumerated() {
                if i > 0 { json += "," }
                json += "\"\(v.video.id)\":["
                let summary = summaries[v.video.id] ?? ""
                for (j, s) in [urls.video(v.video.slug), v.video.title, v.category?.name ?? "", summary].enumerated() {
                    if j > 0 { json += "," }
                    HTML.jsonString(s, into: &json)
                }
                json += "]"
            }
            json += "}"
            let bytes = Array(json.utf8)
            let name = Self.name(bytes)
            groupFiles.append((g, name))
            out["search/r/\(name).json"] = .bytes(Data(bytes))
        }
        var manifest = "{\"v\":\(Self.version),\"videos\":\(videos.count),\"words\":\(words.count),\"shards\":["
        for (i, s) in shards.enumerated() {
            if i > 0 { manifest += "," }
            manifest += "[\"\(s.first)\",\"\(s.file)\"]"
        }
        manifest += "],\"perGroup\":\(Self.perGroup),\"groups\":{"
        manifest += groupFiles.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",")
        manifest += "}}"
        out["search/index.json"] = .bytes(Data(manifest.utf8))
        return out
    }

    /// `["word","t","c","d","s"]`, empty fields at the end left off; `list` is by ascending video.
    static func entry(_ word: String, _ list: ArraySlice<UInt32>, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: word.utf8)  // letters and numbers only: nothing to escape
        out.append(UInt8(ascii: "\""))
        var fields = [[UInt8]](repeating: [], count: Field.allCases.count)
        var last = [UInt32](repeating: 0, count: Field.allCases.count)
        for p in list {
            let f = Int(p & 3)
            let id = p >> 2
            if !fields[f].isEmpty { fields[f].append(UInt8(ascii: " ")) }
            base36(id - last[f], into: &fields[f])
            last[f] = id
        }
        let used = (fields.lastIndex { !$0.isEmpty } ?? -1) + 1
        for f in fields.prefix(used) {
            out.append(contentsOf: ",\"".utf8)
            out.append(contentsOf: f)
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "]"))
    }

    static let digits = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
    static func base36(_ n: UInt32, into out: inout [UInt8]) {
        if n < 36 { return out.append(digits[Int(n)]) }
        var tmp: [UInt8] = []
        var n = n
        while n > 0 {
            tmp.append(digits[Int(n % 36)])
            n /= 36
        }
        out.append(contentsOf: tmp.reversed())
    }

    /// A file name from the bytes: 12 hex digits of FNV-1a.
    static func name(_ bytes: [UInt8]) -> String {
        let h = FNV.hash(bytes)
        let s = String(h, radix: 16)
        return String((String(repeating: "0", count: max(0, 16 - s.count)) + s).prefix(12))
    }
}
