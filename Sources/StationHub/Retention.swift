import Foundation

/// Personal data kept only as long as allowed, as SQL for both engines. Pure.
///
/// After its retention period a record loses its link to the person: the worker's
/// pseudonym and box-local hash leave the event (its row and its stored body) and the
/// ledger, replaced by a tag (`expired:RUN:N`, one per worker within one run) that names
/// no one; the record itself stays, so loans, visits and distinct borrowers still add up.
/// Erasure does the same at once for every record of one worker (`erased:...`), on an
/// operator's request, and is logged (reference, operator, counts; never the pseudonym).
public enum Retention {
    /// What a retention period can be set for: an event kind, all visits, the visits of
    /// one service (`visit:lactation`, shorter than the rest), or quarantined events
    /// (deleted after their period: they are waiting for an operator, not for reports).
    public enum Key: Sendable, Equatable {
        case kind(String)
        case visits(service: String?)
        case quarantine

        public init(_ text: String) throws {
            switch text {
            case "checkout", "renewal", "return", "void": self = .kind(text)
            case "visit": self = .visits(service: nil)
            case "quarantine": self = .quarantine
            case let t where t.hasPrefix("visit:") && t.count > 6: self = .visits(service: String(t.dropFirst(6)))
            default:
                throw ReportError("no retention for \(text): checkout, renewal, return, void, visit, visit:SERVICE or quarantine")
            }
        }
    }

    /// Statements for one transaction; the rows `statements[changed]` returns are the
    /// records it changed (events, as ``LedgerKeys/eventColumns``, so that the lending
    /// months follow, unless it is the quarantine's).
    public struct Plan: Sendable {
        public var statements: [SQLStatement]
        public var changed: Int
        public var changesEvents = true
        public var changedStatement: SQLStatement { statements[changed] }
    }

    /// Where a period ending at `millis` cuts: the start of that UTC month. A month's
    /// records lose their link in one run, so each month's figures (loans, distinct
    /// borrowers, visits) add up exactly; a record may keep its link up to a month past
    /// its period.
    public static func cutoff(periodEndingAt millis: Int64) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = Date(timeIntervalSince1970: Double(millis) / 1000)
        let start = calendar.date(from: calendar.dateComponents([.year, .month], from: date)) ?? date
        return Int64(start.timeIntervalSince1970 * 1000)
    }

    /// De-identifies what `key` holds from before `cutoff` (ms); `run` is a tag prefix
    /// unique to this run and key.
    public static func expire(_ key: Key, cutoff: Int64, run: String, dialect: SQLDialect) -> Plan {
        let kinds: [String], service: String?
        switch key {
        case .quarantine:
            return Plan(statements: [q("DELETE FROM quarantine WHERE received_ms < ? RETURNING id", [.int(cutoff)])], changed: 0, changesEvents: false)
        case .kind(let k): (kinds, service) = ([k], nil)
        case .visits(let s): (kinds, service) = (["visit-start", "visit-end"], s)
        }
        let serviceText: SQLValue = service.map { .text($0) } ?? .null
        let live = "worker_key IS NOT NULL AND worker_key NOT LIKE 'expired:%' AND worker_key NOT LIKE 'erased:%'"
        let tagPrefix = SQLValue.text("expired:\(run):")
        if kinds == ["visit-start", "visit-end"] {
            // Whole visits: a visit whose start is past the cutoff loses its worker at both
            // ends, even when it ended after the cutoff (the pair stays a pair).
            let visits = "coalesce(lv.start_ms, lv.end_ms) < ? AND (CAST(? AS TEXT) IS NULL OR lv.service = ?)"
            let visitArgs: [SQLValue] = [.int(cutoff), serviceText, serviceText]
            return Plan(statements: [
                q("DELETE FROM deidentify", []),
                q(
                    """
                    INSERT INTO deidentify (old, tag)
                    SELECT worker, ? || DENSE_RANK() OVER (ORDER BY worker)
                    FROM (SELECT DISTINCT lv.worker FROM ledger_visit lv WHERE \(visits)
                          AND lv.worker NOT LIKE 'expired:%' AND lv.worker NOT LIKE 'erased:%') w
                    """, [tagPrefix] + visitArgs),
                q(
                    """
                    UPDATE event SET worker_pseudonym = NULL, worker_key = d.tag, body = \(dialect.withWorker("body", tag: "d.tag"))
                    FROM deidentify d, ledger_visit lv
                    WHERE event.worker_key = d.old AND lv.worker = d.old AND lv.site_id = event.site_id AND \(visits)
                      AND ((event.kind = 'visit-start' AND event.box_id = lv.box_id AND event.seq = lv.start_seq)
                        OR (event.kind = 'visit-end' AND event.seq = lv.end_seq AND event.corrected_ms = lv.end_ms))
                    RETURNING \(LedgerKeys.eventColumns)
                    """, visitArgs),
                q(
                    """
                    UPDATE ledger_visit SET worker = d.tag FROM deidentify d
                    WHERE ledger_visit.worker = d.old AND coalesce(ledger_visit.start_ms, ledger_visit.end_ms) < ?
                      AND (CAST(? AS TEXT) IS NULL OR ledger_visit.service = ?)
                    """, visitArgs),
                q("DELETE FROM deidentify", []),
            ], changed: 2)
        }
        let scope = "kind = '\(kinds[0])' AND corrected_ms < ?"
        var statements = [
            q("DELETE FROM deidentify", []),
            q(
                """
                INSERT INTO deidentify (old, tag)
                SELECT worker_key, ? || DENSE_RANK() OVER (ORDER BY worker_key)
                FROM (SELECT DISTINCT worker_key FROM event WHERE \(scope) AND \(live)) w
                """, [tagPrefix, .int(cutoff)]),
            q(
                """
                UPDATE event SET worker_pseudonym = NULL, worker_key = d.tag, body = \(dialect.withWorker("body", tag: "d.tag"))
                FROM deidentify d WHERE event.worker_key = d.old AND \(scope)
                RETURNING \(LedgerKeys.eventColumns)
                """, [.int(cutoff)]),
        ]
        if kinds.contains("checkout") || kinds.contains("renewal") {
            statements.append(
                q("UPDATE ledger_book SET holder = d.tag, folded = 0 FROM deidentify d WHERE ledger_book.holder = d.old AND ledger_book.loaned_at_ms < ?", [.int(cutoff)]))
            // Closed requests of the same workers, by the same tags: a collection still matches its checkout.
            statements.append(
                q("UPDATE request SET worker = d.tag FROM deidentify d WHERE request.worker = d.old AND request.active IS NULL AND request.placed_ms < ?", [.int(cutoff)]))
        }
        statements.append(q("DELETE FROM deidentify", []))
        return Plan(statements: statements, changed: 2)
    }

    /// Every record of one worker (their pseudonym, or the box-local worker key reports
    /// show when the hub has no keys), de-identified at once, their member card dropped,
    /// and the erasure logged. The first three statements' rows count the events, book
    /// rows and visits changed; the last's, the requests.
    public static func erase(worker: String, tag: String, reference: String, operator name: String, atMillis: Int64, dialect: SQLDialect)
        -> [SQLStatement]
    {
        [
            q(
                """
                UPDATE event SET worker_pseudonym = NULL, worker_key = ?, body = \(dialect.withWorker("body", tag: "?"))
                WHERE worker_key = ? OR worker_pseudonym = ? RETURNING \(LedgerKeys.eventColumns)
                """, [.text(tag), .text(tag), .text(worker), .text(worker)]),
            q("UPDATE ledger_book SET holder = ?, folded = 0 WHERE holder = ? RETURNING item_key", [.text(tag), .text(worker)]),
            q("UPDATE ledger_visit SET worker = ? WHERE worker = ? RETURNING site_id", [.text(tag), .text(worker)]),
            // (For a box-local key BOX/HASH) that box's quarantined events carrying the hash.
            q(
                "DELETE FROM quarantine WHERE ? LIKE '%/%' AND box_id = ? AND body LIKE ?",
                [.text(worker), .text(String(worker.split(separator: "/", maxSplits: 1).first ?? "")),
                 .text("%\"localHash\":\"" + String(worker.split(separator: "/", maxSplits: 1).last ?? "") + "\"%")]),
            q(
                """
                INSERT INTO erasure_log (at_ms, reference, operator, tag, events, books, visits)
                SELECT ?, ?, ?, ?, (SELECT count(*) FROM event WHERE worker_key = ?), (SELECT count(*) FROM ledger_book WHERE holder = ?),
                       (SELECT count(*) FROM ledger_visit WHERE worker = ?)
                """, [.int(atMillis), .text(reference), .text(name), .text(tag), .text(tag), .text(tag), .text(tag)]),
            // Their open requests end (nothing could match them at a pickup any more; their
            // clients hear so), and every request forgets them.
            q(
                """
                INSERT INTO request_notice (request_id, state, pickup_site, at_ms, client, next_ms)
                SELECT r.id, 'cancelled', r.pickup_site, ?, c.name, ? FROM request r
                JOIN api_client c ON c.name = r.client AND c.notify_url IS NOT NULL AND c.revoked_ms IS NULL WHERE r.worker = ? AND r.active = 1
                """, [.int(atMillis), .int(atMillis), .text(worker)]),
            q(
                "UPDATE request SET state = 'cancelled', since_ms = ?, until_ms = NULL, cancelled_ms = ?, active = NULL WHERE worker = ? AND active = 1",
                [.int(atMillis), .int(atMillis), .text(worker)]),
            q("UPDATE request SET worker = ?, masked = NULL, hold_key = NULL, verifier = NULL, member = NULL WHERE worker = ? RETURNING id", [.text(tag), .text(worker)]),
        ]
    }

    static func q(_ sql: String, _ arguments: [SQLValue]) -> SQLStatement {
        SQLStatement(sql, arguments)
    }
}
