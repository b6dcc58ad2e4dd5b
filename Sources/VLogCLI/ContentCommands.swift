import ArgumentParser
import Foundation
import VLogConfig
import VLogContent

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create a new site folder with vlog.toml, a database and media folders.")

    @Argument(help: "Folder to create (or an empty existing one).") var dir: String
    @Option(help: "The site's title.") var title: String = "My Videos"
    @Option(name: .customLong("base-url"), help: "Public URL the site will be served at.") var baseURL: String =
        "http://localhost:8080/"
    @Option(help: "Language code for pages (lang attribute, feeds).") var language: String = "en"

    func run() throws {
        let site = try Site.create(at: dir, title: title, baseURL: baseURL, language: language)
        out("Created site \"\(title)\" in \(site.root.path)")
        out("  config:   \(site.root.appendingPathComponent(SiteConfig.fileName).path)")
        out("  database: \(site.databaseURL.path)")
        out("  storage:  \(site.storageURL.path) (uploads/, videos/, archive/)")
        let vlog = vlogInvocation()
        out("Next: cd \(shellQuote(dir)) && \(vlog) video add CLIP.mp4 --title \"My first video\" --publish")
        if vlog != "vlog" {
            out("  (vlog is not on your PATH: `sudo make install` puts it in /usr/local/bin; README: Install)")
        }
    }
}

struct CategoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "category", abstract: "Manage categories.",
        subcommands: [Add.self, List.self, Edit.self, Delete.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a category.")
        @OptionGroup var options: SiteOptions
        @Argument(help: "Display name, e.g. \"Travel\".") var name: String
        @Option(help: "URL slug (default: made from the name).") var slug: String?
        @Option(help: "Markdown description.") var description: String = ""
        func run() throws {
            let (_, store) = try options.open()
            let c = try Categories(store: store).add(name: name, slug: slug, description: description)
            out("Added category \(c.slug) (\"\(c.name)\")")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List categories with their video counts.")
        @OptionGroup var options: SiteOptions
        func run() throws {
            let (_, store) = try options.open(.read)
            let byID = try store.videoCounts()
            let cats = try store.categories()
            if cats.isEmpty {
                out("No categories yet. Add one with `vlog category add \"Travel\"`.")
                return
            }
            out(col("SLUG", 24) + " " + col("NAME", 30) + " VIDEOS")
            for c in cats { out(col(c.slug, 24) + " " + col(c.name, 30) + " \(byID[c.id] ?? 0)") }
        }
    }

    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a category's name, slug or description.")
        @OptionGroup var options: SiteOptions
        @Argument(help: "The category's slug.") var category: String
        @Option(help: "New display name.") var name: String?
        @Option(help: "New slug.") var slug: String?
        @Option(help: "New markdown description.") var description: String?
        func run() throws {
            guard name != nil || slug != nil || description != nil else {
                throw ValidationError("nothing to change; give --name, --slug or --description")
            }
            let (_, store) = try options.open()
            let c = try Categories(store: store).edit(category, name: name, slug: slug, description: description)
            out("Updated category \(c.slug)")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a category; its videos stay, without a category.")
        @OptionGroup var options: SiteOptions
        @Argument(help: "The category's slug.") var category: String
        func run() throws {
            let (_, store) = try options.open()
            let n = try Categories(store: store).delete(category)
            out("Deleted category \(category); \(n) video(s) now have no category")
        }
    }
}
