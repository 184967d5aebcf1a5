import Foundation
import StationTesting
import XCTest

/// A site manager sweeps a shelf with the box in stocktake mode: a real `stationd` under
/// umockdev, scans typed at scanner speed by a replayed scanner, double reads and a
/// misread among them, the box restarted halfway; every copy counted once, nothing lent,
/// and what was seen reaches a real hub.
final class StocktakeTests: XCTestCase {
    var hub: HubProcess!

    override func tearDown() {
        hub?.stop()
        hub = nil
    }

    /// Runs `box` over `scans` until it told `count` outcomes and the hub holds `held` of
    /// its events; answers the outcomes and stops it.
    func sweep(_ box: TestBox, _ name: String, _ scans: [String], count: Int, held: Int) throws -> [[String: Any]] {
        let child = try box.run(events: try box.events(named: name, scans: scans, gapMillis: 30, leadIn: 3000))
        XCTAssertTrue(child.readLines(timeout: 120, count: count) { $0.contains("\"type\":\"outcome\"") }, child.lines.suffix(5).joined(separator: "\n") + child.standardError)
        let synced = try waitUntil(60) { try self.hub.query("SELECT count(*) FROM event WHERE box_id = 'box-a'") == ["\(held)"] }
        let holds = try hub.query("SELECT count(*) FROM event WHERE box_id = 'box-a'")
        XCTAssertTrue(synced, "the hub holds \(holds), not \(held)")
        XCTAssertEqual(child.stopChildren(), 0, child.standardError)
        return child.lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }.filter { $0["type"] as? String == "outcome" }
    }

    func testAShelfSweptInStocktakeModeCountsEachCopyOnceAcrossARestart() throws {
        hub = try HubProcess(label: "stocktake")
        try hub.admin(["site", "add", "shelf-a"])
        try hub.start()
        let token = try XCTUnwrap(try hub.admin(["box", "add", "box-a", "--site", "shelf-a"]).first)
        let box = try TestBox(label: "stocktake-box", boxID: "box-a", siteID: "shelf-a")
        let enroll = try ChildProcess([ProjectPaths.executable("stationctl"), "enroll", "http://127.0.0.1:\(hub.port)", try box.tokenFile(token), "--state-dir", box.stateDirectory])
        XCTAssertEqual(enroll.wait(timeout: 30), 0, enroll.standardError)
        let labels = (1...240).map { String(format: "LIB-%06d", $0) }
        // Every 40th copy read twice at once (a double read); one code that is no code.
        func withDoubles(_ codes: ArraySlice<String>) -> [String] { codes.flatMap { Int($0.suffix(6))! % 40 == 0 ? [$0, $0] : [$0] } }

        let first = try sweep(box, "first", ["STN-STOCKTAKE-START"] + withDoubles(labels[..<120]) + ["9787111213827"], count: 122, held: 121)
        XCTAssertEqual(first.map { $0["outcome"] as? String ?? "?" }, ["stocktake-started"] + Array(repeating: "stocktake-seen", count: 120) + ["misread"])
        XCTAssertEqual(first.dropLast().last?["message"] as? String, "counted: 120")
        // Restarted: it goes on counting; a copy counted before is told so, not recorded.
        let second = try sweep(box, "second", withDoubles(labels[120...]) + ["LIB-000007", "STN-STOCKTAKE-END"], count: 122, held: 242)
        XCTAssertEqual(second.first?["message"] as? String, "counted: 121")
        XCTAssertEqual(second.dropLast().last?["message"] as? String, "counted already: 240 in all")
        XCTAssertEqual(second.last?["message"] as? String, "stocktake ended: 240 books counted")
        XCTAssertEqual(second.filter { $0["recorded"] as? Bool == true }.count, 121, "120 sightings and the end")

        let state = try ChildProcess([ProjectPaths.executable("stationctl"), "stocktake", "--json", "--state-dir", box.stateDirectory])
        XCTAssertEqual(state.wait(timeout: 20), 0, state.standardError)
        let said = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(state.lines.first).utf8)) as? [String: Any])
        XCTAssertEqual([said["running"] as? Bool, said["counted"] as? Int == 240], [false, true], "\(said)")
        // The hub has every sighting once, and the box lent nothing.
        XCTAssertEqual(
            try hub.query("SELECT kind, count(*), count(DISTINCT item_key) FROM event WHERE box_id = 'box-a' GROUP BY kind ORDER BY kind"),
            ["seen|240|240", "stocktake-end|1|0", "stocktake-start|1|0"])
    }
}
