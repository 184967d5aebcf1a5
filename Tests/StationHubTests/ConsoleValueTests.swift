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
}
