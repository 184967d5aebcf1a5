import Foundation
import StationTesting
import XCTest

/// "Borrow from another shelf" with real processes: one hub, three boxes at three sites
/// (`stationd` under umockdev, scans typed by a replayed scanner). A request is placed,
/// pulled and trapped at the holding box, carried, trapped on arrival, refused to another
/// worker and lent to its own; a copy lent by a box that did not know of its request is
/// trapped where it comes back; nobody collects it, the hold runs out (the hub's clock a
/// week and a day ahead) and the box lends it to anyone. On SQLite and, in make test's
/// second run, PostgreSQL.
final class DriftingLibraryTests: XCTestCase {
    var hub: HubProcess!
    var keys = ""
    /// Numbers no output of any process may show.
    var secrets: [String] = []

    /// XCTest keeps a test case's instance to the end of the run: the hub stops with its test.
    override func tearDown() {
        hub?.stop()
        hub = nil
    }

    /// A box at `site`, enrolled at `via` (a hub instance; the first by default).
    func box(_ id: String, at site: String, via instance: HubProcess? = nil) throws -> TestBox {
        let token = try XCTUnwrap(try hub.admin(["box", "add", id, "--site", site]).first)
        let box = try TestBox(label: id, boxID: id, siteID: site)
        let port = (instance ?? hub).port
        let enroll = try ChildProcess([ProjectPaths.executable("stationctl"), "enroll", "http://127.0.0.1:\(port)", try box.tokenFile(token), "--state-dir", box.stateDirectory])
        XCTAssertEqual(enroll.wait(timeout: 30), 0, enroll.standardError)
        return box
    }

    /// `stationhub request add` for a worker's number (from standard input); the request's id.
    func request(_ item: String, pickup: String, number: String) throws -> String {
        let c = try ChildProcess(
            [ProjectPaths.executable("stationhub"), "request", "add", "--item", item, "--pickup", pickup, "--json", "--keys", keys, "--database", hub.database],
            input: Data((number + "\n").utf8))
        XCTAssertEqual(c.wait(timeout: 30), 0, c.standardError)
        let line = try XCTUnwrap(c.lines.first)
        return try XCTUnwrap(((try JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["id"] as? String)
    }

    func state(_ id: String) throws -> String {
        let line = try XCTUnwrap(try hub.admin(["request", "show", id, "--json"]).first)
        return ((try JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["state"] as? String ?? "?"
    }

    /// Runs `box` over `scans` until it has told `count` outcomes; answers them (outcome and
    /// what the kiosk explains) and stops it.
    func run(_ box: TestBox, _ name: String, _ scans: [String], count: Int, environment: [String: String] = [:]) throws -> [String] {
        let child = try box.run(events: try box.events(named: name, scans: scans, gapMillis: 2000, leadIn: 4000), environment: environment)
        XCTAssertTrue(child.readLines(timeout: 60, count: count) { $0.contains("\"type\":\"outcome\"") }, child.lines.joined(separator: "\n") + child.standardError)
        // Everything it recorded reaches the hub before it stops.
        let recorded = child.lines.filter { $0.contains("\"type\":\"outcome\"") && $0.contains("\"recorded\":true") }.count
        XCTAssertTrue(try waitUntil(30) { try self.hub.query("SELECT count(*) FROM event WHERE box_id = '\(box.boxID ?? "")'").first.flatMap { Int($0) } ?? 0 >= recorded })
        XCTAssertEqual(child.stopChildren(), 0, child.standardError)
        for number in secrets { XCTAssertFalse((child.lines.joined() + child.standardError).contains(number), "\(name): a number in the box's output") }
        return child.lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }.filter { $0["type"] as? String == "outcome" }.map {
            "\($0["outcome"] as? String ?? "?"): \($0["message"] as? String ?? "")"
        }
    }

    func testARequestTravelsFromShelfToShelfAndOnlyItsWorkerBorrowsIt() throws {
        hub = try HubProcess(label: "drifting")
        keys = hub.directory.appendingPathComponent("keys").path
        XCTAssertEqual(try ChildProcess([ProjectPaths.executable("stationhub"), "keygen", "--dir", keys]).wait(timeout: 30), 0)
        for (site, region) in [("shelf-a", "north"), ("shelf-b", "north"), ("shelf-c", "south")] { try hub.admin(["site", "add", site, "--region", region]) }
        let catalog = hub.directory.appendingPathComponent("catalog.csv").path
        try "item_key,title,home_site\nlabel:LIB-000001,Red Sorghum,shelf-a\nlabel:LIB-000002,Capital,shelf-c\n".write(toFile: catalog, atomically: true, encoding: .utf8)
        try hub.admin(["catalog", "import", catalog])
        try hub.start(arguments: ["--keys", keys])
        // On PostgreSQL the pickup box syncs with a second hub instance.
        let second = hub.isPostgres ? try HubProcess(label: "drifting-2", sharing: hub) : nil
        try second?.start(arguments: ["--keys", keys])
        defer { second?.stop() }
        let (a, b, c) = (try box("box-a", at: "shelf-a"), try box("box-b", at: "shelf-b", via: second), try box("box-c", at: "shelf-c"))
        var ids = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        let (requester, other, borrower) = (ids.valid(), ids.valid(), ids.valid())
        secrets = [requester, other, borrower]

        // Placed for shelf-b; shelf-a holds the copy and traps it when it is scanned.
        let r1 = try request("label:LIB-000001", pickup: "shelf-b", number: requester)
        XCTAssertEqual(try run(a, "trap", ["LIB-000001"], count: 1), ["transfer-out: requested at shelf-b: send it there"])
        XCTAssertEqual(try state(r1), "in-transit")

        // At shelf-b: on the hold shelf at once; another worker is refused; its worker borrows it.
        let masked = String(requester.prefix(4)) + String(repeating: "*", count: 10) + String(requester.suffix(4))
        XCTAssertEqual(
            try run(b, "arrive", ["LIB-000001", other, "LIB-000001", requester, "LIB-000001"], count: 5).map { String($0.prefix { $0 != ":" }) },
            ["transfer-in", "session-opened", "hold-refused", "session-opened", "hold-ready"])
        XCTAssertEqual(try state(r1), "collected")
        XCTAssertEqual(try hub.query("SELECT site_id, CASE WHEN holder IS NULL THEN 0 ELSE 1 END, transit_from FROM ledger_book WHERE item_key = 'label:LIB-000001'"), ["shelf-b|1|"])

        // Placed while shelf-c's box is offline: it lends the copy, not knowing; it comes back
        // at shelf-a, the pickup site, whose box traps it for its hold shelf.
        let port = hub.port
        hub.stop()
        let r2: String
        do {
            let lent = try c.run(events: try c.events(named: "lend", scans: [borrower, "LIB-000002"], gapMillis: 2000, leadIn: 2000))
            XCTAssertTrue(lent.readLines(timeout: 60, count: 2) { $0.contains("\"type\":\"outcome\"") }, lent.standardError)
            XCTAssertTrue(lent.lines.contains { $0.contains("\"outcome\":\"checked-out\"") }, lent.lines.joined(separator: "\n"))
            r2 = try request("label:LIB-000002", pickup: "shelf-a", number: requester)
            try hub.restart(arguments: ["--keys", keys])
            XCTAssertEqual(hub.port, port)
            let nudge = try ChildProcess([ProjectPaths.executable("stationctl"), "sync-now", "--socket", c.adminSocket])
            XCTAssertEqual(nudge.wait(timeout: 20), 0)
            XCTAssertTrue(try waitUntil(30) { try self.hub.query("SELECT count(*) FROM event WHERE box_id = 'box-c'") == ["1"] }, lent.standardError)
            XCTAssertEqual(lent.stopChildren(), 0, lent.standardError)
        }
        XCTAssertEqual(try state(r2), "placed", "lent to another: waits for the copy to come back")
        XCTAssertEqual(try run(a, "back", ["LIB-000002"], count: 1), ["transfer-in: on hold for \(masked): put it on the hold shelf"])
        XCTAssertEqual(try state(r2), "ready")
        XCTAssertEqual(try hub.query("SELECT site_id, CASE WHEN holder IS NULL THEN 1 ELSE 0 END, hold_site FROM ledger_book WHERE item_key = 'label:LIB-000002'"), ["shelf-a|1|shelf-a"])
        // The site manager's printable lists, as the box's last sync left them.
        let shelf = try ChildProcess([ProjectPaths.executable("stationctl"), "pulls", "--state-dir", a.stateDirectory])
        XCTAssertEqual(shelf.wait(timeout: 20), 0, shelf.standardError)
        XCTAssertTrue(shelf.lines.contains { $0.contains("label:LIB-000002") && $0.contains("Capital") && $0.contains(masked) && $0.contains(r2) }, shelf.lines.joined(separator: "\n"))
        // The pickup box's downlink shows the worker masked, never their number.
        let link = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: a.stateDirectory).appendingPathComponent("hub.json"))) as? [String: Any]
        let down = try hub.request("GET", "/v1/downlink?since=0", credential: try XCTUnwrap(link?["credential"] as? String))
        XCTAssertTrue(down.text.contains(masked) && down.text.contains(r2), down.text)
        // No identity number in any file the hub or the boxes keep, nor in what the hub said.
        XCTAssertFalse(secrets.contains { down.text.contains($0) })
        for number in [requester, other, borrower] {
            XCTAssertNil(try hub.rawContents().range(of: Data(number.utf8)))
            for box in [a, b, c] {
                for name in try FileManager.default.contentsOfDirectory(atPath: box.stateDirectory) {
                    let data = try Data(contentsOf: URL(fileURLWithPath: box.stateDirectory).appendingPathComponent(name))
                    XCTAssertNil(data.range(of: Data(number.utf8)), "\(box.boxID ?? "")/\(name)")
                }
            }
        }

        // Nobody comes for it. A week and a day later (libfaketime: for the hub and shelf-a's
        // box only; holds last 7 days unless the site says otherwise) the hub's expiry loop
        // closes the hold, and the box lends the copy to anyone, where it refused them before.
        let later = try FakeClock.ahead(days: 8)
        hub.stop()
        try hub.restart(arguments: ["--keys", keys], environment: later)
        let ran = try waitUntil(30) { try self.state(r2) == "expired" }
        let after = try state(r2)
        XCTAssertTrue(ran, "the hold did not run out: \(after)")
        XCTAssertEqual(try run(a, "expired", [other, "LIB-000002"], count: 2, environment: later).map { String($0.prefix { $0 != ":" }) }, ["session-opened", "checked-out"])
        XCTAssertEqual(try state(r2), "expired")
        XCTAssertEqual(
            try hub.query("SELECT site_id, CASE WHEN holder IS NULL THEN 0 ELSE 1 END, coalesce(hold_site, '-') FROM ledger_book WHERE item_key = 'label:LIB-000002'"),
            ["shelf-a|1|-"])
        // Nor in anything either hub instance printed.
        second?.stop()
        for instance in [hub, second].compactMap({ $0 }) { XCTAssertFalse(secrets.contains { instance.output.contains($0) }, "a number in the hub's output") }
    }
}
