/// The sleeping-books report: copies on a shelf nobody borrowed for their site's
/// `sleeping_months`, with the demand for their title elsewhere (``Sleeping``). One
/// statement brings the copies on shelves in scope of the titles that have a sleeping copy
/// there (``sleepers(_:where:)``), those titles' loans per site from `book_month` over the
/// demand window, and open requests per title (the counts cast to integers: PostgreSQL's
/// `sum` of a bigint is a numeric, and a UNION takes the widest).
extension Reports {
    @Sendable static func sleeping(_ b: Bounds) -> Query {
        let scope = scope("coalesce(bk.site_id, c.home_site)", b.p)
        let since = ReportAggregates.month(b.p.nowMillis - Int64(Sleeping.demandMonths) * 30 * dayMillis)
        let now = ReportAggregates.month(b.p.nowMillis)
        var q = Query(
            """
            WITH \(sleepers(b.d, where: scope.sql))
            \(sleepersCopies)
            UNION ALL
            \(loansByTitle(b.d))
            UNION ALL
            SELECT 'asked', coalesce(t.title, r.item_key), NULL, NULL, NULL, CAST(count(*) AS \(b.d.integer))
            FROM request r LEFT JOIN catalog_title t ON t.item_key = r.item_key WHERE r.active = 1 AND r.purpose IS NULL GROUP BY coalesce(t.title, r.item_key)
            """, scope.arguments + [monthNumber(now), .text(since)],
            columns: ["site", "item_key", "title", "last_loan_month", "months_asleep", "loans_elsewhere", "open_requests"])
        let limit = b.p.limit
        q.finish = { rows in rows = sleepingRows(rows, nowMonth: now, limit: limit) }
        return q
    }

    /// Two named statements for a `WITH`: `shelf`, the copies on a shelf where `condition`
    /// holds (``shelvedCopies(_:where:)``), and `sleepy`, the titles of those that sleep:
    /// never lent, or last lent at least their site's `sleeping_months` before the month
    /// given as the argument after the condition's (``monthNumber(_:)``; the rule of
    /// ``Sleeping/rows(copies:nowMonth:loans:requests:)``, which decides). The reports read
    /// only those titles' copies and demand: in a union where most copies were lent lately
    /// that is a few thousand rows of `book_month` instead of every one.
    static func sleepers(_ d: SQLDialect, where condition: String) -> String {
        func number(_ month: String) -> String {
            "(CAST(substr(\(month), 1, 4) AS \(d.integer)) * 12 + CAST(substr(\(month), 6, 2) AS \(d.integer)))"
        }
        return """
            shelf AS (\(shelvedCopies(d, where: condition))),
            sleepy AS (SELECT DISTINCT t AS sleeper_title FROM shelf WHERE lm IS NULL OR CAST(? AS \(d.integer)) - \(number("lm")) >= n)
            """
    }

    /// The `copy` rows of the copies in `shelf` whose title has a sleeping copy.
    static let sleepersCopies = "SELECT r, k, t, s, lm, n FROM shelf WHERE t IN (SELECT sleeper_title FROM sleepy)"

    /// A `YYYY-MM` month as ``Sleeping/monthNumber(_:)`` counts it, as an argument.
    static func monthNumber(_ month: String) -> SQLValue { .int(Int64(Sleeping.monthNumber(month) ?? 0)) }

    /// Copies on a shelf (not on loan, not on their way) where `condition` holds, as
    /// `('copy', item, title, site, last loan month, the site's sleeping_months)`.
    static func shelvedCopies(_ d: SQLDialect, where condition: String) -> String {
        """
        SELECT 'copy' AS r, c.item_key AS k, coalesce(c.title, c.item_key) AS t, coalesce(bk.site_id, c.home_site) AS s,
            (SELECT max(m.month) FROM book_month m WHERE m.item_key = c.item_key) AS lm,
            CAST(coalesce(ss.value, '\(Sleeping.defaultMonths)') AS \(d.integer)) AS n
        FROM catalog_title c LEFT JOIN ledger_book bk ON bk.item_key = c.item_key
        LEFT JOIN site_setting ss ON ss.site_id = coalesce(bk.site_id, c.home_site) AND ss.key = 'sleeping_months'
        WHERE c.removed = 0 AND bk.holder IS NULL AND bk.transit_from IS NULL AND coalesce(bk.site_id, c.home_site) IS NOT NULL AND \(condition)
        """
    }

    /// Loans per title and site since the month given as its first argument, from
    /// `book_month`, of the titles in `sleepy` (``sleepers(_:where:)``) where `condition`
    /// holds of the title `t`, as `('loans', title, NULL, site, NULL, loans)`. The books
    /// are found through the catalog's title index (a copy without a title: its key is
    /// its title), so that the planner reads those books' rows only.
    static func loansByTitle(_ d: SQLDialect, and condition: String = "1 = 1") -> String {
        """
        SELECT 'loans', coalesce(t.title, t.item_key), NULL, m.site_id, NULL, CAST(sum(m.loans) AS \(d.integer))
        FROM book_month m JOIN catalog_title t ON t.item_key = m.item_key
        WHERE m.month >= ? AND \(condition)
          AND m.item_key IN (SELECT item_key FROM catalog_title WHERE title IN (SELECT sleeper_title FROM sleepy) UNION SELECT sleeper_title FROM sleepy)
          AND coalesce(t.title, t.item_key) IN (SELECT sleeper_title FROM sleepy)
        GROUP BY coalesce(t.title, t.item_key), m.site_id
        """
    }

    /// A `copy` row of ``shelvedCopies(_:where:)``.
    static func shelvedCopy(_ r: SQLRow) -> Sleeping.Copy? {
        guard let key = r[1].text, let title = r[2].text, let site = r[3].text else { return nil }
        return Sleeping.Copy(itemKey: key, title: title, site: site, lastLoanMonth: r[4].text, months: Int(r[5].int ?? Int64(Sleeping.defaultMonths)))
    }

    /// A count per title and site (`(kind, title, NULL, site, NULL, n)`) into `counts[title][site]`.
    static func count(_ r: SQLRow, into counts: inout [String: [String: Int64]]) {
        if let title = r[1].text, let site = r[3].text { counts[title, default: [:]][site] = r[5].int ?? 0 }
    }

    static func sleepingRows(_ rows: [SQLRow], nowMonth: String, limit: Int) -> [SQLRow] {
        var copies: [Sleeping.Copy] = [], loans: [String: [String: Int64]] = [:], requests: [String: Int64] = [:]
        for r in rows {
            switch r[0].text {
            case "copy":
                if let copy = shelvedCopy(r) { copies.append(copy) }
            case "loans":
                count(r, into: &loans)
            default:
                if let title = r[1].text { requests[title] = r[5].int ?? 0 }
            }
        }
        return Sleeping.rows(copies: copies, nowMonth: nowMonth, loans: loans, requests: requests).prefix(limit).map { s in
            let title: SQLValue = s.copy.title == s.copy.itemKey ? .null : .text(s.copy.title)
            return [.text(s.copy.site), .text(s.copy.itemKey), title, SQLValue(s.copy.lastLoanMonth), SQLValue(s.monthsAsleep), .int(s.loansElsewhere), .int(s.openRequests)]
        }
    }
}
