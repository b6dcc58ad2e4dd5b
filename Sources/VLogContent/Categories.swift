import Foundation
import VLogStore
import VLogSupport

/// Adding, editing and removing categories.
public struct Categories {
    public let store: Store
    public let clock: Clock
    public init(store: Store, clock: Clock = .system) {
        self.store = store
        self.clock = clock
    }

    @discardableResult
    public func add(name: String, slug: String? = nil, description: String = "") throws -> Category {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else {
            throw VLogError.invalidInput("the category name is empty; give one like \"Travel\"")
        }
        guard name.count <= 100 else { throw VLogError.invalidInput("the category name is longer than 100 characters") }
        try TextCheck.singleLine(name, what: "category name")
        try TextCheck.multiLine(description, what: "category description")
        return try store.db.transaction {
            // Two categories of one name would be told apart by nobody reading the site.
            if let same = try store.db.queryOne(
                "SELECT slug FROM categories WHERE name = ? COLLATE NOCASE", [name])?.string("slug")
            {
                throw VLogError.conflict(
                    "a category named \"\(name)\" already exists (`\(same)`); use it, or give this one another name")
            }
            let final: String
            if let slug {
                try Slug.validate(slug)
                guard slug.count <= 100 else {
                    throw VLogError.invalidInput("the category slug is longer than 100 characters")
                }
                if try store.slugExists(slug, table: "categories") {
                    throw VLogError.conflict(
                        "a category with slug `\(slug)` already exists; pick another --slug or edit that one")
                }
                final = slug
            } else {
                final = try Slug.unique(Slug.make(name, fallback: "category")) {
                    try store.slugExists($0, table: "categories")
                }
            }
            try store.db.run(
                "INSERT INTO categories (name, slug, description, created_at) VALUES (?, ?, ?, ?)",
                [name, final, description, clock.now()])
            return try store.category(slug: final)!
        }
    }

    public func require(_ key: String) throws -> Category {
        guard let c = try store.findCategory(key) else {
            let known = try store.categories().map(\.slug)
            let hint =
                known.isEmpty
                ? "create it with `vlog category add \"\(key)\"`" : "known: \(known.joined(separator: ", "))"
            throw VLogError.notFound("no category `\(key)`; \(hint)")
        }
        return c
    }

    @discardableResult
    public func edit(_ key: String, name: String? = nil, slug: String? = nil, description: String? = nil) throws
        -> Category
    {
        try store.db.transaction {
            let c = try require(key)
            if let name {
                let n = name.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !n.isEmpty, n.count <= 100 else {
                    throw VLogError.invalidInput("the category name must be 1-100 characters")
                }
                try TextCheck.singleLine(n, what: "category name")
                try store.db.run("UPDATE categories SET name = ? WHERE id = ?", [n, c.id])
            }
            if let slug, slug != c.slug {
                try Slug.validate(slug)
                if try store.slugExists(slug, table: "categories") {
                    throw VLogError.conflict("a category with slug `\(slug)` already exists")
                }
                try store.db.run("UPDATE categories SET slug = ? WHERE id = ?", [slug, c.id])
            }
            if let description {
                try TextCheck.multiLine(description, what: "category description")
                try store.db.run("UPDATE categories SET description = ? WHERE id = ?", [description, c.id])
            }
            return try store.category(id: c.id)!
        }
    }

    /// Deletes a category; its videos stay, with no category (the document's SET NULL, done by
    /// vlog as well, since legacy databases lack the foreign-key action). Returns how many videos
    /// lost their category.
    @discardableResult
    public func delete(_ key: String) throws -> Int {
        try store.db.transaction {
            let c = try require(key)
            let n = try store.db.run("UPDATE videos SET category_id = NULL WHERE category_id = ?", [c.id])
            try store.db.run("DELETE FROM categories WHERE id = ?", [c.id])
            return n
        }
    }
}
