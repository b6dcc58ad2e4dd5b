import Foundation
import Testing

@testable import VLogConfig
@testable import VLogSupport

/// `vlog deploy` to a real rsync daemon on this machine (rsync's own protocol) and to a folder
/// through rclone: the order (media, playlists, pages, deletions), only changes sent, dry runs.
@Suite(.serialized) struct DeployTests {
    /// An rsync daemon with one writable module, logging every transfer and deletion in order.
    final class RsyncDaemon {
        let dir: URL
        let port = freePort()
        let process = Process()
        var www: URL { dir.appendingPathComponent("www") }
        var log: String { (try? String(contentsOf: dir.appendingPathComponent("rsyncd.log"), encoding: .utf8)) ?? "" }

        init(dir: URL) throws {
            self.dir = dir
            try FileManager.default.createDirectory(
                at: dir.appendingPathComponent("www"), withIntermediateDirectories: true)
            let conf = """
                port = \(port)
                address = 127.0.0.1
                use chroot = no
                pid file = \(dir.path)/rsyncd.pid
                log file = \(dir.path)/rsyncd.log
                transfer logging = yes
                log format = %o %n
                [site]
                path = \(dir.path)/www
                read only = no
                uid = \(getuid())
                gid = \(getgid())

                """
            try conf.write(to: dir.appendingPathComponent("rsyncd.conf"), atomically: true, encoding: .utf8)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/rsync")
            process.arguments = ["--daemon", "--no-detach", "--config", dir.appendingPathComponent("rsyncd.conf").path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<50 {
                usleep(100_000)
                if (try? runProcess("/usr/bin/rsync", ["rsync://127.0.0.1:\(port)/"]))?.status == 0 { return }
            }
        }
        deinit {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Relative paths of the files under `dir`, without vlog's bookkeeping.
    func files(_ dir: URL) -> Set<String> {
        Set(
            tree(dir).filter {
                !$0.hasPrefix(".vlog-manifest") && !$0.hasPrefix(".vlog-fingerprint") && $0 != ".vlog-deployed"
                    && !FileIO.isDirectory(dir.appendingPathComponent($0))
            })
    }

    func site() throws -> TestSite {
        let t = try TestSite()
        for slug in ["alps", "sea"] {
            try insertReadyVideo(t, slug: slug, title: slug)
            try Data(repeating: 1, count: 3000).write(
                to: t.site.mediaDir(slug: slug).appendingPathComponent("720p_0001.m4s"))
        }
        #expect(try vlog(["build", "--no-transcode"], cwd: t.root).status == 0)
        return t
    }

    @Test func deploysOverRsyncsOwnProtocolInAnOrderThatNeverBreaksTheLiveSite() throws {
        let t = try site()
        let daemon = try RsyncDaemon(dir: t.tmp.url.appendingPathComponent("rsyncd"))
        let target = "rsync://127.0.0.1:\(daemon.port)/site/"
        let dry = try vlog(["deploy", target, "--dry-run"], cwd: t.root)
        #expect(dry.status == 0, "\(dry.stdout)\(dry.stderr)")
        #expect(dry.stdout.contains("would media:") && dry.stdout.contains("Dry run"))
        #expect(files(daemon.www).isEmpty, "a dry run sends nothing")

        let deployed = try vlog(["deploy", target], cwd: t.root)
        #expect(deployed.status == 0, "\(deployed.stdout)\(deployed.stderr)")
        #expect(files(daemon.www) == files(t.site.outputURL), "the remote holds the site")
        #expect(!FileIO.exists(daemon.www.appendingPathComponent(".vlog-manifest")), "bookkeeping stays home")
        // In the daemon's log: every segment before any playlist, every playlist before any page.
        let received = daemon.log.split(separator: "\n").compactMap { line -> String? in
            guard let r = line.range(of: "] recv ") else { return nil }
            return String(line[r.upperBound...])
        }
        #expect(received.contains { $0.hasSuffix("master.m3u8") } && received.contains { $0.hasSuffix(".html") })
        #expect(received.contains { $0.hasSuffix(".m4s") })
        func lastOf(_ f: (String) -> Bool) -> Int { received.lastIndex(where: f) ?? -1 }
        func firstOf(_ f: (String) -> Bool) -> Int { received.firstIndex(where: f) ?? Int.max }
        #expect(
            lastOf { $0.hasSuffix(".m4s") || $0.hasSuffix(".jpg") } < firstOf { $0.hasSuffix(".m3u8") }, "\(received)")
        #expect(
            lastOf { $0.hasSuffix(".m3u8") && !$0.hasSuffix("master.m3u8") } < firstOf { $0.hasSuffix("master.m3u8") })
        #expect(lastOf { $0.hasSuffix(".m3u8") } < firstOf { $0.hasSuffix(".html") })

        // Nothing changed: nothing sent.
        let again = try vlog(["deploy", target], cwd: t.root)
        #expect(
            again.stdout.split(separator: "\n").filter { $0.contains(": 0 change(s)") }.count == 5, "\(again.stdout)")

        // A deleted video: pages first, then its files are deleted, last.
        #expect(try vlog(["video", "delete", "sea"], cwd: t.root).status == 0)
        #expect(try vlog(["build", "--no-transcode", "--allow-mass-removal"], cwd: t.root).status == 0)
        let before = daemon.log.count
        let third = try vlog(["deploy", target], cwd: t.root)
        #expect(third.status == 0, "\(third.stderr)")
        let tail = String(daemon.log.dropFirst(before)).split(separator: "\n")
        let firstDelete = tail.firstIndex { $0.contains("] del. ") } ?? -1
        let lastPage = tail.lastIndex { $0.contains("] recv ") && $0.hasSuffix(".html") } ?? Int.max
        #expect(firstDelete > lastPage, "deletions come after the pages: \(tail)")
        #expect(!FileIO.exists(daemon.www.appendingPathComponent("v/sea")))
        #expect(files(daemon.www) == files(t.site.outputURL))
    }

    @Test func deploysThroughRclone() throws {
        let t = try site()
        let dest = t.tmp.url.appendingPathComponent("bucket")
        let r = try vlog(["deploy", "rclone:\(dest.path)"], cwd: t.root, env: ["RCLONE_CONFIG": "/dev/null"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(files(dest) == files(t.site.outputURL))
        #expect(try vlog(["video", "delete", "sea"], cwd: t.root).status == 0)
        #expect(try vlog(["build", "--no-transcode", "--allow-mass-removal"], cwd: t.root).status == 0)
        #expect(
            try vlog(["deploy", "rclone:\(dest.path)"], cwd: t.root, env: ["RCLONE_CONFIG": "/dev/null"]).status == 0)
        #expect(files(dest) == files(t.site.outputURL))
    }

    @Test func aTargetHoldingSomeoneElsesFilesIsRefusedAndKeptWhole() throws {
        let t = try site()
        let home = t.tmp.url.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let thesis = home.appendingPathComponent("thesis.tex")
        try Data("years of work".utf8).write(to: thesis)
        for target in [home.path, "rclone:\(home.path)"] {
            let r = try vlog(["deploy", target], cwd: t.root, env: ["RCLONE_CONFIG": "/dev/null"])
            #expect(r.status != 0 && r.stderr.contains("already holds files vlog did not deploy"), "\(r.stderr)")
            #expect(r.stderr.contains("thesis.tex"))
            #expect(try String(contentsOf: thesis, encoding: .utf8) == "years of work")
            #expect(tree(home) == ["thesis.tex"], "nothing sent, nothing deleted")
        }
        // A folder vlog deployed to (its marker is there) is deployed to again, deletions and all.
        let www = t.tmp.url.appendingPathComponent("www")
        #expect(try vlog(["deploy", www.path], cwd: t.root).status == 0)
        #expect(FileIO.exists(www.appendingPathComponent(".vlog-deployed")))
        try Data("stale".utf8).write(to: www.appendingPathComponent("stale.html"))
        #expect(try vlog(["deploy", www.path], cwd: t.root).status == 0)
        #expect(!FileIO.exists(www.appendingPathComponent("stale.html")))
        #expect(FileIO.exists(www.appendingPathComponent(".vlog-deployed")), "the marker survives the deletions")
    }
}
