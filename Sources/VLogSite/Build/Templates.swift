import Foundation
import VLogConfig
import VLogSupport
import VLogTemplate

/// The site's templates: its own templates/NAME.mustache, else vlog's default.
struct Templates: Sendable {
    let library = TemplateLibrary()
    static let names = [
        "base", "card", "pagination", "list", "categories", "video", "player", "embed", "404", "extra-head", "search",
    ]

    init(site: Site) throws {
        for name in Self.names {
            guard let url = site.resource("templates", "\(name).mustache") else {
                throw VLogError.config(
                    "template \(name).mustache not found in \(site.root.path)/templates or vlog's defaults; set VLOG_SHARE_DIR to vlog's install folder"
                )
            }
            let source: String
            do { source = try String(contentsOf: url, encoding: .utf8) } catch {
                throw VLogError.config("cannot read template \(url.path): \(error.localizedDescription)")
            }
            do { try library.register(source, named: name) } catch {
                throw VLogError.config("template \(url.path): \(error)")
            }
        }
    }

    func render(_ name: String, _ context: TemplateValue) throws -> [UInt8] {
        do { return try library.render(name, context) } catch {
            throw VLogError.config("template \(name).mustache: \(error)")
        }
    }
}
