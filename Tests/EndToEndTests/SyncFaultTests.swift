import Foundation
import StationTesting
import XCTest

/// Exactly once under faults, checked on the hub's database rows: the hub's answer lost
/// after it committed, and the hub killed (SIGKILL) again and again in the middle of a
/// backlog drain.
final class SyncFaultTests: XCTestCase {

    func pending(_ box: TestBox) -> Int {
        guard let c = try? ChildProcess([ProjectPaths.executable("stationctl"), "pending", "--state-dir", box.stateDirectory, "--json"]) else { return -1 }
        _ = c.wait(timeout: 20)
        let o = (try? JSONSerialization.jsonObject(with: Data((c.lines.first ?? "").utf8))) as? [String: Any]
        return o?["pending"] as? Int ?? -1
    }


    /// A box with `backlog` events waiting (written straight into its journal), enrolled
    /// at `url`.
    func boxWithBacklog(_ label: String, hub: HubProcess, url: String, backlog: Int, seed: UInt64, batchEvents: Int) throws -> TestBox {
        let token = try XCTUnwrap(try hub.admin(["box", "add", "box-test-1", "--site", "site-a"]).first)
        // Small batches, so that many answers are at stake (the extra lines land in [hub]).
        let box = try TestBox(label: label, extra: "batch_events = \(batchEvents)\nretry_max_seconds = 4")
        let fill = try ChildProcess([ProjectPaths.executable("station-bench"), "fill", "--state-dir", box.stateDirectory, "--events", String(backlog), "--seed", String(seed)])
        XCTAssertEqual(fill.wait(timeout: 300), 0, fill.standardError)
        let enroll = try ChildProcess([ProjectPaths.executable("stationctl"), "enroll", url, token, "--state-dir", box.stateDirectory])
        XCTAssertEqual(enroll.wait(timeout: 30), 0, enroll.standardError)
        return box
    }

    /// Every seq 1...n at the hub once, none twice, none missing.
    func assertExactlyOnce(_ hub: HubProcess, _ n: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try hub.query("SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM event WHERE box_id = 'box-test-1'"), ["\(n)|\(n)|1|\(n)"], file: file, line: line)
        XCTAssertEqual(try hub.query("SELECT count(*) FROM quarantine"), ["0"], file: file, line: line)
    }

    func testAnswersLostAfterTheHubCommittedDoubleNothing() throws {
        let seed = UInt64.random(in: 1..<(1 << 31))
        print("dropped-answer test seed \(seed)")
        let hub = try HubProcess(label: "drop-hub")
        try hub.admin(["site", "add", "site-a"])
        try hub.start()
        let proxy = try ChildProcess(["python3", ProjectPaths.file("Tests/Faults/hub_proxy.py"), String(hub.port), "--drop-rate", "0.4", "--seed", String(seed)])
        XCTAssertTrue(proxy.readLines(timeout: 20) { $0.hasPrefix("proxy on ") }, proxy.standardError)
        let proxyPort = try XCTUnwrap(proxy.lines.first.flatMap { Int($0.split(separator: " ").last ?? "") })
        let backlog = 3000
        let box = try boxWithBacklog("drop-box", hub: hub, url: "http://127.0.0.1:\(proxyPort)", backlog: backlog, seed: seed, batchEvents: 200)
        let events = try box.events(named: "drop", scans: ["LIB-000001"], leadIn: 200)
        let child = try box.run(events: events)
        XCTAssertTrue(try waitUntil(120) { pending(box) == 0 }, "the outbox did not drain: \(child.standardError.suffix(2000))")
        kill(proxy.pid, SIGTERM)
        _ = proxy.wait(timeout: 20)
        let counts = try XCTUnwrap((try? JSONSerialization.jsonObject(with: Data((proxy.lines.last ?? "").utf8))) as? [String: Int], proxy.lines.joined())
        print("proxy: \(counts)")
        XCTAssertGreaterThan(counts["dropped"] ?? 0, 0, "no answer was dropped: the test proved nothing")
        try assertExactlyOnce(hub, backlog + 1)
        XCTAssertEqual(child.stopChildren(), 0, child.standardError)
    }

    func testKillingTheHubDuringADrainLosesAndDoublesNothing() throws {
        let seed = UInt64.random(in: 1..<(1 << 31))
        print("hub-kill test seed \(seed)")
        var rng = TestIdentities(seed: seed)
        let hub = try HubProcess(label: "kill-hub")
        try hub.admin(["site", "add", "site-a"])
        try hub.start()
        let backlog = 4000
        let box = try boxWithBacklog("kill-hub-box", hub: hub, url: "http://127.0.0.1:\(hub.port)", backlog: backlog, seed: seed, batchEvents: 250)
        let events = try box.events(named: "kill", scans: ["LIB-000001"], leadIn: 200)
        let child = try box.run(events: events)
        var kills = 0
        var atHub: [Int] = []
        for _ in 0..<6 {
            Thread.sleep(forTimeInterval: Double(rng.number(in: 50...600)) / 1000)
            hub.kill9()
            kills += 1
            atHub.append(Int(try hub.query("SELECT count(*) FROM event").first ?? "") ?? -1)
            try hub.restart()
        }
        print("hub killed \(kills) times; events at the hub after each kill: \(atHub)")
        XCTAssertTrue(try waitUntil(120) { pending(box) == 0 }, "the outbox did not drain: \(child.standardError.suffix(2000))")
        try assertExactlyOnce(hub, backlog + 1)
        XCTAssertEqual(try hub.query("PRAGMA integrity_check"), ["ok"])
        XCTAssertEqual(child.stopChildren(), 0, child.standardError)
    }
}
