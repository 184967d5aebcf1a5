import Foundation
import StationTesting
import XCTest

/// What only a real hub process shows of the downlink: the commands that fill it
/// (catalog and member CSVs, site settings, keygen) and the keys `serve --keys` publishes.
/// The API's limits and refusals are tested in process (StationHubTests/HubRouterTests).
final class HubProtocolTests: XCTestCase {
    var hub: HubProcess!

    override func setUpWithError() throws {
        hub = try HubProcess(label: "hub-protocol")
        try hub.admin(["site", "add", "shelf-a"])
        try hub.admin(["site", "add", "shelf-b"])
        try hub.start()
    }

    override func tearDown() { hub.stop() }

    func enroll(_ box: String, site: String = "shelf-a") throws -> String {
        let token = try XCTUnwrap(try hub.admin(["box", "add", box, "--site", site]).first)
        let reply = try hub.post("/v1/enroll", body: #"{"token":"\#(token)"}"#)
        XCTAssertEqual(reply.status, 200, reply.text)
        return try XCTUnwrap(reply.body["credential"] as? String)
    }

    func testTheDownlinkCarriesCatalogMembersKeysAndSiteSettingsToTheirSiteOnly() throws {
        let credential = try enroll("box-1")
        let other = try enroll("box-9", site: "shelf-b")
        let keys = hub.directory.appendingPathComponent("keys").path
        let keygen = try ChildProcess([ProjectPaths.executable("stationhub"), "keygen", "--dir", keys])
        XCTAssertEqual(keygen.wait(timeout: 20), 0, keygen.standardError)
        let catalog = hub.directory.appendingPathComponent("catalog.csv").path
        try "item_key,title,home_site\nlabel:LIB-000001,\"Capital, Vol. 1\",shelf-b\nisbn:9787111213826,活着,shelf-a\n".write(toFile: catalog, atomically: true, encoding: .utf8)
        XCTAssertEqual(try hub.admin(["catalog", "import", catalog]), ["2 titles read, 2 new or changed"])
        XCTAssertEqual(try hub.admin(["catalog", "import", catalog]), ["2 titles read, 0 new or changed"])
        let members = hub.directory.appendingPathComponent("members.csv").path
        try "card_uid,member_card\n04a1b2c3,M0001\n".write(toFile: members, atomically: true, encoding: .utf8)
        XCTAssertEqual(try hub.admin(["member", "import", members, "--keys", keys]), ["1 cards read, 1 new or changed"])
        XCTAssertEqual(try hub.query("SELECT card_uid FROM member_card"), ["04A1B2C3"])
        XCTAssertTrue(try hub.query("SELECT member FROM member_card").allSatisfy { !$0.contains("M0001") }, "the member number itself is not stored")
        try hub.admin(["site", "set", "shelf-a", "max_loans=2", "over_limit=refuse"])
        XCTAssertThrowsError(try hub.admin(["site", "set", "shelf-a", "max_loans=many"]))
        XCTAssertThrowsError(try hub.admin(["site", "set", "shelf-a", "colour=red"]))

        let down = try hub.request("GET", "/v1/downlink?since=0", credential: credential)
        XCTAssertEqual(down.status, 200, down.text)
        let titles = try XCTUnwrap(down.body["catalog"] as? [[String: Any]])
        XCTAssertEqual(titles.compactMap { $0["title"] as? String }, ["Capital, Vol. 1", "活着"])
        XCTAssertEqual((down.body["members"] as? [[String: Any]])?.count, 1)
        XCTAssertEqual(down.body["site_config"] as? [String: String], ["max_loans": "2", "over_limit": "refuse"])
        let revision = try XCTUnwrap(down.body["revision"] as? Int)
        // Nothing new since: the same revision, nothing in it.
        let again = try hub.request("GET", "/v1/downlink?since=\(revision)", credential: credential)
        XCTAssertEqual(again.body["revision"] as? Int, revision)
        XCTAssertEqual((again.body["catalog"] as? [Any])?.count, 0)
        // Site B's boxes do not get site A's settings.
        XCTAssertEqual(try hub.request("GET", "/v1/downlink?since=0", credential: other).body["site_config"] as? [String: String], [:])
        XCTAssertEqual(try hub.request("GET", "/v1/downlink?since=-1", credential: credential).status, 400)
        XCTAssertEqual(try hub.request("GET", "/v1/downlink?since=0").status, 401)

        // Keys are published when the hub serves with them.
        hub.stop()
        try hub.restart(arguments: ["--keys", keys])
        let withKeys = try hub.request("GET", "/v1/downlink?since=\(revision)", credential: credential)
        let published = try XCTUnwrap(withKeys.body["keys"] as? [[String: Any]])
        XCTAssertEqual(published.map { $0["purpose"] as? String }, ["credential"])
        XCTAssertEqual(published.first?["material"] as? String, keygen.lines.first?.split(separator: "\"").dropFirst().first.map(String.init))
    }
}
