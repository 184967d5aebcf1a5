import Foundation
import StationTesting
import XCTest

/// A site manager sweeps a shelf with the box in stocktake mode: a real `stationd` under
/// umockdev, scans typed at scanner speed by a replayed scanner, double reads and a
/// misread among them, the box restarted halfway; every copy counted once, nothing lent.
/// The real hub's stocktake report names exactly the copies the test planted (missing,
/// implied returns, misplaced, unknown), and accepting the implied returns fixes the ledger.
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
        for site in ["shelf-a", "shelf-b"] { try hub.admin(["site", "add", site]) }
        // The catalog: 245 copies at shelf-a but LIB-000010 (at home at shelf-b) and
        // LIB-000200 (unknown); the sweep below reaches LIB-000240, so 241 to 245 are missing.
        let catalog = hub.directory.appendingPathComponent("catalog.csv").path
        let lines = (1...245).filter { $0 != 200 }.map { String(format: "label:LIB-%06d,Title %d,%@", $0, $0, $0 == 10 ? "shelf-b" : "shelf-a") }
        try ("item_key,title,home_site\n" + lines.joined(separator: "\n") + "\n").write(toFile: catalog, atomically: true, encoding: .utf8)
        try hub.admin(["catalog", "import", catalog])
        try hub.start()
        let token = try XCTUnwrap(try hub.admin(["box", "add", "box-a", "--site", "shelf-a"]).first)
        let box = try TestBox(label: "stocktake-box", boxID: "box-a", siteID: "shelf-a")
        let enroll = try ChildProcess([ProjectPaths.executable("stationctl"), "enroll", "http://127.0.0.1:\(hub.port)", try box.tokenFile(token), "--state-dir", box.stateDirectory])
        XCTAssertEqual(enroll.wait(timeout: 30), 0, enroll.standardError)
        // Lent before the stocktake, and never returned: seen on the shelf, they are implied returns.
        var ids = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        let lent = try box.run(events: try box.events(named: "lend", scans: [ids.valid(), "LIB-000003", "LIB-000004"], gapMillis: 1500, leadIn: 3000))
        XCTAssertTrue(lent.readLines(timeout: 60, count: 3) { $0.contains("\"type\":\"outcome\"") }, lent.standardError)
        XCTAssertTrue(try waitUntil(30) { try self.hub.query("SELECT count(*) FROM event WHERE box_id = 'box-a'") == ["2"] })
        XCTAssertEqual(lent.stopChildren(), 0, lent.standardError)
        let labels = (1...240).map { String(format: "LIB-%06d", $0) }
        // Every 40th copy read twice at once (a double read); one code that is no code.
        func withDoubles(_ codes: ArraySlice<String>) -> [String] { codes.flatMap { Int($0.suffix(6))! % 40 == 0 ? [$0, $0] : [$0] } }

        let first = try sweep(box, "first", ["STN-STOCKTAKE-START"] + withDoubles(labels[..<120]) + ["9787111213827"], count: 122, held: 123)
        XCTAssertEqual(first.map { $0["outcome"] as? String ?? "?" }, ["stocktake-started"] + Array(repeating: "stocktake-seen", count: 120) + ["misread"])
        XCTAssertEqual(first.dropLast().last?["message"] as? String, "counted: 120")
        // Restarted: it goes on counting; a copy counted before is told so, not recorded.
        let second = try sweep(box, "second", withDoubles(labels[120...]) + ["LIB-000007", "STN-STOCKTAKE-END"], count: 122, held: 244)
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
            ["checkout|2|2", "seen|240|240", "stocktake-end|1|0", "stocktake-start|1|0"])

        // The hub's report: exactly what was planted.
        let planted = ["implied-return label:LIB-000003", "implied-return label:LIB-000004", "misplaced label:LIB-000010", "unknown label:LIB-000200"]
            + (241...245).map { String(format: "missing label:LIB-%06d", $0) }
        XCTAssertEqual(try findings(), planted.sorted { (Self.order($0), $0) < (Self.order($1), $1) })
        // Accepting the implied returns fixes the ledger, through audited corrections.
        let accepted = try hub.admin(["stocktake", "accept", "--site", "shelf-a"])
        XCTAssertEqual(accepted.last, "2 implied return(s) accepted at shelf-a", accepted.joined(separator: "\n"))
        XCTAssertEqual(
            try hub.query("SELECT item_key, CASE WHEN holder IS NULL THEN 'on the shelf' ELSE 'on loan' END, site_id FROM ledger_book WHERE item_key IN ('label:LIB-000003', 'label:LIB-000004') ORDER BY item_key"),
            ["label:LIB-000003|on the shelf|shelf-a", "label:LIB-000004|on the shelf|shelf-a"])
        XCTAssertEqual(try findings().filter { $0.hasPrefix("implied-return") }, [])
        XCTAssertEqual(try hub.query("SELECT count(*) FROM audit WHERE action = 'stocktake.accept'"), ["2"])
        XCTAssertEqual(try hub.query("SELECT count(*) FROM event WHERE box_id = 'box-a'"), ["244"], "no box's event edited or added")
        let again = try ChildProcess([ProjectPaths.executable("stationhub"), "stocktake", "accept", "--site", "shelf-a", "--item", "label:LIB-000003", "--database", hub.database])
        XCTAssertEqual(again.wait(timeout: 30), 1)
        XCTAssertTrue(again.standardError.contains("not an implied return"), again.standardError)
    }

    static func order(_ line: String) -> Int { ["missing", "implied-return", "misplaced", "unknown"].firstIndex { line.hasPrefix($0 + " ") } ?? 9 }

    /// `stationhub report stocktake --site shelf-a`, a line per finding: its kind and copy.
    func findings() throws -> [String] {
        try hub.admin(["report", "stocktake", "--site", "shelf-a", "--format", "csv"]).dropFirst().map { line in
            line.split(separator: ",", omittingEmptySubsequences: false).prefix(2).joined(separator: " ")
        }
    }
}
