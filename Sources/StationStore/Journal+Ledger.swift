import Foundation
import GRDB
import StationCore

/// The ledger's snapshot: the events the box's ledger stands on (``LocalLedger/neededSeqs``)
/// kept in `ledger_entry` with what each is (kind, item, worker), changed in the transaction
/// that writes each event. Nothing of it is held in memory: a scan reads its window (the
/// scanned book's entries, the open visits, its worker's count of loans), so a start and a
/// scan depend on open loans, not on the length of the journal; a void undoes its event's
/// change the same way.
///
/// Rules (ARCHITECTURE.md, "the box's ledger"):
/// - an event's row and its ledger change commit together or not at all;
/// - an event opens at most one entry, its own; it is read against its window (the
///   entries of its book; a visit's start or end, its worker's open visit) with the same
///   rule as a full replay;
/// - an entry an event closes keeps `closed_by` until the next event, so that a void of
///   that event (which the journal writes directly after it) reopens it;
/// - whatever cannot be undone that way (a void of an older event, a salvaged or
///   never-snapshotted journal) is rebuilt from a full replay, the rule's reference.
extension Journal {
    static let snapshotMarker = "ledger_snapshot"

    /// At open: the snapshot is there, or (first start with it, after a salvage) it is made
    /// from a full replay. Nothing of it is read.
    static func prepareLedger(_ pool: DatabasePool, rebuild: Bool) throws {
        let marked = try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [snapshotMarker]) } != nil
        if marked && !rebuild { return }
        try pool.write { db in try storeSnapshot(db, try replayedLedger(db)) }
    }

    /// Which open visits a window holds: every one (a scan's: the workflow's timers close
    /// them), one worker's (a visit event's own), or none (any other event's).
    enum Visits {
        case all, none
        case of(String)
    }

    /// What one decision needs of the ledger (``LocalLedger/init(window:held:)``): the open
    /// loans of `item` with their renewals, the open visits asked for, and how many loans
    /// `worker` holds. Indexed reads of open entries only.
    static func window(_ db: Database, item: String?, worker: String?, visits: Visits = .all) throws -> LocalLedger {
        var parts: [String] = []
        var arguments: StatementArguments = []
        if let item {
            parts.append("SELECT seq FROM ledger_entry WHERE item_key = ? AND closed_by IS NULL")
            arguments += [item]
        }
        switch visits {
        case .all: parts.append("SELECT seq FROM ledger_entry WHERE kind = 'visit-start' AND closed_by IS NULL")
        case .of(let hash):
            parts.append("SELECT seq FROM ledger_entry WHERE kind = 'visit-start' AND closed_by IS NULL AND worker_hash = ?")
            arguments += [hash]
        case .none: break
        }
        let events = parts.isEmpty ? [] : try standingEvents(db, seqs: parts.joined(separator: " UNION ALL "), arguments: arguments)
        let held = try worker.map { worker in
            (worker, try Int.fetchOne(
                db.cachedStatement(sql: "SELECT count(*) FROM ledger_entry WHERE worker_hash = ? AND kind = 'checkout' AND closed_by IS NULL"),
                arguments: [worker]) ?? 0)
        }
        return LocalLedger(window: events, held: held)
    }

    /// The whole ledger from the snapshot: what a full replay must equal (the tests, the
    /// power-cut harness).
    static func snapshotLedger(_ db: Database) throws -> LocalLedger {
        LocalLedger(events: try standingEvents(db, seqs: "SELECT seq FROM ledger_entry WHERE closed_by IS NULL", arguments: []))
    }

    /// The events whose seqs `seqs` selects from the snapshot, in order. A loan keeps only
    /// its item, its worker's local hash and its dates, so checkouts and renewals are read
    /// as those fields (SQLite's json_extract) instead of decoding each whole body with its
    /// sealed credential; a visit keeps its worker whole and is decoded.
    static func standingEvents(_ db: Database, seqs: String, arguments: StatementArguments) throws -> [JournalEvent] {
        let decoder = JSONDecoder()
        let rows = try Row.fetchCursor(
            db.cachedStatement(
                sql: """
                    SELECT \(columns), kind,
                           json_extract(body, '$.item.key') AS item_key, json_extract(body, '$.item.title') AS item_title,
                           json_extract(body, '$.item.addOn') AS item_add_on, json_extract(body, '$.worker.kind') AS worker_kind,
                           json_extract(body, '$.worker.localHash') AS worker_hash, json_extract(body, '$.dueDate') AS due_date
                    FROM event WHERE \(own) AND seq IN (\(seqs)) ORDER BY seq
                    """),
            arguments: arguments)
        var events: [JournalEvent] = []
        while let row = try rows.next() {
            guard let kind = EventKind(rawValue: row["kind"]), kind == .checkout || kind == .renewal,
                let key: String = row["item_key"], let hash: String = row["worker_hash"],
                let workerKind = CredentialKind(rawValue: row["worker_kind"] ?? "")
            else {
                events.append(try event(from: row, decoder: decoder))
                continue
            }
            let loan = EventDraft(
                kind: kind, item: ItemRef(key: key, title: row["item_title"], addOn: row["item_add_on"]),
                worker: WorkerRef(kind: workerKind, localHash: hash, masked: "", sealed: nil), dueDate: row["due_date"])
            events.append(try event(from: row, draft: loan))
        }
        return events
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
        for loan in ledger.loans.values.joined() {
            try insertEntry(db, seq: loan.seq, kind: .checkout, item: loan.item.key, worker: loan.worker)
            for renewal in loan.renewalSeqs { try insertEntry(db, seq: renewal, kind: .renewal, item: loan.item.key, worker: loan.worker) }
        }
        for visit in ledger.visits.values { try insertEntry(db, seq: visit.seq, kind: .visitStart, item: nil, worker: visit.worker.localHash) }
        try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, 'v1')", arguments: [snapshotMarker])
    }

    static func insertEntry(_ db: Database, seq: Int64, kind: EventKind, item: String?, worker: String?) throws {
        try db.cachedStatement(sql: "INSERT INTO ledger_entry (seq, kind, item_key, worker_hash) VALUES (?, ?, ?, ?)")
            .execute(arguments: [seq, kind.rawValue, item, worker])
    }

    /// Within the event's transaction: entries closed by the previous event are forgotten
    /// (no void can reopen them now), then the event is read against its window (its book's
    /// entries; for a visit's start or end, its worker's open visit) and its change
    /// written: the entries it closes, and its own entry when it opens one.
    static func recordLedgerChange(_ db: Database, of event: JournalEvent) throws {
        let visits: Visits =
            if event.draft.kind == .visitStart || event.draft.kind == .visitEnd, let worker = event.draft.worker { .of(worker.localHash) } else { .none }
        var window = try window(db, item: event.draft.item?.key, worker: nil, visits: visits)
        let change = window.apply(event)
        try db.cachedStatement(sql: "DELETE FROM ledger_entry WHERE closed_by IS NOT NULL").execute()
        let close = try db.cachedStatement(sql: "UPDATE ledger_entry SET closed_by = ? WHERE seq = ? AND closed_by IS NULL")
        for closed in change.closed { try close.execute(arguments: [event.seq, closed]) }
        if change.opened.contains(event.seq) {
            try insertEntry(db, seq: event.seq, kind: event.draft.kind, item: event.draft.item?.key, worker: event.draft.worker?.localHash)
        }
    }

    /// Within a void's transaction: undoes what the voided event did to the snapshot when
    /// it is the event just before (as the journal writes its voids), else the snapshot is
    /// rebuilt from a full replay.
    static func undoLedgerChange(_ db: Database, void: JournalEvent) throws {
        let previous = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM event WHERE \(own) AND seq < ?", arguments: [void.seq])
        if let voided = void.draft.refersTo, voided == previous {
            try db.execute(sql: "DELETE FROM ledger_entry WHERE seq = ? AND closed_by IS NULL", arguments: [voided])
            try db.execute(sql: "UPDATE ledger_entry SET closed_by = NULL WHERE closed_by = ?", arguments: [voided])
            return
        }
        try storeSnapshot(db, try replayedLedger(db))
    }

    // MARK: - Reading it

    /// What a scan decides with, as of the last event written (``window(_:item:worker:visits:)``).
    /// After a failed write the journal is reconciled first, as the next append would be:
    /// a scan reads its window before it appends, so a reopen that failed once (the disk
    /// still full) is tried again at each scan, not only at appends no scan reaches. A read
    /// that finds the file damaged marks it, as a failed write does (the first read of a
    /// book's entries may be a scan's, long after the start).
    ///
    /// Read on the writer, outside a transaction: it is the only connection that writes and
    /// its statements run one after another, so no write comes between the window's reads,
    /// and its page cache holds the pages the last append wrote (a reader's would be read
    /// again from the WAL after every commit).
    public func window(item: String?, worker: String?) throws -> LocalLedger {
        try reconciled { try pool.writeWithoutTransaction { db in try Self.window(db, item: item, worker: worker) } }
    }

    /// The ledger from a full replay of the journal: the reference the snapshot must equal
    /// (the tests).
    public func replayedLedger() throws -> LocalLedger {
        try pool.read { db in try Self.replayedLedger(db) }
    }

    /// The whole ledger from the snapshot on disk.
    public func snapshotLedger() throws -> LocalLedger {
        try pool.read { db in try Self.snapshotLedger(db) }
    }
}
