import Foundation
import StationTesting
import XCTest

/// A rotation with real processes: `stationhub rotation add`, the hub's loop bringing it
/// to its next stage when its clock is eleven days ahead (libfaketime), and the holding
/// box trapping the copy as a move ("调往") from the pull list its downlink carried. On SQLite and, in make test's
/// second run, PostgreSQL.
extension DriftingLibraryTests {
    func testARotationsNextStageIsTrappedAtTheHoldingBox() throws {
        hub = try HubProcess(label: "rotation")
        keys = hub.directory.appendingPathComponent("keys").path
        XCTAssertEqual(try ChildProcess([ProjectPaths.executable("stationhub"), "keygen", "--dir", keys]).wait(timeout: 30), 0)
        for site in ["shelf-a", "shelf-b"] { try hub.admin(["site", "add", site, "--region", "north"]) }
        let catalog = hub.directory.appendingPathComponent("catalog.csv").path
        try "item_key,title,home_site\nlabel:LIB-000003,Ordinary World,shelf-a\n".write(toFile: catalog, atomically: true, encoding: .utf8)
        try hub.admin(["catalog", "import", catalog])
        let added = try hub.admin(["rotation", "add", "tour", "--sites", "shelf-a,shelf-b", "--days", "10", "--item", "label:LIB-000003", "--json"])
        XCTAssertTrue(added.first?.contains("\"site\":\"shelf-a\"") ?? false, "\(added)")
        try hub.start(arguments: ["--keys", keys])
        let a = try box("box-a", at: "shelf-a")
        // `stationhub rotation list` as of the hub's clock (the stage is a function of time).
        var clock: [String: String] = [:]
        func rotation() throws -> [String: Any] {
            let c = try ChildProcess([ProjectPaths.executable("stationhub"), "rotation", "list", "--json", "--database", hub.database], environment: clock)
            XCTAssertEqual(c.wait(timeout: 30), 0, c.standardError)
            return try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(c.lines.first).utf8))) as? [String: Any])
        }
        XCTAssertEqual(try rotation()["moving"] as? Int, 0, "the copy is at the first stop")

        // Eleven days on, the hub's loop moves the tour to shelf-b: shelf-a's box is told.
        let later = try FakeClock.ahead(days: 11)
        hub.stop()
        try hub.restart(arguments: ["--keys", keys], environment: later)
        clock = later
        let moved = try waitUntil(30) { try rotation()["moving"] as? Int == 1 }
        XCTAssertTrue(moved, "the hub's loop did not place the stage's move")
        XCTAssertEqual(try rotation()["site"] as? String, "shelf-b")
        XCTAssertEqual(try run(a, "rotate", ["LIB-000003"], count: 1), ["transfer-out: moving to shelf-b's shelf: send it there"])
        let list = try hub.admin(["request", "list", "--json"])
        XCTAssertTrue(list.contains { $0.contains("\"rotation\":\"tour\"") && $0.contains("\"state\":\"in-transit\"") }, "\(list)")
        XCTAssertEqual(try rotation()["moving"] as? Int, 1, "on its way")
        // (Its arrival at shelf-b is the in-process tests': with only the hub's clock eleven
        // days ahead, two boxes' scans ten seconds apart reached its ledger 3 ms apart and
        // in the wrong order, the boxes' unsynchronised clocks corrected against it.)
    }
}
