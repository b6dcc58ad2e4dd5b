/// How a command opens the database.
public enum DatabaseMode: Sendable {
    /// `vlog init` only: a new, empty database is made when none exists.
    case create
    /// Every command that changes the site: the database must already exist.
    case write
    /// Commands that only look (`video list`, `stats`): also works on a read-only disk or folder.
    case read
}
