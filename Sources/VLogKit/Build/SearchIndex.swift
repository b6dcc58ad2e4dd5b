import Foundation

/// The site's search index, `search/index.json`, read by `assets/search.js` in the browser (no
/// server): per published video `[url, title, category, summary, words]`, where `summary` is the
/// description's first 240 characters of plain text and `words` the distinct words of the
/// description and of the transcript (the site language's captions, brought or automatic),
/// lowercased, so a word said only in the video is found while the index stays a fraction of the
/// pages' size.
enum SearchIndex {
    static func json(snapshot: SiteSnapshot, urls: SiteURLs, mediaRoot: String, language: String) -> [UInt8] {
        var rows: [[String]] = []
        for v in snapshot.videos {
            let description = Markdown.plainText(v.video.description)
            var text = description
            let dir = URL(fileURLWithPath: mediaRoot + "/" + v.video.slug)
            let tracks = CaptionTracks.list(dir: dir, siteLanguage: language)
            if let t = tracks.first(where: { $0.lang == language }) ?? tracks.first,
                let data = FileManager.default.contents(atPath: dir.appendingPathComponent(t.file).path),
                let c = try? Captions.parse(Captions.decode(data), name: t.file, duration: 0)
            {
                text += " " + c.cues.map { Captions.plain($0.text) }.joined(separator: " ")
            }
            var seen = Set<String>()
            var words: [String] = []
            for w in text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }) where w.count > 1 {
                if seen.insert(String(w)).inserted { words.append(String(w)) }
            }
            rows.append([
                urls.video(v.video.slug), v.video.title, v.category?.name ?? "", String(description.prefix(240)),
                words.joined(separator: " "),
            ])
        }
        let data =
            (try? JSONSerialization.data(withJSONObject: ["v": 1, "videos": rows], options: [.sortedKeys])) ?? Data()
        return Array(data)
    }
}
