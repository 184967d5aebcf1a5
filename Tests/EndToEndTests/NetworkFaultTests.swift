import Foundation
import StationTesting
import XCTest

/// The box and its hub in two network namespaces this test creates, joined by a veth
/// pair, over HTTPS with a CA the test makes: 30 % of packets dropped each way (nftables)
/// and the link flapped down and up while a backlog drains. Every event reaches the hub
/// exactly once, checked on the hub's rows.
final class NetworkFaultTests: XCTestCase {
    var namespaces: [String] = []
    var processes: [ChildProcess] = []

    @discardableResult
    func sh(_ argv: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let c = try ChildProcess(argv)
        let status = c.wait(timeout: 60)
        XCTAssertEqual(status, 0, "\(argv.joined(separator: " ")): \(c.standardError)", file: file, line: line)
        if status != 0 { throw ChildProcess.ProcessError(description: "\(argv.joined(separator: " ")) failed") }
        return c.lines
    }

    override func tearDown() {
        for p in processes {
            for pid in p.children() { kill(pid, SIGKILL) }
            kill(p.pid, SIGKILL)
            _ = p.wait(timeout: 10)
        }
        for ns in namespaces { _ = try? ChildProcess(["ip", "netns", "del", ns]).wait(timeout: 20) }
    }


    func testThirtyPercentLossAndLinkFlapsOverHTTPSDeliverEveryEventOnce() throws {
        guard getuid() == 0 else { throw XCTSkip("network namespaces need root (CI runs as root)") }
        let seed = Torture.seed()
        print("network fault test seed \(seed)")
        var rng = TestIdentities(seed: seed)
        let tag = String(format: "%05x", rng.number(in: 0...0xfffff))
        let subnet = "10.\(rng.number(in: 200...250)).\(rng.number(in: 1...250))"
        let (hubNS, boxNS, hubIf, boxIf) = ("st-hub-\(tag)", "st-box-\(tag)", "sh\(tag)", "sb\(tag)")
        try sh(["ip", "netns", "add", hubNS])
        namespaces.append(hubNS)
        try sh(["ip", "netns", "add", boxNS])
        namespaces.append(boxNS)
        try sh(["ip", "link", "add", hubIf, "netns", hubNS, "type", "veth", "peer", "name", boxIf, "netns", boxNS])
        for (ns, ifname, host) in [(hubNS, hubIf, 1), (boxNS, boxIf, 2)] {
            try sh(["ip", "-n", ns, "addr", "add", "\(subnet).\(host)/24", "dev", ifname])
            try sh(["ip", "-n", ns, "link", "set", ifname, "up"])
            try sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        }

        let hub = try HubProcess(label: "netns-hub")
        try hub.admin(["site", "add", "site-a"])
        let token = try XCTUnwrap(try hub.admin(["box", "add", "box-test-1", "--site", "site-a"]).first)
        let tls = try TestTLS.certificates(in: hub.directory, ip: "\(subnet).1")
        let serve = try ChildProcess([
            "ip", "netns", "exec", hubNS, ProjectPaths.executable("stationhub"), "serve", "--database", hub.localDatabase,
            "--listen", "\(subnet).1:8443", "--tls-cert", tls.cert, "--tls-key", tls.key,
        ])
        processes.append(serve)
        XCTAssertTrue(serve.readLines(timeout: 30) { $0.hasPrefix("listening on") }, serve.standardError)

        let backlog = 2000
        let box = try TestBox(label: "netns-box", extra: "batch_events = 200\nretry_max_seconds = 4\nca_file = \"\(tls.ca)\"")
        let fill = try ChildProcess([ProjectPaths.executable("station-bench"), "fill", "--state-dir", box.stateDirectory, "--events", String(backlog), "--seed", String(seed)])
        XCTAssertEqual(fill.wait(timeout: 300), 0, fill.standardError)
        // Without the test's CA the hub's certificate is refused; with it, enrollment works.
        let url = "https://\(subnet).1:8443"
        let untrusted = try ChildProcess(["ip", "netns", "exec", boxNS, ProjectPaths.executable("stationctl"), "enroll", url, try box.tokenFile(token), "--state-dir", box.stateDirectory])
        XCTAssertEqual(untrusted.wait(timeout: 60), 1, untrusted.standardError)
        try sh(["ip", "netns", "exec", boxNS, ProjectPaths.executable("stationctl"), "enroll", url, try box.tokenFile(token), "--state-dir", box.stateDirectory, "--ca-file", tls.ca])

        // 30 % of packets lost in each direction from here on.
        try sh(["ip", "netns", "exec", boxNS, "nft", "add table inet loss; add chain inet loss in { type filter hook input priority 0; }; add chain inet loss out { type filter hook output priority 0; }; add rule inet loss in iifname \(boxIf) numgen random mod 100 < 30 counter drop; add rule inet loss out oifname \(boxIf) numgen random mod 100 < 30 counter drop"])
        let events = try box.events(named: "netns", scans: (1...5).map { String(format: "LIB-%06d", $0) }, gapMillis: 2000, leadIn: 500)
        let child = try box.run(events: events, wrapper: ["ip", "netns", "exec", boxNS])
        processes.append(child)
        let flaps = Torture.iterations(test: 4, torture: 12)
        for flap in 0..<flaps {
            Thread.sleep(forTimeInterval: Double(rng.number(in: 500...2500)) / 1000)
            try sh(["ip", "-n", boxNS, "link", "set", boxIf, "down"])
            Thread.sleep(forTimeInterval: Double(rng.number(in: 300...1500)) / 1000)
            try sh(["ip", "-n", boxNS, "link", "set", boxIf, "up"])
            print("link flap \(flap + 1): events at the hub \(try hub.query("SELECT count(*) FROM event").first ?? "?")")
        }
        let total = backlog + 5
        XCTAssertTrue(try waitUntil(240) { try hub.query("SELECT count(*) FROM event") == ["\(total)"] }, "not everything arrived: \(child.standardError.suffix(3000))")
        XCTAssertEqual(try hub.query("SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM event WHERE box_id = 'box-test-1'"), ["\(total)|\(total)|1|\(total)"])
        XCTAssertEqual(try hub.query("SELECT count(*) FROM quarantine"), ["0"])
        // A link that comes back is seen at once (rtnetlink), not at the next timer.
        XCTAssertTrue(child.standardError.contains("the network changed: syncing now"), child.standardError.suffix(3000).description)
        let dropped = try sh(["ip", "netns", "exec", boxNS, "nft", "list", "table", "inet", "loss"]).joined(separator: " ")
        print("nftables: \(dropped)")
        for pid in child.children() { kill(pid, SIGTERM) }
        XCTAssertEqual(child.wait(timeout: 30), 0, child.standardError)
        let drops = dropped.components(separatedBy: "packets ").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }.reduce(0, +)
        let checker = try ChildProcess(["python3", ProjectPaths.file("Tests/Checkers/hub_check.py"), box.journalPath, hub.database, "box-test-1"])
        let code = checker.wait(timeout: 120)
        Torture.report(
            scenario: "30% packet loss, link flaps", seed: seed, faults: "\(flaps) flaps, \(drops) packets dropped", checker: checker.lines.first ?? "no verdict")
        XCTAssertEqual(code, 0, "seed \(seed): " + checker.lines.joined(separator: "\n") + checker.standardError)
    }
}
