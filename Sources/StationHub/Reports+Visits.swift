import Foundation

/// The reports of visits to huts and stations: per site, service and month, and by
/// weekday and hour. Lactation rooms are reported in aggregate only, and a cell so small it
/// could point at one mother is withheld.
extension Reports {
    @Sendable static func visits(_ b: Bounds) -> Query {
        let month = b.d.month("coalesce(v.start_ms, v.end_ms)")
        var q = Query(
            """
            SELECT v.site_id AS site, coalesce(v.service, '') AS service, \(month) AS month, count(*) AS visits,
                   CAST(sum(CASE WHEN v.start_ms IS NOT NULL AND v.end_ms IS NOT NULL THEN (v.end_ms - v.start_ms) / 60000 ELSE 0 END) AS BIGINT) AS minutes,
                   CAST(avg(CASE WHEN v.start_ms IS NOT NULL AND v.end_ms IS NOT NULL THEN (v.end_ms - v.start_ms) / 60000.0 END) AS DOUBLE PRECISION) AS average_minutes,
                   max(CASE WHEN v.start_ms IS NOT NULL AND v.end_ms IS NOT NULL THEN (v.end_ms - v.start_ms) / 60000 END) AS longest_minutes
            FROM ledger_visit v
            WHERE coalesce(v.start_ms, v.end_ms) >= ? AND coalesce(v.start_ms, v.end_ms) < ? AND \(scope("v.site_id", b.p).sql)
            GROUP BY v.site_id, coalesce(v.service, ''), \(month)
            ORDER BY \(b.c("v.site_id")), \(b.c("coalesce(v.service, '')")), month
            """,
            [.int(b.from), .int(b.to)] + scope("v.site_id", b.p).arguments,
            columns: ["site", "service", "month", "visits", "minutes", "average_minutes", "longest_minutes"])
        // Lactation rooms: aggregate only, and a cell so small it could point at one
        // mother is withheld whole.
        q.finish = { rows in
            for i in rows.indices where rows[i][1] == .text("lactation") {
                if case .int(let n) = rows[i][3], n < smallestLactationCell {
                    rows[i] = [rows[i][0], rows[i][1], rows[i][2], .null, .null, .null, .null]
                }
            }
        }
        return q
    }

    /// When visits start: per service, weekday and hour of the hub's zone (integer
    /// arithmetic on milliseconds: the same on both engines; 1970-01-01 was a Thursday).
    @Sendable static func visitHours(_ b: Bounds) -> Query {
        let at = "(coalesce(v.start_ms, v.end_ms) + ?)"
        let offset = SQLValue.int(b.p.zoneOffsetMillis)
        var q = Query(
            """
            SELECT coalesce(v.service, '') AS service, CAST((\(at) / 86400000 + 3) % 7 + 1 AS BIGINT) AS weekday,
                   CAST((\(at) / 3600000) % 24 AS BIGINT) AS hour, count(*) AS visits
            FROM ledger_visit v
            WHERE coalesce(v.start_ms, v.end_ms) >= ? AND coalesce(v.start_ms, v.end_ms) < ? AND \(scope("v.site_id", b.p).sql)
            GROUP BY 1, 2, 3
            ORDER BY \(b.c("coalesce(v.service, '')")), weekday, hour
            """,
            [offset, offset, .int(b.from), .int(b.to)] + scope("v.site_id", b.p).arguments,
            columns: ["service", "weekday", "hour", "visits"])
        q.finish = { rows in
            for i in rows.indices where rows[i][0] == .text("lactation") {
                if case .int(let n) = rows[i][3], n < smallestLactationCell { rows[i][3] = .null }
            }
        }
        return q
    }
}
