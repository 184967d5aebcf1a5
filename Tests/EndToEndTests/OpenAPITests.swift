import Foundation
import StationTesting
import XCTest

/// The contract: docs/api/openapi.yaml is a valid OpenAPI 3.1 document, and real requests
/// to a running hub and its real answers (every status it gives) match it.
final class OpenAPITests: XCTestCase {
    func testRealExchangesMatchTheDocument() throws {
        let hub = try HubProcess(label: "openapi")
        try hub.admin(["site", "add", "shelf-a"])
        let token = try XCTUnwrap(try hub.admin(["box", "add", "box-1", "--site", "shelf-a"]).first)
        let keys = hub.directory.appendingPathComponent("keys").path
        XCTAssertEqual(try ChildProcess([ProjectPaths.executable("stationhub"), "keygen", "--dir", keys]).wait(timeout: 30), 0)
        let app = try XCTUnwrap(try hub.admin(["client", "add", "app", "--scope", "requests"]).first)
        try hub.start(arguments: ["--keys", keys])
        var exchanges: [String] = []
        func record(_ path: String, _ request: String?, _ reply: HubProcess.Reply, method: String = "post") {
            exchanges.append(#"{"path":"\#(path)","method":"\#(method)","request":\#(request ?? "null"),"status":\#(reply.status),"response":\#(reply.text)}"#)
        }
        func event(_ seq: Int, item: String = "label:LIB-1") -> String {
            #"{"boxID":"box-1","seq":\#(seq),"siteID":"shelf-a","epoch":0,"time":{"wallMillis":\#(seq),"synchronized":false,"bootID":"b","monotonicMicros":\#(seq)},"draft":{"kind":"checkout","item":{"key":"\#(item)"},"worker":{"kind":"member-card","localHash":"\#(TestWorkers.localHash("w1"))","masked":"****"},"dueDate":"2026-12-30","flags":[]}}"#
        }
        let enroll = #"{"token":"\#(token)"}"#
        let enrolled = try hub.post("/v1/enroll", body: enroll)
        record("/v1/enroll", enroll, enrolled)
        record("/v1/enroll", enroll, try hub.post("/v1/enroll", body: enroll))  // 401: used
        let credential = try XCTUnwrap(enrolled.body["credential"] as? String)
        let first = #"{"box_id":"box-1","events":[\#(event(1)),\#(event(2))]}"#
        record("/v1/batches", first, try hub.post("/v1/batches", body: first, credential: credential))  // 200
        let gap = #"{"box_id":"box-1","events":[\#(event(5))]}"#
        record("/v1/batches", gap, try hub.post("/v1/batches", body: gap, credential: credential))  // 200 with resume_from
        let clash = #"{"box_id":"box-1","events":[\#(event(1, item: "label:OTHER"))]}"#
        record("/v1/batches", clash, try hub.post("/v1/batches", body: clash, credential: credential))  // 409
        record("/v1/batches", nil, try hub.post("/v1/batches", body: first, credential: "wrong"))  // 401
        record("/v1/batches", nil, try hub.post("/v1/batches", body: #"{"nonsense":1}"#, credential: credential))  // 400
        let corrections = #"{"corrections":[{"boot_id":"b","offset_ms":3600000,"source":"hub-date","recorded_wall_ms":5,"mono_us":5}]}"#
        record("/v1/clock-corrections", corrections, try hub.post("/v1/clock-corrections", body: corrections, credential: credential))
        let lines = #"{"lines":[{"id":1,"at_ms":5,"level":"warning","scanner_id":"sc-1","message":"scanner detached"}]}"#
        record("/v1/device-log", lines, try hub.post("/v1/device-log", body: lines, credential: credential))
        record("/v1/device-log", nil, try hub.post("/v1/device-log", body: #"{"lines":1}"#, credential: credential))  // 400
        let catalog = hub.directory.appendingPathComponent("catalog.csv").path
        try "label:LIB-1,Capital,shelf-a\nlabel:LIB-2,Capital,shelf-a\n".write(toFile: catalog, atomically: true, encoding: .utf8)
        try hub.admin(["catalog", "import", catalog])
        try hub.admin(["site", "set", "shelf-a", "loan_days=21"])
        // A request (its hold is in the downlink below), read, refused twice, cancelled; the holdings.
        var ids = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        let ask = #"{"item_key":"label:LIB-2","pickup_site":"shelf-a","number":"\#(ids.valid())"}"#
        let placed = try hub.post("/v1/requests", body: ask, credential: app)
        record("/v1/requests", ask, placed)  // 201
        record("/v1/requests", ask, try hub.post("/v1/requests", body: ask, credential: app))  // 409
        record("/v1/requests", ask, try hub.post("/v1/requests", body: ask, credential: credential))  // 401: a box's credential
        record("/v1/requests", nil, try hub.post("/v1/requests", body: #"{"pickup_site":"shelf-a"}"#, credential: app))  // 400
        let id = try XCTUnwrap(placed.body["id"] as? String)
        record("/v1/requests/{id}", nil, try hub.request("GET", "/v1/requests/\(id)", credential: app), method: "get")
        record("/v1/requests/{id}", nil, try hub.request("GET", "/v1/requests/nope", credential: app), method: "get")  // 404
        record("/v1/catalog", nil, try hub.request("GET", "/v1/catalog?q=capital", credential: app), method: "get")
        record("/v1/downlink", nil, try hub.request("GET", "/v1/downlink?since=0", credential: credential), method: "get")
        record("/v1/downlink", nil, try hub.request("GET", "/v1/downlink?since=x", credential: credential), method: "get")  // 400
        record("/v1/requests/{id}", nil, try hub.request("DELETE", "/v1/requests/\(id)", credential: app), method: "delete")
        record("/v1/requests/{id}", nil, try hub.request("DELETE", "/v1/requests/\(id)", credential: app), method: "delete")  // 409
        let gz = hub.directory.appendingPathComponent("batch.gz").path
        try "not gzip".write(toFile: gz, atomically: true, encoding: .utf8)
        record("/v1/batches", nil, try hub.request("POST", "/v1/batches", bodyFile: gz, headers: ["Content-Encoding: br"], credential: credential))  // 415
        record("/v1/health", nil, try hub.request("GET", "/v1/health"), method: "get")
        let statuses = exchanges.compactMap { line in line.range(of: #""status":\d+"#, options: .regularExpression).map { String(line[$0]) } }
        XCTAssertEqual(Set(statuses), [#""status":200"#, #""status":201"#, #""status":401"#, #""status":404"#, #""status":409"#, #""status":400"#, #""status":415"#])

        let file = hub.directory.appendingPathComponent("exchanges.jsonl").path
        try (exchanges.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let setup = try ChildProcess([ProjectPaths.file("scripts/test-venv")])
        XCTAssertEqual(setup.wait(timeout: 300), 0, setup.standardError)
        let check = try ChildProcess([
            ProjectPaths.file(".build/venv-tests/bin/python"), ProjectPaths.file("Tests/Differential/openapi_check.py"),
            ProjectPaths.file("docs/api/openapi.yaml"), file,
        ])
        XCTAssertEqual(check.wait(timeout: 60), 0, check.lines.joined(separator: "\n") + check.standardError)
        XCTAssertEqual(check.lines.last, "\(exchanges.count) exchanges checked against the document, 0 mismatches")
    }

    func testTheCheckerCatchesAResponseTheDocumentDoesNotAllow() throws {
        let dir = try ProjectPaths.temporaryDirectory("openapi-neg")
        let file = dir.appendingPathComponent("x.jsonl").path
        try #"{"path":"/v1/batches","method":"post","request":null,"status":200,"response":{"acked_through":"seven"}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let setup = try ChildProcess([ProjectPaths.file("scripts/test-venv")])
        XCTAssertEqual(setup.wait(timeout: 300), 0)
        let check = try ChildProcess([
            ProjectPaths.file(".build/venv-tests/bin/python"), ProjectPaths.file("Tests/Differential/openapi_check.py"),
            ProjectPaths.file("docs/api/openapi.yaml"), file,
        ])
        XCTAssertEqual(check.wait(timeout: 60), 1, check.lines.joined(separator: "\n") + check.standardError)
    }
}
