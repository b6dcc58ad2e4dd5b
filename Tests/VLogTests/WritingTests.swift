import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogSite
@testable import VLogStore
@testable import VLogSupport

/// Descriptions as people write them: GitHub-flavoured Markdown through Debian's libcmark-gfm,
/// headings below the page's own, links that still work in a feed reader.
@Suite struct WritingTests {
    @Test func githubFlavouredMarkdownRendersInSafeMode() {
        let html = Markdown.html(
            """
            | col | value |
            |-----|------:|
            | a   | 1     |

            ~~old~~ new, see https://example.org/x and www.example.com

            - [x] filmed
            - [ ] edited

            <script>alert(1)</script>
            """)
        #expect(html.contains("<table>") && html.contains("<td>a</td>") && html.contains("<td align=\"right\">1</td>"))
        #expect(!html.contains("|-----|"))
        #expect(html.contains("<del>old</del>"))
        #expect(html.contains("<a href=\"https://example.org/x\">https://example.org/x</a>"))
        #expect(html.contains("<a href=\"http://www.example.com\">www.example.com</a>"))
        #expect(html.contains("<input type=\"checkbox\" checked=\"\" disabled=\"\" />"))
        #expect(html.contains("<input type=\"checkbox\" disabled=\"\" />"))
        #expect(!html.contains("<script>"), "raw HTML still dropped")
    }

    @Test func descriptionHeadingsSitBelowThePageTitle() {
        let html = Markdown.html("# Route\n\ntext\n\n## Day 1\n\n###### deep")
        #expect(html.contains("<h2>Route</h2>") && html.contains("<h3>Day 1</h3>") && html.contains("<h6>deep</h6>"))
        #expect(!html.contains("<h1>"))
        // Already below: left alone.
        #expect(Markdown.html("## Kit\n\n### Lens").contains("<h2>Kit</h2>"))
    }

    @Test func feedsMakeRelativeLinksAbsolute() throws {
        let t = try TestSite()
        try insertReadyVideo(
            t, slug: "viaduct", title: "Viaduct",
            description: "![The viaduct](viaduct.jpg) see [the map](/maps/alps/) and [part 2](../part-2/) [top](#top)")
        _ = try Builder(site: t.site).build()
        let feed = read(t, "feed.xml")
        let base = t.site.config.baseURL.hasSuffix("/") ? t.site.config.baseURL : t.site.config.baseURL + "/"
        #expect(feed.contains("src=&quot;\(base)v/viaduct/viaduct.jpg&quot;"), "\(feed)")
        #expect(feed.contains("href=&quot;\(base)maps/alps/&quot;"))
        #expect(feed.contains("href=&quot;\(base)v/part-2/&quot;"))
        #expect(feed.contains("href=&quot;\(base)v/viaduct/#top&quot;"))
        // The page itself keeps them relative, where they resolve.
        #expect(read(t, "v/viaduct/index.html").contains("<img src=\"viaduct.jpg\" alt=\"The viaduct\" />"))
    }
}

/// SHA-256 from the system's libcrypto, checked against FIPS 180-4's test vectors.
@Suite struct DigestTests {
    @Test func sha256MatchesTheStandardsVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            SHA256.hex(String(repeating: "a", count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

/// Pages as a screen reader walks them: headings in order, every link named, no labels on spans.
@Suite struct AccessibilityTests {
    @Test func headingsInOrderLinksNamedNoLabelledSpans() throws {
        let t = try TestSite()
        try t.store.db.run("INSERT INTO categories (name, slug, description) VALUES ('Travel', 'travel', '# Trains')")
        let cat = t.store.db.lastInsertRowID
        try insertReadyVideo(
            t, slug: "alps", title: "Crossing the Alps", description: "# Route\n\n## Day 1", category: cat)
        try insertReadyVideo(t, slug: "sea", title: "By the sea", category: cat)
        _ = try Builder(site: t.site).build()
        for page in [
            "index.html", "c/index.html", "c/travel/index.html", "v/alps/index.html", "search/index.html", "404.html",
        ] {
            let html = read(t, page)
            #expect(!html.isEmpty, "\(page)")
            let levels = html.matches(of: /<h([1-6])[ >]/).map { Int($0.1)! }
            #expect(levels.first == 1, "\(page) starts with an h1: \(levels)")
            for (a, b) in zip(levels, levels.dropFirst()) { #expect(b <= a + 1, "\(page): h\(a) then h\(b)") }
            #expect(levels.filter { $0 == 1 }.count == 1, "\(page): one h1")
            for link in html.matches(of: /<a ([^>]*)>(.*?)<\/a>/.dotMatchesNewlines()) {
                let text = String(link.2).replacing(/<[^>]+>/, with: "").trimmingCharacters(in: .whitespacesAndNewlines)
                let label = link.1.firstMatch(of: /aria-label="([^"]*)"/).map { String($0.1) }
                let name = label ?? text
                #expect(!name.isEmpty, "\(page): a link without a name: \(link.0)")
                #expect(!name.allSatisfy { $0.isNumber || $0 == ":" }, "\(page): a link named \(name)")
            }
            #expect(html.matches(of: /<span[^>]*aria-label/).isEmpty, "\(page): aria-label on a span")
        }
        #expect(read(t, "index.html").contains("aria-label=\"Crossing the Alps (1:05)\""))
    }
}
