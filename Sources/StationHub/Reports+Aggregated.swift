import Foundation

/// The reports kept current at ingest: read from ``ReportAggregates`` (`lending_month`,
/// `book_month`, `book_move`), or from the events when asked
/// (``Reports/Parameters/fromEvents``) or when the period cuts a month; the two answer the
/// same rows. Distinct borrowers of a title are counted from the events for the rows
/// shown only (through the item index).
extension Reports {
    /// Per site and month, from `lending_month` when the period is whole months.
    @Sendable static func lending(_ b: Bounds) -> Query {
        guard let months = wholeMonths(b) else { return lendingFromEvents(b) }
        return Query(
            """
            SELECT l.site_id AS site, l.month, l.loans, l.borrowers, l.returns FROM lending_month l
            WHERE l.month >= ? AND l.month < ? AND \(scope("l.site_id", b.p).sql)
            ORDER BY \(b.c("l.site_id")), l.month
            """,
            [months.first, months.end] + scope("l.site_id", b.p).arguments, columns: ["site", "month", "loans", "borrowers", "returns"])
    }

    static func lendingFromEvents(_ b: Bounds) -> Query {
        Query(
            """
            SELECT e.site_id AS site, \(b.d.month("e.corrected_ms")) AS month, \(ReportAggregates.lendingFigures)
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
            WITH moves AS (\(ReportAggregates.moves(b.d, where: "1 = 1")))
            SELECT previous_site AS from_site, site_id AS to_site, count(*) AS books
            FROM moves WHERE \(ReportAggregates.arrival) AND previous_site IS NOT NULL AND previous_site <> site_id AND corrected_ms >= ? AND corrected_ms < ?
              AND ((\(scope("previous_site", b.p).sql)) OR (\(scope("site_id", b.p).sql)))
            GROUP BY previous_site, site_id
            ORDER BY books DESC, \(b.c("previous_site")), \(b.c("site_id"))
            """,
            [.int(b.from), .int(b.to)] + scope("previous_site", b.p).arguments + scope("site_id", b.p).arguments, columns: ["from_site", "to_site", "books"])
    }

    /// The months of a period of whole months, or nil (read it from the events).
    static func wholeMonths(_ b: Bounds) -> (first: SQLValue, end: SQLValue)? {
        guard !b.p.fromEvents, case .some(let first) = ReportAggregates.monthOf(b.p.from), case .some(let last) = ReportAggregates.monthOf(b.p.to) else {
            return nil
        }
        return (.text(first ?? ""), .text(last ?? "9999-99"))
    }

    /// Distinct borrowers of the title `title` (a column of the outer query) among the
    /// check-outs that meet `condition`: the title's copies found through the catalog's
    /// title index and their events through the books' index (the kind and the period
    /// must not lead SQLite's planner to read every check-out instead), each event's title
    /// as the report names it.
    static func borrowersOf(_ title: String, where condition: String) -> String {
        """
        (SELECT count(DISTINCT e.worker_key) FROM event e
         WHERE \(ReportAggregates.unindexed("e.kind = 'checkout'"))
           AND e.item_key IN (SELECT item_key FROM catalog_title WHERE title = \(title) UNION SELECT \(title))
           AND coalesce((SELECT c.title FROM catalog_title c WHERE c.item_key = e.item_key), e.item_key) = \(title)
           AND e.corrected_ms >= ? AND e.corrected_ms < ? AND \(notVoided()) AND \(condition))
        """
    }

    /// Per region, the titles borrowed most: loans from `book_month`, borrowers of the
    /// titles shown.
    @Sendable static func mostBorrowed(_ b: Bounds) -> Query {
        guard let months = wholeMonths(b) else { return mostBorrowedFromEvents(b) }
        let inRegion = "EXISTS (SELECT 1 FROM site s WHERE s.id = e.site_id AND coalesce(s.region, '') = r.region) AND \(scope("e.site_id", b.p).sql)"
        return Query(
            """
            WITH loans AS (
                SELECT coalesce(s.region, '') AS region, coalesce(c.title, m.item_key) AS title, CAST(sum(m.loans) AS BIGINT) AS loans
                FROM book_month m JOIN site s ON s.id = m.site_id LEFT JOIN catalog_title c ON c.item_key = m.item_key
                WHERE m.month >= ? AND m.month < ? AND \(scope("m.site_id", b.p).sql)
                GROUP BY coalesce(s.region, ''), coalesce(c.title, m.item_key)),
            ranked AS (SELECT region, title, loans, ROW_NUMBER() OVER (PARTITION BY region ORDER BY loans DESC, \(b.c("title"))) AS rank FROM loans)
            SELECT r.region, r.rank, r.title, r.loans, \(borrowersOf("r.title", where: inRegion)) AS borrowers
            FROM ranked r WHERE r.rank <= ? ORDER BY \(b.c("r.region")), r.rank
            """,
            [months.first, months.end] + scope("m.site_id", b.p).arguments + [.int(b.from), .int(b.to)] + scope("e.site_id", b.p).arguments + [b.limit],
            columns: ["region", "rank", "title", "loans", "borrowers"])
    }

    /// Per site: titles in demand elsewhere that it does not hold, from `book_month`.
    @Sendable static func restock(_ b: Bounds) throws -> Query {
        guard let site = b.p.site else { throw ReportError("restock is per site: --site SITE") }
        guard let months = wholeMonths(b) else { return restockFromEvents(b, site: site) }
        return Query(
            """
            WITH demand AS (
                SELECT coalesce(c.title, m.item_key) AS title, CAST(sum(m.loans) AS BIGINT) AS loans, count(DISTINCT m.site_id) AS sites
                FROM book_month m LEFT JOIN catalog_title c ON c.item_key = m.item_key
                WHERE m.site_id <> ? AND m.month >= ? AND m.month < ?
                GROUP BY coalesce(c.title, m.item_key)),
            held AS (
                SELECT coalesce(c.title, b.item_key) AS title FROM ledger_book b LEFT JOIN catalog_title c ON c.item_key = b.item_key WHERE b.site_id = ?
                UNION SELECT coalesce(title, item_key) FROM catalog_title WHERE home_site = ?),
            wanted AS (SELECT title, loans, sites FROM demand WHERE title NOT IN (SELECT title FROM held) ORDER BY loans DESC, \(b.c("title")) LIMIT ?)
            SELECT w.title, w.loans, \(borrowersOf("w.title", where: "e.site_id <> ?")) AS borrowers, w.sites
            FROM wanted w ORDER BY w.loans DESC, \(b.c("w.title"))
            """,
            [.text(site), months.first, months.end, .text(site), .text(site), b.limit, .int(b.from), .int(b.to), .text(site)],
            columns: ["title", "loans_elsewhere", "borrowers", "sites"])
    }

    static func mostBorrowedFromEvents(_ b: Bounds) -> Query {
        Query(
            """
            WITH loans AS (
                SELECT coalesce(s.region, '') AS region, \(titleOf) AS title, count(*) AS loans, count(DISTINCT e.worker_key) AS borrowers
                FROM event e JOIN site s ON s.id = e.site_id LEFT JOIN catalog_title c ON c.item_key = e.item_key
                WHERE e.kind = 'checkout' AND e.item_key IS NOT NULL AND e.corrected_ms >= ? AND e.corrected_ms < ? AND \(scope("e.site_id", b.p).sql) AND \(notVoided())
                GROUP BY coalesce(s.region, ''), \(titleOf)),
            ranked AS (SELECT region, title, loans, borrowers, ROW_NUMBER() OVER (PARTITION BY region ORDER BY loans DESC, \(b.c("title"))) AS rank FROM loans)
            SELECT region, rank, title, loans, borrowers FROM ranked WHERE rank <= ? ORDER BY \(b.c("region")), rank
            """,
            [.int(b.from), .int(b.to)] + scope("e.site_id", b.p).arguments + [b.limit], columns: ["region", "rank", "title", "loans", "borrowers"])
    }

    static func restockFromEvents(_ b: Bounds, site: String) -> Query {
        return Query(
            """
            WITH demand AS (
                SELECT \(titleOf) AS title, count(*) AS loans, count(DISTINCT e.site_id) AS sites, count(DISTINCT e.worker_key) AS borrowers
                FROM event e LEFT JOIN catalog_title c ON c.item_key = e.item_key
                WHERE e.kind = 'checkout' AND e.item_key IS NOT NULL AND e.site_id <> ? AND e.corrected_ms >= ? AND e.corrected_ms < ? AND \(notVoided())
                GROUP BY \(titleOf)),
            held AS (
                SELECT coalesce(c.title, b.item_key) AS title FROM ledger_book b LEFT JOIN catalog_title c ON c.item_key = b.item_key WHERE b.site_id = ?
                UNION SELECT coalesce(title, item_key) FROM catalog_title WHERE home_site = ?)
            SELECT title, loans, borrowers, sites FROM demand WHERE title NOT IN (SELECT title FROM held)
            ORDER BY loans DESC, \(b.c("title")) LIMIT ?
            """,
            [.text(site), .int(b.from), .int(b.to), .text(site), .text(site), b.limit], columns: ["title", "loans_elsewhere", "borrowers", "sites"])
    }

}
