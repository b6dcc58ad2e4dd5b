import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogSite

/// The player's units as the build joins them: the bundle, its minification and its size budget,
/// and the rung choice as the pure function it is, run in a real browser's JavaScript engine.
@Suite struct PlayerUnitTests {
    static let units = Resources.shareDir!.appendingPathComponent("public/assets/player")

    func source(_ unit: String) throws -> String {
        try String(contentsOf: Self.units.appendingPathComponent(unit), encoding: .utf8)
    }

    /// The assets of a fresh site, as a build writes them.
    func builtAssets() throws -> (TempDir, [String: Data]) {
        let tmp = try TempDir()
        let site = try Site.create(at: tmp.url.appendingPathComponent("s").path, title: "T", baseURL: "http://x/")
        var out: [String: Data] = [:]
        for (path, entry) in try Builder(site: site).assets() {
            if case .bytes(let d) = entry { out[path] = d }
        }
        return (tmp, out)
    }

    @Test func theUnitsBecomeOneMinifiedPlayer() throws {
        let (_, assets) = try builtAssets()
        let player = String(decoding: try #require(assets["assets/player.js"]), as: UTF8.self)
        #expect(!assets.keys.contains { $0.hasPrefix("assets/player/") }, "the units are not published")
        for name in [
            "function chooseRung(", "function Estimator(", "function BufferWindow(", "var TUNING", "vlog_viewer",
        ] {
            #expect(player.contains(name), "the bundle holds \(name)")
        }
        #expect(player.hasPrefix("(()=>{\n\"use strict\";") && player.hasSuffix("})();\n"), "one strict-mode function")
        #expect(!player.contains("\n\n") && !player.contains("\n  "), "no blank lines, no indentation")
        let units = try FileManager.default.contentsOfDirectory(atPath: Self.units.path).filter { $0.hasSuffix(".js") }
        let raw = try units.reduce(0) { $0 + (try source($1)).utf8.count }
        print("player: \(units.count) units, \(raw) bytes; bundle \(player.utf8.count) bytes")
        #expect(player.utf8.count < raw * 85 / 100, "minified: \(player.utf8.count) of \(raw) bytes")
    }

    @Test func theMinifierKeepsStringsRegexesAndLineBreaks() {
        let js = """
            // gone
            var a = "x // not a comment", b = 'it''s', c = `t /* kept */`;
              /* block */ var re = /[/]+\\/x/g, q = a.length / 2 / 1;
            if (/^[0-9]$/.test(k)) x = y - -z + +w;
            return /a/.test(s)
            next()
            """
        let m = Minify.javaScript(js)
        #expect(m.contains(#""x // not a comment""#) && m.contains("`t /* kept */`"), "\(m)")
        #expect(m.contains(#"/[/]+\/x/g"#) && m.contains("a.length / 2 / 1"), "\(m)")
        #expect(m.contains("/^[0-9]$/.test(k)") && m.contains("y- -z+ +w"), "\(m)")
        #expect(!m.contains("gone") && !m.contains("block"), "\(m)")
        #expect(m.contains("return /a/.test(s)\nnext()"), "line breaks stay for ASI: \(m)")
    }

    /// Everything a video page loads (its scripts and styles, as the templates name them), gzipped
    /// as a web server sends them: at most 15 KB.
    @Test func aVideoPageLoadsAtMost15KBOfScriptAndStyleGzipped() throws {
        let (tmp, assets) = try builtAssets()
        let templates = Resources.shareDir!.appendingPathComponent("templates")
        var names: Set<String> = []
        for t in ["base.mustache", "video.mustache"] {
            let text = try String(contentsOf: templates.appendingPathComponent(t), encoding: .utf8)
            let re = try NSRegularExpression(pattern: #"assets/[A-Za-z0-9_.-]+\.(?:js|css)"#)
            for m in re.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                names.insert(String(text[Range(m.range, in: text)!]))
            }
        }
        #expect(names.contains("assets/player.js") && names.contains("assets/style.css"), "\(names)")
        var total = 0
        for name in names.sorted() {
            let file = tmp.url.appendingPathComponent(name.replacingOccurrences(of: "/", with: "_"))
            try #require(assets[name]).write(to: file)
            let r = try runProcess("/bin/sh", ["-c", "gzip -9c < '\(file.path)' | wc -c"])
            let size = Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .max
            print("\(name): \(assets[name]!.count) bytes, \(size) gzipped")
            total += size
        }
        print("a video page's scripts and styles: \(total) bytes gzipped")
        #expect(total <= 15 * 1024, "\(total) bytes gzipped, budget 15 KB")
    }

    @Test(.tags(.browser), .fullTierOnly) func theRungChoiceIsAPureFunction() throws {
        let tmp = try TempDir()
        let b = try Chromium(profile: tmp.url.appendingPathComponent("profile"))
        let code = try ["10-tuning.js", "30-estimator.js", "40-rungs.js"].map(source).joined(separator: "\n")
        _ = try b.eval(code + "; 1")
        func pick(_ estimate: Double, _ buffered: Double) throws -> Int {
            let rungs = "[{bw: 700000}, {bw: 1200000}, {bw: 2800000}, {bw: 5400000}]"
            return (try b.eval("chooseRung(\(estimate), \(buffered), \(rungs), TUNING)") as? NSNumber)?.intValue ?? -1
        }
        #expect(try pick(0, 0) == 0, "nothing measured: the lowest rung")
        #expect(try pick(10_000_000, 2) == 2, "little buffer: half the estimate (5 Mbit/s) -> 2.8 Mbit/s")
        #expect(try pick(10_000_000, 12) == 3, "more buffer: 70% -> 5.4 Mbit/s fits")
        #expect(try pick(1_000_000, 30) == 0, "a slow link: the lowest")
        #expect(try pick(3_000_000, 25) == 1, "85% of 3 Mbit/s is 2.55: 1.2 Mbit/s")
        // The estimate: the slower of the two averages counts, so a sudden drop shows at once.
        let est =
            try b.eval(
                """
                (() => { var e = Estimator(TUNING); e.measure(1e6, 1, 6); var fast = e.bitsPerSecond();
                  e.measure(1e6, 8, 6); return [fast, e.bitsPerSecond()]; })()
                """) as? [NSNumber]
        #expect(est?[0].doubleValue == 8e6, "one megabyte in a second: 8 Mbit/s")
        #expect(
            (est?[1].doubleValue ?? 8e6) < 2.5e6,
            "after a slow segment the estimate drops at once: \(String(describing: est))")
    }
}
