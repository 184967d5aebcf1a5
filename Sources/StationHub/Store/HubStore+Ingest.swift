import Foundation
import StationCore
import StationProtocol

/// What a box says of itself beside a batch: how many events it still holds to send, and
/// the software it runs.
public struct BatchReport: Sendable, Equatable {
    public var backlog: Int64?
    public var software: String?
    public init(backlog: Int64? = nil, software: String? = nil) {
        self.backlog = backlog
        self.software = software
    }
}

/// Ingest: a batch in one transaction, idempotent on (box, seq), the ledger following.
extension HubStore {
    /// Applies a batch in one transaction: idempotent on (box, seq); the same seq with
    /// other content is quarantined (a conflict), as is anything unreadable; a batch naming
    /// another box or site is refused whole. Answers the high-water mark durably applied.
    /// With `keys`, a worker's sealed credential is opened, the pseudonym derived and the
    /// sealed number left out of what is stored; an unopenable one is quarantined.
    public func ingest(
        box: String, site: String, events: [IncomingEvent], keys: HubKeys?, report: BatchReport = BatchReport()
    ) async throws -> (BatchResult, conflict: Bool) {
        // Events recorded before the box learnt of a move name a site it stood at before.
        let named = Set(events.compactMap { if case .event(let e, _) = $0 { e.siteID } else { nil } })
        let sites = named.isSubset(of: [site]) ? [site] : try await formerSites(box).union([site])
        try HubIngest.checkBatch(box: box, site: site, sites: sites, events: events)
        // What needs no database is done before the transaction: the writer is not held for it.
        let presorted = presort(events, keys: keys, now: HubIngest.nowMillis())
        let result = try await engine.transaction { s in try await self.apply(s, box: box, site: site, presorted, report: report) }
        engine.ingested(events: events.count)
        return result
    }

    /// A batch applied in the transaction `s`: what ``ingest(box:site:events:keys:report:)``
    /// does, and what releasing a quarantined event does inside its own transaction.
    func apply(
        _ s: any SQLSession, box: String, site: String, _ presorted: Presorted, report: BatchReport
    ) async throws -> (BatchResult, conflict: Bool) {
        let now = presorted.now
        // The box's row, held: its batches apply one at a time, whichever instance got them.
        try await s.lock(.box(box))
        guard let mark = try await s.rows("SELECT acked_through, epoch FROM box WHERE id = ?", [.text(box)]).first,
            let ackedBefore = mark[0].int, let epochBefore = mark[1].int
        else { throw HubError(.notFound, "no box \(box)") }

        var intake = try await self.sort(s, box: box, presorted)
        let offsets = try await Self.clockOffsets(s, box: box, boots: Set(intake.rows.filter { !$0.clockSynced }.map(\.bootID)))
        for i in intake.rows.indices where !intake.rows[i].clockSynced {
            intake.rows[i].correctedMillis = HubIngest.corrected(intake.rows[i].wallMillis, offsets[intake.rows[i].bootID] ?? 0)
        }
        try await s.execute(SQLStatement.insert(into: "event", columns: HubIngest.Row.columns, rows: intake.rows.map(\.values)))
        try await s.execute(
            SQLStatement.insert(
                into: "quarantine", columns: ["box_id", "seq", "reason", "body", "received_ms"],
                rows: intake.quarantined.map { [.text(box), .int($0.seq), .text($0.reason), .text($0.body), .int(now)] }))

        // The ledger follows in the same transaction: what was applied is reflected.
        // Books carried forward where they can be (``LedgerFold``), the rest recomputed.
        var touched = LedgerKeys(intake.rows.map { ($0.kind, $0.itemKey, $0.siteID, $0.workerKey, $0.correctedMillis) })
        let voided = try await Self.voidTargets(s, box: box, refs: intake.rows.filter { $0.kind == EventKind.void.rawValue }.compactMap(\.refersTo))
        touched.formUnion(voided)
        try await self.rebuildLedger(s, touched, batch: (box, intake.rows, voided.items))

        let next = try await Self.advance(s, box: box, acked: ackedBefore, epoch: epochBefore, report: report, now: now)
        let result = BatchResult(
            ackedThrough: next.acked, applied: intake.rows.count, duplicates: intake.duplicates,
            quarantined: intake.quarantined.map { Quarantined(seq: $0.seq, reason: $0.reason) }, resumeFrom: next.resumeFrom)
        return (result, intake.conflict)
    }

    /// A batch as far as it can be sorted without the database: each event's content
    /// hash, what the box may not claim, its sealed credential opened and, when no member
    /// list is asked, its row. ``sort(_:box:_:)`` finishes it inside the transaction.
    struct Presorted: Sendable {
        enum Item: Sendable {
            case unreadable(seq: Int64?, body: String, reason: String)
            case event(seq: Int64, hash: String, canonical: String, fate: Fate)
        }

        /// What becomes of an event the hub does not hold yet.
        enum Fate: Sendable {
            /// Stored as this row, or set aside when a column cannot hold it.
            case row(HubIngest.Row)
            /// Set aside for this reason, with this body.
            case aside(reason: String, body: String)
            /// Opened now with a card UID: the member list decides the worker.
            case member(JournalEvent, CredentialOpener.Pending)
        }

        var items: [Item]
        var now: Int64
    }

    /// What ``Presorted`` says of `events`: no database asked.
    func presort(_ events: [IncomingEvent], keys: HubKeys?, now: Int64) -> Presorted {
        Presorted(
            items: events.map { incoming in
                switch incoming {
                case .unreadable(let seq, let body, let reason):
                    return .unreadable(seq: seq, body: body, reason: reason)
                case .event(let e, let canonical):
                    let hash = HubIngest.hash(canonical)
                    return .event(seq: e.seq, hash: hash, canonical: canonical, fate: fate(e, canonical: canonical, hash: hash, keys: keys, now: now))
                }
            },
            now: now)
    }

    /// What becomes of `e` if the hub does not hold it yet.
    func fate(_ e: JournalEvent, canonical: String, hash: String, keys: HubKeys?, now: Int64) -> Presorted.Fate {
        // What the box may not claim, found before anything of the event is opened.
        if let refusal = BoxClaims.refusal(e) { return .aside(reason: refusal, body: Canonical.text(BoxClaims.withheld(e))) }
        var stored = e
        do {
            switch try opener.begin(e.draft.worker, keys: keys) {
            case .ready(let worker): stored.draft.worker = worker
            case .opened(let pending):
                if pending.cardUID != nil { return .member(e, pending) }
                stored.draft.worker = opener.finish(pending, member: nil)
            }
        } catch {
            return .aside(reason: "seq \(e.seq): the sealed credential cannot be opened: \(HubKeys.plainReason(error, e.draft.worker))", body: canonical)
        }
        return row(e, canonical: canonical, hash: hash, stored: stored, now: now)
    }

    /// The row of `e` stored as `stored`, or set aside when a column cannot hold it.
    func row(_ e: JournalEvent, canonical: String, hash: String, stored: JournalEvent, now: Int64) -> Presorted.Fate {
        let row = HubIngest.row(e, canonical: canonical, contentHash: hash, stored: stored, receivedMillis: now)
        if let problem = HubIngest.unstorable(row) { return .aside(reason: problem, body: canonical) }
        return .row(row)
    }

    /// What a batch becomes: rows to store, duplicates, and what is set aside.
    struct Intake {
        var rows: [HubIngest.Row] = []
        var duplicates = 0
        var conflict = false
        var quarantined: [(seq: Int64, reason: String, body: String)] = []
    }

    /// Sorts a presorted batch against what the hub holds: duplicates counted, conflicts
    /// and unreadable, unopenable or unstorable events set aside, the rest made rows (card
    /// UIDs of known members become the member).
    func sort(_ s: any SQLSession, box: String, _ presorted: Presorted) async throws -> Intake {
        var held = try await Self.heldHashes(s, box: box, seqs: presorted.items.compactMap { if case .event(let seq, _, _, _) = $0 { seq } else { nil } })
        // Asked once for the whole batch.
        let uids = presorted.items.compactMap { item -> String? in
            if case .event(let seq, _, _, .member(_, let pending)) = item, held[seq] == nil { pending.cardUID } else { nil }
        }
        let members = try await Self.members(s, cardUIDs: Array(Set(uids)))

        var intake = Intake()
        for item in presorted.items {
            switch item {
            case .unreadable(let seq, let body, let reason):
                intake.quarantined.append((seq ?? 0, reason, body))
            case .event(let seq, let hash, let canonical, var fate):
                if let existing = held[seq] {
                    if existing == hash {
                        intake.duplicates += 1
                    } else {
                        intake.conflict = true
                        intake.quarantined.append((seq, "seq \(seq) arrived again with different content", canonical))
                    }
                    continue
                }
                if case .member(let e, let pending) = fate {
                    var stored = e
                    stored.draft.worker = opener.finish(pending, member: pending.cardUID.flatMap { members[$0] })
                    fate = row(e, canonical: canonical, hash: hash, stored: stored, now: presorted.now)
                }
                switch fate {
                case .row(let row):
                    held[seq] = hash
                    intake.rows.append(row)
                case .aside(let reason, let body):
                    intake.quarantined.append((seq, reason, body))
                case .member:
                    continue  // (made a row or set aside just above)
                }
            }
        }
        return intake
    }

    /// Content hashes of the given seqs of a box the hub holds.
    static func heldHashes(_ s: any SQLSession, box: String, seqs: [Int64]) async throws -> [Int64: String] {
        var held: [Int64: String] = [:]
        for chunk in SQLStatement.chunks(Array(Set(seqs)), size: 2000) {
            for row in try await s.rows(
                "SELECT seq, content_hash FROM event WHERE box_id = ? AND seq IN \(SQLStatement.list(chunk.count))", [.text(box)] + chunk.map { .int($0) })
            {
                if let seq = row[0].int, let hash = row[1].text { held[seq] = hash }
            }
        }
        return held
    }

    /// Members of the hub's list, by card UID.
    static func members(_ s: any SQLSession, cardUIDs: [String]) async throws -> [String: String] {
        var out: [String: String] = [:]
        for chunk in SQLStatement.chunks(cardUIDs) {
            for row in try await s.rows("SELECT card_uid, member FROM member_card WHERE card_uid IN \(SQLStatement.list(chunk.count))", chunk.map { .text($0) }) {
                if let uid = row[0].text, let member = row[1].text { out[uid] = member }
            }
        }
        return out
    }

    /// The offset that corrects each boot's unsynchronised times: an NTP correction before
    /// a `Date`-header one before a manual one, and within a source the earliest learnt
    /// (the clock drifts least from there). Chosen from the set held, so arrival order
    /// cannot change it.
    static func clockOffsets(_ s: any SQLSession, box: String, boots: Set<String>) async throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        for chunk in SQLStatement.chunks(Array(boots)) {
            let rows = try await s.rows(
                """
                SELECT boot_id, offset_ms FROM (
                    SELECT boot_id, offset_ms,
                           ROW_NUMBER() OVER (PARTITION BY boot_id ORDER BY CASE source WHEN 'ntp' THEN 0 WHEN 'hub-date' THEN 1 ELSE 2 END, mono_us) AS n
                    FROM clock_correction WHERE box_id = ? AND boot_id IN \(SQLStatement.list(chunk.count))) AS best
                WHERE n = 1
                """, [.text(box)] + chunk.map { .text($0) })
            for row in rows {
                if let boot = row[0].text, let offset = row[1].int { out[boot] = offset }
            }
        }
        return out
    }

    /// The ledger keys of the events that voids of this box cancel (held already, or in
    /// this batch): their rows are recomputed without them. A void whose event has not
    /// arrived touches nothing; that event is left out when it comes.
    static func voidTargets(_ s: any SQLSession, box: String, refs: [Int64]) async throws -> LedgerKeys {
        var keys = LedgerKeys()
        for chunk in SQLStatement.chunks(refs) {
            let rows = try await s.rows(
                "SELECT \(LedgerKeys.eventColumns) FROM event WHERE box_id = ? AND seq IN \(SQLStatement.list(chunk.count))",
                [.text(box)] + chunk.map { .int($0) })
            keys.formUnion(LedgerKeys(rows: rows))
        }
        return keys
    }

    /// The box's high-water mark over what it has above it (``HubIngest/advance``), stored
    /// with when this batch came and what the box said of itself, in one statement.
    static func advance(
        _ s: any SQLSession, box: String, acked: Int64, epoch: Int64, report: BatchReport, now: Int64
    ) async throws -> (acked: Int64, resumeFrom: Int64?) {
        let above = try await s.rows("SELECT seq, epoch FROM event WHERE box_id = ? AND seq > ?", [.text(box), .int(acked)])
            .map { (seq: $0[0].int ?? 0, epoch: $0[1].int ?? 0) }
        let aside = try await s.rows("SELECT DISTINCT seq FROM quarantine WHERE box_id = ? AND seq > ?", [.text(box), .int(acked)]).compactMap { $0[0].int }
        let next = HubIngest.advance(acked: acked, epoch: epoch, applied: above, quarantined: aside)
        try await s.execute(
            "UPDATE box SET acked_through = ?, epoch = ?, last_batch_ms = ?, backlog = coalesce(?, backlog), software = coalesce(?, software) WHERE id = ?",
            [.int(next.acked), .int(next.epoch), .int(now), SQLValue(report.backlog), SQLValue(report.software), .text(box)])
        return (next.acked, next.resumeFrom)
    }

    /// The sites a box stood at before it was moved.
    func formerSites(_ box: String) async throws -> Set<String> {
        Set(try await engine.read(SQLStatement("SELECT site_id FROM box_former_site WHERE box_id = ?", [.text(box)])).compactMap { $0[0].text })
    }
}
