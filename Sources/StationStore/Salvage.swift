import Foundation
import GRDB
import Logging
import StationCore

/// A corrupt journal found at start: its readable unacknowledged events are kept, the
/// file is moved aside (kept, never deleted), and what could not be read becomes a
/// declared gap (a new epoch) for the hub.
struct Salvage {
    var movedAside: String
    var events: [(event: JournalEvent, body: String)]
    var unreadable: Int

    /// Checks the journal at `path` (open, quick_check); if it is corrupt, salvages it.
    ///
    /// Nothing is lost if this is interrupted: the salvaged events are written into a new
    /// database beside the old one first; only then is the corrupt file moved aside and
    /// the new one renamed into place. A start that finds the new database but no journal
    /// finishes the rename.
    static func ifCorrupt(path: String, boxID: String, logger: Logger) throws -> Salvage? {
        let rebuilt = path + ".salvage"
        let files = FileManager.default
        if !files.fileExists(atPath: path) && files.fileExists(atPath: rebuilt) {
            try files.moveItem(atPath: rebuilt, toPath: path)
            logger.critical("finished an interrupted salvage of the journal", metadata: ["journal.path": "\(path)"])
            return Salvage(movedAside: "", events: [], unreadable: 0)
        }
        guard files.fileExists(atPath: path) else { return nil }
        var problem: String?
        do {
            var config = Configuration()
            config.readonly = true
            let q = try DatabaseQueue(path: path, configuration: config)
            let result = try q.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
            try q.close()
            if result != ["ok"] { problem = result.prefix(3).joined(separator: "; ") }
        } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) {
            problem = error.description
        }
        guard let problem else { return nil }
        logger.critical("journal is corrupt: salvaging what can be read", metadata: ["journal.path": "\(path)", "error": "\(problem)"])

        let stamp = Int64(Date().timeIntervalSince1970 * 1000)
        let aside = "\(path).corrupt-\(stamp)"
        var salvage = Salvage(movedAside: aside, events: [], unreadable: 0)
        salvage.read(from: path, boxID: boxID)

        for suffix in ["", "-wal", "-shm", "-journal"] { try? files.removeItem(atPath: rebuilt + suffix) }
        let fresh = try DatabaseQueue(path: rebuilt)
        try JournalSchema.migrator.migrate(fresh)
        try fresh.write { db in
            for (e, body) in salvage.events { try Journal.insertRow(db, e, body: body, orIgnore: true) }
            try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('salvaged_from', ?)", arguments: [aside])
        }
        try fresh.close()

        for suffix in ["", "-wal", "-shm"] where files.fileExists(atPath: path + suffix) {
            try files.moveItem(atPath: path + suffix, toPath: aside + suffix)
        }
        try files.moveItem(atPath: rebuilt, toPath: path)
        logger.critical(
            "journal salvaged: the corrupt file is kept beside the new one",
            metadata: [
                "journal.moved_aside": "\(aside)", "journal.salvaged_events": "\(salvage.events.count)",
                "journal.unreadable_rows": "\(salvage.unreadable)",
            ])
        return salvage
    }

    /// Reads every unacknowledged event it can, row by row where a range read fails.
    mutating func read(from path: String, boxID: String) {
        var config = Configuration()
        config.readonly = true
        guard let q = try? DatabaseQueue(path: path, configuration: config) else { return }
        defer { try? q.close() }
        // Unacknowledged: in the outbox. If the outbox cannot be read, every readable event
        // is sent again; the hub's idempotency makes that harmless.
        let outbox: Set<Int64>? = try? q.read { db in Set(try Int64.fetchAll(db, sql: "SELECT seq FROM outbox")) }
        // (By the key's own order: the last leaf only, where a scan of the table would stop
        // at the first damaged page.)
        let maxSeq = (try? q.read { db in try Int64.fetchOne(db, sql: "SELECT max(seq) FROM event WHERE box_id = ?", arguments: [boxID]) ?? 0 }) ?? 0
        let limit = max(maxSeq, outbox?.max() ?? 0)
        let columns = Journal.columns
        func take(_ rows: [Row]) {
            for row in rows {
                let seq: Int64 = row["seq"]
                guard outbox?.contains(seq) ?? true, let body: String = row["body"], let event = try? Journal.event(from: row) else { continue }
                events.append((event, body))
            }
        }
        var start: Int64 = 1
        while start <= limit {
            let end = min(start + 499, limit)
            if let rows = try? q.read({ db in try Row.fetchAll(db, sql: "SELECT \(columns) FROM event WHERE box_id = ? AND seq BETWEEN ? AND ?", arguments: [boxID, start, end]) }) {
                take(rows)
            } else {
                for seq in start...end {
                    if let rows = try? q.read({ db in try Row.fetchAll(db, sql: "SELECT \(columns) FROM event WHERE box_id = ? AND seq = ?", arguments: [boxID, seq]) }) {
                        take(rows)
                    } else {
                        unreadable += 1
                    }
                }
            }
            start = end + 1
        }
    }
}
