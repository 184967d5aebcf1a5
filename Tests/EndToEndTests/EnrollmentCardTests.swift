import Foundation
import StationTesting
import XCTest

/// A screenless box enrolls by scanning the card `stationhub box add --card` prints: the
/// printed QR code is rendered and decoded back (librsvg, zbar), typed by a replayed
/// scanner, and the box starts syncing. A second card is refused by an enrolled box.
final class EnrollmentCardTests: XCTestCase {

    /// What the printed card's QR code says, read the way a person's phone would: the SVG
    /// rendered to pixels and decoded by zbar.
    func decode(_ svg: String, in dir: URL) throws -> String {
        let png = dir.appendingPathComponent("card.png").path
        let render = try ChildProcess(["rsvg-convert", "--dpi-x", "300", "--dpi-y", "300", "-b", "white", "-o", png, svg])
        XCTAssertEqual(render.wait(timeout: 30), 0, render.standardError)
        let zbar = try ChildProcess(["zbarimg", "--raw", "-q", png])
        XCTAssertEqual(zbar.wait(timeout: 30), 0, zbar.standardError)
        return try XCTUnwrap(zbar.lines.first)
    }

    func testScanningTheEnrollmentCardEnrollsTheBoxAndSyncStarts() throws {
        let hub = try HubProcess(label: "card-hub")
        try hub.admin(["site", "add", "site-a"])
        try hub.start()
        let url = "http://127.0.0.1:\(hub.port)"
        let svg = hub.directory.appendingPathComponent("card.svg").path
        let token = try XCTUnwrap(try hub.admin(["box", "add", "box-test-1", "--site", "site-a", "--card", svg, "--url", url]).first)
        let svgText = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertTrue(svgText.contains("box-test-1") && svgText.contains("设备登记卡"))
        XCTAssertFalse(svgText.contains(token), "the token is only in the QR code")
        let payload = try decode(svg, in: hub.directory)
        XCTAssertEqual(payload, "station-enroll:\(url)#\(token)")

        let box = try TestBox(label: "card-box")
        let second = try XCTUnwrap(try hub.admin(["box", "add", "box-test-1", "--site", "site-a"]).first)
        let events = try box.events(named: "card", scans: [payload, "LIB-000001", "station-enroll:\(url)#\(second)"], gapMillis: 2500, leadIn: 500)
        let child = try box.run(events: events)
        XCTAssertTrue(child.readLines(timeout: 60, count: 3) { $0.contains("\"type\":\"outcome\"") }, child.lines.joined(separator: "\n") + child.standardError)
        let outcomes = child.lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }.filter { $0["type"] as? String == "outcome" }
        XCTAssertEqual(outcomes.map { $0["outcome"] as? String }, ["mode-changed", "returned", "refused"], child.lines.joined(separator: "\n"))
        XCTAssertTrue((outcomes.first?["message"] as? String)?.contains("enrolled at \(url) as box box-test-1 of site site-a") ?? false)
        XCTAssertTrue((outcomes.last?["message"] as? String)?.contains("enrolled already") ?? false)
        // Syncing started without a restart: the return reaches the hub.
        XCTAssertTrue(try waitUntil(30) { try hub.query("SELECT count(*) FROM event WHERE box_id = 'box-test-1'") == ["1"] }, child.standardError)
        // No token in anything the box printed or logged.
        XCTAssertFalse(child.lines.joined().contains(token) || child.standardError.contains(token), "the one-time token leaked into the output")
        for pid in child.children() { kill(pid, SIGTERM) }
        XCTAssertEqual(child.wait(timeout: 20), 0, child.standardError)
    }

    /// One image for every box of a union: the config names no box, and the card does. The
    /// box acts on nothing before it, then runs as the box the hub named, without a restart
    /// by hand, and its journal is that box's.
    func testABoxWhoseConfigNamesNoBoxTakesTheNameOnItsCard() throws {
        let hub = try HubProcess(label: "card-name-hub")
        try hub.admin(["site", "add", "site-n"])
        try hub.start()
        let url = "http://127.0.0.1:\(hub.port)"
        let token = try XCTUnwrap(try hub.admin(["box", "add", "box-n-7", "--site", "site-n"]).first)
        let box = try TestBox(label: "card-name-box", boxID: nil)
        let check = try ChildProcess([ProjectPaths.executable("stationd"), "check-config", "--config", box.configPath])
        XCTAssertEqual(check.wait(timeout: 20), 0, check.lines.joined() + check.standardError)
        XCTAssertTrue(check.lines.joined().contains("box and site from its enrollment card"), check.lines.joined())

        let events = try box.events(named: "name", scans: ["LIB-000001", "station-enroll:\(url)#\(token)", "LIB-000002"], gapMillis: 4000, leadIn: 500)
        let child = try box.run(events: events)
        XCTAssertTrue(child.readLines(timeout: 60, count: 3) { $0.contains("\"type\":\"outcome\"") }, child.lines.joined(separator: "\n") + child.standardError)
        let outcomes = child.lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }.filter { $0["type"] as? String == "outcome" }
        XCTAssertEqual(outcomes.map { $0["outcome"] as? String }, ["refused", "mode-changed", "returned"], child.lines.joined(separator: "\n"))
        XCTAssertTrue((outcomes.first?["message"] as? String)?.contains("not enrolled yet") ?? false)
        XCTAssertEqual(outcomes.first?["recorded"] as? Bool, false)
        XCTAssertEqual((outcomes.last?["event"] as? [String: Any])?["box_id"] as? String, "box-n-7", child.lines.last ?? "")
        XCTAssertTrue(try waitUntil(30) { try hub.query("SELECT count(*) FROM event WHERE box_id = 'box-n-7' AND site_id = 'site-n'") == ["1"] }, child.standardError)
        // The running box says its new name to the site manager.
        let status = try ChildProcess([ProjectPaths.executable("stationctl"), "status", "--state-dir", box.stateDirectory, "--socket", box.adminSocket, "--json"])
        XCTAssertEqual(status.wait(timeout: 20), 0, status.standardError)
        XCTAssertTrue(status.lines.joined().contains("\"box_id\":\"box-n-7\""), status.lines.joined())
        for pid in child.children() { kill(pid, SIGTERM) }
        XCTAssertEqual(child.wait(timeout: 20), 0, child.standardError)
    }

    func testADamagedCardIsAMisreadThatSaysWhy() throws {
        let parse = try ChildProcess([ProjectPaths.executable("stationctl"), "parse", "station-enroll:http://hub.example#123", "--json"])
        XCTAssertEqual(parse.wait(timeout: 20), 1, "a misread exits 1: \(parse.standardError)")
        XCTAssertTrue(parse.lines.first?.contains("the token is not 64 lowercase hex digits") ?? false, parse.lines.joined())
    }
}
