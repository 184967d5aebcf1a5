/// The also-borrowed report: what readers of a title also borrowed, over every title
/// (counted in Swift, ``CoBorrowing``) or for one (in SQL).
extension Reports {
    /// What readers of a title also borrowed: for one title (`--item`), its readers'
    /// check-outs through the worker index; for every title, every check-out counted in
    /// Swift (``CoBorrowing``). The two answer the same rows for a title (the test
    /// holds both, on both engines, to the pairs counted from generated loans); each is
    /// slow where the other is fast.
    @Sendable static func alsoBorrowed(_ b: Bounds) -> Query {
        b.p.item == nil ? alsoBorrowedEveryTitle(b) : alsoBorrowedOfTitle(b)
    }

    /// Every title's co-borrowing: each check-out's reader, item and whether it was in the
    /// period and scope, read from `event_worker_key` alone (its kind written so that no
    /// other index serves it), and the catalog's titles, counted and ranked by
    /// ``CoBorrowing``. At 1,000,000 events, 600,000 check-outs give 2,000,000 pairs of
    /// titles: SQLite took 7.6 s to join the distinct (reader, title) pairs with
    /// themselves, group and rank them, and 0.8 s to look up each check-out's title.
    static func alsoBorrowedEveryTitle(_ b: Bounds) -> Query {
        var q = Query(
            """
            SELECT e.worker_key, e.item_key,
                   CASE WHEN e.corrected_ms >= ? AND e.corrected_ms < ? AND \(scope("e.site_id", b.p).sql) THEN 1 ELSE 0 END, CAST(NULL AS TEXT)
            FROM event e
            WHERE e.worker_key IS NOT NULL AND \(ReportAggregates.unindexed("e.kind = 'checkout'")) AND e.item_key IS NOT NULL AND \(notVoided())
            UNION ALL
            SELECT CAST(NULL AS TEXT), item_key, 0, title FROM catalog_title WHERE title IS NOT NULL
            """,
            [.int(b.from), .int(b.to)] + scope("e.site_id", b.p).arguments, columns: ["title", "rank", "also_borrowed", "readers"])
        let limit = b.p.limit
        q.finish = { rows in rows = coBorrowing(rows, limit: limit) }
        return q
    }

    /// ``alsoBorrowedEveryTitle(_:)``'s rows ranked.
    static func coBorrowing(_ rows: [SQLRow], limit: Int) -> [SQLRow] {
        var titles: [String: String] = [:]
        for r in rows where r[0] == .null {
            if let item = r[1].text, let title = r[3].text { titles[item] = title }
        }
        let reads = rows.lazy.compactMap { r -> CoBorrowing.Read? in
            guard let reader = r[0].text, let item = r[1].text else { return nil }
            return CoBorrowing.Read(reader: reader, item: item, asked: r[2].bool)
        }
        return CoBorrowing.ranked(reads, titles: titles, limit: limit).map { [.text($0.title), .int(Int64($0.rank)), .text($0.also), .int(Int64($0.readers))] }
    }

    /// One title's co-borrowing: its copies' check-outs (the item asked, the copies of
    /// the title it names or of its title), found through the books' index, and their
    /// readers' check-outs through the worker index. Neither kind nor period may be served by
    /// an index: at 1,000,000 events SQLite's planner would read every check-out (21 s).
    static func alsoBorrowedOfTitle(_ b: Bounds) -> Query {
        let item = text(b.p.item)
        return Query(
            """
            WITH pairs AS (
                SELECT coalesce(ca.title, a.item_key) AS title, coalesce(cb.title, b.item_key) AS also, count(DISTINCT a.worker_key) AS readers
                FROM event a
                JOIN event b ON b.worker_key = a.worker_key AND \(ReportAggregates.unindexed("b.kind = 'checkout'")) AND b.item_key IS NOT NULL
                LEFT JOIN catalog_title ca ON ca.item_key = a.item_key
                LEFT JOIN catalog_title cb ON cb.item_key = b.item_key
                WHERE \(ReportAggregates.unindexed("a.kind = 'checkout'")) AND a.worker_key IS NOT NULL
                  AND coalesce(ca.title, a.item_key) <> coalesce(cb.title, b.item_key)
                  AND a.item_key IN (SELECT CAST(? AS TEXT) UNION SELECT item_key FROM catalog_title WHERE title = ?
                       UNION SELECT c2.item_key FROM catalog_title c1 JOIN catalog_title c2 ON c2.title = c1.title WHERE c1.item_key = ?)
                  AND \(ReportAggregates.unindexed("a.corrected_ms >= ? AND a.corrected_ms < ?")) AND \(scope("a.site_id", b.p).sql)
                  AND \(notVoided("a")) AND \(notVoided("b"))
                GROUP BY coalesce(ca.title, a.item_key), coalesce(cb.title, b.item_key)),
            \(rankedPairs(b))
            """,
            [item, item, item, .int(b.from), .int(b.to)] + scope("a.site_id", b.p).arguments + [b.limit], columns: ["title", "rank", "also_borrowed", "readers"])
    }

    /// also-borrowed's last step, after its `pairs` (title, also, readers): each title's
    /// first `limit` (its last argument) by readers, then by the other title's bytes.
    static func rankedPairs(_ b: Bounds) -> String {
        """
        ranked AS (SELECT title, also, readers, ROW_NUMBER() OVER (PARTITION BY title ORDER BY readers DESC, \(b.c("also"))) AS rank FROM pairs)
        SELECT title, rank, also, readers FROM ranked WHERE rank <= ? ORDER BY \(b.c("title")), rank
        """
    }
}
