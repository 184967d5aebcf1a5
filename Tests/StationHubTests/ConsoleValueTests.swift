import Foundation
import StationProtocol
import XCTest

@testable import StationHub

/// The console's rules and pages as values: roles and their SQL scope, session expiry,
/// login pacing, passwords, forms, escaping, and the pages in both languages.
final class ConsoleValueTests: XCTestCase {
    func testRolesParseAndNarrowQueriesAndReports() throws {
        XCTAssertEqual(try ConsoleRole(parsing: "union"), .union)
        XCTAssertEqual(try ConsoleRole(parsing: "region:east"), .region("east"))
        XCTAssertEqual(try ConsoleRole(parsing: "site:shelf-a"), .site("shelf-a"))
        for bad in ["", "unions", "region", "region:", "site:", "admin:x", "union:x"] {
            XCTAssertThrowsError(try ConsoleRole(parsing: bad), bad)
        }
        XCTAssertEqual(ConsoleRole.region("east").text, "region:east")
        XCTAssertEqual(ConsoleRole.union.condition("b.site_id").sql, "1 = 1")
        XCTAssertEqual(ConsoleRole.region("east").condition("b.site_id").sql, "b.site_id IN (SELECT id FROM site WHERE region = ?)")
        XCTAssertEqual(ConsoleRole.site("s").condition("x").arguments, [.text("s")])

        let regions: [String: String?] = ["shelf-a": "east", "hut-c": "west"]
        let lookup: (String) -> String?? = { regions[$0] }
        let p = Reports.Parameters(nowMillis: 0)
        XCTAssertEqual(try ConsoleRole.region("east").narrow(p, regionOf: lookup).region, "east")
        XCTAssertEqual(try ConsoleRole.site("shelf-a").narrow(p, regionOf: lookup).site, "shelf-a")
        var other = p
        other.site = "hut-c"
        XCTAssertThrowsError(try ConsoleRole.region("east").narrow(other, regionOf: lookup))
        XCTAssertThrowsError(try ConsoleRole.site("shelf-a").narrow(other, regionOf: lookup))
        XCTAssertEqual(try ConsoleRole.union.narrow(other, regionOf: lookup), other)

        XCTAssertFalse(ConsoleRole.site("s").mayEditSites)
        XCTAssertTrue(ConsoleRole.region("r").mayEditSites)
        XCTAssertTrue(ConsoleRole.union.readsAuditLog)
        XCTAssertFalse(ConsoleRole.region("r").readsAuditLog)
    }

    func testSessionsEndWhenIdleOrOldAndLoginsArePaced() {
        let t0: Int64 = 1_000_000_000
        XCTAssertTrue(ConsoleAccess.isLive(createdMillis: t0, seenMillis: t0, nowMillis: t0 + ConsoleAccess.idleMillis - 1))
        XCTAssertFalse(ConsoleAccess.isLive(createdMillis: t0, seenMillis: t0, nowMillis: t0 + ConsoleAccess.idleMillis))
        // Used every few minutes, it still ends at the absolute limit.
        XCTAssertTrue(ConsoleAccess.isLive(createdMillis: t0, seenMillis: t0 + ConsoleAccess.absoluteMillis - 60_000, nowMillis: t0 + ConsoleAccess.absoluteMillis - 1))
        XCTAssertFalse(ConsoleAccess.isLive(createdMillis: t0, seenMillis: t0 + ConsoleAccess.absoluteMillis - 60_000, nowMillis: t0 + ConsoleAccess.absoluteMillis))

        XCTAssertEqual((0...12).map { ConsoleAccess.waitMillis(failures: $0) }, [0, 0, 0, 0, 0, 1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000])
        XCTAssertEqual(ConsoleAccess.waitMillis(failures: 40), ConsoleAccess.longestWaitMillis)
        XCTAssertEqual(ConsoleAccess.remainingWait(failures: 6, lastMillis: t0, nowMillis: t0 + 500), 1500)
        XCTAssertEqual(ConsoleAccess.remainingWait(failures: 6, lastMillis: t0, nowMillis: t0 + 2000), 0)
        XCTAssertEqual(ConsoleAccess.remainingWait(failures: 30, lastMillis: t0, nowMillis: t0 + ConsoleAccess.failureMemoryMillis), 0)

        XCTAssertNoThrow(try ConsoleAccess.checkPassword("correct horse battery", name: "wang"))
        for bad in ["short", String(repeating: "书", count: 25), "aaaaaaaaaaaa", "line\nbreak-password"] {
            XCTAssertThrowsError(try ConsoleAccess.checkPassword(bad, name: "wang"), bad)
        }
        XCTAssertThrowsError(try ConsoleAccess.checkPassword("Wang.Federation", name: "wang.federation"))
        XCTAssertThrowsError(try ConsoleAccess.checkName("wang li"))
        XCTAssertTrue(ConsoleAccess.same("abc", "abc"))
        XCTAssertFalse(ConsoleAccess.same("abc", "abd"))
        XCTAssertFalse(ConsoleAccess.same("abc", "abcd"))
    }

    func testFormsDecodeAndMarkupEscapesWhatItIsGiven() throws {
        let form = try FormBody("name=%E4%B8%9C%E5%8C%BA+%E4%B9%A6%E5%B1%8B&csrf=ab&csrf=cd&empty=&flag")
        XCTAssertEqual(form["name"], "东区 书屋")
        XCTAssertEqual(form["csrf"], "ab")
        XCTAssertNil(form.value("empty"))
        XCTAssertEqual(form["flag"], "")
        XCTAssertThrowsError(try FormBody("name=%FF"))

        let name = "<script>alert('x')</script>&\""
        let html: HTML = "<td>\(name)</td>"
        XCTAssertEqual(html.raw, "<td>&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;&amp;&quot;</td>")
        let inner: HTML = "<b>ok</b>"
        XCTAssertEqual(("<p>\(inner)</p>" as HTML).raw, "<p><b>ok</b></p>")
    }

    static let session = ConsoleSession(operatorName: "wang", role: .union, language: "zh", csrf: "c0ffee")

    func testPagesAreChineseFirstEscapeSiteNamesAndCarryTheFormToken() {
        let pages = ConsolePages(language: "zh", nowMillis: 1_793_577_600_000, timeZone: TimeZone(identifier: "Asia/Shanghai")!)
        let sites = [SiteRecord(id: "shelf-a", name: "<script>alert(1)</script>", kind: "bookshelf", region: "east", boxes: 2, settings: [:])]
        let page = pages.sites(sites, session: Self.session).raw
        XCTAssertTrue(page.contains("<html lang=\"zh-CN\">"))
        XCTAssertTrue(page.contains("站点与设备"))
        XCTAssertTrue(page.contains("职工书屋"))
        XCTAssertTrue(page.contains("<th>名称</th>"), "a site's name is its name, not an account's")
        XCTAssertFalse(page.contains("<script>"), "a site's name is text, never markup")
        XCTAssertTrue(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        // Every form that changes something carries the session's token.
        let forms = page.components(separatedBy: "<form method=\"post\"").dropFirst()
        XCTAssertEqual(forms.count, 3)  // language, sign-out, add a site
        for f in forms { XCTAssertTrue(f.contains("name=\"csrf\" value=\"c0ffee\""), f) }
        XCTAssertTrue(page.contains("/console/audit"))

        // A site manager gets no site form and no audit link; English on the toggle.
        let manager = ConsoleSession(operatorName: "zhao", role: .site("shelf-a"), language: "en", csrf: "x")
        let english = ConsolePages(language: "en", nowMillis: 0, timeZone: .init(identifier: "UTC")!).sites(sites, session: manager).raw
        XCTAssertTrue(english.contains("<html lang=\"en\">"))
        XCTAssertTrue(english.contains("Sites and boxes"))
        XCTAssertFalse(english.contains("action=\"/console/sites\""))
        XCTAssertFalse(english.contains("/console/audit"))
        for phrase in Phrase.allCases {
            XCTAssertFalse(phrase.text("zh").isEmpty)
            XCTAssertFalse(phrase.text("en").isEmpty)
        }

        var o = ConsoleOverview()
        o.quiet = 2
        o.lag = [
            .init(site: "hut-c", name: nil, lagMillis: nil, backlog: 0, boxes: 1), .init(site: "shelf-a", name: "东区", lagMillis: 3 * 3_600_000, backlog: 40, boxes: 2),
        ]
        let overview = pages.overview(o, session: Self.session).raw
        XCTAssertTrue(overview.contains("<div class=\"tile warn\"><span class=\"n\">2</span><span>失联</span></div>"))
        XCTAssertTrue(overview.contains("<td class=\"num\">从未</td>"))
        XCTAssertTrue(overview.contains("<td class=\"num\">3 小时</td>"))
    }

    func testChartsDrawExactlyTheirTablesWithLabelsAsText() {
        let lending = Reports.Table(
            columns: ["site", "month", "loans", "borrowers", "returns"],
            rows: [
                [.text("shelf-a"), .text("2026-10"), .int(30), .int(20), .int(10)], [.text("shelf-a"), .text("2026-11"), .int(10), .int(8), .int(5)],
                [.text("<script>"), .text("2026-11"), .int(20), .int(9), .int(1)],
            ])
        let charts = ReportCharts.charts("lending", lending, names: ["shelf-a": "东区书屋"], language: "zh")
        XCTAssertEqual(charts.map(\.id), ["rank", "trend"])
        // Ranked most first; the CSV is the table the bars are drawn from.
        XCTAssertEqual(charts[0].table.csv, "site,loans\r\nshelf-a,40\r\n<script>,20\r\n")
        let bars = charts[0].svg.raw
        XCTAssertEqual(bars.components(separatedBy: "<rect ").count - 1, 2)
        // The longest bar spans the plot (640 - 150 - 60 = 430); the other is half of it.
        XCTAssertTrue(bars.contains("width=\"430\""), bars)
        XCTAssertTrue(bars.contains("width=\"215\""), bars)
        XCTAssertTrue(bars.contains(">东区书屋</text>"))
        XCTAssertFalse(bars.contains("<script>"), "a site's name is text in a chart")
        XCTAssertTrue(bars.contains("&lt;script&gt;"))
        // Months with no loans at a site are drawn as 0, and the CSV says so.
        XCTAssertEqual(charts[1].table.csv, "month,site,loans\r\n2026-10,shelf-a,30\r\n2026-10,<script>,0\r\n2026-11,shelf-a,10\r\n2026-11,<script>,20\r\n")
        XCTAssertEqual(charts[1].svg.raw.components(separatedBy: "<polyline ").count - 1, 2)

        let drift = Reports.Table(
            columns: ["from_site", "to_site", "books"], rows: [[.text("a"), .text("b"), .int(4)], [.text("b"), .text("a"), .int(1)], [.text("a"), .text("c"), .int(2)]])
        let flows = ReportCharts.charts("drift", drift, names: [:], language: "en")[0]
        XCTAssertEqual(flows.table, drift)
        // Rows a, b; columns a, b, c: six cells, of which three hold a flow.
        let cells = flows.svg.raw.components(separatedBy: "<rect ").count - 1
        XCTAssertEqual(cells, 6)
        XCTAssertTrue(flows.svg.raw.contains(">4</text>"))

        // A withheld lactation count withholds its whole cell (hatched, no number).
        let visits = Reports.Table(
            columns: ["site", "service", "month", "visits", "minutes", "average_minutes", "longest_minutes"],
            rows: [[.text("hut"), .text("lactation"), .text("2026-11"), .int(9), .int(180), .real(20), .int(30)]])
        let hours = Reports.Table(
            columns: ["service", "weekday", "hour", "visits"],
            rows: [[.text("lactation"), .int(1), .int(10), .null], [.text("childcare"), .int(1), .int(10), .int(7)], [.text("childcare"), .int(2), .int(9), .int(6)]])
        let drawn = ReportCharts.charts("visits", visits, extra: hours, names: [:], language: "zh")
        XCTAssertEqual(drawn.map(\.id), ["minutes", "hours"])
        let grid = drawn[1].table.rows
        XCTAssertEqual(grid.count, 7 * 24)
        XCTAssertEqual(grid[10], [.int(1), .int(10), .null])
        XCTAssertEqual(grid[24 + 9], [.int(2), .int(9), .int(6)])
        XCTAssertEqual(drawn[1].svg.raw.components(separatedBy: "url(#withheld)").count - 1, 1)
        // One number written in the grid: 6 (the withheld cell's 7 is not).
        XCTAssertEqual(drawn[1].svg.raw.components(separatedBy: "class=\"small\" fill=").count - 1, 1, "a withheld cell shows no number")
        XCTAssertTrue(drawn[0].svg.raw.contains("哺乳 Lactation"))
    }

    func testThePeriodPickersSendMonthsThatIncludeTheirEnd() throws {
        typealias Form = ConsolePages.ReportForm
        XCTAssertEqual(try Form.bound("2026-11", end: false), "2026-11-01")
        XCTAssertEqual(try Form.bound("2026-12", end: true), "2027-01-01", "the last month is included")
        XCTAssertEqual(try Form.bound("2026-11-15", end: true), "2026-11-15", "a date from a link, as the API takes it")
        XCTAssertNil(try Form.bound(nil, end: false))
        XCTAssertThrowsError(try Form.bound("2026-13", end: false))
        XCTAssertThrowsError(try Form.bound("november", end: true))
        XCTAssertEqual(Form.month("2027-01-01", end: true), "2026-12")
        XCTAssertEqual(Form.month("2026-11-01", end: false), "2026-11")
        XCTAssertEqual(Form.month("2026-11-15", end: true), "2026-11")
    }

    func testTheDriftGridShowsTheSitesMostBooksMovedAt() {
        // 30 sites, s00 … s29: site i sends i books to the next; the busiest are the last.
        let rows: [SQLRow] = (0..<30).map { i in [.text(String(format: "s%02d", i)), .text(String(format: "s%02d", (i + 1) % 30)), .int(Int64(i))] }
        let chart = ReportCharts.charts("drift", Reports.Table(columns: ["from_site", "to_site", "books"], rows: rows), names: [:], language: "zh")[0]
        // Site i moved i + (i - 1) books, s00 29: the five least busy, s01 … s05, are left out.
        let busiest = Set(["s00"] + (6..<30).map { String(format: "s%02d", $0) })
        XCTAssertEqual(Set(chart.table.rows.flatMap { [$0[0].text ?? "", $0[1].text ?? ""] }), busiest)
        // The table (and CSV) is what is drawn: every flow between two of them, no other.
        XCTAssertEqual(chart.table.rows, rows.filter { busiest.contains($0[0].text ?? "") && busiest.contains($0[1].text ?? "") })
        XCTAssertTrue(chart.title.contains("漂流最多的 25 个站点"), chart.title)
    }
}
