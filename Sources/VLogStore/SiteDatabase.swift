import Foundation
import VLogConfig
import VLogSupport

/// The site's database: opened with its journal recovered, or made by `vlog init`.
extension Site {
    /// Opens the site's database (WAL, foreign keys, busy timeout, migrations). It must exist:
    /// only `vlog init` (`mode: .create`) makes one.
    public func openDatabase(_ mode: DatabaseMode = .write) throws -> SQLiteConnection {
        let db = try VLogDatabase.open(
            path: databaseURL.path, mode: mode, busyTimeoutMs: Int32(clamping: config.busyTimeoutMs))
        // Finish or undo what a killed command left between rows and files.
        if mode == .write, FileIO.isDirectory(storageURL) {
            try FileJournal(storage: storageURL).recover(db: db)
            FileJournal.sweepTemporaryFiles(in: uploadsURL, prefix: ".add-")
        }
        return db
    }
}
