import Foundation
import VLogContent
import VLogMedia

/// The site's search index, `search/index.json`, read by `assets/search.js` in the browser (no
/// server): `videos`, per published video `[url, title, category, summary]` (the description's
/// first 240 characters of plain text), and `words`, an inverted index from each lowercased word
/// of the descriptions and transcripts (the site language's captions, brought or automatic) to the
/// videos that have it, as base-36 positions in `videos` ("a 1b 2k"). Inverted, a word said in
/// a thousand videos is stored once: on the 10,000-video benchmark site the index is a fraction of
/// the size of a list of each video's words.
enum SearchIndex {
    static func json(snapshot: SiteSnapshot, urls: SiteURLs, mediaRoot: String, language: String) -> [UInt8] {
        var rows: [[String]] = []
        var postings: [String: [Int]] = [:]
        for (n, v) in snapshot.videos.enumerated() {
            let description = Markdown.plainText(v.video.description)
            var text = description
            let dir = URL(fileURLWithPath: mediaRoot + "/" + v.video.slug)
            let tracks = CaptionTracks.list(dir: dir, siteLanguage: language)
            if let t = CaptionTracks.main(tracks, siteLanguage: language), let c = CaptionTracks.cues(of: t, in: dir) {
                text += " " + c.cues.map { Captions.plain($0.text) }.joined(separator: " ")
            }
            var seen = Set<Substring>()
            for w in text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }) where w.count > 1 {
                if seen.insert(w).inserted { postings[String(w), default: []].append(n) }
            }
            rows.append([
                urls.video(v.video.slug), v.video.title, v.category?.name ?? "", String(description.prefix(240)),
            ])
        }
        let words = postings.mapValues { $0.map { String($0, radix: 36) }.joined(separator: " ") }
        let index: [String: Any] = ["v": 2, "videos": rows, "words": words]
        let data = (try? JSONSerialization.data(withJSONObject: index, options: [.sortedKeys])) ?? Data()
        return Array(data)
    }
}
