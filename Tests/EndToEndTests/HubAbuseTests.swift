import Foundation
import StationTesting
import XCTest

/// A hub on loopback under what one enrolled box's credential can send at it: eight gzip
/// bombs of about 16 KB at once, each inflating to millions of array elements. Each is
/// answered 413 for what it costs in memory, not after it was parsed, and another box's
/// batch is applied meanwhile.
final class HubAbuseTests: XCTestCase {
    /// Peak resident memory of a process, in bytes.
    static func peakResident(_ pid: pid_t) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        return try XCTUnwrap(Int(line.split(separator: " ").dropFirst().first ?? "")) * 1024
    }

    /// `{"box_id":..., "events":[0,0,...]}` inflating to `bytes`, gzip, written to `path`.
    static func bomb(_ path: String, box: String, bytes: Int) throws {
        let script = """
            import gzip, sys
            head = b'{"box_id":"%s","events":[' % sys.argv[2].encode()
            n = (int(sys.argv[3]) - len(head) - 2) // 2
            body = head + b'0,' * n + b'0]}'
            open(sys.argv[1], 'wb').write(gzip.compress(body, 9))
            """
        let c = try ChildProcess(["python3", "-c", script, path, box, String(bytes)])
        XCTAssertEqual(c.wait(timeout: 60), 0, c.standardError)
    }

    func testEightGzipBombsAtOnceAreRefusedWithinTheLimitsMemoryAndOthersStillSync() throws {
        let hub = try HubProcess(label: "hub-abuse")
        try hub.admin(["site", "add", "shelf-a"])
        let tokens = try ["box-1", "box-2"].map { try XCTUnwrap(try hub.admin(["box", "add", $0, "--site", "shelf-a"]).first) }
        let operatorToken = String(repeating: "k", count: 40)
        let tokenFile = hub.directory.appendingPathComponent("operator-token").path
        try operatorToken.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        try hub.start(arguments: ["--operator-token-file", tokenFile])
        defer { hub.stop() }
        let credentials = try tokens.map { try XCTUnwrap(try hub.post("/v1/enroll", body: #"{"token":"\#($0)"}"#).body["credential"] as? String) }
        let pid = try XCTUnwrap(hub.pid)
        let before = try Self.peakResident(pid)

        // Four that say they inflate past the limit (16 MiB), four that inflate to just
        // under it (7.5 MiB, some 3.9 million elements).
        var files: [String] = []
        for (i, size) in [16 << 20, 16 << 20, 16 << 20, 16 << 20, 15 << 19, 15 << 19, 15 << 19, 15 << 19].enumerated() {
            let file = hub.directory.appendingPathComponent("bomb-\(i).json.gz").path
            try Self.bomb(file, box: "box-1", bytes: size)
            let wire = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
            XCTAssertLessThan(wire, 32 << 10, "a bomb of \(wire) bytes on the wire")
            files.append(file)
        }
        let bombs = try files.map { file in
            try ChildProcess([
                "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}\n", "-X", "POST", "-H", "Content-Type: application/json", "-H", "Content-Encoding: gzip",
                "-H", "Authorization: Bearer \(credentials[0])", "--data-binary", "@\(file)", "http://127.0.0.1:\(hub.port)/v1/batches",
            ])
        }
        let event = #"{"boxID":"box-2","seq":1,"siteID":"shelf-a","epoch":0,"time":{"wallMillis":1793577600000,"synchronized":true,"bootID":"b","monotonicMicros":1},"draft":{"kind":"return","item":{"key":"label:A1"},"flags":[]}}"#
        let normal = try hub.post("/v1/batches", body: #"{"box_id":"box-2","events":[\#(event)]}"#, credential: credentials[1])
        for b in bombs { XCTAssertEqual(b.wait(timeout: 60), 0, b.standardError) }
        let statuses = bombs.map { $0.lines.last ?? "" }
        let after = try Self.peakResident(pid)
        print("hub VmHWM \(before >> 20) MiB before, \(after >> 20) MiB after 8 bombs at once; answers \(statuses); the other box's batch: \(normal.status)")

        XCTAssertEqual(statuses, Array(repeating: "413", count: 8))
        XCTAssertEqual(normal.status, 200, normal.text)
        XCTAssertEqual(normal.body["applied"] as? Int, 1, normal.text)
        XCTAssertLessThan(after, 150 << 20, "the hub's peak memory")
        XCTAssertEqual(try hub.query("SELECT box_id, seq FROM event"), ["box-2|1"])
        // Each refusal counted by its code.
        let metrics = try hub.request("GET", "/metrics", credential: operatorToken).text
        XCTAssertTrue(metrics.contains(#"stationhub_refused_total{reason="body-too-large"} 4"#), metrics)
        XCTAssertTrue(metrics.contains(#"stationhub_refused_total{reason="json-too-large"} 4"#), metrics)
    }

    func testOversizeURLsAndHeadersAreAnsweredWithACodeNotAnEmptyPage() throws {
        let hub = try HubProcess(label: "hub-oversize")
        try hub.start()
        defer { hub.stop() }
        let cases: [(what: String, path: String, headers: [String], status: Int, code: String)] = [
            ("a 10 KB URL", "/v1/health?x=" + String(repeating: "u", count: 10_000), [], 414, "url-too-long"),
            ("a 20 KB header", "/v1/health", ["X-Big: " + String(repeating: "h", count: 20_000)], 431, "headers-too-large"),
            ("a 100 KB header, past the parser's limit", "/v1/health", ["X-Big: " + String(repeating: "h", count: 100_000)], 431, "headers-too-large"),
            ("a 100 KB URL, past the parser's limit", "/v1/health?x=" + String(repeating: "u", count: 100_000), [], 431, "headers-too-large"),
        ]
        for c in cases {
            let reply = try hub.request("GET", c.path, headers: c.headers)
            XCTAssertEqual(reply.status, c.status, "\(c.what): \(reply.text)")
            XCTAssertEqual(reply.body["code"] as? String, c.code, "\(c.what): \(reply.text)")
            XCTAssertFalse((reply.body["error"] as? String ?? "").isEmpty, "\(c.what): \(reply.text)")
        }
        XCTAssertEqual(try hub.request("GET", "/v1/health").status, 200, "the hub still answers")
    }
}
