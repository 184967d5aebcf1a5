import Foundation
import StationTesting
import XCTest

/// Requests through a real `stationhub serve`: an application client placing, reading and
/// cancelling over HTTP with its own token, its webhook told each change (never who), the
/// CLI's `request` and `client` commands, and a box's downlink carrying the pull list; on
/// SQLite and, in make test's second run, on PostgreSQL.
final class HubRequestsTests: XCTestCase {
    /// A webhook receiver on loopback: every POST body one line in `file`; 200 each time.
    static let receiver = """
        import http.server, sys
        out = open(sys.argv[1], 'a')
        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers['Content-Length'] or 0))
                out.write(self.path + ' ' + body.decode() + '\\n'); out.flush()
                self.send_response(200); self.end_headers()
            def log_message(self, *a): pass
        s = http.server.HTTPServer(('127.0.0.1', 0), H)
        print('port', s.server_port, flush=True)
        s.serve_forever()
        """

    func testAnAppPlacesReadsAndCancelsRequestsAndItsWebhookHearsEachChange() throws {
        let hub = try HubProcess(label: "requests")
        let keys = hub.directory.appendingPathComponent("keys").path
        let keygen = try ChildProcess([ProjectPaths.executable("stationhub"), "keygen", "--dir", keys])
        XCTAssertEqual(keygen.wait(timeout: 30), 0, keygen.standardError)
        for (site, region) in [("shelf-a", "north"), ("shelf-b", "north")] { try hub.admin(["site", "add", site, "--region", region]) }
        let catalog = hub.directory.appendingPathComponent("catalog.csv").path
        try "item_key,title,home_site\nlabel:A1,Red Sorghum,shelf-a\nlabel:A2,Red Sorghum,shelf-a\n".write(toFile: catalog, atomically: true, encoding: .utf8)
        try hub.admin(["catalog", "import", catalog])

        let hooks = hub.directory.appendingPathComponent("hooks.txt").path
        let receiver = try ChildProcess(["python3", "-c", Self.receiver, hooks])
        defer { _ = receiver.terminate() }
        XCTAssertTrue(receiver.readLines(timeout: 10, until: { $0.hasPrefix("port ") }))
        let port = try XCTUnwrap(receiver.lines.first { $0.hasPrefix("port ") }?.split(separator: " ").last)
        let app = try XCTUnwrap(try hub.admin(["client", "add", "union-app", "--scope", "requests", "--notify-url", "http://127.0.0.1:\(port)/hook"]).first)
        let other = try XCTUnwrap(try hub.admin(["client", "add", "other-app", "--scope", "requests"]).first)
        XCTAssertThrowsError(try hub.admin(["client", "add", "bad", "--scope", "everything"]))
        try hub.start(arguments: ["--keys", keys])
        let boxToken = try XCTUnwrap(try hub.admin(["box", "add", "box-a", "--site", "shelf-a"]).first)
        let box = try XCTUnwrap(try hub.post("/v1/enroll", body: #"{"token":"\#(boxToken)"}"#).body["credential"] as? String)

        var ids = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        let number = ids.valid()
        let ask = #"{"title":"Red Sorghum","pickup_site":"shelf-b","number":"\#(number)"}"#
        XCTAssertEqual(try hub.post("/v1/requests", body: ask).status, 401)
        XCTAssertEqual(try hub.post("/v1/requests", body: ask, credential: box).status, 401, "a box's credential is not a client's")
        let placed = try hub.post("/v1/requests", body: ask, credential: app)
        XCTAssertEqual(placed.status, 201, placed.text)
        let id = try XCTUnwrap(placed.body["id"] as? String)
        XCTAssertEqual(placed.body["item_key"] as? String, "label:A1")
        XCTAssertEqual(placed.body["state"] as? String, "placed")
        XCTAssertEqual(try hub.post("/v1/requests", body: ask, credential: app).body["code"] as? String, "already-requested")
        XCTAssertEqual(try hub.request("GET", "/v1/requests/\(id)", credential: other).status, 404, "another client's request")
        let holdings = try hub.request("GET", "/v1/catalog?q=sorghum", credential: other)
        XCTAssertEqual((holdings.body["copies"] as? [[String: Any]])?.map { "\($0["item_key"]!) \($0["standing"]!)" }, ["label:A1 requested", "label:A2 on-shelf"])

        // The holding box's downlink carries the pull; its trap puts the copy on its way.
        let down = try hub.request("GET", "/v1/downlink?since=0", credential: box)
        XCTAssertEqual((down.body["pulls"] as? [[String: Any]])?.map { "\($0["request"]!) \($0["item_key"]!) \($0["destination"]!)" }, ["\(id) label:A1 shelf-b"])
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let trap = #"{"boxID":"box-a","seq":1,"siteID":"shelf-a","epoch":0,"time":{"wallMillis":\#(now),"synchronized":true,"bootID":"b","monotonicMicros":1},"draft":{"kind":"transfer-out","flags":[],"item":{"key":"label:A1"},"request":"\#(id)","destination":"shelf-b"}}"#
        XCTAssertEqual(try hub.post("/v1/batches", body: #"{"box_id":"box-a","events":[\#(trap)]}"#, credential: box).status, 200)
        XCTAssertEqual(try hub.request("GET", "/v1/requests/\(id)", credential: app).body["state"] as? String, "in-transit")
        XCTAssertEqual(try hub.admin(["request", "list", "--site", "shelf-b"]).filter { $0.contains(id) && $0.contains("in-transit") }.count, 1)
        XCTAssertEqual(try hub.request("DELETE", "/v1/requests/\(id)", credential: other).status, 404)
        XCTAssertEqual(try hub.request("DELETE", "/v1/requests/\(id)", credential: app).body["state"] as? String, "cancelled")

        // The CLI reads the number from standard input, never from its arguments.
        let cli = try ChildProcess(
            [ProjectPaths.executable("stationhub"), "request", "add", "--title", "Red Sorghum", "--pickup", "shelf-a", "--number", "-", "--keys", keys, "--database", hub.database],
            input: Data("\(ids.valid())\n".utf8))
        XCTAssertEqual(cli.wait(timeout: 30), 0, cli.standardError)
        XCTAssertTrue(cli.lines.contains { $0.contains("label:A2") && $0.contains("placed") && $0.contains("cli") }, "\(cli.lines)")

        // The webhook heard placed, in transit and cancelled, by id and pickup site only.
        var heard: [String] = []
        for _ in 0..<100 {
            heard = ((try? String(contentsOfFile: hooks, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            if heard.count >= 3 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let states = heard.compactMap { line -> String? in
            guard let json = line.split(separator: " ", maxSplits: 1).last, let o = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
            XCTAssertEqual(Set(o.keys), ["request", "state", "pickup_site", "at_ms"], line)
            return "\(line.prefix { $0 != " " }) \(o["request"]!) \(o["state"]!) \(o["pickup_site"]!)"
        }
        XCTAssertEqual(states, ["/hook \(id) placed shelf-b", "/hook \(id) in-transit shelf-b", "/hook \(id) cancelled shelf-b"])
        // The number is in no file the hub keeps, and in nothing its webhook sent.
        XCTAssertNil(try hub.rawContents().range(of: Data(number.utf8)))
        XCTAssertFalse(heard.joined().contains(number))
    }
}
