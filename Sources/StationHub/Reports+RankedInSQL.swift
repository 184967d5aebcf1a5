/// The reports that rank titles by loans, ranked by the database: PostgreSQL groups
/// `book_month`'s rows by hashing them where they are, faster than sending them to be
/// ranked by ``LoanRanking`` (``SQLDialect/groupsLargeSetsInProcess``).
extension Reports {
    static func mostBorrowedInSQL(_ b: Bounds, _ months: (first: SQLValue, end: SQLValue)) -> Query {
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

    static func restockInSQL(_ b: Bounds, _ months: (first: SQLValue, end: SQLValue), site: String) -> Query {
        Query(
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
}
