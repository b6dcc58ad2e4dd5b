import ArgumentParser
import Foundation
import VLogConfig
import VLogContent
import VLogMedia
import VLogSupport

struct VideoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "video", abstract: "Manage videos.",
        subcommands: [
            Add.self, List.self, Show.self, Edit.self, Publish.self, Unpublish.self,
            Delete.self, Restore.self, Purge.self, Attach.self, Detach.self, ThumbnailCommand.self,
        ])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add video files; each is copied into uploads/ and waits for `vlog transcode`.")
        @OptionGroup var options: SiteOptions
        @Argument(help: "The video files (`clips/*.mp4`).") var files: [String]
        @Option(help: "Title (one file only; default: the file's embedded title, else its name).") var title: String?
        @Option(help: "URL slug (default: made from the title).") var slug: String?
        @Option(help: "Markdown description.") var description: String?
        @Option(name: .customLong("description-file"), help: "Read the markdown description from a file.")
        var descriptionFile: String?
        @Option(help: "Category slug or name.") var category: String?
        @Flag(help: "Publish as soon as it is transcoded.") var publish = false
        @Option(name: .customLong("publish-at"), help: "Publish at this date (YYYY-MM-DD[ HH:MM] UTC, or ISO 8601).")
        var publishAt: String?
        @Flag(help: "Move the file instead of copying it.") var move = false
        @Option(help: "Subtitles (.srt or .vtt) in the site's language; `vlog captions add` adds more.") var captions:
            String?

        func validate() throws {
            if description != nil && descriptionFile != nil {
                throw ValidationError("give --description or --description-file, not both")
            }
            if publish && publishAt != nil { throw ValidationError("give --publish or --publish-at, not both") }
            if files.isEmpty { throw ValidationError("give the video file(s) to add") }
            if files.count > 1 {
                for (given, name) in [(title, "--title"), (slug, "--slug"), (captions, "--captions")] where given != nil
                {
                    throw ValidationError(
                        "\(name) names one video; add the \(files.count) files without it, or one at a time")
                }
            }
        }

        func run() throws {
            // Check every input before touching the site, so a mistake changes nothing.
            var template = NewVideo(source: URL(fileURLWithPath: files[0]), title: title ?? "")
            template.slug = slug
            template.category = category
            template.move = move
            if let publishAt { template.publishAt = try Videos.parseDate(publishAt, option: "--publish-at") }
            if let descriptionFile {
                template.description = try readDescription(descriptionFile)
            } else if let description {
                template.description = description
            }
            for f in files where !FileManager.default.isReadableFile(atPath: f) {
                let why = FileManager.default.fileExists(atPath: f) ? "cannot read" : "no such file:"
                throw VLogError.notFound("\(why) \(f); check the path (nothing was added)")
            }
            let (site, store) = try options.open()
            if let captions {
                // Checked before the video is added, so a broken file changes nothing.
                _ = try Captions.read(URL(fileURLWithPath: captions), duration: 0)
            }
            if publish { template.publishAt = Date() }
            var failed = 0
            for f in files {
                var new = template
                new.source = URL(fileURLWithPath: f)
                new.title = title ?? Prober().title(of: new.source)
                do {
                    let v = try Videos(site: site, store: store).add(new)
                    if let captions {
                        try CaptionTracks(site: site).add(
                            slug: v.slug, file: URL(fileURLWithPath: captions), lang: nil, label: nil, duration: 0)
                    }
                    let when = v.publishedAt.map { ", publishes \(formatDate($0)) UTC" } ?? ""
                    out("Added \(v.slug) \"\(v.title)\" (pending transcode)\(when)")
                } catch let e as VLogError where files.count > 1 {
                    // One file's problem does not stop the others; it is named and the exit is 1.
                    FileHandle.standardError.write(Data("error: \(f): \(e.description)\n".utf8))
                    failed += 1
                }
            }
            if failed > 0 { throw ExitCode(1) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List videos, newest first.")
        @OptionGroup var options: SiteOptions
        @Flag(help: "Include deleted (archived) videos.") var all = false
        @Option(help: "Only videos with this status (pending, processing, ready, failed).") var status: String?
        func run() throws {
            if let status, VideoStatus(rawValue: status) == nil {
                throw ValidationError("unknown status `\(status)`; use pending, processing, ready or failed")
            }
            let (_, store) = try options.open(.read)
            let cats = Dictionary(uniqueKeysWithValues: try store.categories().map { ($0.id, $0.slug) })
            let unlisted = try Videos(site: try options.load(), store: store).unlistedIDs()
            let videos = try store.videos(includeDeleted: all).filter {
                status == nil || $0.state == status.flatMap(VideoStatus.init)
            }
            if videos.isEmpty {
                out("No videos. Add one with `vlog video add FILE --title \"...\"`.")
                return
            }
            out(
                col("SLUG", 28) + " " + col("TITLE", 30) + " " + col("STATUS", 10) + " " + col("LENGTH", 8) + " "
                    + col("CATEGORY", 14) + " PUBLISHED")
            for v in videos {
                var state = v.status
                if v.deletedAt != nil { state = "deleted" }
                var pub = v.publishedAt.map { $0 > Date() ? "scheduled \(formatDate($0))" : formatDate($0) } ?? "-"
                if unlisted.contains(v.id) { pub += " (unlisted)" }
                out(
                    col(v.slug, 28) + " " + col(v.title, 30) + " " + col(state, 10) + " "
                        + col(v.duration > 0 ? formatDuration(v.duration) : "-", 8) + " "
                        + col(v.categoryID.flatMap { cats[$0] } ?? "-", 14) + " " + pub)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one video's details.")
        @OptionGroup var video: VideoArgument
        func run() throws {
            let (site, store) = try video.options.open(.read)
            let videos = Videos(site: site, store: store)
            let v = try videos.require(video.slug)
            out("title:       \(v.title)")
            out("slug:        \(v.slug)")
            out("status:      \(v.status)\(v.deletedAt != nil ? " (deleted \(formatDate(v.deletedAt)))" : "")")
            if let e = v.errorMessage { out("error:       \(e)") }
            out("category:    \(try v.categoryID.flatMap { try store.category(id: $0)?.slug } ?? "-")")
            out("duration:    \(v.duration > 0 ? formatDuration(v.duration) : "-")")
            out(
                "source:      \(v.sourceWidth)x\(v.sourceHeight)  \(videos.sourceFile(slug: v.slug)?.path ?? "(no file in uploads/)")"
            )
            out("created:     \(formatDate(v.createdAt)) UTC")
            out("published:   \(formatDate(v.publishedAt))\(v.publishedAt != nil ? " UTC" : "")")
            let q = try store.qualities(videoID: v.id)
            out(
                "qualities:   \(q.isEmpty ? "-" : q.map { "\($0.quality) \($0.width)x\($0.height) \($0.bitrate)k" }.joined(separator: ", "))"
            )
            // Each rung's measured picture quality against the source, and how it was encoded.
            let measured = try store.rungQuality(videoID: v.id)
            // The H.264 rungs, then the AV1 ladder's (`720p.av1`: an SVT-AV1 CRF matched to the H.264 rung's SSIM).
            let names = q.map(\.quality) + q.map { "\($0.quality).av1" }.filter { measured[$0] != nil }
            for name in names {
                guard let m = measured[name] else { continue }
                let how =
                    name.hasSuffix(".av1")
                    ? "AV1" + (m.crf.map { " CRF \($0), matched to the H.264 rung's SSIM" } ?? "")
                    : m.crf.map { "CRF \($0) under \(name)'s cap" } ?? "fixed bitrate"
                let r = (quality: name, ())
                out(
                    "  \(r.quality.padding(toLength: 10, withPad: " ", startingAt: 0)) SSIM \(String(format: "%.4f", m.ssim))  PSNR \(String(format: "%.1f", m.psnr)) dB  \(how)"
                )
                if m.ssim < site.config.minimumSSIM {
                    out(
                        "  warning: \(r.quality) measured SSIM \(String(format: "%.4f", m.ssim)), under transcode.min_ssim \(site.config.minimumSSIM): raise its video_kbps in vlog.toml"
                    )
                }
            }
            let files = Attachments(site: site).list(slug: v.slug)
            out(
                "files:       \(files.isEmpty ? "-" : files.map { "\($0.name) (\(formatBytes($0.bytes)))" }.joined(separator: ", "))"
            )
            if !v.description.isEmpty { out("description:\n\(v.description)") }
        }
    }

    struct Attach: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Attach images or downloads to a video, served beside its page at /v/SLUG/NAME.")
        @OptionGroup var video: VideoArgument
        @Argument(help: "Files to attach (plain names: letters, digits, . _ -).") var files: [String]
        @Flag(help: "Replace attachments of the same name.") var replace = false
        func validate() throws { if files.isEmpty { throw ValidationError("give the file(s) to attach") } }
        func run() throws {
            let (site, v) = try video.video()
            let names = try Attachments(site: site).attach(
                slug: v.slug, files: files.map { URL(fileURLWithPath: $0) }, replace: replace, video: v)
            out("Attached to \(v.slug): \(names.joined(separator: ", ")) (in the description: ![Text](\(names[0])))")
        }
    }

    struct Detach: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an attached file from a video.")
        @OptionGroup var video: VideoArgument
        @Argument(help: "The attachment's name.") var name: String
        func run() throws {
            let (site, v) = try video.video()
            try Attachments(site: site).detach(slug: v.slug, name: name)
            out("Removed \(name) from \(v.slug)")
        }
    }

    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a video's title, slug, description or category.")
        @OptionGroup var video: VideoArgument
        @Option(help: "New title.") var title: String?
        @Option(name: .customLong("slug"), help: "New slug (its files move too).") var newSlug: String?
        @Option(help: "New markdown description.") var description: String?
        @Option(name: .customLong("description-file"), help: "Read the new description from a file.")
        var descriptionFile: String?
        @Option(help: "New category slug or name.") var category: String?
        @Flag(name: .customLong("no-category"), help: "Remove the video from its category.") var noCategory = false
        @Flag(
            help:
                "Unlisted: its page, embed and media stay, but it leaves every list, feed, the sitemap and the search (noindex)."
        ) var unlisted = false
        @Flag(help: "Listed again: back in lists, feeds, the sitemap and the search at the next build.") var listed =
            false
        @Option(
            help: ArgumentHelp(
                "Offer a download beside the page: `original` (the upload) or a rung, e.g. 720p (a progressive MP4, no re-encode).",
                valueName: "original|RUNG")) var downloadable: String?
        @Flag(name: .customLong("not-downloadable"), help: "Take the download away.") var notDownloadable = false
        func validate() throws {
            if unlisted && listed { throw ValidationError("give --unlisted or --listed, not both") }
            if downloadable != nil && notDownloadable {
                throw ValidationError("give --downloadable or --not-downloadable, not both")
            }
            if category != nil && noCategory { throw ValidationError("give --category or --no-category, not both") }
            if description != nil && descriptionFile != nil {
                throw ValidationError("give --description or --description-file, not both")
            }
        }
        func run() throws {
            let desc = try descriptionFile.map(readDescription) ?? description
            let options = unlisted || listed || downloadable != nil || notDownloadable
            guard title != nil || newSlug != nil || desc != nil || category != nil || noCategory || options else {
                throw ValidationError(
                    "nothing to change; give --title, --slug, --description, --category, --no-category, --unlisted, --listed or --downloadable"
                )
            }
            let (_, videos) = try video.videos()
            if unlisted || listed {
                try videos.setUnlisted(video.slug, unlisted)
                out("\(video.slug) is now \(unlisted ? "unlisted (only its own address shows it)" : "listed").")
            }
            if downloadable != nil || notDownloadable {
                try videos.setDownloadable(video.slug, downloadable)
                out(
                    downloadable.map {
                        "\(video.slug) offers \($0 == "original" ? "its original" : "a \($0) MP4") as a download."
                    }
                        ?? "\(video.slug) offers no download.")
            }
            if options && title == nil && newSlug == nil && desc == nil && category == nil && !noCategory {
                out("`vlog build` publishes the change.")
                return
            }
            let v = try videos.edit(
                video.slug, title: title, newSlug: newSlug, description: desc,
                category: category, clearCategory: noCategory)
            out("Updated \(v.slug)")
        }
    }

    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Publish a video now or at a date.")
        @OptionGroup var video: VideoArgument
        @Option(help: "Publish at this date (YYYY-MM-DD[ HH:MM] UTC, or ISO 8601).") var at: String?
        @Flag(help: "Publish unlisted: only its own address shows it (`vlog video edit SLUG --listed` lists it).")
        var unlisted = false
        func run() throws {
            let date = try at.map { try Videos.parseDate($0, option: "--at") }
            let (_, videos) = try video.videos()
            if unlisted { try videos.setUnlisted(video.slug, true) }
            let v = try videos.publish(video.slug, at: date)
            let note = v.state == .ready ? "" : " (appears once transcoded; status \(v.status))"
            out("Published \(v.slug) at \(formatDate(v.publishedAt)) UTC\(note)")
        }
    }

    struct Unpublish: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a video off the site (it stays in the database).")
        @OptionGroup var video: VideoArgument
        func run() throws {
            let (site, videos) = try video.videos()
            try videos.unpublish(video.slug)
            out("Unpublished \(video.slug)")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Soft-delete a video: its files move to archive/ until `vlog video purge`.")
        @OptionGroup var video: VideoArgument
        func run() throws {
            let (site, videos) = try video.videos()
            try videos.delete(video.slug)
            out(
                "Deleted \(video.slug); files are in \(site.archiveDir(slug: video.slug).path). Undo with `vlog video restore \(video.slug)`."
            )
        }
    }

    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bring back a soft-deleted video.")
        @OptionGroup var video: VideoArgument
        func run() throws {
            let (site, videos) = try video.videos()
            try videos.restore(video.slug)
            out("Restored \(video.slug)")
        }
    }

    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Permanently remove videos deleted longer ago than the retention period.")
        @OptionGroup var options: SiteOptions
        @Option(
            name: .customLong("older-than-days"), parsing: .unconditional,
            help: "Override the retention period (archive.retention_days).") var olderThanDays: Int?
        func validate() throws { try requirePositive(olderThanDays, "--older-than-days", allowZero: true) }
        func run() throws {
            let (site, store) = try options.open()
            let purged = try Videos(site: site, store: store).purge(olderThanDays: olderThanDays)
            out(
                purged.isEmpty
                    ? "Nothing to purge." : "Purged \(purged.count) video(s): \(purged.joined(separator: ", "))")
        }
    }
}
