import Foundation
import Testing

@testable import VLogSupport

/// `make dist` (issue 28): the tarball unpacked into a temporary folder, and the .deb unpacked by
/// `dpkg-deb -x`, each run as a publisher would on a machine without Swift: `init`, `video add`,
/// `build` (a real transcode), `check`, and `ingest` of nginx's log of a real playback's requests,
/// with nothing of the toolchain on PATH or LD_LIBRARY_PATH (a clean environment) and no
/// `libswift` in `ldd`'s list; the .deb has no lintian error.
@Suite(.serialized, .tags(.ffmpeg, .server), .fullTierOnly) struct DistTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func modified(_ u: URL) -> Date {
        (try? FileManager.default.attributesOfItem(atPath: u.path)[.modificationDate] as? Date) ?? .distantPast
    }

    /// `make dist` once per test run (incremental: a second run only repackages).
    static let built: Result<(tarball: URL, deb: URL), Error> = {
        do {
            // As a packager runs it: from a shell, not inside `swift test`'s environment.
            let env = ProcessInfo.processInfo.environment
            let r = try runProcess(
                "/usr/bin/env",
                [
                    "-i", "PATH=\(env["PATH"] ?? "/usr/bin:/bin")", "HOME=\(env["HOME"] ?? "/root")", "/usr/bin/make",
                    "-s", "dist",
                ],
                cwd: repo)
            guard r.status == 0 else {
                throw VLogError.tool("make dist failed: \(r.stderr.suffix(3000)) \(r.stdout.suffix(2000))")
            }
            let dist = repo.appendingPathComponent("dist")
            let version = try runProcess("/usr/bin/git", ["describe", "--tags", "--always", "--dirty"], cwd: repo)
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let plain = version.hasPrefix("v") ? String(version.dropFirst()) : version
            let tarball = dist.appendingPathComponent("vlog-\(plain)-linux-x86_64.tar.gz")
            let deb = try FileManager.default.contentsOfDirectory(atPath: dist.path).filter { $0.hasSuffix(".deb") }
                .map { dist.appendingPathComponent($0) }
                .max { modified($0) < modified($1) }
            guard FileIO.exists(tarball), let deb else {
                throw VLogError.notFound("make dist wrote no \(tarball.lastPathComponent) or .deb: \(r.stdout)")
            }
            return .success((tarball, deb))
        } catch { return .failure(error) }
    }()

    /// `bin` run with only the system's PATH and nothing else from this environment.
    func run(_ bin: URL, _ args: [String], home: URL) throws -> ProcessResult {
        try runProcess(
            "/usr/bin/env", ["-i", "PATH=/usr/bin:/bin", "HOME=\(home.path)", "LANG=C.UTF-8", bin.path] + args)
    }

    /// The walk a publisher takes with `bin`, in `dir`.
    func publish(with bin: URL, in dir: URL) throws {
        let ldd = try runProcess("/usr/bin/ldd", [bin.path])
        #expect(
            ldd.status == 0 && !ldd.stdout.contains("libswift") && !ldd.stdout.contains("not found"), "\(ldd.stdout)")
        #expect(!ldd.stdout.contains("/opt/swift"), "\(ldd.stdout)")
        let site = dir.appendingPathComponent("site")
        let clip = dir.appendingPathComponent("walk.mp4")
        try makeClip(clip, size: "640x360", seconds: 6)
        let v = try run(bin, ["version"], home: dir)
        #expect(v.status == 0 && v.stdout.hasPrefix("vlog "), "\(v.stdout)\(v.stderr)")
        let i = try run(bin, ["init", site.path, "--title", "From the package"], home: dir)
        #expect(i.status == 0, "\(i.stderr)")
        let cfg = site.appendingPathComponent("vlog.toml")
        let text = try String(contentsOf: cfg, encoding: .utf8)
            .replacingOccurrences(of: "preset = \"veryfast\"", with: "preset = \"ultrafast\"")
        try text.write(to: cfg, atomically: true, encoding: .utf8)
        let a = try run(
            bin, ["video", "add", clip.path, "--title", "A walk", "--slug", "walk", "--publish", "--site", site.path],
            home: dir)
        #expect(a.status == 0, "\(a.stderr)")
        let b = try run(bin, ["build", "--site", site.path], home: dir)
        #expect(b.status == 0, "\(b.stdout)\(b.stderr)")
        let out = site.appendingPathComponent("_site")
        let page = (try? String(contentsOf: out.appendingPathComponent("v/walk/index.html"), encoding: .utf8)) ?? ""
        #expect(page.contains("data-vlog-player") && page.contains("A walk"), "the page from the packaged templates")
        #expect(FileIO.exists(out.appendingPathComponent("assets/player.js")), "the packaged public/ assets")
        let c = try run(bin, ["check", "--site", site.path], home: dir)
        #expect(c.status == 0, "\(c.stdout)\(c.stderr)")

        // A playback's requests through nginx, then its log ingested.
        let nginx = try Nginx(root: out, dir: dir.appendingPathComponent("nginx"))
        let base = "http://127.0.0.1:\(nginx.port)/v/walk/"
        let master = try fetch(base + "master.m3u8")
        let rung = try #require(master.split(separator: "\n").first { $0.hasSuffix(".m3u8") })
        let playlist = try fetch(base + rung)
        for line in playlist.split(separator: "\n") where line.hasPrefix("#EXT-X-MAP:URI=") || !line.hasPrefix("#") {
            let name = line.hasPrefix("#") ? line.split(separator: "\"")[1] : line
            _ = try fetch(base + name)
        }
        let g = try run(bin, ["ingest", nginx.accessLog.path, "--site", site.path], home: dir)
        #expect(g.status == 0, "\(g.stdout)\(g.stderr)")
        let s = try run(bin, ["stats", "--site", site.path], home: dir)
        #expect(g.stdout.contains("sessions:          1 new"), "\(g.stdout)")
        #expect(s.status == 0 && s.stdout.contains("views 1") && s.stdout.contains("walk"), "\(s.stdout)\(s.stderr)")
    }

    /// GET `url` as a browser would (a browser's user agent: curl's own is a bot to the ingester).
    func fetch(_ url: String) throws -> String {
        let r = try runProcess(
            "/usr/bin/curl",
            [
                "-sf", "-A",
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
                url,
            ])
        #expect(r.status == 0, "GET \(url): \(r.stderr)")
        return r.stdout
    }

    @Test func theTarballRunsFromAnyFolderWithoutSwift() throws {
        let (tarball, _) = try Self.built.get()
        let tmp = TempDir()
        let r = try runProcess("/usr/bin/tar", ["-xzf", tarball.path, "-C", tmp.url.path])
        #expect(r.status == 0, "\(r.stderr)")
        let top = try #require(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path).first)
        let root = tmp.url.appendingPathComponent(top)
        for f in [
            "bin/vlog", "share/vlog/templates/video.mustache", "share/vlog/public/assets/style.css",
            "share/man/man1/vlog.1", "share/bash-completion/completions/vlog", "share/zsh/site-functions/_vlog",
            "share/fish/vendor_completions.d/vlog.fish", "README.md", "LICENSE",
        ] {
            #expect(FileIO.exists(root.appendingPathComponent(f)), "\(f) in the tarball")
        }
        // Moved somewhere else after unpacking: relocatable.
        let moved = tmp.url.appendingPathComponent("elsewhere/vlog")
        try FileManager.default.createDirectory(
            at: moved.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: root, to: moved)
        try publish(with: moved.appendingPathComponent("bin/vlog"), in: tmp.url)
    }

    @Test func theDebianPackageHasNoLintianErrorAndRunsWithoutSwift() throws {
        let (_, deb) = try Self.built.get()
        let lintian = try runProcess("/usr/bin/lintian", ["--tag-display-limit", "0", deb.path])
        let errors = lintian.stdout.split(separator: "\n").filter { $0.hasPrefix("E:") }
        #expect(errors.isEmpty, "\(lintian.stdout)\(lintian.stderr)")
        let depends = try runProcess("/usr/bin/dpkg-deb", ["-f", deb.path, "Depends", "Recommends", "Suggests"]).stdout
        #expect(depends.contains("ffmpeg") && depends.contains("libsqlite3-0") && depends.contains("libcmark-gfm"))
        #expect(depends.contains("Recommends: nginx | caddy"), "\(depends)")
        #expect(depends.contains("Suggests: pocketsphinx, parallel, rsync, rclone"), "\(depends)")
        let tmp = TempDir()
        let root = tmp.url.appendingPathComponent("root")
        let x = try runProcess("/usr/bin/dpkg-deb", ["-x", deb.path, root.path])
        #expect(x.status == 0, "\(x.stderr)")
        for f in [
            "usr/bin/vlog", "usr/share/vlog/templates/video.mustache", "usr/share/man/man1/vlog.1.gz",
            "usr/share/doc/vlog/copyright", "usr/share/doc/vlog/changelog.gz",
            "usr/share/bash-completion/completions/vlog",
        ] {
            #expect(FileIO.exists(root.appendingPathComponent(f)), "\(f) in the .deb")
        }
        try publish(with: root.appendingPathComponent("usr/bin/vlog"), in: tmp.url)
    }
}
