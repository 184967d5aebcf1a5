import Foundation

/// The operators' reports and recommendations: each one SQL text that runs on both
/// engines (only the few functions that differ come from ``SQLDialect``), its parameters,
/// and its table as JSON or CSV. Pure: the store runs the SQL (``HubStore/report(_:_:)``).
public enum Reports {
    /// A report's result: named columns, rows in order.
    public struct Table: Sendable, Equatable {
        public var columns: [String]
        public var rows: [SQLRow]

        public init(columns: [String], rows: [SQLRow]) {
            self.columns = columns
            self.rows = rows
        }

        /// RFC 4180, a header line first; fields with a comma, quote or line break quoted.
        public var csv: String { csv(forSpreadsheets: false) }

        /// ``csv``, or for a file people open in Excel or WPS (the console's downloads): a
        /// byte order mark first (without it they read UTF-8 as GBK), and a text cell that a
        /// spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
        /// carriage return) led by `'`, which shows the text as it is.
        public func csv(forSpreadsheets: Bool) -> String {
            var out = forSpreadsheets ? "\u{FEFF}" : ""
            func field(_ s: String) {
                // By bytes: a quote, a comma or a line break anywhere (a "\r\n" too, which is one Character).
                if s.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
                    out += "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                } else {
                    out += s
                }
            }
            func cell(_ v: SQLValue) -> String {
                guard forSpreadsheets, case .text(let s) = v, let first = s.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return v.csv }
                return "'" + s
            }
            for line in [columns] + rows.map({ $0.map(cell) }) {
                for (i, s) in line.enumerated() {
                    if i > 0 { out += "," }
                    field(s)
                }
                out += "\r\n"
            }
            return out
        }

        /// Columns padded to their widest cell, for a terminal (a Chinese character takes
        /// two columns of it).
        public var aligned: String {
            let cells = [columns] + rows.map { $0.map(\.csv) }
            let widths = columns.indices.map { i in cells.map { Self.width($0[i]) }.max() ?? 0 }
            let lines = cells.map { row in
                row.enumerated().map { i, s in s + String(repeating: " ", count: widths[i] - Self.width(s)) }.joined(separator: "  ")
                    .trimmingCharacters(in: .whitespaces)
            }
            return lines.joined(separator: "\n") + "\n" + (rows.isEmpty ? "(no rows)\n" : "")
        }

        /// Terminal columns: East Asian wide and full-width characters take two.
        static func width(_ s: String) -> Int {
            s.unicodeScalars.reduce(0) { n, u in
                let v = u.value
                let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v)
                    || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v)
                return n + (wide ? 2 : 1)
            }
        }

        /// The table for people: each `*_ms` column a local time (ISO 8601 with its offset,
        /// in `timeZone`), named without `_ms`. JSON keeps milliseconds.
        public func humanized(timeZone: TimeZone) -> Table {
            let times = Set(columns.indices.filter { columns[$0].hasSuffix("_ms") })
            guard !times.isEmpty else { return self }
            return Table(
                columns: columns.enumerated().map { times.contains($0) ? String($1.dropLast(3)) : $1 },
                rows: rows.map { row in row.enumerated().map { i, v in times.contains(i) ? v.int.map { .text(HumanTime.text($0, timeZone)) } ?? v : v } })
        }

        /// `{"report": NAME, "columns": [...], "rows": [{column: value}]}`.
        public func json(report: String) -> Data {
            struct Body: Encodable {
                var report: String
                var columns: [String]
                var rows: [[String: SQLValue]]
            }
            let body = Body(report: report, columns: columns, rows: rows.map { Dictionary(uniqueKeysWithValues: zip(columns, $0)) })
            let e = JSONEncoder()
            e.outputFormatting = .sortedKeys
            return (try? e.encode(body)) ?? Data()
        }
    }

    /// A report ready to run: its statement for one engine, and what the rows mean.
    public struct Query: Sendable {
        public var statement: SQLStatement
        public var columns: [String]
        /// Applied to the rows the engine returns (small-cell suppression).
        public var finish: @Sendable (inout [SQLRow]) -> Void = { _ in }
        /// The statements that make the report's rows from these (after ``finish``), run one
        /// after the other, their rows in that order; none: the report has no rows.
        public var then: (@Sendable ([SQLRow]) -> [Query])?

        public init(_ sql: String, _ arguments: [SQLValue], columns: [String]) {
            statement = SQLStatement(sql, arguments)
            self.columns = columns
        }
    }

    /// What a report is asked for: a period (dates, UTC, `to` exclusive), a site or region,
    /// a title, a row limit.
    public struct Parameters: Sendable, Equatable {
        public var from: String?
        public var to: String?
        public var site: String?
        public var region: String?
        public var item: String?
        public var limit: Int = 20
        /// "Now" for overdue loans and quiet boxes (milliseconds).
        public var nowMillis: Int64
        /// The hub's zone ahead of UTC (milliseconds), for hours and weekdays (`visit-hours`).
        public var zoneOffsetMillis: Int64 = 0
        /// Read from the events rather than from ``ReportAggregates`` (the tests compare the
        /// two; a period that cuts a month is read from the events anyway).
        public var fromEvents = false
        /// `lost-in-transit`: days on the way after which a copy counts as lost.
        public var lostAfterDays = Requests.defaultLostAfterDays
        /// `moves`: the plan for these titles only (one title's moves do not depend on
        /// another's), as an accept checks what it names inside its transaction.
        public var titles: [String]?

        public init(from: String? = nil, to: String? = nil, site: String? = nil, region: String? = nil, item: String? = nil, limit: Int = 20, nowMillis: Int64) {
            self.from = from
            self.to = to
            self.site = site
            self.region = region
            self.item = item
            self.limit = limit
            self.nowMillis = nowMillis
        }
    }

    /// The reports, by the name the API, the CLI and the files use, with what each answers.
    public static let all: [(name: String, summary: String)] = [
        ("lending", "per site and month: loans, distinct borrowers, returns (the lending index)"),
        ("drift", "books returned at another site than they were last at, and requested copies sent on: flows between sites"),
        ("overdue", "loans past their due date, oldest first (the borrower as a pseudonym)"),
        ("most-borrowed", "per region, the titles borrowed most (--limit per region)"),
        ("visits", "per site, service and month: visits, minutes in all, average and longest; lactation rooms in aggregate only, cells under 5 visits withheld"),
        ("visit-hours", "visits per service, weekday (1 = Monday) and hour, in the hub's time zone; lactation cells under 5 visits withheld"),
        ("quiet-boxes", "boxes not seen for a day, never seen, or with errors in their device log in the last day"),
        ("quarantine", "events set aside for an operator, newest first"),
        ("also-borrowed", "readers who borrowed this title also borrowed: co-borrowing per title (--item to ask about one)"),
        ("restock", "per site (--site): titles in demand at other sites that it does not hold"),
        ("requests", "per pickup site and month placed: requests placed, collected, expired, cancelled, open; hours to collection (median, 90th percentile)"),
        ("lost-in-transit", "copies trapped for a request and not seen for --lost-after-days (30), oldest first"),
        ("stocktake", "a site's latest stocktake (--site) against its ledger: copies missing, implied returns, misplaced, unknown to the catalog"),
        ("sleeping", "copies on a shelf nobody borrowed for the site's sleeping_months (6), with loans of their title elsewhere (12 months) and open requests, most wanted first"),
        ("moves", "suggested moves: sleeping copies sent where their title was lent or requested in 12 months and none is on the shelf (copy, from, to, why); stationhub moves accept"),
    ]

    /// Reports of one site at a time (the console picks the reader's first site).
    public static let ofOneSite: Set<String> = ["restock", "stocktake"]

    /// Fewer visits than this in a lactation-room cell are withheld.
    public static let smallestLactationCell: Int64 = 5

    static let dayMillis: Int64 = 86_400_000

    /// Milliseconds of a `YYYY-MM-DD` date (UTC midnight).
    public static func millis(_ date: String?, _ name: String) throws -> Int64? {
        guard let date else { return nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        guard date.count == 10, let d = f.date(from: date) else { throw ReportError("--\(name) \(date): a date, YYYY-MM-DD") }
        return Int64(d.timeIntervalSince1970 * 1000)
    }

    static func date(_ millis: Int64) -> String { utc(millis, "yyyy-MM-dd") }

    /// How far `zone` is ahead of UTC at an instant, in milliseconds (``Parameters/zoneOffsetMillis``).
    public static func zoneOffset(_ zone: TimeZone, at millis: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(millis) / 1000))) * 1000
    }

    /// An instant as ISO 8601 in UTC, to the millisecond (exports).
    static func instant(_ millis: Int64) -> String { utc(millis, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'") }

    static func utc(_ millis: Int64, _ pattern: String) -> String { format(millis, pattern, TimeZone(identifier: "UTC")!) }

    /// An instant by a `DateFormatter` pattern, in `zone`.
    static func format(_ millis: Int64, _ pattern: String, _ zone: TimeZone) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = pattern
        return f.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    /// An event that a later void of its box cancelled counts nowhere.
    static func notVoided(_ e: String = "e") -> String {
        "NOT EXISTS (SELECT 1 FROM event v WHERE v.kind = 'void' AND v.box_id = \(e).box_id AND v.refers_to = \(e).seq)"
    }

    /// A title as reports name it: the catalog's title, else the item's key.
    static let titleOf = "coalesce(c.title, e.item_key)"

    /// A report's statement for one engine.
    public static func query(_ name: String, _ p: Parameters, dialect: SQLDialect) throws -> Query {
        let from = try millis(p.from, "from") ?? 0
        let to = try millis(p.to, "to") ?? Int64.max / 2
        guard from < to else { throw ReportError("--from must come before --to") }
        guard (1...10_000).contains(p.limit) else { throw ReportError("--limit \(p.limit): 1 to 10000") }
        guard let build = builders[name] else { throw ReportError("no report \(name): \(all.map(\.name).joined(separator: ", "))") }
        try checkApplies(name, p)
        return try build(Bounds(from: from, to: to, limit: .int(Int64(p.limit)), p: p, d: dialect))
    }

    /// What each report can be narrowed by (beyond `--limit`): a parameter a report would
    /// not use is refused, never silently ignored.
    static let narrowedBy: [String: Set<String>] = [
        "lending": ["period", "site", "region"], "drift": ["period", "site", "region"], "overdue": ["site", "region"],
        "most-borrowed": ["period", "site", "region"], "visits": ["period", "site", "region"], "visit-hours": ["period", "site", "region"], "quiet-boxes": ["site", "region"],
        "quarantine": ["site", "region"], "also-borrowed": ["period", "site", "region", "item"], "restock": ["period", "site"],
        "requests": ["period", "site", "region"], "lost-in-transit": ["site", "region"], "stocktake": ["site"], "sleeping": ["site", "region"],
        "moves": ["site", "region"],
    ]

    static func checkApplies(_ name: String, _ p: Parameters) throws {
        let uses = narrowedBy[name] ?? []
        let given: [(String, String, Bool)] = [
            ("period", "--from and --to", p.from != nil || p.to != nil), ("site", "--site", p.site != nil), ("region", "--region", p.region != nil),
            ("item", "--item", p.item != nil),
        ]
        for (key, flag, isGiven) in given where isGiven && !uses.contains(key) {
            let why = key == "period" ? " (it is as of now\(name == "overdue" ? "; --as-of DAY asks as of another day" : ""))" : ""
            throw ReportError("\(flag) does not apply to \(name)\(why)")
        }
    }

    /// Rows of a site, or of the sites of a region, or all: the condition on the column
    /// that holds a site, and its four arguments.
    static func scope(_ column: String, _ p: Parameters) -> (sql: String, arguments: [SQLValue]) {
        (
            "(CAST(? AS TEXT) IS NULL OR \(column) = ?) AND (CAST(? AS TEXT) IS NULL OR \(column) IN (SELECT id FROM site WHERE region = ?))",
            [text(p.site), text(p.site), text(p.region), text(p.region)]
        )
    }

    /// A report's parameters as its SQL takes them.
    struct Bounds {
        var from: Int64
        var to: Int64
        var limit: SQLValue
        var p: Parameters
        var d: SQLDialect
        /// Text sorts by bytes on both engines (SQLite's order), whatever the server's locale.
        func c(_ expression: String) -> String { d.bytewise(expression) }
    }

    static let builders: [String: @Sendable (Bounds) throws -> Query] = [
        "lending": lending, "drift": drift, "overdue": overdue, "most-borrowed": mostBorrowed, "visits": visits, "visit-hours": visitHours, "quiet-boxes": quietBoxes,
        "quarantine": quarantine, "also-borrowed": alsoBorrowed, "restock": restock, "requests": requests, "lost-in-transit": lostInTransit,
        "stocktake": stocktake, "sleeping": sleeping, "moves": moves,
    ]

    @Sendable static func overdue(_ b: Bounds) -> Query {
        Query(
            """
            SELECT b.item_key, coalesce(c.title, '') AS title, b.site_id AS site, b.due_date, b.holder AS borrower
            FROM ledger_book b LEFT JOIN catalog_title c ON c.item_key = b.item_key
            WHERE b.holder IS NOT NULL AND b.due_date IS NOT NULL AND b.due_date < ? AND \(scope("b.site_id", b.p).sql)
            ORDER BY b.due_date, \(b.c("b.item_key")) LIMIT ?
            """,
            [.text(date(b.p.nowMillis))] + scope("b.site_id", b.p).arguments + [b.limit], columns: ["item_key", "title", "site", "due_date", "borrower"])
    }

    @Sendable static func quietBoxes(_ b: Bounds) -> Query {
        let since = SQLValue.int(b.p.nowMillis - dayMillis)
        return Query(
            """
            SELECT b.id AS box, b.site_id AS site, b.last_seen_ms,
                   (SELECT count(*) FROM device_log l WHERE l.box_id = b.id AND l.level = 'error' AND l.at_ms >= ?) AS errors_last_day,
                   CASE WHEN b.credential_hash IS NULL THEN 'not enrolled'
                        WHEN b.last_seen_ms IS NULL THEN 'never seen' WHEN b.last_seen_ms < ? THEN 'not seen for a day' ELSE 'errors' END AS why
            FROM box b
            WHERE (b.revoked_reason IS NULL) AND (b.last_seen_ms IS NULL OR b.last_seen_ms < ?
                   OR EXISTS (SELECT 1 FROM device_log l WHERE l.box_id = b.id AND l.level = 'error' AND l.at_ms >= ?))
              AND \(scope("b.site_id", b.p).sql)
            ORDER BY CASE WHEN b.last_seen_ms IS NULL THEN 0 ELSE 1 END, b.last_seen_ms, \(b.c("b.id"))
            """,
            [since, since, since, since] + scope("b.site_id", b.p).arguments, columns: ["box", "site", "last_seen_ms", "errors_last_day", "why"])
    }

    @Sendable static func quarantine(_ b: Bounds) -> Query {
        Query(
            """
            SELECT q.id, q.box_id AS box, q.seq, q.reason, q.received_ms FROM quarantine q
            WHERE q.box_id IN (SELECT id FROM box WHERE \(scope("site_id", b.p).sql))
            ORDER BY q.id DESC LIMIT ?
            """,
            scope("site_id", b.p).arguments + [b.limit], columns: ["id", "box", "seq", "reason", "received_ms"])
    }

    static func text(_ s: String?) -> SQLValue { s.map { .text($0) } ?? .null }
}

/// A report (or a retention key) asked for in a way it cannot be answered.
public struct ReportError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension SQLValue {
    /// As a CSV field or a terminal cell.
    var csv: String {
        switch self {
        case .int(let v): String(v)
        case .real(let v): String(format: "%.1f", v)
        case .text(let v): v
        case .null: ""
        }
    }
}
