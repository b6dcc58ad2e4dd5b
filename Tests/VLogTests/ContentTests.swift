import Foundation
import Testing

@testable import VLogConfig
@testable import VLogContent
@testable import VLogSupport

@Suite struct SlugTests {
    @Test func slugsFromTitles() {
        #expect(Slug.make("Über Café") == "uber-cafe")
        #expect(Slug.make("Crossing the Alps!") == "crossing-the-alps")
        #expect(Slug.make("  Straße & Øl  ") == "strasse-and-ol")
        // Every script reads like its title (ICU's transliteration).
        #expect(Slug.make("Поездка в Альпы") == "poezdka-v-alpy")
        #expect(Slug.make("東京の夜") == "dong-jingno-ye")
        #expect(Slug.make("Ελλάδα 2024") == "ellada-2024")
        #expect(Slug.make("서울의 밤") == "seoul-ui-bam")
        #expect(Slug.make("Don't stop") == "dont-stop")
        #expect(Slug.make("🎉🎉") == "video")
        #expect(Slug.make("10 Tips -- for   2025") == "10-tips-for-2025")
    }

    @Test func unsafeSlugsAreRefused() {
        for bad in ["", "a/b", "../x", "a b", "tab\there", ".hidden", "x\u{7}"] {
            #expect(throws: VLogError.self, "\(bad.debugDescription)") { try Slug.validate(bad) }
        }
        #expect(throws: Never.self) { try Slug.validate("my-video_2") }
    }

    @Test func uniqueBySuffix() {
        let taken: Set = ["a", "a-2"]
        #expect(Slug.unique("a") { taken.contains($0) } == "a-3")
        #expect(Slug.unique("b") { taken.contains($0) } == "b")
    }
}

@Suite struct ContentTests {
    @Test func addCopiesIntoUploadsAndRecordsAPendingVideo() throws {
        let t = try TestSite()
        _ = try Categories(store: t.store).add(name: "Travel", description: "Trips, *mostly* by train.")
        var new = NewVideo(source: t.dummyFile(), title: "Crossing the Alps")
        new.category = "travel"
        new.description = "# Alps"
        new.publishAt = Date()
        let v = try Videos(site: t.site, store: t.store).add(new)
        #expect(v.slug == "crossing-the-alps" && v.status == "pending" && v.categoryID != nil && v.publishedAt != nil)
        #expect(t.files(in: t.site.uploadsURL) == ["crossing-the-alps.mp4"])
        #expect(FileManager.default.fileExists(atPath: t.dummyFile().path), "source kept when copying")
        // Same title again: unique by suffix.
        let again = try Videos(site: t.site, store: t.store).add(
            NewVideo(source: t.dummyFile(), title: "Crossing the Alps"))
        #expect(again.slug == "crossing-the-alps-2")
    }

    @Test func moveTakesTheSource() throws {
        let t = try TestSite()
        let src = t.dummyFile("move-me.MOV")
        var new = NewVideo(source: src, title: "Moved")
        new.move = true
        try Videos(site: t.site, store: t.store).add(new)
        #expect(!FileManager.default.fileExists(atPath: src.path))
        #expect(t.files(in: t.site.uploadsURL) == ["moved.mov"])
    }

    @Test func badInputLeavesNothingBehind() throws {
        let t = try TestSite()
        let videos = Videos(site: t.site, store: t.store)
        #expect(throws: VLogError.notFound("\(t.tmp.path("missing.mp4")): no such file; check the path")) {
            try videos.add(NewVideo(source: t.tmp.url.appendingPathComponent("missing.mp4"), title: "x"))
        }
        var unknownCat = NewVideo(source: t.dummyFile(), title: "x")
        unknownCat.category = "nope"
        #expect(throws: VLogError.self) { try videos.add(unknownCat) }
        var unsafe = NewVideo(source: t.dummyFile(), title: "x")
        unsafe.slug = "../../etc"
        #expect(throws: VLogError.self) { try videos.add(unsafe) }
        try videos.add(NewVideo(source: t.dummyFile(), title: "Taken"))
        var dup = NewVideo(source: t.dummyFile(), title: "other")
        dup.slug = "taken"
        #expect(throws: VLogError.self) { try videos.add(dup) }
        #expect(throws: VLogError.self) { try Videos.parseDate("next friday", option: "--publish-at") }
        // Only the one good video: no stray row, no stray (temporary) file.
        #expect(try t.store.videos().count == 1)
        #expect(t.files(in: t.site.uploadsURL) == ["taken.mp4"])
    }

    @Test func deleteRestorePurgeMoveFilesAndRows() throws {
        let t = try TestSite()
        var now = Date(timeIntervalSince1970: 1_760_000_000)
        let videos = { (d: Date) in Videos(site: t.site, store: t.store, clock: .fixed(d)) }
        let v = try videos(now).add(NewVideo(source: t.dummyFile(), title: "Keep me"))
        // Pretend it was transcoded: its HLS folder exists.
        let media = t.site.mediaDir(slug: v.slug)
        try FileManager.default.createDirectory(at: media, withIntermediateDirectories: true)
        try Data("#EXTM3U\n".utf8).write(to: media.appendingPathComponent("master.m3u8"))

        try videos(now).delete(v.slug)
        #expect(try t.store.video(slug: v.slug)?.deletedAt != nil)
        #expect(try t.store.videos().isEmpty, "deleted videos are hidden from normal lists")
        #expect(t.files(in: t.site.uploadsURL).isEmpty && !FileManager.default.fileExists(atPath: media.path))
        #expect(
            t.files(in: t.site.archiveDir(slug: v.slug)) == [
                "uploads", "uploads/keep-me.mp4", "videos", "videos/master.m3u8",
            ])

        try videos(now).restore(v.slug)
        #expect(try t.store.video(slug: v.slug)?.deletedAt == nil)
        #expect(t.files(in: t.site.uploadsURL) == ["keep-me.mp4"])
        #expect(FileManager.default.fileExists(atPath: media.appendingPathComponent("master.m3u8").path))
        #expect(!FileManager.default.fileExists(atPath: t.site.archiveDir(slug: v.slug).path))

        try videos(now).delete(v.slug)
        now += 29 * 86400
        #expect(try videos(now).purge().isEmpty, "inside the 30-day retention")
        now += 2 * 86400
        #expect(try videos(now).purge() == ["keep-me"])
        #expect(try t.store.video(slug: "keep-me") == nil)
        #expect(!FileManager.default.fileExists(atPath: t.site.archiveDir(slug: "keep-me").path))
    }

    @Test func categoryDeleteKeepsVideosWithoutCategory() throws {
        let t = try TestSite()
        let cats = Categories(store: t.store)
        try cats.add(name: "Travel")
        var new = NewVideo(source: t.dummyFile(), title: "Trip")
        new.category = "Travel"
        try Videos(site: t.site, store: t.store).add(new)
        #expect(try cats.delete("travel") == 1)
        #expect(try t.store.video(slug: "trip")?.categoryID == nil)
        #expect(throws: VLogError.self) { try cats.add(name: "   ") }
        try cats.add(name: "Music")
        #expect(throws: VLogError.self) { try cats.add(name: "Other", slug: "music") }
        let edited = try cats.edit("music", name: "Songs", slug: "songs", description: "All *songs*")
        #expect(edited.name == "Songs" && edited.slug == "songs" && edited.description == "All *songs*")
    }

    @Test func editSlugMovesFiles() throws {
        let t = try TestSite()
        let videos = Videos(site: t.site, store: t.store)
        try videos.add(NewVideo(source: t.dummyFile(), title: "Old name"))
        try FileManager.default.createDirectory(
            at: t.site.mediaDir(slug: "old-name"), withIntermediateDirectories: true)
        let v = try videos.edit("old-name", title: "New name", newSlug: "new-name")
        #expect(v.slug == "new-name" && v.title == "New name")
        #expect(t.files(in: t.site.uploadsURL) == ["new-name.mp4"])
        #expect(FileIO.exists(t.site.mediaDir(slug: "new-name")))
    }

    @Test func scheduledPublishing() throws {
        let t = try TestSite()
        let videos = Videos(site: t.site, store: t.store)
        try videos.add(NewVideo(source: t.dummyFile(), title: "Later"))
        let at = try Videos.parseDate("2030-01-01 09:00", option: "--at")
        #expect(try videos.publish("later", at: at).publishedAt == at)
        #expect(try videos.unpublish("later").publishedAt == nil)
    }
}
