import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// Reports in the console, on both engines: "also borrowed" asks about one title (every
/// title's table at once is the API's and the CLI's), reached from the catalog.
extension ConsoleRouterTests {
    func testAlsoBorrowedAsksAboutOneTitle() async throws {
        try await withConsole("console-also") { engine, client, store in
            _ = try await store.importCatalog([Downlink.Title(itemKey: "label:A1", title: "平凡的世界", homeSite: "shelf-a")])
            let loans = [("label:A1", "w1"), ("label:A2", "w1"), ("label:A1", "w2"), ("label:A3", "w2")].enumerated().map { i, loan in
                Events.event("box-a", Int64(i + 1), site: "shelf-a", .checkout, at: Int64(i + 1), item: loan.0, who: loan.1, due: "2026-12-30")
            }
            _ = try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming(loans), keys: nil)
            var wang = Browser()
            _ = try await wang.signIn(client, "wang")
            let catalog = String(buffer: try await wang.get(client, "/console/catalog").body)
            XCTAssertTrue(catalog.contains("href=\"/console/reports/also-borrowed?item=label%3AA1\""), "\(engine)")
            let waiting = try await wang.get(client, "/console/reports/also-borrowed?from=2026-11-01&to=2026-12-01")
            XCTAssertEqual(waiting.status, .ok, "\(engine)")
            let page = String(buffer: waiting.body)
            XCTAssertTrue(page.contains("输入一本书的书名") && !page.contains("<table"), "\(engine)")
            let csv = try await wang.get(client, "/console/reports/also-borrowed/csv")
            XCTAssertEqual(csv.status, .badRequest, "\(engine)")
            let asked = String(buffer: try await wang.get(client, "/console/reports/also-borrowed?item=label%3AA1&from=2026-11-01&to=2026-12-01").body)
            XCTAssertTrue(asked.contains("<td>label:A2</td>") && asked.contains("<td>label:A3</td>"), "\(engine): \(asked)")
        }
    }

    func testDownloadsOpenInASpreadsheetAsTextNotFormulas() async throws {
        try await withConsole("console-csv") { engine, client, store in
            var wang = Browser()
            _ = try await wang.signIn(client, "wang")
            // A reason typed into the console, as a spreadsheet would run it.
            let revoked = try await wang.post(client, "/console/boxes/box-c/revoke", ["reason": "=1+1"])
            XCTAssertEqual(revoked.status, .seeOther, "\(engine)")
            let audit = try await wang.get(client, "/console/audit.csv")
            let body = String(buffer: audit.body)
            XCTAssertTrue(body.hasPrefix("\u{FEFF}at,actor,origin,action,subject,detail\r\n"), "\(engine)")
            XCTAssertTrue(body.contains(",box.revoke,box-c,'=1+1\r\n"), "\(engine): \(body)")
        }
    }
}
