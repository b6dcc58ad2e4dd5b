import Foundation
import VLogConfig
import VLogMedia
import VLogSupport

/// `vlog video thumbnail`: the poster a publisher chooses, a frame of the source (`--at`) or an
/// image of their own (`--file`), kept as `thumbnail.chosen.jpg` in the video's media folder; the
/// poster and the list thumbnail are made from it, now and after every re-transcode
/// (`applyChosen`). `candidates` draws a contact sheet of frames to choose from.
public struct Thumbnails: Sendable {
    public let site: Site
    public var runner: any ProcessRunning

    public init(site: Site, runner: any ProcessRunning = SystemProcessRunner()) {
        self.site = site
        self.runner = runner
    }

    /// The chosen image's name in the media folder.
    public static let chosen = "thumbnail.chosen.jpg"
    /// The largest side of a chosen poster (a 1080p frame is kept at 1280 wide, as vlog's own).
    static let longest = 1280
    /// The smallest image taken as a poster.
    static let minimum = (width: 320, height: 180)

    /// A frame of the source at `seconds`.
    public func choose(slug: String, at seconds: Double, duration: Double) throws {
        guard let source = site.sourceFile(slug: slug) else {
            throw VLogError.notFound("the source of `\(slug)` is not in \(site.uploadsURL.path); give --file instead")
        }
        guard seconds >= 0, duration <= 0 || seconds < duration else {
            throw VLogError.invalidInput(
                "--at \(Format.duration(seconds)) is past the end of `\(slug)` (\(Format.duration(duration)))")
        }
        try make(
            ["-ss", ChunkWork.time(seconds), "-i", source.path], slug: slug,
            what: "a frame at \(Format.duration(seconds))")
    }

    /// An image of the publisher's own: checked (an image ffmpeg reads, at least 320x180), then
    /// kept as JPEG at most 1280 px on its long side.
    public func choose(slug: String, file: URL) throws {
        let kind = FileKind(path: file.resolvingSymlinksInPath().path)
        guard kind == .regular else {
            throw VLogError.invalidInput(
                kind == .missing ? "\(file.path) does not exist" : "\(file.path) is \(kind.described), not an image")
        }
        let probe = try runner.run(
            "ffprobe",
            [
                "-v", "error", "-select_streams", "v:0", "-show_entries",
                "stream=codec_name,width,height:format=format_name",
                "-of", "default=nw=1", file.path,
            ], timeout: 60)
        var fields: [String: String] = [:]
        for line in probe.stdout.split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
        }
        let images = ["mjpeg", "png", "webp", "gif", "bmp", "tiff"]
        guard probe.status == 0, let codec = fields["codec_name"], images.contains(codec),
            (fields["format_name"] ?? "").contains("pipe") || (fields["format_name"] ?? "").contains("image2")
                || (fields["format_name"] ?? "") == "gif"
        else {
            throw VLogError.invalidInput("\(file.path) is not an image (JPEG, PNG or WebP); give a poster image")
        }
        let w = Int(fields["width"] ?? "") ?? 0
        let h = Int(fields["height"] ?? "") ?? 0
        guard w > 0, h > 0 else {
            throw VLogError.invalidInput("\(file.path) is not an image (JPEG, PNG or WebP); give a poster image")
        }
        guard w >= Self.minimum.width, h >= Self.minimum.height else {
            throw VLogError.invalidInput(
                "\(file.lastPathComponent) is \(w)x\(h); a poster needs at least \(Self.minimum.width)x\(Self.minimum.height)"
            )
        }
        try make(["-i", file.path], slug: slug, what: file.lastPathComponent)
    }

    /// The chosen image from `input`, then the poster and the list thumbnail from it.
    func make(_ input: [String], slug: String, what: String) throws {
        let dir = site.mediaDir(slug: slug)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tmp = dir.appendingPathComponent(".chosen.tmp-\(getpid()).jpg")
        defer { unlink(tmp.path) }
        let scale =
            "scale='if(gt(iw,ih),min(\(Self.longest),iw),-2)':'if(gt(iw,ih),-2,min(\(Self.longest),ih))',setsar=1"
        let r = try runner.run(
            "ffmpeg",
            ["-hide_banner", "-nostdin", "-y", "-loglevel", "error"] + input
                + ["-frames:v", "1", "-vf", scale, "-q:v", "3", tmp.path], timeout: 120)
        guard r.status == 0, (FileIO.size(tmp) ?? 0) > 0 else {
            throw VLogError.tool("ffmpeg could not make a poster from \(what): \(r.stderrTail)")
        }
        try site.changingMedia(slug: slug) {
            try FileIO.moveReplacing(tmp, to: dir.appendingPathComponent(Self.chosen))
            try Self.applyChosen(in: dir, to: dir, runner: runner)
        }
    }

    /// Where `from` holds a chosen image: it goes to `to` (unless there), and `to`'s poster and
    /// list thumbnail are made from it (a re-transcode's new folder keeps the publisher's choice).
    static func applyChosen(in from: URL, to: URL, runner: any ProcessRunning) throws {
        let chosen = from.appendingPathComponent(Self.chosen)
        guard FileIO.exists(chosen) else { return }
        if from != to { try FileIO.copyRegularFile(from: chosen, to: to.appendingPathComponent(Self.chosen)) }
        for (name, scale) in [(MediaLayout.poster, "scale=iw:ih"), (MediaLayout.smallPoster, "scale=320:-2")] {
            let tmp = to.appendingPathComponent(".\(name).tmp-\(getpid()).jpg")
            defer { unlink(tmp.path) }
            let r = try runner.run(
                "ffmpeg",
                [
                    "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-i", chosen.path, "-vf", scale, "-q:v",
                    name == MediaLayout.poster ? "3" : "4", tmp.path,
                ], timeout: 60)
            guard r.status == 0 else {
                throw VLogError.tool("ffmpeg could not scale the chosen poster: \(r.stderrTail)")
            }
            try FileIO.moveReplacing(tmp, to: to.appendingPathComponent(name))
        }
    }

    /// A contact sheet of `count` frames evenly spread over the source (4 across), written to
    /// `out` (never over a file already there); returns each frame's time, in the sheet's order.
    public func candidates(slug: String, duration: Double, out: URL, count: Int = 12) throws -> [Double] {
        guard let source = site.sourceFile(slug: slug) else {
            throw VLogError.notFound("the source of `\(slug)` is not in \(site.uploadsURL.path)")
        }
        let times = Self.candidateTimes(duration: duration, count: count)
        // Written beside `out` and renamed: a killed run leaves no half image there.
        let tmp = out.deletingLastPathComponent().appendingPathComponent(".\(out.lastPathComponent).tmp-\(getpid())")
        defer { unlink(tmp.path) }
        var args = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
        for t in times { args += ["-ss", ChunkWork.time(t), "-i", source.path] }
        let inputs = times.indices.map { "[\($0):v:0]scale=320:-2,setsar=1,trim=end_frame=1[f\($0)]" }
        let stack = times.indices.map { "[f\($0)]" }.joined()
        let layout = times.indices.map { i in
            "\(i % 4 == 0 ? "0" : (0..<(i % 4)).map { "w\($0)" }.joined(separator: "+"))_\(i / 4 == 0 ? "0" : (0..<(i / 4)).map { "h\($0 * 4)" }.joined(separator: "+"))"
        }
        args += [
            "-filter_complex",
            inputs.joined(separator: ";") + ";" + stack
                + "xstack=inputs=\(count):layout=\(layout.joined(separator: "|"))[s]",
            "-map", "[s]", "-frames:v", "1", "-q:v", "3", "-f", "image2", tmp.path,
        ]
        let r = try runner.run("ffmpeg", args, timeout: 300)
        guard r.status == 0 else { throw VLogError.tool("ffmpeg could not draw the contact sheet: \(r.stderrTail)") }
        try FileIO.move(tmp, to: out)
        return times
    }

    /// `count` times evenly spread over `duration`, each at the precision it is printed with
    /// (whole seconds, or tenths when frames are under 2 s apart), so that `--at` with a printed
    /// time picks the very frame the sheet shows.
    static func candidateTimes(duration: Double, count: Int) -> [Double] {
        let step = duration / Double(count)
        let unit = step >= 2 ? 1.0 : 0.1
        return (0..<count).map { i in
            let t = (step * (Double(i) + 0.5) / unit).rounded() * unit
            return min(t, max(0, ((duration - unit) / unit).rounded(.down) * unit))
        }
    }
}
