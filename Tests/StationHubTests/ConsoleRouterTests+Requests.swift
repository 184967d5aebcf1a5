import Foundation
import HTTPTypes
import HummingbirdTesting
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// The console's requests, on both engines: each role places for pickup sites in its scope
/// only, sees the requests picked up or held in its scope, cancels those picked up in it;
/// the worker's number never comes back on any page.
extension ConsoleRouterTests {
    func testRequestsArePlacedSeenAndCancelledWithinEachScope() async throws {
        let (keys, _) = try StoreSchemaTests.keys()
        var identities = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        let numbers = (0..<3).map { _ in identities.valid() }
        try await withConsole("console-requests", keys: keys) { engine, client, store in
            _ = try await store.importCatalog(StoreRequestConformanceTests.titles())
            var zhao = Browser(), li = Browser(), wang = Browser()
            _ = try await zhao.signIn(client, "zhao")
            _ = try await li.signIn(client, "li")
            _ = try await wang.signIn(client, "wang")
            var pages: [String] = []
            func page(_ b: Browser, _ uri: String) async throws -> (HTTPResponse.Status, String) {
                let r = try await b.get(client, uri)
                pages.append(String(buffer: r.body))
                return (r.status, String(buffer: r.body))
            }
            func id(_ r: TestResponse) -> String { String((r.headers[.location] ?? "").split(separator: "/").last ?? "") }

            // The catalog offers a request for each labelled copy on a shelf, not for an ISBN copy.
            let (_, catalog) = try await page(wang, "/console/catalog")
            for key in ["T1", "T2", "T3", "U1"] { XCTAssertTrue(catalog.contains("/console/requests?item=label%3A\(key)#place"), "\(engine) \(key)") }
            XCTAssertFalse(catalog.contains("requests?item=isbn"), "\(engine)")
            // A site manager places for their own site; another site is not theirs to name.
            let mine = try await zhao.post(client, "/console/requests", ["item": "label:U1", "pickup": "shelf-a", "number": numbers[0]])
            XCTAssertEqual(mine.status, .seeOther, "\(engine)")
            let (shown, placed) = try await page(zhao, "/console/requests/\(id(mine))")
            XCTAssertEqual(shown, .ok)
            XCTAssertTrue(placed.contains("待寄出") && placed.contains("/console/requests/\(id(mine))/cancel") && placed.contains("console:zhao"), placed)
            let elsewhere = try await zhao.post(client, "/console/requests", ["item": "label:T2", "pickup": "hut-c", "number": numbers[0]])
            XCTAssertEqual(elsewhere.status, .notFound, "\(engine)")
            let neither = try await zhao.post(client, "/console/requests", ["pickup": "shelf-a", "number": numbers[0]])
            XCTAssertEqual(neither.status, .badRequest, "\(engine)")
            XCTAssertTrue(String(buffer: neither.body).contains("item_key"), String(buffer: neither.body))
            // The region asks for a title; the union for a copy in the west.
            let title = try await li.post(client, "/console/requests", ["title": "三体", "pickup": "shelf-b", "number": numbers[1], "kind": "resident-id"])
            let west = try await wang.post(client, "/console/requests", ["item": "label:T2", "pickup": "hut-c", "number": numbers[2]])
            XCTAssertEqual([title.status, west.status], [.seeOther, .seeOther], "\(engine)")
            let chosen = try await store.request(id(title)).itemKey
            XCTAssertTrue(["label:T1", "label:T3"].contains(chosen), "nearest first: the region's shelf-a, not hut-c (\(chosen))")

            // Who sees which: picked up in scope, or a copy held in scope (shelf-a sends li's on).
            let (r1, r2, r3) = (id(mine), id(title), id(west))
            for (name, browser, visible) in [("zhao", zhao, [r1, r2]), ("li", li, [r1, r2]), ("wang", wang, [r1, r2, r3])] {
                let (_, list) = try await page(browser, "/console/requests")
                for r in [r1, r2, r3] { XCTAssertEqual(list.contains("/console/requests/\(r)\""), visible.contains(r), "\(engine) \(name) \(r)") }
                let (status, _) = try await page(browser, "/console/requests/\(r3)")
                XCTAssertEqual(status, visible.contains(r3) ? .ok : .notFound, "\(engine) \(name)")
            }
            // zhao sees li's request (the copy is on his shelf) but cancels only his pickups.
            let (_, held) = try await page(zhao, "/console/requests/\(r2)")
            XCTAssertFalse(held.contains("/cancel"), "\(engine)")
            let notHis = try await zhao.post(client, "/console/requests/\(r2)/cancel", [:])
            XCTAssertEqual(notHis.status, .notFound, "\(engine)")
            let cancelled = try await li.post(client, "/console/requests/\(r1)/cancel", [:])
            XCTAssertEqual(cancelled.status, .seeOther, "\(engine)")
            let again = try await li.post(client, "/console/requests/\(r1)/cancel", [:])
            XCTAssertEqual(again.status, .conflict, "\(engine)")
            let (_, closed) = try await page(li, "/console/requests/\(r1)")
            XCTAssertTrue(closed.contains("已取消") && !closed.contains("/cancel"), closed)
            let (_, onlyCancelled) = try await page(wang, "/console/requests?state=cancelled")
            XCTAssertTrue(onlyCancelled.contains(r1) && !onlyCancelled.contains(r2) && !onlyCancelled.contains(r3), "\(engine)")
            let (_, hutC) = try await page(wang, "/console/requests?site=hut-c")
            XCTAssertTrue(hutC.contains(r3) && !hutC.contains(r1) && !hutC.contains(r2), "\(engine)")
            let (outOfScope, _) = try await page(zhao, "/console/requests?site=hut-c")
            let (badState, _) = try await page(wang, "/console/requests?state=lost")
            XCTAssertEqual([outOfScope, badState], [.notFound, .badRequest], "\(engine)")

            // Closed, li's request is its pickup site's history, no longer the holding shelf's.
            let closedR2 = try await li.post(client, "/console/requests/\(r2)/cancel", [:])
            XCTAssertEqual(closedR2.status, .seeOther, "\(engine)")
            let (_, zhaosList) = try await page(zhao, "/console/requests")
            let (_, lisList) = try await page(li, "/console/requests?state=cancelled")
            XCTAssertEqual([zhaosList.contains(r2), lisList.contains(r2)], [false, true], "\(engine)")
            let (hidden, _) = try await page(zhao, "/console/requests/\(r2)")
            XCTAssertEqual(hidden, .notFound, "\(engine)")

            // What was written: three requests, two cancelled, each audited with its operator;
            // the number on no page and in no row.
            let rows = try await store.dump("SELECT client, state FROM request ORDER BY client")
            XCTAssertEqual(rows, ["console:li|cancelled", "console:wang|placed", "console:zhao|cancelled"], "\(engine)")
            let audit = try await store.dump("SELECT actor, action FROM audit WHERE action LIKE 'request.%' ORDER BY id")
            XCTAssertEqual(audit, ["zhao|request.place", "li|request.place", "wang|request.place", "li|request.cancel", "li|request.cancel"], "\(engine)")
            for number in numbers {
                XCTAssertFalse(pages.contains { $0.contains(number) }, "\(engine): a number on a page")
                let stored = try await store.dump("SELECT count(*) FROM request WHERE worker = ? OR masked = ? OR verifier = ?", [.text(number), .text(number), .text(number)])
                XCTAssertEqual(stored, ["0"])
            }
        }
    }
}
