import Foundation
import StationTesting
import XCTest

/// The hub's limits and its other endpoints through real HTTP: gzip bodies and zip bombs,
/// the downlink a box pulls, clock corrections, the device log.
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

    func event(_ seq: Int) -> String {
        #"{"boxID":"box-1","seq":\#(seq),"siteID":"shelf-a","epoch":0,"time":{"wallMillis":\#(seq),"synchronized":true,"bootID":"b","monotonicMicros":\#(seq)},"draft":{"kind":"return","item":{"key":"label:LIB-\#(seq)"},"flags":[]}}"#
    }

    /// Writes `bytes` to a file in the hub's directory (Python's gzip makes the bodies).
    func file(_ name: String, python: String) throws -> String {
        let path = hub.directory.appendingPathComponent(name).path
        let c = try ChildProcess(["python3", "-c", "import gzip,sys\nopen(sys.argv[1],'wb').write(\(python))", path])
        XCTAssertEqual(c.wait(timeout: 60), 0, c.standardError)
        return path
    }

    func testGzipBodiesAreReadAndZipBombsAndOversizedBodiesRefused() throws {
        let credential = try enroll("box-1")
        let batch = #"{"box_id":"box-1","events":[\#((1...3).map(event).joined(separator: ","))]}"#
        try batch.write(toFile: hub.directory.appendingPathComponent("batch.json").path, atomically: true, encoding: .utf8)
        let gz = try file("batch.json.gz", python: "gzip.compress(open(sys.argv[1][:-3],'rb').read())")
        let ok = try hub.request("POST", "/v1/batches", bodyFile: gz, headers: ["Content-Encoding: gzip"], credential: credential)
        XCTAssertEqual(ok.status, 200, ok.text)
        XCTAssertEqual(ok.body["applied"] as? Int, 3)

        // 64 MiB of zeros in about 64 KiB: refused by its inflated size, not read whole.
        let bomb = try file("bomb.gz", python: "gzip.compress(b'{\"box_id\":\"box-1\",\"events\":[' + b' ' * (64 << 20) + b']}', 9)")
        XCTAssertLessThan(try FileManager.default.attributesOfItem(atPath: bomb)[.size] as? Int ?? 0, 200_000)
        let refused = try hub.request("POST", "/v1/batches", bodyFile: bomb, headers: ["Content-Encoding: gzip"], credential: credential)
        XCTAssertEqual(refused.status, 413, refused.text)
        XCTAssertTrue((refused.body["error"] as? String)?.contains("inflates to more than") ?? false, refused.text)

        let big = try file("big.json", python: "b'{\"box_id\":\"box-1\",\"events\":[' + b' ' * (5 << 20) + b']}'")
        XCTAssertEqual(try hub.request("POST", "/v1/batches", bodyFile: big, credential: credential).status, 413)
        let notGzip = try file("plain.gz", python: "b'this is not gzip at all'")
        XCTAssertEqual(try hub.request("POST", "/v1/batches", bodyFile: notGzip, headers: ["Content-Encoding: gzip"], credential: credential).status, 400)
        XCTAssertEqual(try hub.request("POST", "/v1/batches", bodyFile: gz, headers: ["Content-Encoding: br"], credential: credential).status, 415)

        // None of the refusals changed anything.
        XCTAssertEqual(try hub.query("SELECT count(*), max(seq) FROM event"), ["3|3"])
        XCTAssertEqual(try hub.query("SELECT count(*) FROM quarantine"), ["0"])
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

    func testDeviceLogLinesAreKeptOncePerBox() throws {
        let credential = try enroll("box-1")
        let body = #"{"lines":[{"id":7,"at_ms":1795000000000,"level":"warning","scanner_id":"sc-1","message":"scanner detached"},{"id":8,"at_ms":1795000001000,"level":"error","message":"journal cannot write"}]}"#
        XCTAssertEqual(try hub.post("/v1/device-log", body: body, credential: credential).status, 200)
        XCTAssertEqual(try hub.post("/v1/device-log", body: body, credential: credential).status, 200)
        let log = try hub.admin(["box", "log", "box-1"])
        XCTAssertEqual(log.count, 2, log.joined(separator: "\n"))
        XCTAssertTrue(log[0].contains("warning sc-1 scanner detached"), log[0])
        XCTAssertEqual(try hub.post("/v1/device-log", body: #"{"lines":"no"}"#, credential: credential).status, 400)
    }
}
