import Foundation
import StationTesting
import XCTest

/// What comes back down from the hub changes what the box does, and what goes wrong on
/// the box reaches the hub: the catalog (drift), site settings (limits), the device log,
/// and a revoked box that stops syncing and says why.
final class SyncDownlinkTests: XCTestCase {


    func enrolledBox(_ hub: HubProcess, label: String) throws -> TestBox {
        let token = try XCTUnwrap(try hub.admin(["box", "add", "box-test-1", "--site", "site-a"]).first)
        let box = try TestBox(label: label)
        let enroll = try ChildProcess([ProjectPaths.executable("stationctl"), "enroll", "http://127.0.0.1:\(hub.port)", try box.tokenFile(token), "--state-dir", box.stateDirectory])
        XCTAssertEqual(enroll.wait(timeout: 30), 0, enroll.standardError)
        return box
    }

    func testTheHubsCatalogAndSiteSettingsReachTheWorkflow() throws {
        let hub = try HubProcess(label: "downlink-hub")
        try hub.admin(["site", "add", "site-a"])
        try hub.admin(["site", "add", "site-b"])
        let catalog = hub.directory.appendingPathComponent("catalog.csv").path
        try "label:LIB-000001,Capital,site-b\n".write(toFile: catalog, atomically: true, encoding: .utf8)
        try hub.admin(["catalog", "import", catalog])
        try hub.admin(["site", "set", "site-a", "max_loans=1", "over_limit=refuse"])
        try hub.start()
        let box = try enrolledBox(hub, label: "downlink-box")
        var ids = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        // The first sync round (downlink included) runs at start; the scans come later.
        let events = try box.events(named: "downlink", scans: ["LIB-000001", ids.valid(), "LIB-000002", "LIB-000003"], gapMillis: 300, leadIn: 4000)
        let child = try box.run(events: events)
        XCTAssertTrue(child.readLines(timeout: 40, count: 4) { $0.contains("\"type\":\"outcome\"") }, child.lines.joined(separator: "\n") + child.standardError)
        let outcomes = child.lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }.filter { $0["type"] as? String == "outcome" }
        XCTAssertEqual(outcomes.map { $0["outcome"] as? String }, ["returned", "session-opened", "checked-out", "refused"], child.lines.joined(separator: "\n"))
        let returned = outcomes.first?["event"] as? [String: Any]
        XCTAssertTrue("\(returned ?? [:])".contains("drift"), "a return at site-a of a book whose home is site-b is drift: \(returned ?? [:])")
        XCTAssertEqual(outcomes.last?["recorded"] as? Bool, false)
        // Everything recorded reaches the hub, where the book now lives at site-a, drifted.
        XCTAssertTrue(try waitUntil(30) { try hub.query("SELECT count(*) FROM event WHERE box_id = 'box-test-1'") == ["2"] })
        XCTAssertEqual(try hub.query("SELECT site_id, flags FROM ledger_book WHERE item_key = 'label:LIB-000001'"), ["site-a|returned-without-loan,drifted"], "the hub knows the home site too")
        XCTAssertEqual(child.stopChildren(), 0, child.standardError)
    }

    func testDeviceLogWarningsReachTheHubAndARevokedBoxStopsAndSaysWhy() throws {
        let hub = try HubProcess(label: "revoke-hub")
        try hub.admin(["site", "add", "site-a"])
        try hub.start()
        let box = try enrolledBox(hub, label: "revoke-box")
        // The hub is away when the box starts: its failed rounds are warnings in the
        // device log, which reach the hub once it is back.
        let port = hub.port
        hub.stop()
        let events = try box.events(named: "revoke", scans: ["LIB-000001"], gapMillis: 100, leadIn: 500)
        let child = try box.run(events: events)
        XCTAssertTrue(child.readLines(timeout: 30) { $0.contains("\"recorded\":true") })
        XCTAssertTrue(try waitUntil(10) {
            let logs = try ChildProcess([ProjectPaths.executable("stationctl"), "logs", "--state-dir", box.stateDirectory, "--level", "warning"])
            _ = logs.wait(timeout: 20)
            return logs.lines.contains { $0.contains("sync failed") }
        })
        XCTAssertEqual(hub.port, port)
        try hub.restart()
        let nudge = try ChildProcess([ProjectPaths.executable("stationctl"), "sync-now", "--socket", box.adminSocket])
        XCTAssertEqual(nudge.wait(timeout: 20), 0)
        XCTAssertTrue(try waitUntil(30) { try hub.query("SELECT count(*) FROM event") == ["1"] }, child.standardError)
        XCTAssertTrue(try waitUntil(30) { try hub.admin(["box", "log", "box-test-1"]).contains { $0.contains("sync failed") } })

        // Revoked: the box keeps recording, stops syncing, and status says why.
        try hub.admin(["box", "revoke", "box-test-1", "--reason", "reported stolen"])
        let nudge2 = try ChildProcess([ProjectPaths.executable("stationctl"), "sync-now", "--socket", box.adminSocket])
        XCTAssertEqual(nudge2.wait(timeout: 20), 0)
        XCTAssertTrue(try waitUntil(30) {
            let s = try ChildProcess([ProjectPaths.executable("stationctl"), "status", "--socket", box.adminSocket, "--json"])
            _ = s.wait(timeout: 20)
            return s.lines.first?.contains("reported stolen") ?? false
        }, "status does not say the hub revoked the box")
        let logs = try ChildProcess([ProjectPaths.executable("stationctl"), "logs", "--state-dir", box.stateDirectory, "--level", "error"])
        _ = logs.wait(timeout: 20)
        XCTAssertTrue(logs.lines.contains { $0.contains("refuses this box") }, logs.lines.joined(separator: "\n"))
        XCTAssertEqual(child.stopChildren(), 0, child.standardError)
    }
}
