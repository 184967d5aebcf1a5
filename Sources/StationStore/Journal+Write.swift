import GRDB
import StationCore

/// The statements an append runs on the writer.
extension Journal {
    /// `body` in one transaction on the writer, begun and ended with cached statements
    /// (GRDB's `write` compiles its BEGIN and COMMIT again each time: a sixth of a scan's
    /// CPU). Rolled back when anything in it, its commit included, fails.
    static func scanTransaction(_ db: Database, _ body: () throws -> Void) throws {
        try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
        do {
            try body()
            try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
        } catch {
            if db.isInsideTransaction { try? db.cachedStatement(sql: "ROLLBACK TRANSACTION").execute() }
            throw error
        }
    }

    /// The one place an event row and its outbox row are written (the append path, and
    /// salvage with `orIgnore`). Cached statements: the scan path compiles no SQL.
    static func insertRow(_ db: Database, _ e: JournalEvent, body: String, orIgnore: Bool = false) throws {
        let verb = orIgnore ? "INSERT OR IGNORE" : "INSERT"
        try db.cachedStatement(
            sql: """
                \(verb) INTO event (box_id, seq, epoch, site_id, scanner_id, kind, wall_ms, clock_synced, boot_id, mono_us, body)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            e.boxID, e.seq, e.epoch, e.siteID, e.draft.scannerID, e.draft.kind.rawValue,
            e.time.wallMillis, e.time.synchronized ? 1 : 0, e.time.bootID, e.time.monotonicMicros, body,
        ])
        try db.cachedStatement(sql: "\(verb) INTO outbox (seq) VALUES (?)").execute(arguments: [e.seq])
    }
}
