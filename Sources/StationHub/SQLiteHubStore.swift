import Crypto
import Foundation
import GRDB
import StationCore
import StationProtocol

/// The hub's database on SQLite through GRDB, the embedded default (one hub process):
/// sites, boxes and their credentials (hashed), one-time enrollment tokens, every event
/// ever received, quarantine, the ledger and what goes down to boxes.
public final class SQLiteHubStore: HubStore {
    let pool: DatabasePool
    let opener = CredentialOpener()
    let lastSeen = LastSeen()

    public init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        // Ingest looks up and updates index pages all over a growing file: a 64 MiB page
        // cache per connection keeps the hot part of the indexes in memory.
        // Deleted and overwritten content is zeroed in the file (secure_delete): an erased
        // worker must not linger in free pages.
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -65536; PRAGMA secure_delete = ON") }
        pool = try DatabasePool(path: path, configuration: config)
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try Self.migrator.migrate(pool)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-hub") { db in
            try db.execute(
                sql: """
                    CREATE TABLE site (id TEXT PRIMARY KEY NOT NULL) STRICT;
                    CREATE TABLE box (
                        id TEXT PRIMARY KEY NOT NULL,
                        site_id TEXT NOT NULL REFERENCES site(id),
                        credential_hash TEXT UNIQUE,
                        revoked_reason TEXT,
                        acked_through INTEGER NOT NULL DEFAULT 0,
                        epoch INTEGER NOT NULL DEFAULT 0
                    ) STRICT;
                    CREATE TABLE enrollment_token (
                        token_hash TEXT PRIMARY KEY NOT NULL,
                        box_id TEXT NOT NULL REFERENCES box(id),
                        used INTEGER NOT NULL DEFAULT 0
                    ) STRICT;
                    CREATE TABLE event (
                        box_id TEXT NOT NULL REFERENCES box(id),
                        seq INTEGER NOT NULL,
                        epoch INTEGER NOT NULL,
                        site_id TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        wall_ms INTEGER NOT NULL,
                        body TEXT NOT NULL,
                        content_hash TEXT NOT NULL,
                        received_ms INTEGER NOT NULL,
                        PRIMARY KEY (box_id, seq)
                    ) STRICT, WITHOUT ROWID;
                    CREATE TABLE quarantine (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        box_id TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        body TEXT NOT NULL,
                        received_ms INTEGER NOT NULL
                    ) STRICT;
                    """)
        }
        m.registerMigration("v2-pseudonym") { db in
            try db.execute(sql: "ALTER TABLE event ADD COLUMN worker_pseudonym TEXT")
            try db.execute(sql: "CREATE INDEX event_worker ON event(worker_pseudonym) WHERE worker_pseudonym IS NOT NULL")
        }
        m.registerMigration("v3-ledger") { db in
            try db.execute(
                sql: """
                    ALTER TABLE event ADD COLUMN item_key TEXT;
                    UPDATE event SET item_key = json_extract(body, '$.draft.item.key');
                    CREATE INDEX event_item ON event(item_key) WHERE item_key IS NOT NULL;
                    CREATE INDEX event_site_kind ON event(site_id, kind);
                    CREATE TABLE ledger_book (
                        item_key TEXT PRIMARY KEY NOT NULL,
                        holder TEXT,
                        loaned_at_ms INTEGER,
                        due_date TEXT,
                        site_id TEXT,
                        flags TEXT NOT NULL
                    ) STRICT;
                    CREATE TABLE ledger_visit (
                        site_id TEXT NOT NULL,
                        box_id TEXT NOT NULL,
                        start_seq INTEGER,
                        end_seq INTEGER,
                        worker TEXT NOT NULL,
                        service TEXT,
                        start_ms INTEGER,
                        end_ms INTEGER,
                        flags TEXT NOT NULL
                    ) STRICT;
                    CREATE INDEX ledger_visit_site ON ledger_visit(site_id);
                    """)
        }
        m.registerMigration("v4-downlink-clock-devicelog") { db in
            try db.execute(
                sql: """
                    -- Corrected time: wall time plus the box's clock correction for that boot
                    -- when the event was recorded unsynchronised; the ledger orders by it.
                    ALTER TABLE event ADD COLUMN boot_id TEXT;
                    ALTER TABLE event ADD COLUMN clock_synced INTEGER;
                    ALTER TABLE event ADD COLUMN corrected_ms INTEGER;
                    UPDATE event SET boot_id = json_extract(body, '$.time.bootID'),
                        clock_synced = json_extract(body, '$.time.synchronized'), corrected_ms = wall_ms;
                    CREATE INDEX event_boot ON event(box_id, boot_id);
                    CREATE TABLE clock_correction (
                        box_id TEXT NOT NULL REFERENCES box(id),
                        boot_id TEXT NOT NULL,
                        source TEXT NOT NULL CHECK (source IN ('ntp', 'hub-date', 'manual')),
                        mono_us INTEGER NOT NULL,
                        offset_ms INTEGER NOT NULL,
                        recorded_wall_ms INTEGER NOT NULL,
                        received_ms INTEGER NOT NULL,
                        PRIMARY KEY (box_id, boot_id, source, mono_us)
                    ) STRICT;
                    CREATE TABLE device_log (
                        box_id TEXT NOT NULL REFERENCES box(id),
                        id INTEGER NOT NULL,
                        at_ms INTEGER NOT NULL,
                        level TEXT NOT NULL,
                        scanner_id TEXT,
                        message TEXT NOT NULL,
                        received_ms INTEGER NOT NULL,
                        PRIMARY KEY (box_id, id)
                    ) STRICT;
                    -- What goes down to boxes; every changed row takes the next revision.
                    CREATE TABLE revision (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
                    INSERT INTO revision VALUES (1, 0);
                    CREATE TABLE catalog_title (
                        item_key TEXT PRIMARY KEY NOT NULL,
                        title TEXT,
                        home_site TEXT,
                        revision INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX catalog_revision ON catalog_title(revision);
                    CREATE TABLE member_card (
                        card_uid TEXT PRIMARY KEY NOT NULL,
                        member TEXT NOT NULL,
                        revision INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX member_revision ON member_card(revision);
                    CREATE TABLE site_setting (
                        site_id TEXT NOT NULL REFERENCES site(id),
                        key TEXT NOT NULL,
                        value TEXT NOT NULL,
                        revision INTEGER NOT NULL,
                        PRIMARY KEY (site_id, key)
                    ) STRICT;
                    CREATE TABLE public_key (
                        purpose TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        material TEXT NOT NULL,
                        revision INTEGER NOT NULL,
                        PRIMARY KEY (purpose, version)
                    ) STRICT;
                    """)
        }
        m.registerMigration("v5-ledger-keys") { db in
            try db.execute(
                sql: """
                    -- The worker as the ledger pairs visits (pseudonym, else box/local hash):
                    -- a batch recomputes only the visits of the workers it touched.
                    ALTER TABLE event ADD COLUMN worker_key TEXT;
                    UPDATE event SET worker_key = coalesce(worker_pseudonym, box_id || '/' || json_extract(body, '$.draft.worker.localHash'))
                        WHERE json_extract(body, '$.draft.worker') IS NOT NULL;
                    CREATE INDEX event_visit_worker ON event(site_id, worker_key) WHERE kind IN ('visit-start', 'visit-end');
                    CREATE INDEX event_void ON event(kind) WHERE kind = 'void';
                    CREATE INDEX ledger_visit_worker ON ledger_visit(site_id, worker);
                    """)
        }
        m.registerMigration("v6-reports") { db in
            try db.execute(
                sql: """
                    -- What a void cancels, as a column (reports leave voided events out), where a
                    -- site is (titles are ranked per region), when a box was last heard from.
                    ALTER TABLE event ADD COLUMN refers_to INTEGER;
                    UPDATE event SET refers_to = json_extract(body, '$.draft.refersTo') WHERE kind = 'void';
                    CREATE INDEX event_void_ref ON event(box_id, refers_to) WHERE kind = 'void';
                    ALTER TABLE site ADD COLUMN region TEXT;
                    ALTER TABLE box ADD COLUMN last_seen_ms INTEGER;
                    CREATE INDEX event_kind_time ON event(kind, corrected_ms);
                    """)
        }
        m.registerMigration("v7-retention") { db in
            try db.execute(
                sql: """
                    -- The service as a column (retention is shorter for some services), the
                    -- retention periods, a scratch map for de-identification, the erasure log.
                    ALTER TABLE event ADD COLUMN service TEXT;
                    UPDATE event SET service = json_extract(body, '$.draft.service') WHERE json_extract(body, '$.draft.service') IS NOT NULL;
                    CREATE INDEX event_worker_key ON event(worker_key) WHERE worker_key IS NOT NULL;
                    CREATE TABLE retention (key TEXT PRIMARY KEY NOT NULL, days INTEGER NOT NULL) STRICT;
                    CREATE TABLE deidentify (old TEXT PRIMARY KEY NOT NULL, tag TEXT NOT NULL) STRICT;
                    CREATE TABLE erasure_log (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, reference TEXT NOT NULL, operator TEXT NOT NULL,
                        tag TEXT NOT NULL, events INTEGER NOT NULL, books INTEGER NOT NULL, visits INTEGER NOT NULL
                    ) STRICT;
                    """)
        }
        return m
    }

    // MARK: - Administration

    public var dialect: Reports.Dialect { .sqlite }

    public func addSite(_ id: String, region: String?) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO site (id, region) VALUES (?, ?) ON CONFLICT DO NOTHING", arguments: [id, region])
            guard db.changesCount == 1 else { throw HubFailure(.conflict, "site \(id) exists") }
        }
    }

    public func addBox(_ id: String, site: String) async throws -> String {
        let token = HubIngest.randomSecret()
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM site WHERE id = ?)", arguments: [site]) == true else {
                throw HubFailure(.notFound, "no site \(site): create it with `stationhub site add \(site)`")
            }
            try db.execute(sql: "INSERT INTO box (id, site_id) VALUES (?, ?) ON CONFLICT(id) DO NOTHING", arguments: [id, site])
            guard try String.fetchOne(db, sql: "SELECT site_id FROM box WHERE id = ?", arguments: [id]) == site else {
                throw HubFailure(.conflict, "box \(id) belongs to another site")
            }
            try db.execute(sql: "INSERT INTO enrollment_token (token_hash, box_id) VALUES (?, ?)", arguments: [HubIngest.hash(token), id])
        }
        return token
    }

    public func revoke(_ id: String, reason: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE box SET revoked_reason = ? WHERE id = ?", arguments: [reason, id])
            guard db.changesCount == 1 else { throw HubFailure(.notFound, "no box \(id)") }
        }
    }

    public func enroll(token: String) async throws -> EnrollResponse {
        let credential = HubIngest.randomSecret()
        return try await pool.write { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT t.box_id, t.used, b.site_id FROM enrollment_token t JOIN box b ON b.id = t.box_id WHERE t.token_hash = ?",
                arguments: [HubIngest.hash(token)])
            else { throw HubFailure(.unauthorized, "unknown enrollment token") }
            guard row["used"] as Int == 0 else { throw HubFailure(.unauthorized, "this enrollment token was used already; issue a new one") }
            let box: String = row["box_id"]
            try db.execute(sql: "UPDATE enrollment_token SET used = 1 WHERE token_hash = ?", arguments: [HubIngest.hash(token)])
            try db.execute(sql: "UPDATE box SET credential_hash = ?, revoked_reason = NULL WHERE id = ?", arguments: [HubIngest.hash(credential), box])
            return EnrollResponse(boxID: box, siteID: row["site_id"], credential: credential)
        }
    }

    public func authenticate(_ credential: String) async throws -> (box: String, site: String) {
        let owner = try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, site_id, revoked_reason FROM box WHERE credential_hash = ?", arguments: [HubIngest.hash(credential)]) else {
                throw HubFailure(.unauthorized, "unknown box credential")
            }
            if let reason: String = row["revoked_reason"] { throw HubFailure(.forbidden, "this box is revoked: \(reason)") }
            return (box: row["id"] as String, site: row["site_id"] as String)
        }
        if let now = lastSeen.due(owner.box) {
            try await pool.write { db in
                try db.execute(sql: "UPDATE box SET last_seen_ms = ? WHERE id = ? AND (last_seen_ms IS NULL OR last_seen_ms < ?)", arguments: [now, owner.box, now])
            }
        }
        return owner
    }

    // MARK: - Ingest

    public func ingest(box: String, site: String, events: [HubIncoming], keys: HubKeys?) async throws -> (BatchResult, conflict: Bool) {
        let now = HubIngest.nowMillis()
        try HubIngest.checkOwner(box: box, site: site, events: events)
        return try await pool.write { db in
            var applied = 0, duplicates = 0, conflict = false
            var quarantined: [Quarantined] = []
            var touchedItems: Set<String> = [], touchedVisits: Set<Ledger.VisitKey> = [], voids = false
            /// A boot's clock offset, looked up once per batch.
            var offsets: [String: Int64] = [:]

            /// Stored aside for an operator and acknowledged: it blocks nothing.
            func quarantine(_ seq: Int64, _ reason: String, _ body: String) throws {
                try db.execute(
                    sql: "INSERT INTO quarantine (box_id, seq, reason, body, received_ms) VALUES (?, ?, ?, ?, ?)",
                    arguments: [box, seq, reason, body, now])
                quarantined.append(Quarantined(seq: seq, reason: reason))
            }
            for incoming in events {
                switch incoming {
                case .unreadable(let seq, let body, let reason):
                    try quarantine(seq ?? 0, reason, body)
                case .event(let e, let canonical):
                    let hash = HubIngest.hash(canonical)
                    if let existing = try String.fetchOne(db.cachedStatement(sql: "SELECT content_hash FROM event WHERE box_id = ? AND seq = ?"), arguments: [box, e.seq]) {
                        if existing == hash {
                            duplicates += 1
                        } else {
                            conflict = true
                            try quarantine(e.seq, "seq \(e.seq) arrived again with different content", canonical)
                        }
                        continue
                    }
                    var stored = e
                    do {
                        switch try self.opener.begin(e.draft.worker, keys: keys) {
                        case .ready(let worker): stored.draft.worker = worker
                        case .opened(let pending):
                            let member = try pending.cardUID.flatMap { uid in
                                try String.fetchOne(db, sql: "SELECT member FROM member_card WHERE card_uid = ?", arguments: [uid])
                            }
                            stored.draft.worker = self.opener.finish(pending, member: member, keys: keys!)
                        }
                    } catch {
                        try quarantine(e.seq, "seq \(e.seq): the sealed credential cannot be opened (\(error))", canonical)
                        continue
                    }
                    let row = try HubIngest.row(e, canonical: canonical, stored: stored, receivedMillis: now)
                    if let problem = HubIngest.unstorable(row) {
                        try quarantine(e.seq, problem, canonical)
                        continue
                    }
                    var offset: Int64 = 0
                    if !row.clockSynced {
                        if let known = offsets[row.bootID] {
                            offset = known
                        } else {
                            offset = try Self.clockOffset(db, box: box, boot: row.bootID) ?? 0
                            offsets[row.bootID] = offset
                        }
                    }
                    try db.cachedStatement(
                        sql: """
                            INSERT INTO event (box_id, seq, epoch, site_id, kind, wall_ms, body, content_hash, received_ms, worker_pseudonym, item_key,
                                               boot_id, clock_synced, corrected_ms, worker_key, refers_to, service)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """
                    ).execute(
                        arguments: [
                            box, row.seq, row.epoch, row.siteID, row.kind, row.wallMillis, row.body, row.contentHash, now,
                            row.pseudonym, row.itemKey, row.bootID, row.clockSynced ? 1 : 0, HubIngest.corrected(row.wallMillis, offset), row.workerKey, row.refersTo, row.service,
                        ])
                    applied += 1
                    if let key = row.itemKey { touchedItems.insert(key) }
                    if e.draft.kind == .visitStart || e.draft.kind == .visitEnd, let who = row.workerKey {
                        touchedVisits.insert(Ledger.VisitKey(site: e.siteID, worker: who))
                    }
                    if e.draft.kind == .void { voids = true }
                }
            }
            // The ledger follows in the same transaction: what was applied is reflected.
            if voids {
                try Self.rebuildLedger(db, items: nil, visits: nil)
            } else {
                try Self.rebuildLedger(db, items: touchedItems, visits: touchedVisits)
            }
            let (acked, resume) = try Self.advance(db, box: box)
            return (BatchResult(ackedThrough: acked, applied: applied, duplicates: duplicates, quarantined: quarantined, resumeFrom: resume), conflict)
        }
    }

    /// The box's high-water mark over what it has above it (``HubIngest/advance``).
    static func advance(_ db: Database, box: String) throws -> (Int64, Int64?) {
        guard let row = try Row.fetchOne(db, sql: "SELECT acked_through, epoch FROM box WHERE id = ?", arguments: [box]) else { return (0, nil) }
        let acked: Int64 = row["acked_through"]
        let applied = try Row.fetchAll(db, sql: "SELECT seq, epoch FROM event WHERE box_id = ? AND seq > ?", arguments: [box, acked])
            .map { (seq: $0["seq"] as Int64, epoch: $0["epoch"] as Int64) }
        let quarantined = try Int64.fetchAll(db, sql: "SELECT DISTINCT seq FROM quarantine WHERE box_id = ? AND seq > ?", arguments: [box, acked])
        let next = HubIngest.advance(acked: acked, epoch: row["epoch"], applied: applied, quarantined: quarantined)
        try db.execute(sql: "UPDATE box SET acked_through = ?, epoch = ? WHERE id = ?", arguments: [next.acked, next.epoch, box])
        return (next.acked, next.resumeFrom)
    }

    /// Recomputes the ledger rows of the given items and sites from all their events (nil:
    /// everything, after a void). Ordered by corrected time then (box, seq), so arrival
    /// order cannot change the result.
    static func rebuildLedger(_ db: Database, items: Set<String>?, visits: Set<Ledger.VisitKey>?) throws {
        let voided = Set(
            try Row.fetchAll(db, sql: "SELECT box_id, json_extract(body, '$.draft.refersTo') AS ref FROM event WHERE kind = 'void'").compactMap { row -> String? in
                guard let ref: Int64 = row["ref"] else { return nil }
                return "\(row["box_id"] as String)#\(ref)"
            })
        /// Events as the ledger sees them: from columns (no body decoded), at corrected time.
        func entries(_ condition: String, _ arguments: StatementArguments) throws -> [Ledger.Entry] {
            let statement = try db.cachedStatement(
                sql: """
                    SELECT box_id, seq, site_id, kind, worker_key, corrected_ms, json_extract(body, '$.draft.dueDate') AS due,
                           json_extract(body, '$.draft.service') AS service,
                           EXISTS (SELECT 1 FROM json_each(body, '$.draft.flags') WHERE value = 'auto-closed') AS auto_closed
                    FROM event WHERE \(condition)
                    """)
            return try Row.fetchAll(statement, arguments: arguments).compactMap { row in
                let box: String = row["box_id"], seq: Int64 = row["seq"]
                guard !voided.contains("\(box)#\(seq)"), let kind = EventKind(rawValue: row["kind"]) else { return nil }
                return Ledger.Entry(
                    boxID: box, seq: seq, siteID: row["site_id"], kind: kind, worker: row["worker_key"], atMillis: row["corrected_ms"],
                    dueDate: row["due"], service: row["service"], autoClosed: row["auto_closed"])
            }
        }
        let itemKeys = try items.map(Array.init) ?? String.fetchAll(db, sql: "SELECT DISTINCT item_key FROM event WHERE item_key IS NOT NULL")
        let upsert = try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO ledger_book (item_key, holder, loaned_at_ms, due_date, site_id, flags) VALUES (?, ?, ?, ?, ?, ?)")
        let home = try db.cachedStatement(sql: "SELECT home_site FROM catalog_title WHERE item_key = ?")
        for key in itemKeys {
            let book = Ledger.book(key, entries: try entries("item_key = ?", [key]), homeSite: try String.fetchOne(home, arguments: [key]))
            try upsert.execute(arguments: [key, book.holder, book.loanedAtMillis, book.dueDate, book.site, book.flags.joined(separator: ",")])
        }
        let pairs =
            try visits.map(Array.init)
            ?? Row.fetchAll(db, sql: "SELECT DISTINCT site_id, worker_key FROM event WHERE kind IN ('visit-start', 'visit-end') AND worker_key IS NOT NULL").map {
                Ledger.VisitKey(site: $0["site_id"], worker: $0["worker_key"])
            }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        if visits == nil { try db.execute(sql: "DELETE FROM ledger_visit") }
        let delete = try db.cachedStatement(sql: "DELETE FROM ledger_visit WHERE site_id = ? AND worker = ?")
        let insert = try db.cachedStatement(
            sql: "INSERT INTO ledger_visit (site_id, box_id, start_seq, end_seq, worker, service, start_ms, end_ms, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        for pair in pairs {
            try delete.execute(arguments: [pair.site, pair.worker])
            let rows = try entries("site_id = ? AND worker_key = ? AND kind IN ('visit-start', 'visit-end')", [pair.site, pair.worker])
            for v in Ledger.visits(entries: rows, maxMillis: Ledger.maxVisitMillis, nowMillis: now) {
                try insert.execute(arguments: [v.site, v.boxID, v.startSeq, v.endSeq, v.worker, v.service, v.startMillis, v.endMillis, v.flags.joined(separator: ",")])
            }
        }
    }

    public func boxCredential(_ box: String) async throws -> (site: String, credentialHash: String, revoked: String?) {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT site_id, credential_hash, revoked_reason FROM box WHERE id = ?", arguments: [box]),
                let hash: String = row["credential_hash"]
            else { throw HubFailure(.notFound, "no enrolled box \(box)") }
            return (row["site_id"], hash, row["revoked_reason"])
        }
    }

    public func close() async { try? pool.close() }

    static func arguments(_ values: [Reports.Value]) -> StatementArguments {
        StatementArguments(values.map { v -> DatabaseValue in
            switch v {
            case .int(let i): i.databaseValue
            case .real(let d): d.databaseValue
            case .text(let s): s.databaseValue
            case .null: .null
            }
        })
    }

    public func execute(_ statements: [Reports.Query]) async throws -> [Int] {
        let counts = try await pool.write { db in
            try statements.map { try Row.fetchAll(db, sql: $0.sql, arguments: Self.arguments($0.arguments)).count }
        }
        // The write-ahead log still holds the pages as they were before: copied into the
        // database and emptied, so what was de-identified lingers nowhere. Best effort (a
        // long report reading meanwhile can hold it off): the change itself is committed.
        for attempt in 1...5 {
            if (try? await pool.writeWithoutTransaction({ db in try db.checkpoint(.truncate) })) != nil { break }
            try? await Task.sleep(for: .milliseconds(200 * attempt))
        }
        return counts
    }

    public func table(_ query: Reports.Query) async throws -> Reports.Table {
        let arguments = Self.arguments(query.arguments)
        let rows = try await pool.read { db in
            try Row.fetchAll(db, sql: query.sql, arguments: arguments).map { row in
                row.databaseValues.map { value -> Reports.Value in
                    switch value.storage {
                    case .int64(let i): .int(i)
                    case .double(let d): .real(d)
                    case .string(let s): .text(s)
                    case .blob(let b): .text(String(decoding: b, as: UTF8.self))
                    case .null: .null
                    }
                }
            }
        }
        return Reports.Table(columns: query.columns, rows: rows)
    }
}
