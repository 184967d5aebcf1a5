import Foundation
import StationCore

/// Reports, and the figures metrics read at each scrape.
extension HubStore {
    // MARK: - Reports

    /// A report by name (``Reports/all``): its statement, and the statements it makes of
    /// that one's rows if any (``Reports/Query/then``).
    public func report(_ name: String, _ parameters: Reports.Parameters) async throws -> Reports.Table {
        let query: Reports.Query
        do { query = try Reports.query(name, parameters, dialect: dialect) } catch let error as ReportError { throw HubError(.invalid, error.description) }
        var rows = try await engine.read(query.statement)
        query.finish(&rows)
        if let then = query.then {
            var made: [SQLRow] = []
            for next in then(rows) {
                var more = try await engine.read(next.statement)
                next.finish(&more)
                made += more
            }
            rows = made
        }
        return Reports.Table(columns: query.columns, rows: rows)
    }

    /// Events in quarantine, and when each box was last heard from (metrics).
    public func quarantinedCount() async throws -> Int64 {
        try await engine.read(SQLStatement("SELECT count(*) FROM quarantine")).first?.first?.int ?? 0
    }

    public func lastContacts() async throws -> [(box: String, site: String, millis: Int64)] {
        try await engine.read(SQLStatement("SELECT id, site_id, last_seen_ms FROM box WHERE last_seen_ms IS NOT NULL")).compactMap { row in
            guard let box = row[0].text, let site = row[1].text, let at = row[2].int else { return nil }
            return (box, site, at)
        }
    }

    // MARK: - Retention and erasure

    /// Runs statements in one transaction, the whole ledger held meanwhile (no batch
    /// recomputes a ledger row between them), then has the engine forget the old pages;
    /// answers how many rows each returned.
    func deidentify(_ plan: Retention.Plan) async throws -> [Int] {
        let counts = try await engine.transaction { s in
            try await s.lock(.wholeLedger)
            return try await self.deidentifying(s, plan.statements, eventsAt: plan.changesEvents ? plan.changed : nil)
        }
        await engine.forgetOldPages()
        return counts
    }

    /// Runs statements that take workers off events (retention, erasure) and answers how
    /// many rows each returned; the events statement `eventsAt` returned (as
    /// ``LedgerKeys/eventColumns``) have their lending months recomputed, since distinct
    /// borrowers count workers, and their books' folds undone (``LedgerFold``).
    func deidentifying(_ s: any SQLSession, _ statements: [SQLStatement], eventsAt: Int?) async throws -> [Int] {
        var counts: [Int] = []
        for (i, statement) in statements.enumerated() {
            let rows = try await s.rows(statement)
            counts.append(rows.count)
            guard i == eventsAt else { continue }
            let keys = LedgerKeys(rows: rows)
            try await rebuildLending(s, keys.months)
            // Their books' rows were renamed, not recomputed: the next batch recomputes them
            // (as it does the rows whose holder was renamed: the statements that rename a
            // holder unmark the row themselves, since a worker's rows and events may be
            // renamed by different periods).
            for chunk in SQLStatement.chunks(keys.items.sorted()) {
                try await s.execute("UPDATE ledger_book SET folded = 0 WHERE item_key IN \(SQLStatement.list(chunk.count))", chunk.map { .text($0) })
            }
        }
        return counts
    }
}
