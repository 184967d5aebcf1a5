import Crypto
import Foundation
import StationCore
import StationProtocol

/// What a request asks for: one copy (`itemKey`) or any copy of a title (the catalog's
/// title text), to a pickup site, for the worker whose card or identity number is given
/// (turned into the pseudonym at once; never stored).
public struct RequestAsk: Sendable {
    public var itemKey: String?
    public var title: String?
    public var pickupSite: String
    public var number: String
    /// `resident-id`, `member-card` or `card-uid`; nil: a valid identity number is one, anything else a member card.
    public var numberKind: String?

    public init(itemKey: String? = nil, title: String? = nil, pickupSite: String, number: String, numberKind: String? = nil) {
        (self.itemKey, self.title, self.pickupSite, self.number, self.numberKind) = (itemKey, title, pickupSite, number, numberKind)
    }
}

/// A request as the API, the CLI and the console show it: never the worker.
public struct RequestRecord: Sendable, Equatable, Codable {
    public var id: String
    public var itemKey: String
    public var title: String?
    public var pickupSite: String
    public var state: Requests.State
    public var sinceMillis: Int64
    /// Ready: when the hold ends.
    public var untilMillis: Int64?
    /// In transit: the site it left; ready: the pickup site.
    public var site: String?
    public var placedMillis: Int64
    /// Who placed it: an API client's name, `operator`, or `cli`.
    public var client: String
    /// A move's or a rotation's (nil: a worker's request).
    public var purpose: Requests.Purpose?
    /// A rotation's stage: the rotation's name.
    public var rotation: String?

    enum CodingKeys: String, CodingKey {
        case id, itemKey = "item_key", title, pickupSite = "pickup_site", state, sinceMillis = "since_ms", untilMillis = "until_ms", site
        case placedMillis = "placed_ms", client, purpose, rotation
    }
}

/// Requests: placed (a copy chosen under a lock per title, so two hub instances never
/// promise one copy twice), cancelled, read, recomputed with their copy's ledger row, and
/// each change queued for the placing client's webhook.
extension HubStore {
    static let requestColumns = "r.id, r.item_key, r.title, r.pickup_site, r.state, r.since_ms, r.until_ms, r.at_site, r.placed_ms, r.client, r.purpose, r.rotation"

    static func requestRecord(_ r: SQLRow) -> RequestRecord? {
        guard let id = r[0].text, let item = r[1].text, let pickup = r[3].text, let state = r[4].text.flatMap(Requests.State.init(rawValue:)) else { return nil }
        return RequestRecord(
            id: id, itemKey: item, title: r[2].text, pickupSite: pickup, state: state, sinceMillis: r[5].int ?? 0, untilMillis: r[6].int, site: r[7].text,
            placedMillis: r[8].int ?? 0, client: r[9].text ?? "", purpose: r[10].text.flatMap(Requests.Purpose.init(rawValue:)), rotation: r[11].text)
    }

    /// A new request id: `r` and twelve characters no one misreads.
    static func newRequestID() -> String {
        let alphabet = Array("23456789abcdefghjkmnpqrstuvwxyz")
        return "r" + String((0..<12).map { _ in alphabet.randomElement()! })
    }

    /// `scope`: a console reader names only a pickup site they cover (else: not found).
    public func placeRequest(
        _ ask: RequestAsk, keys: HubKeys, client: String, scope: ConsoleRole = .union, by actor: Actor, nowMillis: Int64 = HubIngest.nowMillis()
    ) async throws -> RequestRecord {
        guard (ask.itemKey == nil) != (ask.title == nil) else { throw HubError(.invalid, "name one copy (item_key) or a title, not both and not neither") }
        let (worker, credential) = try await self.worker(number: ask.number, kind: ask.numberKind, keys: keys, nowMillis: nowMillis)
        // What the pickup box matches the worker with, offline: a keyed hash under a key of
        // this request's own (see ARCHITECTURE, "Requests and transfers").
        let holdKey = SymmetricKey(size: .bits256)
        let verifier = CredentialProtector.localHash(credential, key: holdKey, version: 1)
        let keyHex = holdKey.withUnsafeBytes { Hex.encode(Data($0)) }
        let id = Self.newRequestID()
        return try await engine.transaction { s in
            try await Self.requireSite(s, ask.pickupSite, scope: scope)
            let copies = try await Self.requestableCopies(s, ask)
            // One title's copies, by any request, and one worker's requests: every lock at
            // once, in the engine's one order, before anything is read.
            let title = copies.first?.title ?? copies[0].key
            // (A title's request named them all already; one copy's asks for its siblings.)
            let sameTitle = ask.title != nil ? copies.map(\.key) : try await Self.titleCopies(s, title: copies.first?.title, or: copies.map(\.key))
            try await s.lock(.ledgerRows(["request|" + title, "worker|" + worker] + sameTitle.map { "book|\($0)" }))
            try await self.expireHolds(s, nowMillis: nowMillis, items: copies.map(\.key))
            try await Self.checkWorkerMay(s, worker: worker, site: ask.pickupSite, copies: sameTitle)
            let region = try await s.value("SELECT region FROM site WHERE id = ?", [.text(ask.pickupSite)])?.text
            guard let copy = Requests.choose(try await Self.allocationView(s, copies.map(\.key)), pickupSite: ask.pickupSite, pickupRegion: region) else {
                throw HubError(.conflict, "no copy is on a shelf to send: every copy is on loan, on its way or promised to another request", code: "no-copy")
            }
            let holdDays = try await Self.siteNumber(s, ask.pickupSite, "hold_days") ?? Requests.defaultHoldDays
            let member = try await s.value("SELECT member FROM member_card WHERE member = ? AND removed = 0 LIMIT 1", [.text(worker)])?.text
            try await s.execute(
                SQLStatement.insert(
                    into: "request",
                    columns: ["id", "item_key", "title", "pickup_site", "worker", "masked", "hold_key", "verifier", "member", "client", "placed_ms", "hold_days",
                              "state", "since_ms", "active"],
                    rows: [[.text(id), .text(copy.itemKey), SQLValue(ask.title ?? copies.first { $0.key == copy.itemKey }?.title), .text(ask.pickupSite),
                            .text(worker), .text(credential.masked), .text(keyHex), .text(verifier), SQLValue(member), .text(client), .int(nowMillis),
                            .int(Int64(holdDays)), .text(Requests.State.placed.rawValue), .int(nowMillis), .int(1)]]))
            try await Self.notice(s, id: id, state: .placed, pickupSite: ask.pickupSite, client: client, atMillis: nowMillis)
            try await Self.audit(s, actor, "request.place", id, "\(copy.itemKey) to \(ask.pickupSite)")
            guard let record = try await s.rows("SELECT \(Self.requestColumns) FROM request r WHERE r.id = ?", [.text(id)]).first.flatMap(Self.requestRecord) else {
                throw HubError(.unavailable, "request \(id) was not written")
            }
            return record
        }
    }

    /// The catalog's copies a request may name: one copy, or every copy of a title; only
    /// labelled copies (a title-only key stands for copies the ledger cannot tell apart).
    static func requestableCopies(_ s: any SQLSession, _ ask: RequestAsk) async throws -> [(key: String, title: String?)] {
        let rows =
            if let key = ask.itemKey {
                try await s.rows("SELECT item_key, title FROM catalog_title WHERE item_key = ? AND removed = 0", [.text(key)])
            } else {
                try await s.rows("SELECT item_key, title FROM catalog_title WHERE title = ? AND removed = 0 ORDER BY item_key", [.text(ask.title ?? "")])
            }
        let all = rows.compactMap { r in r[0].text.map { (key: $0, title: r[1].text) } }
        guard !all.isEmpty else {
            throw HubError(.notFound, ask.itemKey.map { "\($0) is not in the catalog" } ?? "no copy titled \(ask.title ?? "") in the catalog", code: "not-in-catalog")
        }
        let labelled = all.filter { $0.key.hasPrefix("label:") }
        guard !labelled.isEmpty else {
            throw HubError(
                .invalid, "\(all[0].key) carries no item label: its copies cannot be told apart, so none can be sent; label the copies (`label:…` keys) first",
                code: "unlabelled")
        }
        return labelled
    }

    /// Every labelled copy of a title (or these keys, for copies without one).
    static func titleCopies(_ s: any SQLSession, title: String?, or keys: [String]) async throws -> [String] {
        guard let title else { return keys }
        return try await s.rows("SELECT item_key FROM catalog_title WHERE title = ? AND removed = 0 AND item_key LIKE 'label:%' ORDER BY item_key", [.text(title)])
            .compactMap { $0[0].text }
    }

    /// Refuses a worker at their site's limit of open requests, or who asked for this title already.
    static func checkWorkerMay(_ s: any SQLSession, worker: String, site: String, copies: [String]) async throws {
        let limit = try await siteNumber(s, site, "max_requests") ?? Requests.defaultMaxRequests
        let open = try await s.rows("SELECT item_key FROM request WHERE worker = ? AND active = 1", [.text(worker)]).compactMap { $0[0].text }
        if open.contains(where: copies.contains) {
            throw HubError(.conflict, "this worker has an open request for this book already", code: "already-requested")
        }
        if open.count >= limit {
            throw HubError(.conflict, "this worker has \(open.count) open requests, the most \(site) allows (max_requests)", code: "request-limit")
        }
    }

    static func siteNumber(_ s: any SQLSession, _ site: String, _ key: String) async throws -> Int? {
        try await s.value("SELECT value FROM site_setting WHERE site_id = ? AND key = ?", [.text(site), .text(key)])?.text.flatMap { Int($0) }
    }

    /// These copies as allocation sees them: where the ledger has them (else their home),
    /// that site's region, whether they are free, whether an open request holds them, and
    /// their newest loan.
    static func allocationView(_ s: any SQLSession, _ keys: [String]) async throws -> [Requests.Copy] {
        try await s.rows(
            """
            SELECT c.item_key, coalesce(b.site_id, c.home_site), st.region,
                CASE WHEN b.holder IS NULL AND b.transit_from IS NULL
                    AND (b.hold_request IS NULL OR NOT EXISTS (SELECT 1 FROM request h WHERE h.id = b.hold_request AND h.active = 1)) THEN 1 ELSE 0 END,
                CASE WHEN EXISTS (SELECT 1 FROM request r WHERE r.item_key = c.item_key AND r.active = 1) THEN 1 ELSE 0 END,
                (SELECT max(e.corrected_ms) FROM event e WHERE e.item_key = c.item_key AND e.kind = 'checkout')
            FROM catalog_title c LEFT JOIN ledger_book b ON b.item_key = c.item_key
            LEFT JOIN site st ON st.id = coalesce(b.site_id, c.home_site)
            WHERE c.item_key IN \(SQLStatement.list(keys.count))
            """, keys.map { .text($0) }
        ).compactMap { r in
            guard let key = r[0].text else { return nil }
            // (No ledger row: never scanned, on its home shelf.)
            return Requests.Copy(itemKey: key, site: r[1].text, region: r[2].text, onShelf: r[3].bool, promised: r[4].bool, lastLoanMillis: r[5].int)
        }
    }

    /// Queues a change for the webhook of the client that placed the request, if it has one.
    static func notice(_ s: any SQLSession, id: String, state: Requests.State, pickupSite: String, client: String, atMillis: Int64) async throws {
        try await s.execute(
            """
            INSERT INTO request_notice (request_id, state, pickup_site, at_ms, client, next_ms)
            SELECT ?, ?, ?, ?, name, ? FROM api_client WHERE name = ? AND notify_url IS NOT NULL AND revoked_ms IS NULL
            """, [.text(id), .text(state.rawValue), .text(pickupSite), .int(atMillis), .int(atMillis), .text(client)])
    }

    /// Cancels an open request (a client cancels only its own: `client`; nil for operators;
    /// a console reader only one picked up within their scope).
    public func cancelRequest(
        _ id: String, client: String?, scope: ConsoleRole = .union, by actor: Actor, nowMillis: Int64 = HubIngest.nowMillis()
    ) async throws -> RequestRecord {
        try await engine.transaction { s in
            let held = try Self.found(try await s.rows(Self.requestStatement(id, client: client, pickupIn: scope)), id)
            guard held.state.isOpen else { throw HubError(.conflict, "request \(id) is \(held.state.rawValue) already", code: "request-closed") }
            try await s.lock(.ledgerRows(["book|\(held.itemKey)"]))
            try await s.execute("UPDATE request SET cancelled_ms = ? WHERE id = ?", [.int(nowMillis), .text(id)])
            try await self.recomputeRequests(s, items: [held.itemKey], entries: try await Self.entries(s, items: [held.itemKey]), nowMillis: nowMillis)
            try await Self.audit(s, actor, "request.cancel", id)
            return try await Self.requestRow(s, id, client: nil)
        }
    }

    static func requestRow(_ s: any SQLSession, _ id: String, client: String?) async throws -> RequestRecord {
        try found(try await s.rows(requestStatement(id, client: client)), id)
    }

    /// One request (a client's own only), as a statement either a transaction or a read runs;
    /// `seenBy` keeps it to a console reader's requests, `pickupIn` to those they may cancel.
    static func requestStatement(_ id: String, client: String?, seenBy: ConsoleRole = .union, pickupIn: ConsoleRole = .union) -> SQLStatement {
        let mine = client.map { _ in " AND r.client = ?" } ?? ""
        let (seen, pickup) = (seenBy.requestCondition, pickupIn.condition("r.pickup_site"))
        return SQLStatement(
            "SELECT \(requestColumns) FROM request r WHERE r.id = ?\(mine) AND \(seen.sql) AND \(pickup.sql)",
            [.text(id)] + (client.map { [.text($0)] } ?? []) + seen.arguments + pickup.arguments)
    }

    static func found(_ rows: [SQLRow], _ id: String) throws -> RequestRecord {
        guard let r = rows.first.flatMap(requestRecord) else { throw HubError(.notFound, "no request \(id)", code: "no-request") }
        return r
    }

    /// One request as it stands now (a hold past its end reads as expired).
    public func request(_ id: String, client: String? = nil, scope: ConsoleRole = .union, nowMillis: Int64 = HubIngest.nowMillis()) async throws -> RequestRecord {
        try Self.found(try await engine.read(Self.requestStatement(id, client: client, seenBy: scope)), id).asOf(nowMillis)
    }

    /// Requests, newest first: to or from a site (its pickups, and copies it holds), in a
    /// state, within a console reader's scope (the same rule, for the sites it covers).
    public func requests(
        site: String? = nil, state: Requests.State? = nil, scope: ConsoleRole = .union, limit: Int = 100, offset: Int = 0, nowMillis: Int64 = HubIngest.nowMillis()
    ) async throws -> [RequestRecord] {
        let seen = scope.requestCondition
        var conditions = [seen.sql], arguments = seen.arguments
        if let site {
            let here = ConsoleRole.site(site).requestCondition
            conditions.append(here.sql)
            arguments += here.arguments
        }
        // A state as the rows are shown (``RequestRecord/asOf(_:)``): a hold past its end
        // is expired before the expiry loop has closed it.
        switch state {
        case .ready?:
            conditions.append("r.state = 'ready' AND (r.until_ms IS NULL OR r.until_ms > ?)")
            arguments.append(.int(nowMillis))
        case .expired?:
            conditions.append("(r.state = 'expired' OR (r.state = 'ready' AND r.until_ms <= ?))")
            arguments.append(.int(nowMillis))
        case let state?:
            conditions.append("r.state = ?")
            arguments.append(.text(state.rawValue))
        case nil:
            break
        }
        let filter = "WHERE " + conditions.joined(separator: " AND ")
        return try await engine.read(
            SQLStatement("SELECT \(Self.requestColumns) FROM request r \(filter) ORDER BY r.placed_ms DESC, r.id LIMIT ? OFFSET ?", arguments + [.int(Int64(limit)), .int(Int64(offset))])
        ).compactMap { Self.requestRecord($0)?.asOf(nowMillis) }
    }
}

extension RequestRecord {
    /// As it stands at `nowMillis`: a hold past its end reads as expired before the
    /// expiry loop has closed it.
    func asOf(_ nowMillis: Int64) -> RequestRecord {
        var r = self
        if r.state == .ready, let until = r.untilMillis, until <= nowMillis { (r.state, r.sinceMillis, r.untilMillis) = (.expired, until, nil) }
        return r
    }
}

extension ConsoleRole {
    /// The requests a reader sees: picked up at a site in scope, or open and for a copy at
    /// one (where the ledger has it, else its home shelf: the holding site sends it on; a
    /// closed request is its pickup site's history, not the shelf's).
    var requestCondition: (sql: String, arguments: [SQLValue]) {
        if self == .union { return ("1 = 1", []) }
        let (pickup, holding) = (condition("r.pickup_site"), condition("coalesce(b.site_id, c.home_site)"))
        return (
            "(\(pickup.sql) OR (r.active = 1 AND r.item_key IN (SELECT c.item_key FROM catalog_title c LEFT JOIN ledger_book b ON b.item_key = c.item_key WHERE \(holding.sql))))",
            pickup.arguments + holding.arguments
        )
    }
}
