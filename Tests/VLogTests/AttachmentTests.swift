import Foundation
import Testing

@testable import VLogConfig

/// `vlog video attach`: an image a description shows and a download, through a real transcode,
/// build, nginx, slug change, delete and restore.
@Suite(.tags(.ffmpeg, .server), .fullTierOnly) struct AttachmentTests {
    @Test func attachedFilesAreServedBesideThePageAndMoveWithTheVideo() throws {
        let t = try fastSite()
        let clip = t.tmp.url.appendingPathComponent("clip.mp4")
        try makeClip(clip, size: "320x180", seconds: 2)
        let image = t.tmp.url.appendingPathComponent("viaduct.jpg")
        let r0 = try runProcess(
            "/usr/bin/ffmpeg",
            ["-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=64x36", "-frames:v", "1", image.path])
        #expect(r0.status == 0)
        let slides = t.tmp.url.appendingPathComponent("slides.pdf")
        try Data("%PDF-1.4 not really".utf8).write(to: slides)
        #expect(
            try vlog(
                [
                    "video", "add", clip.path, "--title", "Viaduct", "--slug", "viaduct", "--publish",
                    "--description", "![The viaduct](viaduct.jpg) and [the slides](slides.pdf)",
                ], cwd: t.root
            ).status == 0)
        // Attached before the transcode: the new rendition keeps it.
        let a = try vlog(["video", "attach", "viaduct", image.path, slides.path], cwd: t.root)
        #expect(a.status == 0, "\(a.stderr)")
        let again = try vlog(["video", "attach", "viaduct", image.path], cwd: t.root)
        #expect(again.status != 0 && again.stderr.contains("--replace"), "\(again.stderr)")
        let odd = t.tmp.url.appendingPathComponent("master.m3u8")
        try Data("#EXTM3U\n".utf8).write(to: odd)
        #expect(try vlog(["video", "attach", "viaduct", odd.path], cwd: t.root).stderr.contains("vlog's own media"))
        let b = try vlog(["build"], cwd: t.root)
        #expect(b.status == 0, "\(b.stdout)\(b.stderr)")
        #expect(try vlog(["video", "show", "viaduct"], cwd: t.root).stdout.contains("viaduct.jpg"))
        let nginx = try Nginx(root: t.site.outputURL, dir: t.tmp.url.appendingPathComponent("nginx"))
        func get(_ path: String) throws -> (String, Int) {
            let r = try runProcess(
                "/usr/bin/curl",
                [
                    "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                    "http://127.0.0.1:\(nginx.port)\(path)",
                ])
            let parts = r.stdout.split(separator: " ")
            return (String(parts.first ?? ""), Int(parts.last ?? "") ?? 0)
        }
        let imageSize = try FileManager.default.attributesOfItem(atPath: image.path)[.size] as? Int
        #expect(try get("/v/viaduct/viaduct.jpg") == ("200", imageSize ?? -1))
        #expect(try get("/v/viaduct/slides.pdf").0 == "200")
        #expect(try get("/v/viaduct/master.m3u8").0 == "200", "the transcode published")
        #expect(read(t, "v/viaduct/index.html").contains("<img src=\"viaduct.jpg\" alt=\"The viaduct\""))
        // A new slug takes the files along; the old address redirects.
        #expect(try vlog(["video", "edit", "viaduct", "--slug", "the-viaduct"], cwd: t.root).status == 0)
        #expect(try vlog(["build"], cwd: t.root).status == 0)
        #expect(try get("/v/the-viaduct/viaduct.jpg").0 == "200")
        // Delete hides them with the video; restore brings them back.
        #expect(try vlog(["video", "delete", "the-viaduct"], cwd: t.root).status == 0)
        #expect(try vlog(["build", "--allow-mass-removal"], cwd: t.root).status == 0)
        #expect(try get("/v/the-viaduct/viaduct.jpg").0 == "404")
        #expect(try vlog(["video", "restore", "the-viaduct"], cwd: t.root).status == 0)
        #expect(try vlog(["build"], cwd: t.root).status == 0)
        #expect(try get("/v/the-viaduct/viaduct.jpg").0 == "200")
        // Detach removes one file, and the next build stops serving it.
        #expect(try vlog(["video", "detach", "the-viaduct", "slides.pdf"], cwd: t.root).status == 0)
        #expect(try vlog(["build"], cwd: t.root).status == 0)
        #expect(try get("/v/the-viaduct/slides.pdf").0 == "404")
        #expect(try get("/v/the-viaduct/viaduct.jpg").0 == "200")
    }
}
