import Foundation

/// What the reports read instead of every event, kept current in the transaction that
/// changes what they summarise: `lending_month` (per site and month: loans, distinct
/// borrowers, returns), `book_month` (per book, site and month: loans; most borrowed and
/// restock) and `book_move` (each return at another site than the book's previous event:
/// drift). Each is filled by one SQL text, the report's own grouping over `event` narrowed
/// by a condition: all events when the migration fills it, and `lending_month`'s rows of a
/// site's month when a change touches them. A book's `book_month` and `book_move` rows are
/// kept from the entries its ledger row is made of (``LedgerFold/aggregates(_:after:)``,
/// the same rules in Swift: a change touches a book's rows, not a report's), and the
/// conformance tests hold them equal to this fill after every kind of change. Pure.
public enum ReportAggregates {
    /// A site's month (`YYYY-MM`, UTC), as `lending_month` keys it.
    public struct SiteMonth: Hashable, Sendable, Comparable {
        public var site: String
        public var month: String
        public init(site: String, month: String) { (self.site, self.month) = (site, month) }
        public static func < (a: Self, b: Self) -> Bool { (a.site, a.month) < (b.site, b.month) }
        /// Its advisory lock name (PostgreSQL: two instances recompute a row one after the other).
        var lockName: String { "lending|\(site)|\(month)" }
    }

    /// The event kinds `lending_month` counts, and those drift follows.
    static let lendingKinds: Set<String> = ["checkout", "return"]

    static var utc: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }

    /// `YYYY-MM` of an instant in UTC: what ``SQLDialect/month(_:)`` computes (whole seconds).
    /// Counted from the days since 1970 on the proleptic Gregorian calendar, as SQLite's
    /// `strftime` and PostgreSQL's `to_char` count them (no calendar object: an ingest
    /// asks it for every check-out it folds in).
    public static func month(_ millis: Int64) -> String {
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        // Days to a civil date (H. Hinnant's algorithm, years starting in March).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let y = String(year), m = String(month)
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + "-" + (m.count == 1 ? "0" : "") + m
    }

    /// A month's first and the next month's first instant, in milliseconds.
    public static func bounds(_ month: String) -> (start: Int64, end: Int64)? {
        let parts = month.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, (1...12).contains(parts[1]),
            let start = utc.date(from: DateComponents(year: parts[0], month: parts[1], day: 1)),
            let end = utc.date(byAdding: .month, value: 1, to: start)
        else { return nil }
        return (Int64(start.timeIntervalSince1970) * 1000, Int64(end.timeIntervalSince1970) * 1000)
    }

    /// The month of a report's bound when the bound is a month's first day (`YYYY-MM-01`);
    /// nil when it cuts a month (the report is then read from the events).
    static func monthOf(_ date: String?) -> String?? {
        guard let date else { return .some(nil) }
        guard date.count == 10, date.hasSuffix("-01") else { return nil }
        return .some(String(date.prefix(7)))
    }

    /// An event with a time the reports count (they start at 0), written so that no index
    /// is chosen for it: a range on `corrected_ms` beside `kind` makes SQLite's planner
    /// read every check-out of the month through `event_kind_time` (1 s a batch at 450,000
    /// events) instead of the site's or the books' own index.
    static let timed = "coalesce(e.corrected_ms, -1) >= 0"

    /// A condition on an event's kind that no index serves: beside 500 books' keys SQLite's
    /// planner (without statistics) reads every check-out through `event_void (kind)`
    /// rather than the books' own index (0.4 s a chunk instead of 30 ms at 450,000 events).
    static func unindexed(_ condition: String) -> String { "(CASE WHEN \(condition) THEN 1 ELSE 0 END) = 1" }

    /// The lending index of a group of check-outs and returns (`e`): loans, distinct
    /// borrowers, returns. The report from the events and `lending_month` both take it.
    static let lendingFigures = """
        CAST(sum(CASE WHEN e.kind = 'checkout' THEN 1 ELSE 0 END) AS BIGINT) AS loans,
        count(DISTINCT CASE WHEN e.kind = 'checkout' THEN e.worker_key END) AS borrowers,
        CAST(sum(CASE WHEN e.kind = 'return' THEN 1 ELSE 0 END) AS BIGINT) AS returns
        """

    /// A book's check-outs, renewals and returns that meet `condition`, each with the site
    /// of the book's event before it (in the order of corrected time, box by bytes, seq):
    /// a return whose previous event was at another site is drift. The report from the
    /// events and `book_move` both read it.
    static func moves(_ d: SQLDialect, where condition: String) -> String {
        """
        SELECT e.item_key, e.box_id, e.seq, e.site_id, e.kind, e.corrected_ms,
               LAG(e.site_id) OVER (PARTITION BY e.item_key ORDER BY e.corrected_ms, \(d.bytewise("e.box_id")), e.seq) AS previous_site
        FROM event e
        WHERE e.item_key IS NOT NULL AND \(unindexed("e.kind IN ('checkout', 'renewal', 'return', 'transfer-out', 'transfer-in')")) AND \(Reports.notVoided()) AND \(condition)
        """
    }

    /// `lending_month`'s rows of the events that meet `condition` (on `e`; a month's
    /// recompute gives its site and range, the fill ``timed``).
    static func lendingRows(_ d: SQLDialect, where condition: String) -> String {
        """
        INSERT INTO lending_month (site_id, month, loans, borrowers, returns)
        SELECT e.site_id, \(d.month("e.corrected_ms")), \(lendingFigures)
        FROM event e
        WHERE e.kind IN ('checkout', 'return') AND \(Reports.notVoided()) AND \(condition)
        GROUP BY e.site_id, \(d.month("e.corrected_ms"))
        """
    }

    /// `book_month`'s columns, its key first.
    static let bookMonthColumns = ["item_key", "site_id", "month", "loans"]

    /// `book_month`'s rows of the books whose events meet `condition`.
    static func bookMonthRows(_ d: SQLDialect, where condition: String) -> String {
        """
        INSERT INTO book_month (\(bookMonthColumns.joined(separator: ", ")))
        SELECT e.item_key, e.site_id, \(d.month("e.corrected_ms")), count(*)
        FROM event e
        WHERE \(unindexed("e.kind = 'checkout'")) AND e.item_key IS NOT NULL AND \(timed) AND \(Reports.notVoided()) AND \(condition)
        GROUP BY e.item_key, e.site_id, \(d.month("e.corrected_ms"))
        """
    }

    /// `book_move`'s columns, its key (the arrival's box and seq) first.
    static let bookMoveColumns = ["box_id", "seq", "item_key", "at_ms", "from_site", "to_site"]

    /// `book_move`'s rows of the books whose events meet `condition` (``moves(_:where:)``).
    static func moveRows(_ d: SQLDialect, where condition: String) -> String {
        """
        INSERT INTO book_move (\(bookMoveColumns.joined(separator: ", ")))
        SELECT box_id, seq, item_key, corrected_ms, previous_site, site_id FROM (\(moves(d, where: condition))) m
        WHERE \(arrival) AND previous_site IS NOT NULL AND previous_site <> site_id
        """
    }

    /// A move between sites ends with a return elsewhere (drift) or a requested copy's
    /// arrival (a transfer).
    static let arrival = "kind IN ('return', 'transfer-in')"

    /// The migration that adds them, filled from every event a hub already holds.
    @Sendable static func migration(_ d: SQLDialect) -> [String] {
        let int = d.integer
        return [
            """
            CREATE TABLE lending_month (site_id TEXT NOT NULL, month TEXT NOT NULL, loans \(int) NOT NULL, borrowers \(int) NOT NULL,
                returns \(int) NOT NULL, PRIMARY KEY (site_id, month))\(d.strict)
            """,
            """
            CREATE TABLE book_move (item_key TEXT NOT NULL, box_id TEXT NOT NULL, seq \(int) NOT NULL, at_ms \(int), from_site TEXT NOT NULL,
                to_site TEXT NOT NULL, PRIMARY KEY (box_id, seq))\(d.strict)
            """,
            """
            CREATE TABLE book_month (item_key TEXT NOT NULL, site_id TEXT NOT NULL, month TEXT NOT NULL, loans \(int) NOT NULL,
                PRIMARY KEY (item_key, site_id, month))\(d.strict)
            """,
            // Covering: the reports that rank titles read nothing but this index.
            "CREATE INDEX book_month_month ON book_month(month, site_id, item_key, loans)",
            // A ranked title's copies, for its distinct borrowers.
            "CREATE INDEX catalog_title_title ON catalog_title(title)",
            "CREATE INDEX book_move_item ON book_move(item_key)",
            "CREATE INDEX book_move_time ON book_move(at_ms, from_site, to_site)",
            // One site's month of loans and returns, recomputed at each batch, read by range.
            "CREATE INDEX event_site_kind_time ON event(site_id, kind, corrected_ms)",
            lendingRows(d, where: timed),
            bookMonthRows(d, where: "1 = 1"),
            moveRows(d, where: "1 = 1"),
        ]
    }
}
