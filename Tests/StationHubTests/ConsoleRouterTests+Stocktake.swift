import Foundation
import HTTPTypes
import HummingbirdTesting
import StationCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// A stocktake's report in the console, on both engines: its findings in Chinese, the
/// implied returns accepted in one click by a reader of that site (audited), refused to a
/// reader of another; the API's and the CLI's report agree with what the page shows.
extension ConsoleRouterTests {
    func testAStocktakesImpliedReturnsAreAcceptedFromItsReportWithinTheScope() async throws {
        try await withConsole("console-stocktake") { engine, client, store in
            _ = try await store.importCatalog(["A1", "A2", "A3", "A4"].map { Downlink.Title(itemKey: "label:\($0)", title: "书 \($0)", homeSite: $0 == "A4" ? "hut-c" : "shelf-a") })
            // A2 lent, then the stocktake: A1 and A2 seen, A4 (at home at hut-c) and X9 (unknown) too; A3 not.
            let events = [
                Events.event("box-a", 1, site: "shelf-a", .checkout, at: 1, item: "label:A2", who: "w1", due: "2026-12-30"),
                Events.event("box-a", 2, site: "shelf-a", .stocktakeStart, at: 10),
                Events.event("box-a", 3, site: "shelf-a", .seen, at: 11, item: "label:A1", refersTo: 2),
                Events.event("box-a", 4, site: "shelf-a", .seen, at: 12, item: "label:A2", refersTo: 2),
                Events.event("box-a", 5, site: "shelf-a", .seen, at: 13, item: "label:A4", refersTo: 2),
                Events.event("box-a", 6, site: "shelf-a", .seen, at: 14, item: "label:X9", refersTo: 2),
                Events.event("box-a", 7, site: "shelf-a", .stocktakeEnd, at: 20, refersTo: 2),
            ]
            _ = try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming(events), keys: nil)
            let report = try await store.report("stocktake", Reports.Parameters(site: "shelf-a", nowMillis: HubIngest.nowMillis()))
            XCTAssertEqual(report.rows.map { "\($0[0].text ?? "") \($0[1].text ?? "")" }, ["missing label:A3", "implied-return label:A2", "misplaced label:A4", "unknown label:X9"])

            var zhao = Browser(), li = Browser()
            _ = try await zhao.signIn(client, "zhao")
            _ = try await li.signIn(client, "li")
            let shown = try await zhao.get(client, "/console/reports/stocktake")
            XCTAssertEqual(shown.status, .ok, "\(engine) \(shown.headers)")
            let page = String(buffer: shown.body)
            XCTAssertTrue(page.contains("缺失（应在架未扫到）") && page.contains("应已归还") && page.contains("目录中没有"), "\(engine): the findings in Chinese: \(page.suffix(1500))")
            XCTAssertTrue(page.contains("action=\"/console/stocktake/accept\"") && page.contains("确认这些书已归还 (1)"), "\(engine)")
            XCTAssertTrue(page.contains("name=\"items\" value=\"label:A2\""), "\(engine): the button names the copies the page shows")
            // Another site's stocktake is not li's to correct (hut-c is in the west); zhao's is.
            let elsewhere = try await li.post(client, "/console/stocktake/accept", ["site": "hut-c", "items": "label:A2"])
            XCTAssertEqual(elsewhere.status, .notFound, "\(engine)")
            let accepted = try await zhao.post(client, "/console/stocktake/accept", ["site": "shelf-a", "items": "label:A2"])
            XCTAssertEqual(accepted.status, .seeOther, "\(engine)")
            XCTAssertEqual(accepted.headers[.location], "/console/reports/stocktake?site=shelf-a")
            let after = String(buffer: try await zhao.get(client, "/console/reports/stocktake?site=shelf-a").body)
            XCTAssertFalse(after.contains("应已归还") || after.contains("stocktake/accept"), "\(engine): nothing left to accept")
            let ledger = try await store.dump("SELECT item_key, coalesce(holder, '-'), site_id FROM ledger_book WHERE item_key = 'label:A2'")
            XCTAssertEqual(ledger, ["label:A2|-|shelf-a"], "\(engine)")
            let audit = try await store.dump("SELECT actor, action, subject FROM audit WHERE action = 'stocktake.accept'")
            XCTAssertEqual(audit, ["zhao|stocktake.accept|label:A2"], "\(engine)")
            let again = try await zhao.post(client, "/console/stocktake/accept", ["site": "shelf-a", "items": "label:A2"])
            XCTAssertEqual(again.status, .conflict, "\(engine): accepted already, nothing written twice")
            let corrections = try await store.dump("SELECT item_key, kind, site_id, actor FROM ledger_correction")
            XCTAssertEqual(corrections, ["label:A2|return|shelf-a|zhao"], "\(engine)")
            // The name the ledger gives corrections is no box's to take.
            do {
                _ = try await store.addBox("hub", site: "shelf-a")
                XCTFail("\(engine): a box named hub")
            } catch let error as HubError { XCTAssertEqual(error.kind, .invalid) }
        }
    }
}
