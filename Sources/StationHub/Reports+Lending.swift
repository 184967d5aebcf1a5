import Foundation

/// The lending index and drift: read from ``ReportAggregates`` (`lending_month`,
/// `book_move`), or from the events when asked (``Reports/Parameters/fromEvents``) or when
/// the period cuts a month; the two answer the same rows.
extension Reports {
    /// Per site and month, from `lending_month` when the period is whole months.
    @Sendable static func lending(_ b: Bounds) -> Query {
        guard !b.p.fromEvents, case .some(let first) = ReportAggregates.monthOf(b.p.from), case .some(let last) = ReportAggregates.monthOf(b.p.to) else {
            return lendingFromEvents(b)
        }
        return Query(
            """
            SELECT l.site_id AS site, l.month, l.loans, l.borrowers, l.returns FROM lending_month l
            WHERE l.month >= ? AND l.month < ? AND \(scope("l.site_id", b.p).sql)
            ORDER BY \(b.c("l.site_id")), l.month
            """,
            [.text(first ?? ""), .text(last ?? "9999-99")] + scope("l.site_id", b.p).arguments, columns: ["site", "month", "loans", "borrowers", "returns"])
    }

    static func lendingFromEvents(_ b: Bounds) -> Query {
        Query(
            """
            SELECT e.site_id AS site, \(b.d.month("e.corrected_ms")) AS month,
                   CAST(sum(CASE WHEN e.kind = 'checkout' THEN 1 ELSE 0 END) AS BIGINT) AS loans,
                   count(DISTINCT CASE WHEN e.kind = 'checkout' THEN e.worker_key END) AS borrowers,
                   CAST(sum(CASE WHEN e.kind = 'return' THEN 1 ELSE 0 END) AS BIGINT) AS returns
            FROM event e
            WHERE e.kind IN ('checkout', 'return') AND e.corrected_ms >= ? AND e.corrected_ms < ? AND \(scope("e.site_id", b.p).sql) AND \(notVoided())
            GROUP BY e.site_id, \(b.d.month("e.corrected_ms"))
            ORDER BY \(b.c("e.site_id")), month
            """,
            [.int(b.from), .int(b.to)] + scope("e.site_id", b.p).arguments, columns: ["site", "month", "loans", "borrowers", "returns"])
    }

    /// Flows between sites in the period, from `book_move`.
    @Sendable static func drift(_ b: Bounds) -> Query {
        if b.p.fromEvents { return driftFromEvents(b) }
        return Query(
            """
            SELECT m.from_site, m.to_site, count(*) AS books FROM book_move m
            WHERE m.at_ms >= ? AND m.at_ms < ? AND ((\(scope("m.from_site", b.p).sql)) OR (\(scope("m.to_site", b.p).sql)))
            GROUP BY m.from_site, m.to_site
            ORDER BY books DESC, \(b.c("m.from_site")), \(b.c("m.to_site"))
            """,
            [.int(b.from), .int(b.to)] + scope("m.from_site", b.p).arguments + scope("m.to_site", b.p).arguments, columns: ["from_site", "to_site", "books"])
    }

    static func driftFromEvents(_ b: Bounds) -> Query {
        Query(
            """
            WITH moves AS (
                SELECT e.site_id, e.kind, e.corrected_ms,
                       LAG(e.site_id) OVER (PARTITION BY e.item_key ORDER BY e.corrected_ms, \(b.c("e.box_id")), e.seq) AS previous_site
                FROM event e WHERE e.item_key IS NOT NULL AND e.kind IN ('checkout', 'renewal', 'return') AND \(notVoided()))
            SELECT previous_site AS from_site, site_id AS to_site, count(*) AS books
            FROM moves WHERE kind = 'return' AND previous_site IS NOT NULL AND previous_site <> site_id AND corrected_ms >= ? AND corrected_ms < ?
              AND ((\(scope("previous_site", b.p).sql)) OR (\(scope("site_id", b.p).sql)))
            GROUP BY previous_site, site_id
            ORDER BY books DESC, \(b.c("previous_site")), \(b.c("site_id"))
            """,
            [.int(b.from), .int(b.to)] + scope("previous_site", b.p).arguments + scope("site_id", b.p).arguments, columns: ["from_site", "to_site", "books"])
    }
}
