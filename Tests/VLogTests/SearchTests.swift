import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogSite
@testable import VLogStore
@testable import VLogSupport

/// A site of `count` videos, each with a transcript of words made from syllables (as bench/search
/// makes them), so the index has several shards. Returns what each video says, by id: the truth
/// the index is graded against.
private func spokenSite(_ t: TestSite, count: Int, seed: UInt64 = 7) throws -> [Int: Set<String>] {
    var rng = seed
    func next(_ n: Int) -> Int {
        rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((rng >> 33) % UInt64(n))
    }
    let syllables = "ka lo mi ra ne to su pa vi de ro la ti no ma se".split(separator: " ").map(String.init)
    let vocabulary = (0..<1500).map { _ in (0..<(2 + next(3))).map { _ in syllables[next(16)] }.joined() }
    var said: [Int: Set<String>] = [:]
    for i in 1...count {
        let id = try insertReadyVideo(t, slug: "v\(i)", title: "Trip \(i) to the \(i % 2 == 0 ? "coast" : "hills")")
        var vtt = "WEBVTT\n\n"
        var words: Set<String> = []
        for k in 0..<20 {
            let line = (0..<8).map { _ in vocabulary[next(vocabulary.count)] }
            words.formUnion(line)
            vtt +=
                String(format: "00:00:%02d.000 --> 00:00:%02d.500\n", k * 3, k * 3 + 2) + line.joined(separator: " ")
                + "\n\n"
        }
        try Data(vtt.utf8).write(to: t.site.mediaDir(slug: "v\(i)").appendingPathComponent("captions.en.vtt"))
        said[id] = words
    }
    return said
}

private func manifest(_ t: TestSite) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(read(t, "search/index.json").utf8)) as? [String: Any] ?? [:]
}

/// The ids whose best match for `word` is in `field` (0 title ... 3 transcript), from the shards.
private func postings(_ t: TestSite, _ word: String) throws -> [Int: Int] {
    var out: [Int: Int] = [:]
    for case let s as [Any] in try manifest(t)["shards"] as? [Any] ?? [] {
        let shard = try JSONSerialization.jsonObject(with: Data(read(t, "search/w/\(s[1]).json").utf8)) as? [[String]]
        for entry in shard ?? [] where entry[0] == word {
            for (f, list) in entry.dropFirst().enumerated() where !list.isEmpty {
                var id = 0
                for gap in list.split(separator: " ") {
                    id += Int(gap, radix: 36)!
                    out[id] = f
                }
            }
        }
    }
    return out
}

@Suite struct SearchIndexTests {
    @Test func theIndexIsShardedEveryFileNamedByItsBytesAndItHoldsWhatIsSaid() throws {
        let t = try TestSite()
        let said = try spokenSite(t, count: 400)
        let first = try Builder(site: t.site).build()
        let m = try manifest(t)
        #expect(m["v"] as? Int == 3 && m["videos"] as? Int == 400)
        let shards = m["shards"] as? [[String]] ?? []
        #expect(shards.count >= 3, "400 transcripts make several shards, not one file")
        // Sorted by first word, as the browser's binary search expects (UTF-16 order).
        #expect(zip(shards, shards.dropFirst()).allSatisfy { $0[0].utf16.lexicographicallyPrecedes($1[0].utf16) })
        let files = t.files(in: t.site.outputURL.appendingPathComponent("search"))
        var named: Set<String> = ["index.html", "index.json"]
        for s in shards {
            let bytes = Array(read(t, "search/w/\(s[1]).json").utf8)
            #expect(SearchIndex.name(bytes) == s[1], "a shard's name is the hash of its bytes")
            #expect(bytes.count < SearchIndex.shardBytes + 4000, "a shard stays near its size")
            named.insert("w/\(s[1]).json")
        }
        for case (_, let file as String) in m["groups"] as? [String: Any] ?? [:] { named.insert("r/\(file).json") }
        #expect(Set(files.filter { $0.hasSuffix(".json") || $0.hasSuffix(".html") }) == named, "no stray files")
        // Every word a video says finds exactly the videos that say it.
        let sample = Array(Set(said.values.flatMap { $0 })).sorted().enumerated().filter { $0.offset % 97 == 0 }.map {
            $0.element
        }
        for word in sample {
            let found = try postings(t, word)
            #expect(Set(found.keys) == Set(said.filter { $0.value.contains(word) }.keys), "`\(word)`")
            #expect(found.values.allSatisfy { $0 == 3 }, "`\(word)` is only said")
        }
        // A title word counts as a title match (its best field).
        let coast = try postings(t, "coast")
        #expect(coast.count == 200 && coast.values.allSatisfy { $0 == 0 })
        #expect(first.pages.written > 0)

        // A no-op build rewrites nothing.
        let inodes = try files.map {
            try FileManager.default.attributesOfItem(atPath: t.site.outputURL.path + "/search/" + $0)[.systemFileNumber]
                as? Int
        }
        let again = try Builder(site: t.site).build()
        #expect(again.pages.written == 0)
        #expect(
            try files.map {
                try FileManager.default.attributesOfItem(atPath: t.site.outputURL.path + "/search/" + $0)[
                    .systemFileNumber] as? Int
            } == inodes)

        // A changed title replaces the shards it is in; the old ones go, and the mass-removal
        // guard does not take that for a vanished site.
        try t.store.db.run("UPDATE videos SET title = 'Zebra crossing' WHERE slug = 'v1'")
        try Builder(site: t.site).build()
        #expect(try postings(t, "zebra").keys.sorted() == [1])
        let now = Set(t.files(in: t.site.outputURL.appendingPathComponent("search")))
        #expect(now.count == files.count, "old shards removed, new ones written")

        // `vlog check` notices a shard lost on the way (a partial copy or deploy).
        #expect(try SiteCheck(site: t.site).run().filter { $0.message.contains("search/") }.isEmpty)
        let lost = try #require(now.first { $0.hasPrefix("w/") })
        try FileManager.default.removeItem(at: t.site.outputURL.appendingPathComponent("search/" + lost))
        let findings = try SiteCheck(site: t.site).run().filter { $0.message.contains("search/") }
        #expect(findings.count == 1 && findings[0].level == .error && findings[0].message.contains(lost))
    }

    @Test func wordsAreFoldedAsTheBrowserFoldsThem() {
        #expect(
            SearchWords.list("Café au LAIT, naïve Zürich-2024!") == ["cafe", "au", "lait", "naive", "zurich", "2024"])
        #expect(SearchWords.list("ÉCOLE  d'été") == ["ecole", "d", "ete"])
        #expect(SearchWords.list("日本語 テスト") == ["日本語", "テスト"])
    }
}

/// The search page in a real browser, served by nginx: what a visitor downloads and sees.
@Suite(.serialized, .tags(.browser, .server), .fullTierOnly) struct SearchPageTests {
    @Test func aVisitorFetchesOnlyTheShardsTheirWordsNeedAndGetsEveryVideoThatSaysIt() throws {
        let t = try TestSite()
        let said = try spokenSite(t, count: 150)
        try Builder(site: t.site).build()
        let nginx = try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx"))
        let c = try Chromium(profile: t.tmp.url.appendingPathComponent("chrome"))
        let origin = "http://127.0.0.1:\(nginx.port)"
        let shardCount = (try manifest(t)["shards"] as? [Any])?.count ?? 0
        // A word said in some videos only, long enough to need one shard.
        let counts = Dictionary(said.values.flatMap { $0 }.map { ($0, 1) }, uniquingKeysWith: +)
        let candidates = counts.filter { $0.key.count >= 6 && (3...12).contains($0.value) }.keys.sorted()
        let (word, far) = (candidates.first!, candidates.last!)
        let truth = said.filter { $0.value.contains(word) }.count
        try c.open(origin + "/search/?q=\(word)")
        #expect(try c.waitFor("/videos? for/.test(document.querySelector('[role=status]').textContent)", timeout: 10))
        #expect(
            try c.eval("document.querySelector('[role=status]').textContent") as? String
                == "\(truth) video\(truth == 1 ? "" : "s") for “\(word)”")
        #expect(try c.eval("document.querySelectorAll('.results li').length") as? Int == min(truth, 10))
        #expect(
            try c.eval("document.querySelector('.results').textContent.includes('(said in the video)')") as? Bool
                == true)
        let fetched = """
            performance.getEntriesByType('resource').map(e => new URL(e.name).pathname).filter(p => p.startsWith('/search/'))
            """
        let files = try c.eval(fetched) as? [String] ?? []
        #expect(files.filter { $0.hasPrefix("/search/w/") }.count == 1, "one shard of \(shardCount): \(files)")
        #expect(files.filter { $0.hasPrefix("/search/r/") }.count <= 10, "result data only for the hits shown")

        // Typing on: a title word ranks title matches first; two words must both match.
        _ = try c.eval(
            "(() => { const q = document.getElementById('q'); q.value = 'coast'; q.dispatchEvent(new Event('input')); return 1 })()"
        )
        #expect(
            try c.waitFor("document.querySelector('[role=status]').textContent.startsWith('75 videos')", timeout: 10))
        #expect(try c.eval("document.querySelector('.results a mark').textContent") as? String == "coast")
        _ = try c.eval(
            "(() => { const q = document.getElementById('q'); q.value = 'coast \(word)'; q.dispatchEvent(new Event('input')); return 1 })()"
        )
        let both = said.filter { $0.value.contains(word) && $0.key % 2 == 0 }.count
        #expect(
            try c.waitFor(
                "document.querySelector('[role=status]').textContent.startsWith('\(both) video')", timeout: 10))
        // A prefix finds every word that starts with it, within the shards it spans.
        let prefix = String(word.prefix(5))
        let byPrefix = said.filter { $0.value.contains { $0.hasPrefix(prefix) } }.count
        _ = try c.eval(
            "(() => { const q = document.getElementById('q'); q.value = '\(prefix)'; q.dispatchEvent(new Event('input')); return 1 })()"
        )
        #expect(
            try c.waitFor(
                "document.querySelector('[role=status]').textContent.startsWith('\(byPrefix) video')", timeout: 10))
        // More results, and the keyboard.
        if byPrefix > 10 {
            _ = try c.eval("document.querySelector('.search .more').click(), 1")
            #expect(
                try c.waitFor("document.querySelectorAll('.results li').length === \(min(byPrefix, 20))", timeout: 10))
        }
        _ = try c.eval("document.getElementById('q').focus(), 1")
        try c.press("ArrowDown", code: "ArrowDown", keyCode: 40)
        #expect(try c.eval("document.activeElement === document.querySelector('.results a')") as? Bool == true)

        // The browser folds words as the build does.
        let probe = "Café au LAIT, naïve Zürich-2024! ÉCOLE d'été 日本語"
        let js = try c.eval(
            "\"\(probe)\".toLowerCase().normalize('NFD').replace(/[\\u0300-\\u036f]/g, '').split(/[^\\p{L}\\p{N}]+/u).filter(Boolean)"
        )
        #expect(js as? [String] == SearchWords.list(probe))

        // A new build replaces a shard this page's manifest names and has not fetched yet: the page
        // gets a 404, reads the manifest again and answers from the new index.
        try t.store.db.run("UPDATE videos SET title = ? WHERE slug = 'v2'", ["\(far) special"])
        try Builder(site: t.site).build()
        _ = try c.eval(
            "(() => { const q = document.getElementById('q'); q.value = '\(far)'; q.dispatchEvent(new Event('input')); return 1 })()"
        )
        #expect(
            try c.waitFor(
                "document.querySelector('.results a') && document.querySelector('.results a').pathname === '/v/v2/'",
                timeout: 10), "the retitled video first")
    }
}
