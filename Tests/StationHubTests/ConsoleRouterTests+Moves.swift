import Foundation
import HTTPTypes
import HummingbirdTesting
import StationCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// Suggested moves and rotations in the console, on both engines: a reader sees and
/// accepts the moves that touch their scope (audited, on the holding site's pull list),
/// and starts and ends rotations whose route and copies lie in it.
extension ConsoleRouterTests {
    func testSuggestedMovesAreAcceptedAndRotationsRunWithinTheReadersScope() async throws {
        try await withConsole("console-moves") { engine, client, store in
            // 甲: M1 never lent at shelf-a, M3 at hut-c, M2 out at shelf-b; 乙: N1 never lent at
            // hut-c, N2 out at shelf-a; 丁: W1 never lent at hut-c, W2 out at shelf-w (west).
            try await store.addSite("shelf-w", region: "west")
            _ = try await store.addBox("box-w", site: "shelf-w")
            _ = try await store.importCatalog(
                [("M1", "甲", "shelf-a"), ("M2", "甲", "shelf-b"), ("M3", "甲", "hut-c"), ("N1", "乙", "hut-c"), ("N2", "乙", "shelf-a"), ("W1", "丁", "hut-c"),
                 ("W2", "丁", "shelf-w"), ("R1", "丙", "shelf-b"), ("R2", "丙", "shelf-b"), ("R3", "丙", "shelf-a")].map {
                    Downlink.Title(itemKey: "label:\($0.0)", title: $0.1, homeSite: $0.2)
                })
            _ = try await store.ingest(
                box: "box-w", site: "shelf-w", events: Events.incoming([Events.event("box-w", 1, site: "shelf-w", .checkout, at: 1, item: "label:W2", who: "w3", due: "2026-12-30")]),
                keys: nil)
            _ = try await store.ingest(
                box: "box-b", site: "shelf-b", events: Events.incoming([Events.event("box-b", 1, site: "shelf-b", .checkout, at: 1, item: "label:M2", who: "w1", due: "2026-12-30")]),
                keys: nil)
            _ = try await store.ingest(
                box: "box-a", site: "shelf-a", events: Events.incoming([Events.event("box-a", 1, site: "shelf-a", .checkout, at: 1, item: "label:N2", who: "w2", due: "2026-12-30")]),
                keys: nil)
            var wang = Browser(), li = Browser(), zhao = Browser()
            _ = try await wang.signIn(client, "wang")
            _ = try await li.signIn(client, "li")
            _ = try await zhao.signIn(client, "zhao")
            func ticks(_ b: inout Browser, _ path: String) async throws -> [String] {
                let page = String(buffer: try await b.get(client, path).body)
                return page.components(separatedBy: "name=\"move.").dropFirst().compactMap { $0.components(separatedBy: "value=\"").dropFirst().first?.components(separatedBy: "\"").first }
            }
            let union = try await ticks(&wang, "/console/reports/moves")
            XCTAssertEqual(union, ["label:W1", "label:N1", "label:M1"], "\(engine): the union's plan (M1 to shelf-b from its own region, not M3)")
            let (east, shelfA) = (try await ticks(&li, "/console/reports/moves"), try await ticks(&zhao, "/console/reports/moves"))
            XCTAssertEqual(east, ["label:N1", "label:M1"], "\(engine): east sees the moves from or to east")
            XCTAssertEqual(shelfA, ["label:N1", "label:M1"], "\(engine): shelf-a sees moves from and to it")
            let page = String(buffer: try await li.get(client, "/console/reports/moves").body)
            XCTAssertTrue(page.contains("调书建议") && page.contains("该站常借而架上没有") && page.contains("接受勾选的调书建议"), "\(engine): \(page.suffix(1200))")
            // W1 goes from hut-c to shelf-w, both west: not li's to accept; M1 is.
            let outside = try await li.post(client, "/console/moves/accept", ["move.0": "label:W1"])
            XCTAssertEqual(outside.status, .conflict, "\(engine)")
            let accepted = try await li.post(client, "/console/moves/accept", ["move.0": "label:M1"])
            XCTAssertEqual(accepted.status, .seeOther, "\(engine)")
            XCTAssertEqual(accepted.headers[.location], "/console/requests")
            let requests = String(buffer: try await li.get(client, "/console/requests").body)
            XCTAssertTrue(requests.contains("调书") && requests.contains("label:M1") && requests.contains("待寄出"), "\(engine)")
            let pulls = try await store.siteRequests(site: "shelf-a").pulls.map { "\($0.itemKey)→\($0.destination)" }
            XCTAssertEqual(pulls, ["label:M1→shelf-b"], "\(engine)")
            let audit = try await store.dump("SELECT actor, action, subject, detail FROM audit WHERE action = 'move.accept'")
            XCTAssertEqual(audit, ["li|move.accept|label:M1|from shelf-a to shelf-b"])
            let left = try await ticks(&wang, "/console/reports/moves")
            XCTAssertEqual(left, ["label:W1", "label:N1"], "\(engine): accepted, no longer proposed; M3 is not sent where M1 is coming")

            // Rotations: wang's route crosses regions; li neither sees nor ends it.
            let none = String(buffer: try await wang.get(client, "/console/rotations").body)
            XCTAssertTrue(none.contains("没有轮换"), "\(engine)")
            let bad = try await wang.post(client, "/console/rotations", ["name": "loop", "sites": "shelf-a,shelf-b", "days": "0", "items": "label:R1"])
            XCTAssertEqual(bad.status, .badRequest, "\(engine)")
            let eastward = try await li.post(client, "/console/rotations", ["name": "west", "sites": "shelf-a,hut-c", "days": "14", "items": "label:R1"])
            XCTAssertEqual(eastward.status, .notFound, "\(engine): hut-c is not li's")
            let theirs = try await li.post(client, "/console/rotations", ["name": "east-loop", "sites": "shelf-a,shelf-b", "days": "7", "items": "label:W1"])
            XCTAssertEqual(theirs.status, .badRequest, "\(engine): W1 is in the west")
            let own = try await li.post(client, "/console/rotations", ["name": "east-loop", "sites": "shelf-b,shelf-a", "days": "7", "items": "label:R3"])
            XCTAssertEqual(own.status, .seeOther, "\(engine)")
            let started = try await wang.post(client, "/console/rotations", ["name": "loop", "sites": "shelf-a, shelf-b, hut-c", "days": "14", "cyclic": "1", "items": "label:R1 label:R2"])
            XCTAssertEqual(started.status, .seeOther, "\(engine)")
            let listed = String(buffer: try await wang.get(client, "/console/rotations").body)
            XCTAssertTrue(listed.contains("<td>loop</td>") && listed.contains("<b>shelf-a</b> → shelf-b → hut-c ↻") && listed.contains("<td>14</td>"), "\(engine): \(listed.suffix(1500))")
            let rotating = try await store.siteRequests(site: "shelf-b").pulls.map { "\($0.itemKey)→\($0.destination)" }.sorted()
            XCTAssertEqual(rotating, ["label:R1→shelf-a", "label:R2→shelf-a"], "\(engine)")
            let liSees = String(buffer: try await li.get(client, "/console/rotations").body)
            XCTAssertTrue(!liSees.contains("<td>loop</td>") && liSees.contains("<td>east-loop</td>"), "\(engine)")
            let (liEnds, wangEnds) = (try await li.post(client, "/console/rotation-end/loop", [:]).status, try await wang.post(client, "/console/rotation-end/loop", [:]).status)
            XCTAssertEqual([liEnds, wangEnds], [.notFound, .seeOther], "\(engine)")
            let ended = String(buffer: try await wang.get(client, "/console/rotations").body)
            XCTAssertTrue(ended.contains("已结束"), "\(engine)")
            let after = try await store.siteRequests(site: "shelf-b").pulls
            XCTAssertEqual(after.count, 0, "\(engine): its moves cancelled")
        }
    }
}
