import Foundation
import StationCore
import StationProtocol

/// The catalog, the member list and the quarantine as operators keep them, written once
/// for `stationhub` and the console.
extension HubStore {
    // MARK: - Catalog

    /// How far an import has come: called with each step's done and total (several times a
    /// second at most, from inside its transaction: it must not wait).
    public typealias ImportProgress = @Sendable (_ step: ImportStep, _ done: Int, _ total: Int) -> Void

    /// An import's steps, in order: what is held compared, what changed written, the books
    /// whose home changed recomputed.
    public enum ImportStep: Int, Sendable, CaseIterable { case compare, write, ledger }

    /// Titles and their home sites, inserted or updated; only rows that change take a
    /// revision (an unchanged re-import sends nothing down). Every home site must exist and
    /// be in `scope`, and a title already homed outside it is not the importer's to change:
    /// nothing is imported otherwise. The whole ledger is held: a batch applied meanwhile
    /// could otherwise compute a book with the home site this import is replacing.
    public func importCatalog(
        _ titles: [Downlink.Title], by actor: Actor = .process, scope: ConsoleRole = .union, progress: ImportProgress? = nil
    ) async throws -> Int {
        guard scope.mayImportCatalog else { throw HubError(.forbidden, "a site's manager does not import the catalog: ask the region", code: "not-yours") }
        return try await engine.transaction { s in
            try await s.lock(.wholeLedger)
            let homes = Set(titles.compactMap(\.homeSite))
            var known = Set<String>()
            let inScope = scope.condition("id")
            for chunk in SQLStatement.chunks(homes.sorted()) {
                known.formUnion(
                    try await s.rows("SELECT id FROM site WHERE id IN \(SQLStatement.list(chunk.count)) AND \(inScope.sql)", chunk.map { .text($0) } + inScope.arguments)
                        .compactMap { $0[0].text })
            }
            let unknown = homes.subtracting(known).sorted()
            guard unknown.isEmpty else {
                throw HubError(.notFound, "no site \(Self.some(unknown))\(scope == .union ? "" : " among yours"): create it first, nothing was imported", code: "unknown-site")
            }
            if scope != .union {
                if titles.contains(where: { $0.homeSite == nil }) { throw HubError(.forbidden, "every title a region imports has a home among its sites: nothing was imported") }
                let foreign = try await self.titlesHomedOutside(s, scope, titles.map(\.itemKey))
                guard foreign.isEmpty else {
                    throw HubError(.forbidden, "\(Self.some(foreign)) belong to sites outside your region: nothing was imported", code: "foreign-title")
                }
            }
            let changed = try await self.upsertChanged(
                s, titles, table: "catalog_title", key: "item_key", columns: ["title", "home_site", "removed"],
                values: { [.text($0.itemKey), SQLValue($0.title), SQLValue($0.homeSite), .int(0)] }, progress: progress)
            try await self.rebuildKnownBooks(s, changed, progress: progress)
            try await Self.audit(s, actor, "catalog.import", "\(titles.count) titles", "\(changed.count) new or changed")
            return changed.count
        }
    }

    /// The first five of a list, and how many more.
    static func some(_ list: [String]) -> String {
        list.prefix(5).joined(separator: ", ") + (list.count > 5 ? " (and \(list.count - 5) more)" : "")
    }

    /// Of these titles, those in the catalog whose home is not in `scope` (or none).
    func titlesHomedOutside(_ s: any SQLSession, _ scope: ConsoleRole, _ keys: [String]) async throws -> [String] {
        let inScope = scope.condition("home_site")
        var foreign: [String] = []
        for chunk in SQLStatement.chunks(keys) {
            foreign += try await s.rows(
                "SELECT item_key FROM catalog_title WHERE item_key IN \(SQLStatement.list(chunk.count)) AND (home_site IS NULL OR NOT (\(inScope.sql)))",
                chunk.map { .text($0) } + inScope.arguments
            ).compactMap { $0[0].text }
        }
        return foreign.sorted()
    }

    /// A home site decides drift: books of these keys already in the ledger are recomputed.
    func rebuildKnownBooks(_ s: any SQLSession, _ keys: [String], progress: ImportProgress? = nil) async throws {
        var books = LedgerKeys()
        for chunk in SQLStatement.chunks(keys) {
            let known = try await s.rows("SELECT DISTINCT item_key FROM event WHERE item_key IN \(SQLStatement.list(chunk.count))", chunk.map { .text($0) })
            books.items.formUnion(known.compactMap { $0[0].text })
        }
        var ledgerProgress: (@Sendable (Int, Int) -> Void)? = nil
        if let progress { ledgerProgress = { done, total in progress(.ledger, done, total) } }
        try await self.rebuildBooks(s, Array(books.items), progress: ledgerProgress)
    }

    /// Takes titles out of the catalog: boxes forget them with their next downlink; the
    /// books' history stays (a book's events still count, without a home site).
    public func removeCatalog(_ itemKeys: [String], by actor: Actor = .process) async throws -> Int {
        try await engine.transaction { s in
            try await s.lock(.wholeLedger)
            var held: [String] = []
            for chunk in SQLStatement.chunks(itemKeys) {
                held += try await s.rows(
                    "SELECT item_key FROM catalog_title WHERE removed = 0 AND item_key IN \(SQLStatement.list(chunk.count))", chunk.map { .text($0) }
                ).compactMap { $0[0].text }
            }
            let missing = Set(itemKeys).subtracting(held).sorted()
            guard missing.isEmpty else { throw HubError(.notFound, "not in the catalog: \(missing.prefix(5).joined(separator: ", ")); nothing was removed") }
            let revisions = try await Self.nextRevisions(s, held.count)
            for (key, revision) in zip(held, revisions) {
                try await s.execute(
                    "UPDATE catalog_title SET removed = 1, title = NULL, home_site = NULL, revision = ? WHERE item_key = ?", [.int(revision), .text(key)])
                try await Self.audit(s, actor, "catalog.remove", key)
            }
            try await self.rebuildKnownBooks(s, held)
            return held.count
        }
    }

    /// The catalog with where each copy is now, by title or item key (`query`, any part,
    /// any case) and by site (its home there, or the ledger has it there); item-key order.
    public func catalog(query: String? = nil, site: String? = nil, limit: Int = 50, offset: Int = 0) async throws -> [CatalogRecord] {
        var conditions = ["c.removed = 0"], arguments: [SQLValue] = []
        if let query, !query.isEmpty {
            conditions.append("(lower(c.title) LIKE ? OR lower(c.item_key) LIKE ?)")
            let pattern = "%" + query.lowercased().replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "") + "%"
            arguments += [.text(pattern), .text(pattern)]
        }
        if let site {
            conditions.append("(c.home_site = ? OR b.site_id = ?)")
            arguments += [.text(site), .text(site)]
        }
        let sql = """
            SELECT c.item_key, c.title, c.home_site, b.site_id, b.holder, b.due_date, b.transit_from, b.transit_to, b.transit_ms,
                CASE WHEN r.id = b.hold_request AND r.state = 'ready' THEN b.hold_site END, r.id, r.state
            FROM catalog_title c LEFT JOIN ledger_book b ON b.item_key = c.item_key LEFT JOIN request r ON r.item_key = c.item_key AND r.active = 1
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(dialect.bytewise("c.item_key")) LIMIT ? OFFSET ?
            """
        return try await engine.read(SQLStatement(sql, arguments + [.int(Int64(limit)), .int(Int64(offset))])).compactMap { r in
            guard let key = r[0].text else { return nil }
            return CatalogRecord(
                itemKey: key, title: r[1].text, homeSite: r[2].text, site: r[3].text, holder: r[4].text, dueDate: r[5].text, transitFrom: r[6].text,
                transitTo: r[7].text, transitSinceMillis: r[8].int, holdSite: r[9].text, request: r[10].text, requestState: r[11].text.flatMap(Requests.State.init(rawValue:)))
        }
    }

    // MARK: - Members

    /// Cards and their members, inserted or updated: the union's operators only (a card
    /// names who borrows, at every site).
    public func importMembers(
        _ members: [Downlink.Member], by actor: Actor = .process, scope: ConsoleRole = .union, progress: ImportProgress? = nil
    ) async throws -> Int {
        guard scope.mayImportMembers else { throw HubError(.forbidden, "the member list is imported by the union's operators", code: "not-yours") }
        return try await engine.transaction { s in
            let changed = try await self.upsertChanged(
                s, members, table: "member_card", key: "card_uid", columns: ["member", "removed"], values: { [.text($0.cardUID), .text($0.member), .int(0)] },
                progress: progress)
            try await Self.audit(s, actor, "member.import", "\(members.count) cards", "\(changed.count) new or changed")
            return changed.count
        }
    }

    /// How many cards the member list holds.
    public func memberCount() async throws -> Int {
        Int(try await engine.read(SQLStatement("SELECT count(*) FROM member_card WHERE removed = 0", [])).first?[0].int ?? 0)
    }

    /// The member list: card UIDs and the members they are (pseudonyms).
    public func members(limit: Int = 100, offset: Int = 0) async throws -> [Downlink.Member] {
        try await engine.read(
            SQLStatement(
                "SELECT card_uid, member FROM member_card WHERE removed = 0 ORDER BY \(dialect.bytewise("card_uid")) LIMIT ? OFFSET ?",
                [.int(Int64(limit)), .int(Int64(offset))])
        ).compactMap { r in r[0].text.map { Downlink.Member(cardUID: $0, member: r[1].text ?? "") } }
    }

    /// Takes card UIDs off the member list: boxes forget them with their next downlink.
    public func removeMembers(_ cardUIDs: [String], by actor: Actor = .process) async throws -> Int {
        try await engine.transaction { s in
            let removed = try await Self.removeCards(s, where: "card_uid", cardUIDs.map { $0.uppercased() })
            let missing = Set(cardUIDs.map { $0.uppercased() }).subtracting(removed)
            guard missing.isEmpty else { throw HubError(.notFound, "not on the member list: \(missing.sorted().prefix(5).joined(separator: ", ")); nothing was removed") }
            for uid in removed { try await Self.audit(s, actor, "member.remove", uid) }
            return removed.count
        }
    }

    /// Marks the cards whose `column` is one of `values` removed, each with a revision (a
    /// removed card's member becomes `removed:UID`, which is no one); answers their UIDs.
    static func removeCards(_ s: any SQLSession, where column: String, _ values: [String]) async throws -> [String] {
        var uids: [String] = []
        for chunk in SQLStatement.chunks(values) {
            uids += try await s.rows(
                "SELECT card_uid FROM member_card WHERE removed = 0 AND \(column) IN \(SQLStatement.list(chunk.count))", chunk.map { .text($0) }
            ).compactMap { $0[0].text }
        }
        for (uid, revision) in zip(uids, try await nextRevisions(s, uids.count)) {
            try await s.execute("UPDATE member_card SET removed = 1, member = ?, revision = ? WHERE card_uid = ?", [.text("removed:\(uid)"), .int(revision), .text(uid)])
        }
        return uids
    }

    // MARK: - Quarantine

    /// Events set aside, newest first; a box's only with `box`; those of boxes `scope` sees.
    public func quarantine(box: String? = nil, limit: Int = 100, offset: Int = 0, scope: ConsoleRole = .union) async throws -> [QuarantineRecord] {
        let inScope = Self.quarantineScope(scope)
        let filter = box == nil ? "" : "AND box_id = ?"
        return try await engine.read(
            SQLStatement(
                "SELECT id, box_id, seq, reason, received_ms FROM quarantine WHERE \(inScope.sql) \(filter) ORDER BY id DESC LIMIT ? OFFSET ?",
                inScope.arguments + (box.map { [SQLValue.text($0)] } ?? []) + [.int(Int64(limit)), .int(Int64(offset))])
        ).compactMap { r in
            guard let id = r[0].int, let b = r[1].text else { return nil }
            return QuarantineRecord(id: id, box: b, seq: r[2].int ?? 0, reason: r[3].text ?? "", receivedMillis: r[4].int ?? 0)
        }
    }

    /// The quarantine rows of boxes `scope` sees.
    static func quarantineScope(_ scope: ConsoleRole) -> (sql: String, arguments: [SQLValue]) {
        let sites = scope.condition("site_id")
        return scope == .union ? sites : ("box_id IN (SELECT id FROM box WHERE \(sites.sql))", sites.arguments)
    }

    /// One event set aside, with its body as it came (numbers that were not one withheld).
    public func quarantined(_ id: Int64, scope: ConsoleRole = .union) async throws -> QuarantineRecord {
        let inScope = Self.quarantineScope(scope)
        guard
            let r = try await engine.read(
                SQLStatement("SELECT id, box_id, seq, reason, received_ms, body FROM quarantine WHERE id = ? AND \(inScope.sql)", [.int(id)] + inScope.arguments)
            ).first,
            let box = r[1].text
        else { throw HubError(.notFound, "nothing in quarantine has id \(id)") }
        return QuarantineRecord(id: id, box: box, seq: r[2].int ?? 0, reason: r[3].text ?? "", receivedMillis: r[4].int ?? 0, body: r[5].text)
    }

    /// Applies an event set aside once its cause is fixed (a key found, a site created):
    /// in one transaction it leaves the quarantine and is ingested as if it came now.
    /// Answers the result: applied, or set aside again with the reason.
    public func release(_ id: Int64, keys: HubKeys?, note: String, by actor: Actor = .process, scope: ConsoleRole = .union) async throws -> BatchResult {
        guard !scope.isSiteManager else { throw HubError(.forbidden, "a site manager does not release or discard events set aside", code: "out-of-scope") }
        let record = try await quarantined(id, scope: scope)
        guard let body = record.body, let event = try? JSONDecoder().decode(JournalEvent.self, from: Data(body.utf8)) else {
            throw HubError(.conflict, "quarantine \(id) is not an event this hub can read: discard it")
        }
        let site = try await box(record.box).site
        try HubIngest.checkBatch(box: record.box, site: site, sites: try await formerSites(record.box).union([site]), events: [IncomingEvent(event)])
        return try await engine.transaction { s in
            guard try await !s.rows("DELETE FROM quarantine WHERE id = ? RETURNING id", [.int(id)]).isEmpty else {
                throw HubError(.notFound, "nothing in quarantine has id \(id)")
            }
            if try await !s.rows("SELECT 1 FROM event WHERE box_id = ? AND seq = ?", [.text(record.box), .int(event.seq)]).isEmpty {
                throw HubError(.conflict, "box \(record.box) holds seq \(event.seq) already: this is a different copy of it; discard it")
            }
            let presorted = self.presort([IncomingEvent(event)], keys: keys, now: HubIngest.nowMillis())
            let (result, _) = try await self.apply(s, box: record.box, site: site, presorted, report: BatchReport())
            try await Self.audit(
                s, actor, "quarantine.release", "\(record.box)#\(record.seq)",
                ([note] + result.quarantined.map { "set aside again: \($0.reason)" }).filter { !$0.isEmpty }.joined(separator: "; "))
            return result
        }
    }

    /// Deletes an event set aside, with a note for the audit log.
    public func discard(_ id: Int64, note: String, by actor: Actor = .process, scope: ConsoleRole = .union) async throws {
        guard !scope.isSiteManager else { throw HubError(.forbidden, "a site manager does not release or discard events set aside", code: "out-of-scope") }
        let inScope = Self.quarantineScope(scope)
        try await engine.transaction { s in
            guard
                let row = try await s.rows("DELETE FROM quarantine WHERE id = ? AND \(inScope.sql) RETURNING box_id, seq", [.int(id)] + inScope.arguments).first
            else {
                throw HubError(.notFound, "nothing in quarantine has id \(id)")
            }
            try await Self.audit(s, actor, "quarantine.discard", "\(row[0].text ?? "")#\(row[1].int ?? 0)", note)
        }
    }
}
