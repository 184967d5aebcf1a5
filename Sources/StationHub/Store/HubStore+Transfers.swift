import Foundation
import StationCore
import StationProtocol

/// Requests follow their copies: each time a copy's ledger row is recomputed, so are its
/// requests (``Requests/status(_:entries:nowMillis:)``), and what a site's boxes are to do
/// (pull lists, holds) is read from both.
extension HubStore {
    /// What the ledger reads of these copies' events (voided ones left out), and of the
    /// corrections operators accepted (as the box `hub`, numbered by correction).
    static func entries(_ s: any SQLSession, items: [String]) async throws -> [String: [Ledger.Entry]] {
        var entries: [String: [Ledger.Entry]] = [:]
        let keys = SQLStatement.list(items.count)
        for row in try await s.rows(
            """
            SELECT e.item_key, \(entryColumns) FROM event e WHERE e.item_key IN \(keys) AND \(Reports.notVoided())
            UNION ALL
            SELECT k.item_key, '\(correctionsBox)', k.id, k.site_id, k.kind, NULL, k.at_ms, NULL, NULL, 0, NULL, NULL FROM ledger_correction k WHERE k.item_key IN \(keys)
            """,
            (items + items).map { .text($0) })
        {
            if let item = row[0].text, let e = entry(row, from: 1) { entries[item, default: []].append(e) }
        }
        return entries
    }

    /// The requests of these copies recomputed from their events (closed ones too: an event
    /// from before a request closed may arrive after; not those whose worker was
    /// de-identified or erased, which stay as they were).
    /// A copy is held by one open request at most: when a void or a late event opens a
    /// second, the one placed first keeps the copy. A request that closes forgets what
    /// its pickup box matched the worker with.
    func recomputeRequests(_ s: any SQLSession, items: [String], entries: [String: [Ledger.Entry]], nowMillis: Int64) async throws {
        guard !items.isEmpty else { return }
        let rows = try await s.rows(
            """
            SELECT id, item_key, pickup_site, worker, placed_ms, hold_days, cancelled_ms, state, since_ms, until_ms, at_site, active, client, purpose
            FROM request WHERE item_key IN \(SQLStatement.list(items.count)) AND worker NOT LIKE 'expired:%' AND worker NOT LIKE 'erased:%'
            ORDER BY placed_ms, id
            """, items.map { .text($0) })
        var keeper: [String: String] = [:]  // item -> the open request that holds it
        var changes: [(id: String, status: Requests.Status, active: Bool, wasActive: Bool, stateChanged: Bool, pickup: String, client: String)] = []
        for r in rows {
            guard let id = r[0].text, let item = r[1].text, let pickup = r[2].text, let worker = r[3].text else { continue }
            let request = Requests.Request(
                id: id, itemKey: item, pickupSite: pickup, worker: worker, placedMillis: r[4].int ?? 0, holdDays: Int(r[5].int ?? 7), cancelledMillis: r[6].int,
                purpose: r[13].text.flatMap(Requests.Purpose.init(rawValue:)) ?? .request)
            let status = Requests.status(request, entries: entries[item] ?? [], nowMillis: nowMillis)
            var active = false
            if status.state.isOpen, keeper[item] == nil {
                keeper[item] = id
                active = true
            }
            let held = Requests.Status(state: r[7].text.flatMap(Requests.State.init(rawValue:)) ?? .placed, sinceMillis: r[8].int ?? 0, untilMillis: r[9].int, site: r[10].text)
            if held != status || active != r[11].bool {
                changes.append((id, status, active, r[11].bool, held.state != status.state, pickup, r[12].text ?? ""))
            }
        }
        // Releases first: the index allows one open request per copy at every statement.
        for c in changes.sorted(by: { !$0.active && $1.active }) {
            // Forgotten when it ends; a request only displaced by one placed before it keeps them.
            let wipe = c.status.state.isOpen ? "" : ", masked = NULL, hold_key = NULL, verifier = NULL, member = NULL"
            try await s.execute(
                "UPDATE request SET state = ?, since_ms = ?, until_ms = ?, at_site = ?, active = ?\(wipe) WHERE id = ?",
                [.text(c.status.state.rawValue), .int(c.status.sinceMillis), SQLValue(c.status.untilMillis), SQLValue(c.status.site), c.active ? .int(1) : .null, .text(c.id)])
            if c.stateChanged {
                try await Self.notice(s, id: c.id, state: c.status.state, pickupSite: c.pickup, client: c.client, atMillis: c.status.sinceMillis)
            }
        }
    }

    /// Holds past their end, closed (of these copies, or all): their copies go back to
    /// circulation and each client hears of it.
    func expireHolds(_ s: any SQLSession, nowMillis: Int64, items: [String]? = nil) async throws {
        let only = items.map { "AND item_key IN \(SQLStatement.list($0.count))" } ?? ""
        let due = try await s.rows(
            "SELECT DISTINCT item_key FROM request WHERE active = 1 AND state = 'ready' AND until_ms <= ? \(only)", [.int(nowMillis)] + (items ?? []).map { .text($0) }
        ).compactMap { $0[0].text }
        guard !due.isEmpty else { return }
        try await s.lock(.ledgerRows(due.map { "book|\($0)" }))
        try await recomputeRequests(s, items: due, entries: try await Self.entries(s, items: due), nowMillis: nowMillis)
    }

    /// Closes every hold past its end (the hub's request loop runs it); answers how many.
    @discardableResult
    public func expireHolds(nowMillis: Int64 = HubIngest.nowMillis()) async throws -> Int {
        try await engine.transaction { s in
            let before = try await s.value("SELECT count(*) FROM request WHERE active = 1 AND state = 'ready' AND until_ms <= ?", [.int(nowMillis)])?.int ?? 0
            try await self.expireHolds(s, nowMillis: nowMillis)
            return Int(before)
        }
    }

    /// What `site`'s boxes are to do with requested copies: the pull list (copies here to
    /// send on) and the hold shelf (requests collected here: expected, or waiting until
    /// their hold ends, with what recognises their worker offline), complete each time.
    public func siteRequests(site: String, nowMillis: Int64 = HubIngest.nowMillis()) async throws -> (pulls: [Downlink.Pull], holds: [Downlink.Hold]) {
        let rows = try await engine.read(
            SQLStatement(
                """
                SELECT r.id, r.item_key, r.pickup_site, r.state, r.until_ms, r.masked, r.hold_key, r.verifier, r.member, r.hold_days,
                    coalesce(b.site_id, c.home_site), b.transit_from, r.since_ms, r.purpose
                FROM request r LEFT JOIN ledger_book b ON b.item_key = r.item_key LEFT JOIN catalog_title c ON c.item_key = r.item_key
                WHERE r.active = 1 AND (r.pickup_site = ? OR r.item_key IN (SELECT item_key FROM ledger_book WHERE site_id = ? AND transit_from IS NULL)
                    OR (b.item_key IS NULL AND c.home_site = ?))
                """, [.text(site), .text(site), .text(site)]))
        var placed: [(request: Requests.Request, status: Requests.Status)] = [], books: [String: Ledger.Book] = [:], holds: [Downlink.Hold] = []
        for r in rows {
            guard let id = r[0].text, let item = r[1].text, let pickup = r[2].text, let state = r[3].text.flatMap(Requests.State.init(rawValue:)) else { continue }
            if pickup == site, let key = r[6].text, let verifier = r[7].text, state != .ready || (r[4].int ?? 0) > nowMillis {
                // Expected here, or on the hold shelf until its end.
                holds.append(
                    Downlink.Hold(
                        request: id, itemKey: item, masked: r[5].text ?? "", key: key, verifier: verifier, member: r[8].text, holdDays: Int(r[9].int ?? 7),
                        untilMillis: state == .ready ? r[4].int : nil, sinceMillis: r[12].int))
            }
            // (A copy already here for a pickup here is on the pull list too: to be fetched.)
            placed.append(
                (Requests.Request(
                    id: id, itemKey: item, pickupSite: pickup, worker: "", placedMillis: 0, holdDays: 0,
                    purpose: r[13].text.flatMap(Requests.Purpose.init(rawValue:)) ?? .request), Requests.Status(state: state, sinceMillis: r[12].int ?? 0)))
            books[item] = Ledger.Book(itemKey: item, site: r[10].text, transit: r[11].text.map { Ledger.Transit(from: $0, to: pickup, sinceMillis: 0, request: id) })
        }
        return (Requests.pulls(site: site, requests: placed, books: books), holds.sorted { $0.request < $1.request })
    }
}
