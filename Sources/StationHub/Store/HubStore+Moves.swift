import Foundation

/// Suggested moves accepted: each becomes a request row of purpose `move` (no worker, no
/// hold) to the wanting site, which the holding site's pull list then carries, as it
/// carries a worker's request (see ARCHITECTURE, "Moves and rotations").
extension HubStore {
    /// The moves proposed now that touch a console reader's scope, as the report gives
    /// them: (item, title, from, to).
    static func proposedMoves(
        _ rows: (SQLStatement) async throws -> [SQLRow], scope: ConsoleRole, limit: Int, titles: [String]? = nil, dialect: SQLDialect, nowMillis: Int64
    ) async throws -> [(key: String, title: String, from: String, to: String)] {
        var p = Reports.Parameters(limit: limit, nowMillis: nowMillis)
        p.titles = titles
        switch scope {
        case .union: break
        case .region(let r): p.region = r
        case .site(let site): p.site = site
        }
        let query = try Reports.query("moves", p, dialect: dialect)
        var found = try await rows(query.statement)
        query.finish(&found)
        return found.compactMap { r in
            guard let key = r[0].text, let from = r[2].text, let to = r[3].text else { return nil }
            return (key, r[1].text ?? key, from, to)
        }
    }

    /// Accepts suggested moves: the first `limit` the report proposes in the reader's scope
    /// (what its page showed), or only `items` among all it proposes. A copy that is no
    /// suggested move (any more) is refused by name, and nothing is written. Answers the
    /// moves placed.
    public func acceptMoves(
        items: [String]? = nil, limit: Int = 20, scope: ConsoleRole = .union, client: String = "cli", by actor: Actor,
        nowMillis: Int64 = HubIngest.nowMillis()
    ) async throws -> [RequestRecord] {
        guard (1...10_000).contains(limit) else { throw HubError(.invalid, "limit \(limit): 1 to 10000", code: "invalid-parameter") }
        // The plan read first outside the writer's transaction (it reads the union whole),
        // then again under the locks of what it names, for those titles only (the writer
        // is held for their rows, not the union's).
        let proposed = try await Self.proposedMoves({ try await self.engine.read($0) }, scope: scope, limit: items == nil ? limit : 10_000, dialect: dialect, nowMillis: nowMillis)
        let candidates = items.map { items in proposed.filter { items.contains($0.key) } } ?? proposed
        guard !candidates.isEmpty || items != nil else { return [] }
        return try await engine.transaction { s in
            // The copies and what each destination wants held: two accepts at once neither
            // move one copy twice nor send two copies where one is wanted.
            try await s.lock(.ledgerRows(Set(candidates.map { "book|\($0.key)" } + candidates.map { "move|\($0.title)|\($0.to)" } + (items ?? []).map { "book|\($0)" }).sorted()))
            // (Past a thousand titles, the whole plan: six arguments a title is within both
            // engines' limits up to there.)
            let titles = Array(Set(candidates.map(\.title))).sorted()
            let again = try await Self.proposedMoves(
                { try await s.rows($0) }, scope: scope, limit: 10_000, titles: titles.count <= 1_000 ? titles : nil, dialect: self.dialect, nowMillis: nowMillis)
            let still = candidates.filter { c in again.contains { $0.key == c.key && $0.to == c.to } }
            let gone = Set(items ?? candidates.map(\.key)).subtracting(still.map(\.key))
            guard gone.isEmpty else {
                throw HubError(.conflict, "not a suggested move now: \(gone.sorted().joined(separator: ", "))", code: "not-a-suggested-move")
            }
            var placed: [RequestRecord] = []
            for m in still {
                placed.append(try await Self.placeMove(s, item: m.key, to: m.to, purpose: .move, rotation: nil, client: client, nowMillis: nowMillis))
                try await Self.audit(s, actor, "move.accept", m.key, "from \(m.from) to \(m.to)")
            }
            return placed
        }
    }

    /// A move (no worker, no hold) of `item` to `to`, placed now; its copy's lock is held.
    static func placeMove(
        _ s: any SQLSession, item: String, to: String, purpose: Requests.Purpose, rotation: String?, client: String, nowMillis: Int64
    ) async throws -> RequestRecord {
        let id = newRequestID()
        let title = try await s.value("SELECT title FROM catalog_title WHERE item_key = ?", [.text(item)])?.text
        try await s.execute(
            SQLStatement.insert(
                into: "request",
                columns: ["id", "item_key", "title", "pickup_site", "worker", "client", "placed_ms", "hold_days", "state", "since_ms", "active", "purpose", "rotation"],
                rows: [[.text(id), .text(item), SQLValue(title), .text(to), .text(""), .text(client), .int(nowMillis), .int(0),
                        .text(Requests.State.placed.rawValue), .int(nowMillis), .int(1), .text(purpose.rawValue), SQLValue(rotation)]]))
        return try await requestRow(s, id, client: nil)
    }
}
