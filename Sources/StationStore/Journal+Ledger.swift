import Foundation
import GRDB
import StationCore

/// The ledger's snapshot: the events the box's ledger stands on (``LocalLedger/neededSeqs``)
/// kept in `ledger_entry`, changed in the transaction that writes each event. A box starts
/// by replaying those events only, so its start depends on its open loans and visits, not
/// on the length of its journal; a void undoes its event's change the same way.
///
/// Rules (ARCHITECTURE.md, "the box's ledger"):
/// - an event's row and its ledger change commit together or not at all;
/// - an entry an event closes keeps `closed_by` until the next event, so that a void of
///   that event (which the journal writes directly after it) reopens it;
/// - whatever cannot be undone that way (a void of an older event, a salvaged or
///   never-snapshotted journal) is rebuilt from a full replay, the rule's reference.
extension Journal {
    static let snapshotMarker = "ledger_snapshot"

    /// The ledger at open: from the snapshot, or (first start with it, after a salvage)
    /// from a full replay, which then becomes the snapshot.
    static func openLedger(_ pool: DatabasePool, rebuild: Bool) throws -> LocalLedger {
        let marked = try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [snapshotMarker]) } != nil
        if marked && !rebuild { return try pool.read { db in try snapshotLedger(db) } }
        return try pool.write { db in
            let ledger = try replayedLedger(db)
            try storeSnapshot(db, ledger)
            return ledger
        }
    }

    /// Replays the open entries, in order: the same ledger as every event would give. A
    /// loan keeps only its item, its worker's local hash and its dates, so checkouts and
    /// renewals are read as those fields (SQLite's json_extract) instead of decoding each
    /// whole body with its sealed credential; a visit keeps its worker whole and is decoded.
    static func snapshotLedger(_ db: Database) throws -> LocalLedger {
        let decoder = JSONDecoder()
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT \(columns), kind,
                       json_extract(body, '$.item.key') AS item_key, json_extract(body, '$.item.title') AS item_title,
                       json_extract(body, '$.item.addOn') AS item_add_on, json_extract(body, '$.worker.kind') AS worker_kind,
                       json_extract(body, '$.worker.localHash') AS worker_hash, json_extract(body, '$.dueDate') AS due_date
                FROM event WHERE \(own) AND seq IN (SELECT seq FROM ledger_entry WHERE closed_by IS NULL) ORDER BY seq
                """)
        return try LocalLedger(voided: []) {
            guard let row = try rows.next() else { return nil }
            guard let kind = EventKind(rawValue: row["kind"]), kind == .checkout || kind == .renewal,
                let key: String = row["item_key"], let hash: String = row["worker_hash"],
                let workerKind = CredentialKind(rawValue: row["worker_kind"] ?? "")
            else { return try event(from: row, decoder: decoder) }
            let loan = EventDraft(
                kind: kind, item: ItemRef(key: key, title: row["item_title"], addOn: row["item_add_on"]),
                worker: WorkerRef(kind: workerKind, localHash: hash, masked: "", sealed: nil), dueDate: row["due_date"])
            return try event(from: row, draft: loan)
        }
    }

    /// The ledger from every event, voided ones left out: the reference the snapshot is
    /// checked against, read one row at a time.
    static func replayedLedger(_ db: Database) throws -> LocalLedger {
        let voided = Set(
            try Int64.fetchAll(
                db, sql: "SELECT json_extract(body, '$.refersTo') FROM event WHERE kind = 'void' AND json_extract(body, '$.refersTo') IS NOT NULL"))
        let decoder = JSONDecoder()
        let rows = try Row.fetchCursor(db, sql: "SELECT \(columns) FROM event ORDER BY box_id, seq")
        return try LocalLedger(voided: voided) { try rows.next().map { try event(from: $0, decoder: decoder) } }
    }

    static func storeSnapshot(_ db: Database, _ ledger: LocalLedger) throws {
        try db.execute(sql: "DELETE FROM ledger_entry")
        let insert = try db.cachedStatement(sql: "INSERT INTO ledger_entry (seq) VALUES (?)")
        for seq in ledger.neededSeqs.sorted() { try insert.execute(arguments: [seq]) }
        try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, 'v1')", arguments: [snapshotMarker])
    }

    /// Within the event's transaction: entries closed by the previous event are forgotten
    /// (no void can reopen them now), then this event's change is written.
    static func recordLedgerChange(_ db: Database, _ change: LocalLedger.Change, by seq: Int64) throws {
        try db.cachedStatement(sql: "DELETE FROM ledger_entry WHERE closed_by IS NOT NULL").execute()
        let close = try db.cachedStatement(sql: "UPDATE ledger_entry SET closed_by = ? WHERE seq = ? AND closed_by IS NULL")
        for closed in change.closed { try close.execute(arguments: [seq, closed]) }
        let open = try db.cachedStatement(sql: "INSERT INTO ledger_entry (seq) VALUES (?)")
        for opened in change.opened { try open.execute(arguments: [opened]) }
    }

    /// Within a void's transaction: undoes what the voided event did to the snapshot when
    /// it is the event just before (as the journal writes its voids), else the snapshot is
    /// rebuilt from a full replay. Returns the ledger after the void.
    static func undoLedgerChange(_ db: Database, void: JournalEvent) throws -> LocalLedger {
        let previous = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM event WHERE \(own) AND seq < ?", arguments: [void.seq])
        if let voided = void.draft.refersTo, voided == previous {
            try db.execute(sql: "DELETE FROM ledger_entry WHERE seq = ? AND closed_by IS NULL", arguments: [voided])
            try db.execute(sql: "UPDATE ledger_entry SET closed_by = NULL WHERE closed_by = ?", arguments: [voided])
            return try snapshotLedger(db)
        }
        let ledger = try replayedLedger(db)
        try storeSnapshot(db, ledger)
        return ledger
    }

    // MARK: - Reading it

    /// The ledger as of the last event written (the workflow starts from it).
    public var ledger: LocalLedger {
        lock.lock()
        defer { lock.unlock() }
        return ledgerInForce
    }

    /// The ledger from a full replay of the journal: the reference the snapshot must equal
    /// (the tests).
    public func replayedLedger() throws -> LocalLedger {
        try pool.read { db in try Self.replayedLedger(db) }
    }

    /// The ledger from the snapshot on disk, read again.
    public func snapshotLedger() throws -> LocalLedger {
        try pool.read { db in try Self.snapshotLedger(db) }
    }
}
