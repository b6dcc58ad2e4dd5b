import VLogStore

/// The versions of the C libraries vlog links, for `vlog version` and bug reports.
public enum Libraries {
    public static var sqlite: String { SQLiteConnection.libraryVersion }
    public static var cmark: String { Markdown.libraryVersion }
}
