@testable import StationHub
import XCTest

/// The reports as values: SQL for each engine, their parameters, CSV and the withholding
/// of small lactation-room cells.
final class ReportsTests: XCTestCase {
    let now: Int64 = 1_795_000_000_000

    func testPostgreSQLGetsNumberedPlaceholdersOutsideQuotes() throws {
        // A period that cuts a month: read from the events (the month's format is quoted).
        let q = try Reports.query("lending", .init(from: "2026-10-02", site: "a", nowMillis: now), dialect: .postgres)
        let sql = SQLDialect.postgres.placeholders(q.statement.text)
        XCTAssertFalse(sql.contains("?"), sql)
        XCTAssertTrue(sql.contains("$1") && sql.contains("$6") && !sql.contains("$7"), sql)
        XCTAssertTrue(sql.contains("'YYYY-MM'"), "the quoted format is left alone")
        XCTAssertEqual(SQLDialect.sqlite.placeholders(q.statement.text), q.statement.text, "SQLite takes ? as it is")
        let lite = try Reports.query("lending", .init(from: "2026-10-02", site: "a", nowMillis: now), dialect: .sqlite)
        XCTAssertEqual(lite.statement.text.filter { $0 == "?" }.count, 6)
        XCTAssertEqual(lite.statement.arguments, [.int(1_790_899_200_000), .int(Int64.max / 2), .text("a"), .text("a"), .null, .null])
    }

    func testWholeMonthsAreReadFromTheAggregatesAndAskedForEventsAreNot() throws {
        let months = try Reports.query("lending", .init(from: "2026-10-01", to: "2027-01-01", site: "a", nowMillis: now), dialect: .sqlite)
        XCTAssertTrue(months.statement.text.contains("FROM lending_month"), months.statement.text)
        XCTAssertEqual(months.statement.arguments, [.text("2026-10"), .text("2027-01"), .text("a"), .text("a"), .null, .null])
        var p = Reports.Parameters(from: "2026-10-01", site: "a", nowMillis: now)
        p.fromEvents = true
        XCTAssertTrue(try Reports.query("lending", p, dialect: .sqlite).statement.text.contains("FROM event e"))
        XCTAssertTrue(try Reports.query("drift", p, dialect: .sqlite).statement.text.contains("FROM event e"))
        p.fromEvents = false
        XCTAssertTrue(try Reports.query("drift", p, dialect: .sqlite).statement.text.contains("FROM book_move"))
    }

    func testEveryReportHasSQLForBothEngines() throws {
        for (name, _) in Reports.all {
            for dialect in [SQLDialect.sqlite, .postgres] {
                let q = try Reports.query(name, .init(site: "shelf-a", nowMillis: now), dialect: dialect)
                XCTAssertFalse(q.columns.isEmpty, name)
                XCTAssertEqual(q.statement.text.filter { $0 == "?" }.count, q.statement.arguments.count, "\(name) on \(dialect)")
                if dialect == .postgres {
                    // $1...$n, each argument used, none beyond.
                    let sql = dialect.placeholders(q.statement.text), n = q.statement.arguments.count
                    XCTAssertTrue(sql.contains("$\(n)") && !sql.contains("$\(n + 1)") && !sql.contains("?"), "\(name): \(sql)")
                }
            }
        }
    }

    func testBadParametersAreRefusedWithTheirReason() {
        func reason(_ name: String, _ p: Reports.Parameters) -> String {
            do {
                _ = try Reports.query(name, p, dialect: .sqlite)
                return "accepted"
            } catch { return "\(error)" }
        }
        XCTAssertEqual(reason("lending", .init(from: "2026-13-01", nowMillis: now)), "--from 2026-13-01: a date, YYYY-MM-DD")
        XCTAssertEqual(reason("lending", .init(from: "2026-11-01", to: "2026-10-01", nowMillis: now)), "--from must come before --to")
        XCTAssertEqual(reason("overdue", .init(limit: 0, nowMillis: now)), "--limit 0: 1 to 10000")
        XCTAssertEqual(reason("restock", .init(nowMillis: now)), "restock is per site: --site SITE")
        XCTAssertTrue(reason("nonsense", .init(nowMillis: now)).hasPrefix("no report nonsense: lending, drift"))
    }

    func testSmallLactationCellsAreWithheldAndOthersKept() throws {
        let q = try Reports.query("visits", .init(nowMillis: now), dialect: .sqlite)
        var rows: [SQLRow] = [
            [.text("hut"), .text("lactation"), .text("2026-10"), .int(4), .int(60), .real(15), .int(15)],
            [.text("hut"), .text("lactation"), .text("2026-11"), .int(5), .int(100), .real(20), .int(20)],
            [.text("hut"), .text("childcare"), .text("2026-10"), .int(1), .int(30), .real(30), .int(30)],
        ]
        q.finish(&rows)
        XCTAssertEqual(rows[0], [.text("hut"), .text("lactation"), .text("2026-10"), .null, .null, .null, .null])
        XCTAssertEqual(rows[1][3], .int(5))
        XCTAssertEqual(rows[2][3], .int(1), "other services are shown whatever their size")
    }

    func testCSVQuotesWhatNeedsQuoting() {
        let t = Reports.Table(columns: ["title", "n"], rows: [[.text("Border Town, a novella"), .int(1)], [.text("say \"hi\""), .null], [.text("plain"), .real(2.5)]])
        XCTAssertEqual(t.csv, "title,n\r\n\"Border Town, a novella\",1\r\n\"say \"\"hi\"\"\",\r\nplain,2.5\r\n")
    }
}

/// Retention keys and the statements they become.
final class RetentionTests: XCTestCase {
    func testKeysAreKindsVisitsAServiceOrQuarantine() throws {
        XCTAssertEqual(try Retention.Key("checkout"), .kind("checkout"))
        XCTAssertEqual(try Retention.Key("visit"), .visits(service: nil))
        XCTAssertEqual(try Retention.Key("visit:lactation"), .visits(service: "lactation"))
        XCTAssertEqual(try Retention.Key("quarantine"), .quarantine)
        for bad in ["visit-start", "visit:", "", "everything"] { XCTAssertThrowsError(try Retention.Key(bad), bad) }
    }

    func testPeriodsCutAtTheStartOfTheirMonth() {
        let nov5 = Int64(1_793_836_800_000)  // 2026-11-05T00:00:00Z
        XCTAssertEqual(Retention.cutoff(periodEndingAt: nov5 + 3_600_000), 1_793_491_200_000, "2026-11-01T00:00:00Z")
        XCTAssertEqual(Retention.cutoff(periodEndingAt: 1_793_491_200_000), 1_793_491_200_000, "a month's first instant is its own cutoff")
        XCTAssertEqual(Retention.cutoff(periodEndingAt: 1_793_491_199_999), 1_790_812_800_000, "the instant before: October's start")
    }

    func testEachEngineGetsItsOwnJSONEdit() {
        let lite = Retention.expire(.visits(service: "lactation"), cutoff: 5, run: "r", dialect: .sqlite)
        let pg = Retention.expire(.visits(service: "lactation"), cutoff: 5, run: "r", dialect: .postgres)
        XCTAssertEqual(lite.statements.count, pg.statements.count)
        XCTAssertTrue(lite.changedStatement.text.contains("json_set(body, '$.draft.worker'"), lite.changedStatement.text)
        XCTAssertTrue(pg.changedStatement.text.contains("jsonb_set(body::jsonb, '{draft,worker}'"), pg.changedStatement.text)
        XCTAssertTrue(pg.statements.allSatisfy { !SQLDialect.postgres.placeholders($0.text).contains("?") })
        XCTAssertTrue(lite.statements.contains { $0.text.contains("UPDATE ledger_visit") } && !lite.statements.contains { $0.text.contains("UPDATE ledger_book") })
        let quarantine = Retention.expire(.quarantine, cutoff: 5, run: "r", dialect: .sqlite)
        XCTAssertTrue(quarantine.changedStatement.text.hasPrefix("DELETE FROM quarantine"))
    }

    func testASpreadsheetsCSVShowsFormulasAsTextAndChineseAsChinese() {
        let t = Reports.Table(
            columns: ["site", "note", "n"], rows: [[.text("=HYPERLINK(\"x\")"), .text("-1+1"), .int(-3)], [.text("职工书屋"), .text("@a,b"), .real(2.5)]])
        XCTAssertEqual(t.csv, "site,note,n\r\n\"=HYPERLINK(\"\"x\"\")\",-1+1,-3\r\n职工书屋,\"@a,b\",2.5\r\n", "the API's CSV is the data as it is")
        XCTAssertEqual(
            t.csv(forSpreadsheets: true), "\u{FEFF}site,note,n\r\n\"'=HYPERLINK(\"\"x\"\")\",'-1+1,-3\r\n职工书屋,\"'@a,b\",2.5\r\n",
            "a number stays a number; text a spreadsheet would run is led by '")
    }

    /// A field holding a line break is quoted, a CR LF pair too (one Character in Swift, equal
    /// to neither "\r" nor "\n": before it was checked by bytes it went out bare and split the row).
    func testAFieldWithALineBreakIsQuoted() {
        let t = Reports.Table(columns: ["title", "n"], rows: [[.text("上册\r\n下册"), .int(1)], [.text("a\nb"), .int(2)], [.text("plain"), .null]])
        XCTAssertEqual(t.csv, "title,n\r\n\"上册\r\n下册\",1\r\n\"a\nb\",2\r\nplain,\r\n")
    }
}
