import Foundation

/// What an operator does with a stocktake's findings: accept implied returns. Each is a
/// correction (``Schema/stocktake(_:)``) the ledger reads beside the boxes' events: a
/// return at the moment the copy was seen on the shelf, audited with who accepted it.
extension HubStore {
    /// What the ledger calls a correction's box (no box may take the name).
    static let correctionsBox = "hub"

    /// The findings of `site`'s latest stocktake, as the report gives them.
    static func stocktakeFindings(_ s: any SQLSession, site: String, dialect: SQLDialect, nowMillis: Int64) async throws -> [SQLRow] {
        let query = try Reports.query("stocktake", Reports.Parameters(site: site, nowMillis: nowMillis), dialect: dialect)
        var rows = try await s.rows(query.statement)
        query.finish(&rows)
        return rows
    }

    /// Accepts the implied returns of `site`'s latest stocktake (of `items`, or all of them);
    /// answers the copies returned. A copy that is no implied return (any more) is refused
    /// by name, and nothing is written.
    public func acceptImpliedReturns(
        site: String, items: [String]? = nil, scope: ConsoleRole = .union, by actor: Actor, nowMillis: Int64 = HubIngest.nowMillis()
    ) async throws -> [String] {
        try await engine.transaction { s in
            try await Self.requireSite(s, site, scope: scope)
            func implied() async throws -> [(key: String, at: Int64)] {
                try await Self.stocktakeFindings(s, site: site, dialect: self.dialect, nowMillis: nowMillis).compactMap { r in
                    guard r[0].text == Stocktakes.Kind.impliedReturn.rawValue, let key = r[1].text, let at = r[4].int else { return nil }
                    return (key, at)
                }
            }
            var candidates = try await implied()
            if let items { candidates = candidates.filter { items.contains($0.key) } }
            guard !candidates.isEmpty || items != nil else { return [] }
            // The copies held, then read again: a batch between the two reads cannot slip by.
            try await s.lock(.ledgerRows(Set(candidates.map(\.key)).union(items ?? []).map { "book|\($0)" }))
            let now = try await implied().filter { c in candidates.contains { $0.key == c.key } }
            let missing = Set(items ?? candidates.map(\.key)).subtracting(now.map(\.key))
            guard missing.isEmpty else {
                throw HubError(
                    .conflict, "not an implied return of \(site)'s latest stocktake: \(missing.sorted().joined(separator: ", "))", code: "not-an-implied-return")
            }
            for c in now {
                try await s.execute(
                    SQLStatement.insert(
                        into: "ledger_correction", columns: ["item_key", "site_id", "kind", "at_ms", "reason", "actor", "made_ms"],
                        rows: [[.text(c.key), .text(site), .text("return"), .int(c.at), .text("stocktake: seen on the shelf"), .text(actor.name), .int(nowMillis)]]))
                try await Self.audit(s, actor, "stocktake.accept", c.key, "implied return at \(site)")
            }
            try await self.rebuildBooks(s, now.map(\.key))
            return now.map(\.key)
        }
    }
}
