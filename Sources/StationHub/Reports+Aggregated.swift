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

    /// Per region, the titles borrowed most, from `book_month`, then the borrowers of the
    /// titles shown: ranked in Swift on SQLite, by SQL on PostgreSQL
    /// (``SQLDialect/groupsLargeSetsInProcess``).
    @Sendable static func mostBorrowed(_ b: Bounds) -> Query {
        guard let months = wholeMonths(b) else { return mostBorrowedFromEvents(b) }
        return b.d.groupsLargeSetsInProcess ? mostBorrowedInProcess(b, months) : mostBorrowedInSQL(b, months)
    }

    /// `book_month`'s rows of the period, the sites' regions and the catalog's titles,
    /// ranked by ``LoanRanking``; then the borrowers of the titles shown, 500 at a time (a
    /// statement's values stay within what SQLite binds).
    static func mostBorrowedInProcess(_ b: Bounds, _ months: (first: SQLValue, end: SQLValue)) -> Query {
        var q = Query(
            """
            SELECT 'loans', m.site_id, m.item_key, m.loans FROM book_month m WHERE m.month >= ? AND m.month < ? AND \(scope("m.site_id", b.p).sql)
            UNION ALL
            SELECT 'site', id, coalesce(region, ''), 0 FROM site
            UNION ALL
            SELECT 'title', item_key, title, 0 FROM catalog_title WHERE title IS NOT NULL
            """,
            [months.first, months.end] + scope("m.site_id", b.p).arguments, columns: ["region", "rank", "title", "loans", "borrowers"])
        let limit = b.p.limit
        q.then = { rows in
            var regions: [String: String] = [:], titles: [String: String] = [:], loans: [LoanRanking.Loans] = []
            for r in rows {
                guard let key = r[1].text, let value = r[2].text else { continue }
                switch r[0].text {
                case "loans": loans.append(LoanRanking.Loans(site: key, item: value, loans: r[3].int ?? 0))
                case "site": regions[key] = value
                default: titles[key] = value
                }
            }
            let ranked = LoanRanking.ranked(loans, regions: regions, titles: titles, limit: limit)
            return stride(from: 0, to: ranked.count, by: 500).map { borrowersOfRanked(ranked[$0..<min($0 + 500, ranked.count)], b) }
        }
        return q
    }

    /// Ranked titles with their distinct borrowers in the period, at their region's sites in
    /// scope.
    static func borrowersOfRanked(_ ranked: ArraySlice<LoanRanking.Ranked>, _ b: Bounds) -> Query {
        let inRegion = "EXISTS (SELECT 1 FROM site s WHERE s.id = e.site_id AND coalesce(s.region, '') = r.region) AND \(scope("e.site_id", b.p).sql)"
        let row = "(CAST(? AS TEXT), CAST(? AS \(b.d.integer)), CAST(? AS TEXT), CAST(? AS \(b.d.integer)))"
        return Query(
            """
            WITH shown(region, rank, title, loans) AS (VALUES \(Array(repeating: row, count: ranked.count).joined(separator: ", ")))
            SELECT r.region, r.rank, r.title, r.loans, \(borrowersOf("r.title", where: inRegion)) AS borrowers
            FROM shown r ORDER BY \(b.c("r.region")), r.rank
            """,
            ranked.flatMap { [SQLValue.text($0.region), .int(Int64($0.rank)), .text($0.title), .int($0.loans)] } + [.int(b.from), .int(b.to)]
                + scope("e.site_id", b.p).arguments,
            columns: ["region", "rank", "title", "loans", "borrowers"])
    }

    /// Per site: titles in demand elsewhere that it does not hold (on its shelves, or homed
    /// there), from `book_month`, then their borrowers: ranked in Swift on SQLite, by SQL on
    /// PostgreSQL.
    @Sendable static func restock(_ b: Bounds) throws -> Query {
        guard let site = b.p.site else { throw ReportError("restock is per site: --site SITE") }
        guard let months = wholeMonths(b) else { return restockFromEvents(b, site: site) }
        return b.d.groupsLargeSetsInProcess ? restockInProcess(b, months, site: site) : restockInSQL(b, months, site: site)
    }

    /// `book_month`'s rows of the other sites in the period, the catalog's titles and the
    /// titles the site holds, ranked by ``LoanRanking``; then the borrowers of those shown.
    static func restockInProcess(_ b: Bounds, _ months: (first: SQLValue, end: SQLValue), site: String) -> Query {
        var q = Query(
            """
            SELECT 'loans', m.site_id, m.item_key, m.loans FROM book_month m WHERE m.site_id <> ? AND m.month >= ? AND m.month < ?
            UNION ALL
            SELECT 'title', item_key, title, 0 FROM catalog_title WHERE title IS NOT NULL
            UNION ALL
            SELECT 'held', '', coalesce(c.title, b.item_key), 0 FROM ledger_book b LEFT JOIN catalog_title c ON c.item_key = b.item_key WHERE b.site_id = ?
            UNION ALL
            SELECT 'held', '', coalesce(title, item_key), 0 FROM catalog_title WHERE home_site = ?
            """,
            [.text(site), months.first, months.end, .text(site), .text(site)], columns: ["title", "loans_elsewhere", "borrowers", "sites"])
        let limit = b.p.limit
        q.then = { rows in
            var titles: [String: String] = [:], held: Set<String> = [], loans: [LoanRanking.Loans] = []
            for r in rows {
                guard let key = r[1].text, let value = r[2].text else { continue }
                switch r[0].text {
                case "loans": loans.append(LoanRanking.Loans(site: key, item: value, loans: r[3].int ?? 0))
                case "title": titles[key] = value
                default: held.insert(value)
                }
            }
            let ranked = LoanRanking.ranked(loans, regions: nil, titles: titles, excluding: held, limit: limit)
            return stride(from: 0, to: ranked.count, by: 500).map { restockBorrowers(ranked[$0..<min($0 + 500, ranked.count)], b, site: site) }
        }
        return q
    }

    /// The titles restock ranked, with their distinct borrowers elsewhere in the period.
    static func restockBorrowers(_ ranked: ArraySlice<LoanRanking.Ranked>, _ b: Bounds, site: String) -> Query {
        let row = "(CAST(? AS \(b.d.integer)), CAST(? AS TEXT), CAST(? AS \(b.d.integer)), CAST(? AS \(b.d.integer)))"
        return Query(
            """
            WITH shown(rank, title, loans, sites) AS (VALUES \(Array(repeating: row, count: ranked.count).joined(separator: ", ")))
            SELECT r.title, r.loans, \(borrowersOf("r.title", where: "e.site_id <> ?")) AS borrowers, r.sites FROM shown r ORDER BY r.rank
            """,
            ranked.flatMap { [SQLValue.int(Int64($0.rank)), .text($0.title), .int($0.loans), .int(Int64($0.sites))] } + [.int(b.from), .int(b.to), .text(site)],
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
