/// The reports of requests and transfers: how requests fare per pickup site and month,
/// and copies lost on their way.
extension Reports {
    /// Per pickup site and month placed (UTC), workers' requests only: requests placed, collected, expired,
    /// cancelled and still open, and the time from placement to collection of those
    /// collected (median and 90th percentile, nearest rank, in hours). One row per request
    /// from the database; grouped here, since the engines share no percentile function.
    @Sendable static func requests(_ b: Bounds) -> Query {
        let scope = scope("r.pickup_site", b.p)
        var q = Query(
            """
            SELECT r.pickup_site, r.placed_ms, r.state, r.since_ms FROM request r
            WHERE r.placed_ms >= ? AND r.placed_ms < ? AND r.purpose IS NULL AND \(scope.sql)
            ORDER BY \(b.c("r.pickup_site")), r.placed_ms
            """, [.int(b.from), .int(b.to)] + scope.arguments,
            columns: ["site", "month", "placed", "collected", "expired", "cancelled", "open", "median_fill_hours", "p90_fill_hours"])
        q.finish = { rows in rows = groupRequests(rows) }
        return q
    }

    /// Rows of (site, placed_ms, state, since_ms) as the report's rows.
    static func groupRequests(_ rows: [SQLRow]) -> [SQLRow] {
        struct Cell {
            var counts: [String: Int64] = [:]
            var fills: [Int64] = []
        }
        var cells: [String: Cell] = [:], order: [String] = []
        for r in rows {
            guard let site = r[0].text, let placed = r[1].int, let state = r[2].text else { continue }
            let key = site + "\u{0}" + ReportAggregates.month(placed)
            if cells[key] == nil { order.append(key) }
            cells[key, default: Cell()].counts[state, default: 0] += 1
            if state == Requests.State.collected.rawValue, let at = r[3].int { cells[key, default: Cell()].fills.append(at - placed) }
        }
        func hours(_ fills: [Int64], _ fraction: Double) -> SQLValue {
            guard !fills.isEmpty else { return .null }
            let sorted = fills.sorted()
            let rank = max(1, Int((fraction * Double(sorted.count)).rounded(.up)))
            return .real((Double(sorted[rank - 1]) / 3_600_000 * 10).rounded() / 10)
        }
        return order.sorted().map { key in
            let cell = cells[key]!, parts = key.split(separator: "\u{0}").map(String.init)
            let count = { (s: Requests.State) in SQLValue.int(cell.counts[s.rawValue] ?? 0) }
            let open = (cell.counts["placed"] ?? 0) + (cell.counts["in-transit"] ?? 0) + (cell.counts["ready"] ?? 0)
            return [.text(parts[0]), .text(parts[1]), .int(cell.counts.values.reduce(0, +)), count(.collected), count(.expired), count(.cancelled), .int(open),
                    hours(cell.fills, 0.5), hours(cell.fills, 0.9)]
        }
    }

    /// Copies on their way longer than `lostAfterDays` (30 unless asked), oldest first:
    /// trapped for a request and never seen since.
    @Sendable static func lostInTransit(_ b: Bounds) -> Query {
        let scope = scope("b.transit_to", b.p)
        let cutoff = b.p.nowMillis - Int64(b.p.lostAfterDays) * dayMillis
        return Query(
            """
            SELECT b.item_key, coalesce(c.title, '') AS title, b.transit_from AS from_site, b.transit_to AS to_site, b.transit_ms AS since_ms,
                (? - b.transit_ms) / \(dayMillis) AS days, b.transit_request AS request
            FROM ledger_book b LEFT JOIN catalog_title c ON c.item_key = b.item_key
            WHERE b.transit_from IS NOT NULL AND b.transit_ms < ? AND \(scope.sql)
            ORDER BY b.transit_ms, \(b.c("b.item_key")) LIMIT ?
            """, [.int(b.p.nowMillis), .int(cutoff)] + scope.arguments + [b.limit],
            columns: ["item_key", "title", "from_site", "to_site", "since_ms", "days", "request"])
    }
}
