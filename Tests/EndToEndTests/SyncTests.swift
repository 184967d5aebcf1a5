import Foundation
import StationTesting
import XCTest

/// umockdev scans → stationd → a real stationhub on 127.0.0.1: enrollment, upload,
/// acknowledgement, and a hub that goes away and comes back.
final class SyncTests: XCTestCase {
    func hubCount(_ hub: HubProcess, box: String) throws -> Int {
        Int(try hub.query("SELECT count(*) FROM event WHERE box_id = '\(box)'").first ?? "") ?? -1
    }

    func pending(_ box: TestBox) throws -> Int {
        let c = try ChildProcess([ProjectPaths.executable("stationctl"), "pending", "--state-dir", box.stateDirectory, "--json"])
        _ = c.wait(timeout: 20)
        let o = (try? JSONSerialization.jsonObject(with: Data((c.lines.first ?? "").utf8))) as? [String: Any]
        return o?["pending"] as? Int ?? -1
    }


    func testScansReachTheHubExactlyOnceAcrossAHubOutage() throws {
        let hub = try HubProcess(label: "sync-hub")
        try hub.admin(["site", "add", "site-a"])
        let token = try XCTUnwrap(try hub.admin(["box", "add", "box-test-1", "--site", "site-a"]).first)
        try hub.start()
        let box = try TestBox(label: "sync-box")
        let enroll = try ChildProcess([ProjectPaths.executable("stationctl"), "enroll", "http://127.0.0.1:\(hub.port)", try box.tokenFile(token), "--state-dir", box.stateDirectory])
        XCTAssertEqual(enroll.wait(timeout: 30), 0, enroll.standardError)
        XCTAssertTrue(enroll.lines.first?.contains("enrolled as box box-test-1 of site site-a") ?? false, enroll.lines.joined())

        // Ten scans; the hub is stopped after the first five are acknowledged.
        let labels = (1...10).map { String(format: "LIB-%06d", $0) }
        let events = try box.events(named: "sync", scans: labels, gapMillis: 100)
        let child = try box.run(events: events)
        XCTAssertTrue(child.readLines(timeout: 30, count: 5) { $0.contains("\"recorded\":true") })
        XCTAssertTrue(try waitUntil(40) { try hubCount(hub, box: "box-test-1") >= 5 }, "the first scans did not reach the hub")
        hub.stop()
        XCTAssertTrue(child.readLines(timeout: 30, count: 10) { $0.contains("\"recorded\":true") })
        XCTAssertTrue(try waitUntil(5) { try pending(box) > 0 }, "with the hub down, events wait in the outbox")

        // The hub comes back on the same port with the same database.
        let port = hub.port
        let again = try ChildProcess([ProjectPaths.executable("stationhub"), "serve", "--database", hub.database, "--listen", "127.0.0.1:\(port)"])
        XCTAssertTrue(again.readLines(timeout: 30) { $0.hasPrefix("listening on") }, again.standardError)
        let nudge = try ChildProcess([ProjectPaths.executable("stationctl"), "sync-now", "--socket", box.adminSocket])
        XCTAssertEqual(nudge.wait(timeout: 20), 0, nudge.lines.joined() + nudge.standardError)
        XCTAssertTrue(try waitUntil(40) { try pending(box) == 0 }, "the outbox did not drain after the hub came back")
        XCTAssertEqual(try hubCount(hub, box: "box-test-1"), 10, "every event exactly once at the hub")

        let status = try ChildProcess([ProjectPaths.executable("stationctl"), "status", "--socket", box.adminSocket, "--json"])
        XCTAssertEqual(status.wait(timeout: 20), 0)
        XCTAssertFalse(status.lines.first?.contains("\"last_sync\":\"never") ?? true, status.lines.joined())
        for pid in child.children() { kill(pid, SIGTERM) }
        XCTAssertEqual(child.wait(timeout: 20), 0)
        again.terminate()
    }

    func testPlainHTTPToAnotherMachineIsRefused() throws {
        let box = try TestBox(label: "sync-insecure")
        let enroll = try ChildProcess([ProjectPaths.executable("stationctl"), "enroll", "http://192.0.2.10:8440", try box.tokenFile(String(repeating: "0", count: 64)), "--state-dir", box.stateDirectory])
        XCTAssertNotEqual(enroll.wait(timeout: 20), 0)
        XCTAssertTrue(enroll.standardError.contains("plain HTTP to 192.0.2.10 would send events in the clear"), enroll.standardError)
    }
}

extension SyncTests {
    /// A hub that asks for events the box no longer holds must not be asked again in a
    /// tight loop: the box says so and waits.
    func testAHubAskingForWhatTheBoxNoLongerHoldsIsNotHammered() throws {
        let hub = try HubProcess(label: "sync-gap-hub")
        try hub.admin(["site", "add", "site-a"])
        let token = try XCTUnwrap(try hub.admin(["box", "add", "box-test-1", "--site", "site-a"]).first)
        try hub.start()
        let box = try TestBox(label: "sync-gap")
        let enroll = try ChildProcess([ProjectPaths.executable("stationctl"), "enroll", "http://127.0.0.1:\(hub.port)", try box.tokenFile(token), "--state-dir", box.stateDirectory])
        XCTAssertEqual(enroll.wait(timeout: 30), 0)
        let events = try box.events(named: "gap", scans: ["LIB-000001", "LIB-000002", "LIB-000003", "LIB-000004"], gapMillis: 1500)
        let child = try box.run(events: events)
        XCTAssertTrue(child.readLines(timeout: 30, count: 3) { $0.contains("\"recorded\":true") })
        XCTAssertTrue(try waitUntil(40) { try pending(box) == 0 }, child.standardError)
        // The hub loses seq 2 (restored from an old backup, say).
        try hub.query("DELETE FROM event WHERE seq = 2")
        try hub.query("UPDATE box SET acked_through = 1")
        XCTAssertTrue(child.readLines(timeout: 30, count: 4) { $0.contains("\"recorded\":true") })
        Thread.sleep(forTimeInterval: 3)
        let logs = try ChildProcess([ProjectPaths.executable("stationctl"), "logs", "--state-dir", box.stateDirectory, "--level", "warning", "--json"])
        XCTAssertEqual(logs.wait(timeout: 20), 0)
        let asks = logs.lines.filter { $0.contains("acknowledged nothing of this batch") }.count
        XCTAssertGreaterThanOrEqual(asks, 1, logs.lines.joined(separator: "\n"))
        XCTAssertLessThanOrEqual(asks, 2, "the box asked again and again: \(asks) times in 3 s")
        XCTAssertEqual(try pending(box), 1, "seq 4 stays in the outbox until the hub acknowledges it")
        for pid in child.children() { kill(pid, SIGTERM) }
        XCTAssertEqual(child.wait(timeout: 20), 0)
        hub.stop()
    }
}

extension SyncTests {
    /// A site without a network: a signed bundle to the hub, a signed acknowledgement back.
    func testOfflineBundleAndAcknowledgementFile() throws {
        let hub = try HubProcess(label: "bundle-hub")
        let keys = hub.directory.appendingPathComponent("keys").path
        XCTAssertEqual(try ChildProcess([ProjectPaths.executable("stationhub"), "keygen", "--dir", keys]).wait(timeout: 30), 0)
        try hub.admin(["site", "add", "site-a"])
        let token = try XCTUnwrap(try hub.admin(["box", "add", "box-test-1", "--site", "site-a"]).first)
        try hub.start(arguments: ["--keys", keys])
        // The box learns the hub's key at enrollment: a worker's loans go sealed to it.
        let box = try TestBox(label: "bundle-box", pinHubKey: false)
        var identities = TestIdentities(seed: UInt64.random(in: 0...UInt64.max))
        let enroll = try ChildProcess([ProjectPaths.executable("stationctl"), "enroll", "http://127.0.0.1:\(hub.port)", try box.tokenFile(token), "--state-dir", box.stateDirectory])
        XCTAssertEqual(enroll.wait(timeout: 30), 0, enroll.standardError)
        hub.stop()  // from here on, the site has no network

        let child = try box.run(events: try box.events(named: "offline", scans: [identities.valid(), "LIB-000001", "LIB-000002", "LIB-000003"], gapMillis: 200))
        XCTAssertTrue(child.readLines(timeout: 30, count: 3) { $0.contains("\"recorded\":true") })
        for pid in child.children() { kill(pid, SIGTERM) }
        XCTAssertEqual(child.wait(timeout: 20), 0)
        XCTAssertEqual(try pending(box), 3)

        let file = box.directory.appendingPathComponent("usb-stick.bundle").path
        let export = try ChildProcess([ProjectPaths.executable("stationctl"), "export", "--bundle", file, "--state-dir", box.stateDirectory])
        XCTAssertEqual(export.wait(timeout: 20), 0, export.standardError)

        // A bundle altered on the way is refused whole.
        let tampered = box.directory.appendingPathComponent("tampered.bundle").path
        try (try String(contentsOfFile: file, encoding: .utf8)).replacingOccurrences(of: "LIB-000002", with: "LIB-000009").write(toFile: tampered, atomically: true, encoding: .utf8)
        let bad = try ChildProcess([ProjectPaths.executable("stationhub"), "import", tampered, "--database", hub.database, "--keys", keys])
        XCTAssertNotEqual(bad.wait(timeout: 30), 0)
        XCTAssertTrue(bad.standardError.contains("signature does not match"), bad.standardError)

        // Without the hub's keys the workers could never get their pseudonyms: refused whole.
        let keyless = try ChildProcess([ProjectPaths.executable("stationhub"), "import", file, "--database", hub.database])
        XCTAssertEqual(keyless.wait(timeout: 30), 1)
        XCTAssertTrue(keyless.standardError.contains("holds sealed credentials"), keyless.standardError)
        XCTAssertEqual(try hubCount(hub, box: "box-test-1"), 0)
        let imported = try ChildProcess([ProjectPaths.executable("stationhub"), "import", file, "--database", hub.database, "--keys", keys])
        XCTAssertEqual(imported.wait(timeout: 30), 0, imported.standardError)
        XCTAssertTrue(imported.lines.first?.contains("3 applied, 0 already here, 0 quarantined; acknowledged through 3") ?? false, imported.lines.joined())
        XCTAssertEqual(try hub.query("SELECT count(*), count(DISTINCT worker_pseudonym) FROM event WHERE worker_pseudonym IS NOT NULL"), ["3|1"])
        let again = try ChildProcess([ProjectPaths.executable("stationhub"), "import", file, "--database", hub.database, "--keys", keys])
        XCTAssertEqual(again.wait(timeout: 30), 0)
        XCTAssertTrue(again.lines.first?.contains("0 applied, 3 already here") ?? false, "the same idempotency as an upload")
        XCTAssertEqual(try hubCount(hub, box: "box-test-1"), 3)

        let ack = try ChildProcess([ProjectPaths.executable("stationctl"), "import-ack", file + ".ack", "--state-dir", box.stateDirectory])
        XCTAssertEqual(ack.wait(timeout: 20), 0, ack.standardError)
        XCTAssertEqual(try pending(box), 0)
    }
}

extension SyncTests {
    /// `stationctl enroll` while the daemon runs: syncing starts without a restart.
    func testEnrollingARunningBoxStartsSyncAtOnce() throws {
        let hub = try HubProcess(label: "live-enroll-hub")
        try hub.admin(["site", "add", "site-a"])
        let token = try XCTUnwrap(try hub.admin(["box", "add", "box-test-1", "--site", "site-a"]).first)
        try hub.start()
        let box = try TestBox(label: "live-enroll")
        let events = try box.events(named: "live", scans: ["LIB-000001"], gapMillis: 100, leadIn: 300)
        let child = try box.run(events: events)
        XCTAssertTrue(child.readLines(timeout: 30) { $0.contains("\"recorded\":true") }, child.standardError)
        let enroll = try ChildProcess([
            ProjectPaths.executable("stationctl"), "enroll", "http://127.0.0.1:\(hub.port)", try box.tokenFile(token), "--state-dir", box.stateDirectory,
            "--socket", box.adminSocket, "--json",
        ])
        XCTAssertEqual(enroll.wait(timeout: 30), 0, enroll.standardError)
        XCTAssertTrue(enroll.lines.first?.contains("\"syncing\":true") ?? false, enroll.lines.joined())
        XCTAssertTrue(try waitUntil(30) { try hubCount(hub, box: "box-test-1") == 1 }, child.standardError)
        XCTAssertEqual(child.stopChildren(), 0, child.standardError)
    }
}
