import Crypto
import Foundation
import PostgresNIO
import StationCore
import StationProtocol

/// Ingest, the ledger, and what boxes send besides events, on PostgreSQL.
extension PostgresHubStore {
    struct QuarantineRecord: Encodable {
        var box_id: String
        var seq: Int64
        var reason: String
        var body: String
        var received_ms: Int64
    }

    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    public func ingest(box: String, site: String, events: [HubIncoming], keys: HubKeys?) async throws -> (BatchResult, conflict: Bool) {
        let now = HubIngest.nowMillis()
        try HubIngest.checkOwner(box: box, site: site, events: events)
        return try await transaction { conn in
            // The box's row, locked: its batches apply one at a time, whichever instance
            // received them.
            var mark: (Int64, Int64)?
            for try await row in try await conn.query("SELECT acked_through, epoch FROM box WHERE id = \(box) FOR UPDATE", logger: self.logger)
                .decode((Int64, Int64).self)
            { mark = row }
            guard let (ackedBefore, epochBefore) = mark else { throw HubFailure(.notFound, "no box \(box)") }

            let seqs = events.compactMap { incoming -> Int64? in if case .event(let e, _) = incoming { e.seq } else { nil } }
            var held: [Int64: String] = [:]
            for try await (seq, hash) in try await conn.query(
                "SELECT seq, content_hash FROM event WHERE box_id = \(box) AND seq = ANY(\(seqs))", logger: self.logger
            ).decode((Int64, String).self) { held[seq] = hash }

            var applied = 0, duplicates = 0, conflict = false
            var quarantined: [QuarantineRecord] = []
            var rows: [HubIngest.Row] = []
            func quarantine(_ seq: Int64, _ reason: String, _ body: String) {
                quarantined.append(QuarantineRecord(box_id: box, seq: seq, reason: reason, body: body, received_ms: now))
            }
            for incoming in events {
                switch incoming {
                case .unreadable(let seq, let body, let reason):
                    quarantine(seq ?? 0, reason, body)
                case .event(let e, let canonical):
                    let hash = HubIngest.hash(canonical)
                    if let existing = held[e.seq] {
                        if existing == hash {
                            duplicates += 1
                        } else {
                            conflict = true
                            quarantine(e.seq, "seq \(e.seq) arrived again with different content", canonical)
                        }
                        continue
                    }
                    var stored = e
                    do {
                        switch try self.opener.begin(e.draft.worker, keys: keys) {
                        case .ready(let worker): stored.draft.worker = worker
                        case .opened(let pending):
                            var member: String?
                            if let uid = pending.cardUID {
                                for try await m in try await conn.query("SELECT member FROM member_card WHERE card_uid = \(uid)", logger: self.logger)
                                    .decode(String.self)
                                { member = m }
                            }
                            stored.draft.worker = self.opener.finish(pending, member: member, keys: keys!)
                        }
                    } catch {
                        quarantine(e.seq, "seq \(e.seq): the sealed credential cannot be opened (\(error))", canonical)
                        continue
                    }
                    let row = try HubIngest.row(e, canonical: canonical, stored: stored, receivedMillis: now)
                    if let problem = HubIngest.unstorable(row) {
                        quarantine(e.seq, problem, canonical)
                        continue
                    }
                    held[e.seq] = hash
                    rows.append(row)
                }
            }

            // Unsynchronised times are corrected by the boot's best offset held.
            let boots = Array(Set(rows.filter { !$0.clockSynced }.map(\.bootID)))
            var offsets: [String: Int64] = [:]
            if !boots.isEmpty {
                for try await (boot, offset) in try await conn.query(
                    """
                    SELECT DISTINCT ON (boot_id) boot_id, offset_ms FROM clock_correction WHERE box_id = \(box) AND boot_id = ANY(\(boots))
                    ORDER BY boot_id, CASE source WHEN 'ntp' THEN 0 WHEN 'hub-date' THEN 1 ELSE 2 END, mono_us
                    """, logger: self.logger
                ).decode((String, Int64).self) { offsets[boot] = offset }
            }
            if !rows.isEmpty {
                let records = rows.map { r in
                    var r = r
                    if !r.clockSynced { r.correctedMillis = HubIngest.corrected(r.wallMillis, offsets[r.bootID] ?? 0) }
                    return r
                }
                try await conn.query(
                    """
                    INSERT INTO event (box_id, seq, epoch, site_id, kind, wall_ms, body, content_hash, received_ms, worker_pseudonym, item_key,
                                       boot_id, clock_synced, corrected_ms, worker_key, due_date, service, auto_closed, refers_to)
                    SELECT box_id, seq, epoch, site_id, kind, wall_ms, body, content_hash, received_ms, worker_pseudonym, item_key,
                           boot_id, clock_synced::int, corrected_ms, worker_key, due_date, service, auto_closed::int, refers_to
                    FROM jsonb_to_recordset(\(try Self.json(records))::jsonb) AS x(
                        box_id TEXT, seq BIGINT, epoch BIGINT, site_id TEXT, kind TEXT, wall_ms BIGINT, body TEXT, content_hash TEXT, received_ms BIGINT,
                        worker_pseudonym TEXT, item_key TEXT, boot_id TEXT, clock_synced BOOLEAN, corrected_ms BIGINT, worker_key TEXT,
                        due_date TEXT, service TEXT, auto_closed BOOLEAN, refers_to BIGINT)
                    """, logger: self.logger)
                applied = rows.count
            }
            if !quarantined.isEmpty {
                try await conn.query(
                    """
                    INSERT INTO quarantine (box_id, seq, reason, body, received_ms)
                    SELECT box_id, seq, reason, body, received_ms
                    FROM jsonb_to_recordset(\(try Self.json(quarantined))::jsonb) AS x(box_id TEXT, seq BIGINT, reason TEXT, body TEXT, received_ms BIGINT)
                    """, logger: self.logger)
            }

            // The ledger follows in the same transaction: what was applied is reflected.
            if rows.contains(where: { $0.kind == EventKind.void.rawValue }) {
                try await self.rebuildLedger(conn, items: nil, visits: nil)
            } else {
                let items = Set(rows.compactMap(\.itemKey))
                let visits = Set(
                    rows.compactMap { r -> Ledger.VisitKey? in
                        guard r.kind == EventKind.visitStart.rawValue || r.kind == EventKind.visitEnd.rawValue, let who = r.workerKey else { return nil }
                        return .init(site: r.siteID, worker: who)
                    })
                try await self.rebuildLedger(conn, items: items, visits: visits)
            }

            // The high-water mark.
            var above: [(seq: Int64, epoch: Int64)] = []
            for try await (seq, epoch) in try await conn.query(
                "SELECT seq, epoch FROM event WHERE box_id = \(box) AND seq > \(ackedBefore)", logger: self.logger
            ).decode((Int64, Int64).self) { above.append((seq, epoch)) }
            var aside: [Int64] = []
            for try await seq in try await conn.query(
                "SELECT DISTINCT seq FROM quarantine WHERE box_id = \(box) AND seq > \(ackedBefore)", logger: self.logger
            ).decode(Int64.self) { aside.append(seq) }
            let next = HubIngest.advance(acked: ackedBefore, epoch: epochBefore, applied: above, quarantined: aside)
            try await conn.query("UPDATE box SET acked_through = \(next.acked), epoch = \(next.epoch) WHERE id = \(box)", logger: self.logger)
            let result = BatchResult(
                ackedThrough: next.acked, applied: applied, duplicates: duplicates,
                quarantined: quarantined.map { Quarantined(seq: $0.seq, reason: $0.reason) }, resumeFrom: next.resumeFrom)
            return (result, conflict)
        }
    }

    // MARK: - Ledger

    /// A lock key of one ledger row: the first 8 bytes of its name's SHA-256.
    static func lockKey(_ name: String) -> Int64 {
        SHA256.hash(data: Data(name.utf8)).withUnsafeBytes { raw in raw.loadUnaligned(as: Int64.self) }
    }

    struct BookRecord: Encodable {
        var item_key: String
        var holder: String?
        var loaned_at_ms: Int64?
        var due_date: String?
        var site_id: String?
        var flags: String
    }

    struct VisitRecord: Encodable {
        var site_id: String
        var box_id: String
        var start_seq: Int64?
        var end_seq: Int64?
        var worker: String
        var service: String?
        var start_ms: Int64?
        var end_ms: Int64?
        var flags: String
    }

    /// Recomputes the ledger rows of the given books and (site, worker) pairs from all
    /// their events, under their advisory locks (nil: everything, after a void, under the
    /// whole ledger's lock).
    func rebuildLedger(_ conn: PostgresConnection, items: Set<String>?, visits: Set<Ledger.VisitKey>?) async throws {
        if items == nil || visits == nil {
            try await conn.query("SELECT pg_advisory_xact_lock(\(Self.ledgerLock))", logger: logger)
        } else {
            let keys = (items!.map { Self.lockKey("book|\($0)") } + visits!.map { Self.lockKey("visit|\($0.site)|\($0.worker)") }).sorted()
            guard !keys.isEmpty else { return }
            try await conn.query("SELECT pg_advisory_xact_lock_shared(\(Self.ledgerLock))", logger: logger)
            // unnest keeps the array's order: every instance takes the locks in one order.
            try await conn.query("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(\(keys)::bigint[]) AS k", logger: logger)
        }
        let notVoided = "NOT EXISTS (SELECT 1 FROM event v WHERE v.kind = 'void' AND v.box_id = e.box_id AND v.refers_to = e.seq)"
        let columns = "e.box_id, e.seq, e.site_id, e.kind, e.worker_key, e.corrected_ms, e.due_date, e.service, e.auto_closed"
        typealias EntryRow = (String, Int64, String, String, String?, Int64, String?, String?, Int64)
        func entry(_ r: EntryRow) -> Ledger.Entry? {
            guard let kind = EventKind(rawValue: r.3) else { return nil }
            return Ledger.Entry(
                boxID: r.0, seq: r.1, siteID: r.2, kind: kind, worker: r.4, atMillis: r.5, dueDate: r.6, service: r.7, autoClosed: r.8 != 0)
        }

        // Books.
        let bookQuery: PostgresQuery
        if let items {
            bookQuery = "SELECT e.item_key, \(unescaped: columns) FROM event e WHERE e.item_key = ANY(\(Array(items))) AND \(unescaped: notVoided)"
        } else {
            bookQuery = "SELECT e.item_key, \(unescaped: columns) FROM event e WHERE e.item_key IS NOT NULL AND \(unescaped: notVoided)"
        }
        var byItem: [String: [Ledger.Entry]] = [:]
        for item in items ?? [] { byItem[item] = [] }
        if items == nil {
            // Every book ever seen, even one whose every event is voided now (it is reset).
            for try await key in try await conn.query("SELECT DISTINCT item_key FROM event WHERE item_key IS NOT NULL", logger: logger).decode(String.self) {
                byItem[key] = []
            }
        }
        for try await r in try await conn.query(bookQuery, logger: logger).decode(
            (String, String, Int64, String, String, String?, Int64, String?, String?, Int64).self)
        {
            if let e = entry((r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9)) { byItem[r.0, default: []].append(e) }
        }
        if !byItem.isEmpty {
            var homes: [String: String] = [:]
            for try await (key, home) in try await conn.query(
                "SELECT item_key, home_site FROM catalog_title WHERE item_key = ANY(\(Array(byItem.keys))) AND home_site IS NOT NULL", logger: logger
            ).decode((String, String).self) { homes[key] = home }
            let books = byItem.map { key, entries in
                let b = Ledger.book(key, entries: entries, homeSite: homes[key])
                return BookRecord(item_key: key, holder: b.holder, loaned_at_ms: b.loanedAtMillis, due_date: b.dueDate, site_id: b.site, flags: b.flags.joined(separator: ","))
            }
            try await conn.query(
                """
                INSERT INTO ledger_book (item_key, holder, loaned_at_ms, due_date, site_id, flags)
                SELECT item_key, holder, loaned_at_ms, due_date, site_id, flags FROM jsonb_to_recordset(\(try Self.json(books))::jsonb)
                    AS x(item_key TEXT, holder TEXT, loaned_at_ms BIGINT, due_date TEXT, site_id TEXT, flags TEXT)
                ON CONFLICT (item_key) DO UPDATE SET holder = excluded.holder, loaned_at_ms = excluded.loaned_at_ms, due_date = excluded.due_date,
                    site_id = excluded.site_id, flags = excluded.flags
                """, logger: logger)
        }

        // Visits: one worker's visits at one site pair among themselves only.
        let visitQuery: PostgresQuery
        if let visits {
            guard !visits.isEmpty else { return }
            let sites = visits.map(\.site), workers = visits.map(\.worker)
            try await conn.query(
                "DELETE FROM ledger_visit WHERE (site_id, worker) IN (SELECT * FROM unnest(\(sites)::text[], \(workers)::text[]))", logger: logger)
            visitQuery = """
                SELECT \(unescaped: columns) FROM event e WHERE e.kind IN ('visit-start', 'visit-end')
                AND (e.site_id, e.worker_key) IN (SELECT * FROM unnest(\(sites)::text[], \(workers)::text[])) AND \(unescaped: notVoided)
                """
        } else {
            try await conn.query("DELETE FROM ledger_visit", logger: logger)
            visitQuery = "SELECT \(unescaped: columns) FROM event e WHERE e.kind IN ('visit-start', 'visit-end') AND e.worker_key IS NOT NULL AND \(unescaped: notVoided)"
        }
        var byPair: [Ledger.VisitKey: [Ledger.Entry]] = [:]
        for try await r in try await conn.query(visitQuery, logger: logger).decode(EntryRow.self) {
            if let e = entry(r), let who = e.worker { byPair[.init(site: e.siteID, worker: who), default: []].append(e) }
        }
        let now = HubIngest.nowMillis()
        let records = byPair.values.flatMap { entries in
            Ledger.visits(entries: entries, maxMillis: Ledger.maxVisitMillis, nowMillis: now).map { v in
                VisitRecord(
                    site_id: v.site, box_id: v.boxID, start_seq: v.startSeq, end_seq: v.endSeq, worker: v.worker, service: v.service,
                    start_ms: v.startMillis, end_ms: v.endMillis, flags: v.flags.joined(separator: ","))
            }
        }
        guard !records.isEmpty else { return }
        try await conn.query(
            """
            INSERT INTO ledger_visit (site_id, box_id, start_seq, end_seq, worker, service, start_ms, end_ms, flags)
            SELECT site_id, box_id, start_seq, end_seq, worker, service, start_ms, end_ms, flags FROM jsonb_to_recordset(\(try Self.json(records))::jsonb)
                AS x(site_id TEXT, box_id TEXT, start_seq BIGINT, end_seq BIGINT, worker TEXT, service TEXT, start_ms BIGINT, end_ms BIGINT, flags TEXT)
            """, logger: logger)
    }

    // MARK: - Clock corrections and the device log

    public func addClockCorrections(box: String, _ corrections: [ClockCorrection]) async throws -> Int {
        let now = HubIngest.nowMillis()
        return try await transaction { conn in
            // With the box's batches: an event applied meanwhile is corrected by one or the other.
            try await conn.query("SELECT 1 FROM box WHERE id = \(box) FOR UPDATE", logger: self.logger)
            var boots: Set<String> = []
            for c in corrections {
                try await conn.query(
                    """
                    INSERT INTO clock_correction (box_id, boot_id, source, mono_us, offset_ms, recorded_wall_ms, received_ms)
                    VALUES (\(box), \(c.bootID), \(c.source.rawValue), \(c.monotonicMicros), \(c.offsetMillis), \(c.recordedWallMillis), \(now))
                    ON CONFLICT DO NOTHING
                    """, logger: self.logger)
                boots.insert(c.bootID)
            }
            var items: Set<String> = [], visits: Set<Ledger.VisitKey> = []
            for boot in boots {
                var offset: Int64 = 0
                for try await o in try await conn.query(
                    """
                    SELECT offset_ms FROM clock_correction WHERE box_id = \(box) AND boot_id = \(boot)
                    ORDER BY CASE source WHEN 'ntp' THEN 0 WHEN 'hub-date' THEN 1 ELSE 2 END, mono_us LIMIT 1
                    """, logger: self.logger
                ).decode(Int64.self) { offset = o }
                for try await (item, site, kind, worker) in try await conn.query(
                    """
                    UPDATE event SET corrected_ms = wall_ms + \(offset) WHERE box_id = \(box) AND boot_id = \(boot) AND clock_synced = 0
                        AND corrected_ms IS DISTINCT FROM wall_ms + \(offset)
                    RETURNING item_key, site_id, kind, worker_key
                    """, logger: self.logger
                ).decode((String?, String, String, String?).self) {
                    if let item { items.insert(item) }
                    if ["visit-start", "visit-end"].contains(kind), let worker { visits.insert(.init(site: site, worker: worker)) }
                }
            }
            if !items.isEmpty || !visits.isEmpty { try await self.rebuildLedger(conn, items: items, visits: visits) }
            return corrections.count
        }
    }

    public func addDeviceLog(box: String, _ lines: [DeviceLogLine]) async throws -> Int {
        let now = HubIngest.nowMillis()
        return try await transaction { conn in
            for l in lines {
                try await conn.query(
                    """
                    INSERT INTO device_log (box_id, id, at_ms, level, scanner_id, message, received_ms)
                    VALUES (\(box), \(l.id), \(l.atMillis), \(l.level), \(l.scannerID), \(l.message), \(now)) ON CONFLICT DO NOTHING
                    """, logger: self.logger)
            }
            return lines.count
        }
    }

    public func deviceLog(box: String) async throws -> [DeviceLogLine] {
        try await single { conn in
            var out: [DeviceLogLine] = []
            for try await (id, at, level, scanner, message) in try await conn.query(
                "SELECT id, at_ms, level, scanner_id, message FROM device_log WHERE box_id = \(box) ORDER BY id", logger: self.logger
            ).decode((Int64, Int64, String, String?, String).self) {
                out.append(DeviceLogLine(id: id, atMillis: at, level: level, scannerID: scanner, message: message))
            }
            return out
        }
    }
}
