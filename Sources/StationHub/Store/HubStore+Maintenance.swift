import Foundation
import StationCore

/// Reports, retention and erasure, and the figures metrics read at each scrape.
extension HubStore {
    // MARK: - Reports

    /// A report by name (``Reports/all``), computed in SQL by the engine in one statement.
    public func report(_ name: String, _ parameters: Reports.Parameters) async throws -> Reports.Table {
        let query: Reports.Query
        do { query = try Reports.query(name, parameters, dialect: dialect) } catch let error as ReportError { throw HubError(.invalid, error.description) }
        var rows = try await engine.read(query.statement)
        query.finish(&rows)
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
    func deidentify(_ statements: [SQLStatement]) async throws -> [Int] {
        let counts = try await engine.transaction { s in
            try await s.lock(.wholeLedger)
            var counts: [Int] = []
            for statement in statements { counts.append(try await s.rows(statement).count) }
            return counts
        }
        await engine.forgetOldPages()
        return counts
    }

    /// `stationhub retention set KEY DAYS` (``Retention/Key``).
    public func setRetention(_ key: String, days: Int) async throws {
        do { _ = try Retention.Key(key) } catch { throw HubError(.invalid, "\(error)") }
        guard (0...36_500).contains(days) else { throw HubError(.invalid, "\(days) days: 0 to 36500") }
        try await engine.transaction { s in
            try await s.execute(
                "INSERT INTO retention (key, days) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET days = excluded.days", [.text(key), .int(Int64(days))])
        }
    }

    public func retentionPeriods() async throws -> [(key: String, days: Int)] {
        try await engine.read(SQLStatement("SELECT key, days FROM retention ORDER BY key")).compactMap {
            guard let key = $0[0].text, let days = $0[1].int else { return nil }
            return (key, Int(days))
        }
    }

    /// De-identifies (or, for quarantine, deletes) what has outlived its retention period
    /// at `nowMillis`; answers how many records each period changed.
    public func applyRetention(nowMillis: Int64) async throws -> [(key: String, changed: Int)] {
        var out: [(String, Int)] = []
        let run = String(UUID().uuidString.prefix(8)).lowercased()
        for (index, (key, days)) in try await retentionPeriods().enumerated() {
            guard let parsed = try? Retention.Key(key) else { continue }
            // Tags of one key and run (`expired:RUN-K:N`) never meet another key's.
            let cutoff = Retention.cutoff(periodEndingAt: nowMillis - Int64(days) * 86_400_000)
            let plan = Retention.expire(parsed, cutoff: cutoff, run: "\(run)-\(index)", dialect: dialect)
            out.append((key, try await deidentify(plan.statements)[plan.changed]))
        }
        return out
    }

    /// `stationhub erase WORKER`: every record of one worker de-identified, logged.
    public func erase(worker: String, reference: String, operator name: String) async throws -> (events: Int, books: Int, visits: Int) {
        guard !worker.hasPrefix("expired:"), !worker.hasPrefix("erased:") else { throw HubError(.invalid, "\(worker) names no one already") }
        let tag = "erased:" + String(HubIngest.randomSecret().prefix(16))
        let counts = try await deidentify(
            Retention.erase(worker: worker, tag: tag, reference: reference, operator: name, atMillis: HubIngest.nowMillis(), dialect: dialect))
        return (counts[0], counts[1], counts[2])
    }
}
