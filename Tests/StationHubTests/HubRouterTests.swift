import CompressNIO
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import StationCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// The API in process (HummingbirdTesting's `.router`, and `.live` over a real socket):
/// statuses, error bodies, limits and what boxes and operators may ask, over a SQLite store.
final class HubRouterTests: XCTestCase {
    static let operatorToken = String(repeating: "o", count: 40)

    /// A store in a temporary file with the test union, and the router over it.
    func withHub(_ body: @escaping @Sendable (any TestClientProtocol, HubStore, [String: String]) async throws -> Void, setup: TestingSetup = .router) async throws {
        let directory = try ProjectPaths.temporaryDirectory("router")
        defer { try? FileManager.default.removeItem(at: directory) }
        try await HubDatabase.with(directory.appendingPathComponent("hub.sqlite").path) { store in
            let credentials = try await Events.union(store)
            let app = Application(router: HubServer.router(store: store, keys: nil, operatorToken: Self.operatorToken))
            try await app.test(setup) { client in try await body(client, store, credentials) }
        }
    }

    static func headers(_ credential: String?, gzip: Bool = false) -> HTTPFields {
        var h: HTTPFields = [.contentType: "application/json"]
        if let credential { h[.authorization] = "Bearer \(credential)" }
        if gzip { h[.contentEncoding] = "gzip" }
        return h
    }

    static func batch(_ box: String, _ events: [JournalEvent]) -> ByteBuffer {
        let body = #"{"box_id":"\#(box)","events":[\#(events.map(Canonical.text).joined(separator: ","))]}"#
        return ByteBuffer(string: body)
    }

    static func returns(_ seqs: ClosedRange<Int64>) -> [JournalEvent] {
        seqs.map { Events.event("box-a", $0, site: "shelf-a", .return, at: $0, item: "label:LIB-\($0)") }
    }

    static func gzip(_ buffer: ByteBuffer) throws -> ByteBuffer {
        var b = buffer
        return try b.compress(with: .gzip())
    }

    static func json(_ r: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: r.body))) as? [String: Any] ?? [:]
    }

    func testBoxesEnrollUploadAndReplayAndEveryRefusalSaysWhy() async throws {
        try await withHub { client, store, credentials in
            let a = credentials["box-a"]!
            try await client.execute(uri: "/v1/health", method: .get) { XCTAssertEqual($0.status, .ok) }
            try await client.execute(uri: "/v1/enroll", method: .post, body: ByteBuffer(string: "{}")) { XCTAssertEqual($0.status, .badRequest) }
            let token = try await store.addBox("box-d", site: "shelf-a")
            try await client.execute(uri: "/v1/enroll", method: .post, body: ByteBuffer(string: #"{"token":"\#(token)"}"#)) { r in
                XCTAssertEqual(r.status, .ok)
                XCTAssertEqual(Self.json(r)["box_id"] as? String, "box-d")
            }
            // An unknown token and a spent one get the same answer: nothing tells which existed.
            var answers: [String] = []
            for tried in ["nope", token] {
                try await client.execute(uri: "/v1/enroll", method: .post, body: ByteBuffer(string: #"{"token":"\#(tried)"}"#)) { r in
                    XCTAssertEqual(r.status, .unauthorized)
                    XCTAssertEqual(Self.json(r)["code"] as? String, "token-refused")
                    answers.append(String(buffer: r.body))
                }
            }
            XCTAssertEqual(answers.count, 2)
            XCTAssertEqual(answers.first, answers.last)
            let batch = Self.batch("box-a", Self.returns(1...3))
            try await client.execute(uri: "/v1/batches", method: .post, headers: Self.headers(nil), body: batch) { XCTAssertEqual($0.status, .unauthorized) }
            try await client.execute(uri: "/v1/batches", method: .post, headers: Self.headers("wrong"), body: batch) { XCTAssertEqual($0.status, .unauthorized) }
            for expected in [(3, 0), (0, 3)] {
                try await client.execute(uri: "/v1/batches", method: .post, headers: Self.headers(a), body: batch) { r in
                    XCTAssertEqual(r.status, .ok)
                    XCTAssertEqual(Self.json(r)["applied"] as? Int, expected.0)
                    XCTAssertEqual(Self.json(r)["duplicates"] as? Int, expected.1)
                    XCTAssertEqual(Self.json(r)["acked_through"] as? Int, 3)
                }
            }
            // Another box's id in the body, or another box's events: refused whole.
            try await client.execute(uri: "/v1/batches", method: .post, headers: Self.headers(a), body: Self.batch("box-b", [])) { XCTAssertEqual($0.status, .badRequest) }
            let posing = [Events.event("box-b", 1, site: "shelf-b", .return, at: 1, item: "label:X")]
            try await client.execute(uri: "/v1/batches", method: .post, headers: Self.headers(a), body: Self.batch("box-a", posing)) { XCTAssertEqual($0.status, .forbidden) }
            // Events that are not objects (a number, a string, null, an array) are set aside one by
            // one, with the rest applied. (Foundation's JSON writer used to stop the hub on them.)
            let fourth = Canonical.text(Self.returns(4...4)[0])
            let fragments = ByteBuffer(string: #"{"box_id":"box-a","events":[7,"seven",null,true,[],\#(fourth)]}"#)
            try await client.execute(uri: "/v1/batches", method: .post, headers: Self.headers(a), body: fragments) { r in
                XCTAssertEqual(r.status, .ok)
                XCTAssertEqual(Self.json(r)["applied"] as? Int, 1)
                let reasons = (Self.json(r)["quarantined"] as? [[String: Any]] ?? []).compactMap { $0["reason"] as? String }
                XCTAssertEqual(reasons, Array(repeating: "not an event this hub understands: an event is a JSON object", count: 5))
            }
            let tooMany = Self.batch("box-a", Self.returns(1...2001))
            try await client.execute(uri: "/v1/batches", method: .post, headers: Self.headers(a), body: tooMany) { XCTAssertEqual($0.status, .contentTooLarge) }
            try await store.revoke("box-a", reason: "stolen from the shelf")
            try await client.execute(uri: "/v1/batches", method: .post, headers: Self.headers(a), body: batch) { r in
                XCTAssertEqual(r.status, .forbidden)
                XCTAssertEqual(Self.json(r)["error"] as? String, "this box is revoked: stolen from the shelf")
            }
            // Nothing refused was applied.
            let events = try await store.dump("SELECT count(*), max(seq) FROM event")
            XCTAssertEqual(events, ["4|4"])
        }
    }

    func testGzipBodiesAreReadAndBombsOversizedBodiesAndOtherEncodingsRefused() async throws {
        try await withHub { client, store, credentials in
            let a = credentials["box-a"]!
            let gz = try Self.gzip(Self.batch("box-a", Self.returns(1...3)))
            try await client.execute(uri: "/v1/batches", method: .post, headers: Self.headers(a, gzip: true), body: gz) { r in
                XCTAssertEqual(r.status, .ok)
                XCTAssertEqual(Self.json(r)["applied"] as? Int, 3)
            }
            // 64 MiB of spaces in about 64 KiB: refused by its inflated size.
            let bomb = try Self.gzip(ByteBuffer(string: #"{"box_id":"box-a","events":["# + String(repeating: " ", count: 64 << 20) + "]}"))
            XCTAssertLessThan(bomb.readableBytes, 200_000)
            try await client.execute(uri: "/v1/batches", method: .post, headers: Self.headers(a, gzip: true), body: bomb) { r in
                XCTAssertEqual(r.status, .contentTooLarge)
                XCTAssertTrue((Self.json(r)["error"] as? String)?.contains("inflates to more than") ?? false)
            }
            let big = ByteBuffer(string: #"{"box_id":"box-a","events":["# + String(repeating: " ", count: 5 << 20) + "]}")
            try await client.execute(uri: "/v1/batches", method: .post, headers: Self.headers(a), body: big) { XCTAssertEqual($0.status, .contentTooLarge) }
            try await client.execute(uri: "/v1/batches", method: .post, headers: Self.headers(a, gzip: true), body: ByteBuffer(string: "not gzip")) {
                XCTAssertEqual($0.status, .badRequest)
            }
            // Cut before or inside its trailer, or with bytes after it: not valid gzip.
            for damaged in [ByteBuffer(bytes: gz.readableBytesView.dropLast(8)), ByteBuffer(bytes: gz.readableBytesView.dropLast(3)), ByteBuffer(bytes: Array(gz.readableBytesView) + [0])] {
                try await client.execute(uri: "/v1/batches", method: .post, headers: Self.headers(a, gzip: true), body: damaged) { r in
                    XCTAssertEqual(r.status, .badRequest)
                    XCTAssertEqual(Self.json(r)["code"] as? String, "gzip-invalid")
                }
            }
            // Millions of elements in 16 KB: refused by their count, before any is decoded.
            let elements = try Self.gzip(ByteBuffer(string: #"{"box_id":"box-a","events":["# + String(repeating: "{},", count: 2_000_000) + "{}]}"))
            try await client.execute(uri: "/v1/batches", method: .post, headers: Self.headers(a, gzip: true), body: elements) { r in
                XCTAssertEqual(r.status, .contentTooLarge)
                XCTAssertEqual(Self.json(r)["error"] as? String, "an array holds more than 2000 items")
            }
            var brotli = Self.headers(a)
            brotli[.contentEncoding] = "br"
            try await client.execute(uri: "/v1/batches", method: .post, headers: brotli, body: gz) { XCTAssertEqual($0.status, .unsupportedMediaType) }
            let events = try await store.dump("SELECT count(*), max(seq) FROM event")
            XCTAssertEqual(events, ["3|3"])
            let held = try await store.dump("SELECT count(*) FROM quarantine")
            XCTAssertEqual(held, ["0"])
        }
    }

    func testClockCorrectionsDeviceLogsAndTheDownlinkAndTimesNoClockGives() async throws {
        try await withHub { client, store, credentials in
            let a = credentials["box-a"]!
            var far = Self.returns(1...1)
            far[0].time.wallMillis = -9_223_372_036_854_775_000
            try await client.execute(uri: "/v1/batches", method: .post, headers: Self.headers(a), body: Self.batch("box-a", far)) { r in
                XCTAssertEqual(r.status, .ok)
                XCTAssertEqual((Self.json(r)["quarantined"] as? [Any])?.count, 1, "an absurd time is set aside")
            }
            let absurd = #"{"corrections":[{"boot_id":"b","offset_ms":9223372036854775000,"source":"ntp","recorded_wall_ms":1,"mono_us":1}]}"#
            try await client.execute(uri: "/v1/clock-corrections", method: .post, headers: Self.headers(a), body: ByteBuffer(string: absurd)) { XCTAssertEqual($0.status, .badRequest) }
            let fine = #"{"corrections":[{"boot_id":"b","offset_ms":1000,"source":"ntp","recorded_wall_ms":1,"mono_us":1}]}"#
            try await client.execute(uri: "/v1/clock-corrections", method: .post, headers: Self.headers(a), body: ByteBuffer(string: fine)) { r in
                XCTAssertEqual(Self.json(r)["accepted"] as? Int, 1)
            }
            let lines = #"{"lines":[{"id":7,"at_ms":1795000000000,"level":"warning","scanner_id":"sc-1","message":"scanner detached"},{"id":8,"at_ms":1795000001000,"level":"error","message":"journal cannot write"}]}"#
            for _ in 0..<2 {
                try await client.execute(uri: "/v1/device-log", method: .post, headers: Self.headers(a), body: ByteBuffer(string: lines)) { XCTAssertEqual($0.status, .ok) }
            }
            let held = try await store.deviceLog(box: "box-a").map(\.message)
            XCTAssertEqual(held, ["scanner detached", "journal cannot write"])
            try await client.execute(uri: "/v1/device-log", method: .post, headers: Self.headers(a), body: ByteBuffer(string: #"{"lines":"no"}"#)) {
                XCTAssertEqual($0.status, .badRequest)
            }
            try await store.setSiteSetting(site: "shelf-a", key: "max_loans", value: "2")
            try await client.execute(uri: "/v1/downlink?since=0", method: .get, headers: Self.headers(a)) { r in
                XCTAssertEqual(Self.json(r)["site_config"] as? [String: String], ["max_loans": "2"])
            }
            try await client.execute(uri: "/v1/downlink?since=0", method: .get, headers: Self.headers(credentials["box-b"]!)) { r in
                XCTAssertEqual(Self.json(r)["site_config"] as? [String: String], [:], "another site's settings stay there")
            }
            try await client.execute(uri: "/v1/downlink?since=-1", method: .get, headers: Self.headers(a)) { XCTAssertEqual($0.status, .badRequest) }
        }
    }

    func testReportsAndMetricsAreForTheOperatorTokenOnly() async throws {
        try await withHub { client, store, credentials in
            _ = try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming(Self.returns(1...2)), keys: nil)
            try await client.execute(uri: "/v1/reports", method: .get) { XCTAssertEqual($0.status, .unauthorized) }
            try await client.execute(uri: "/v1/reports", method: .get, headers: Self.headers(credentials["box-a"]!)) { XCTAssertEqual($0.status, .unauthorized) }
            let op = Self.headers(Self.operatorToken)
            try await client.execute(uri: "/v1/reports", method: .get, headers: op) { r in
                XCTAssertEqual((Self.json(r)["reports"] as? [Any])?.count, Reports.all.count)
            }
            try await client.execute(uri: "/v1/reports/nosuch%3Cscript%3E", method: .get, headers: op) { r in
                XCTAssertEqual(r.status, .notFound)
                XCTAssertEqual(Self.json(r)["code"] as? String, "no-such-report")
                XCTAssertFalse(String(buffer: r.body).contains("nosuch"), "the name asked for is not echoed")
            }
            try await client.execute(uri: "/v1/reports/lending?limit=many", method: .get, headers: op) { XCTAssertEqual($0.status, .badRequest) }
            try await client.execute(uri: "/v1/reports/lending?format=xml", method: .get, headers: op) { XCTAssertEqual($0.status, .badRequest) }
            try await client.execute(uri: "/v1/reports/lending?from=2026-13-01", method: .get, headers: op) { XCTAssertEqual($0.status, .badRequest) }
            try await client.execute(uri: "/v1/reports/lending?format=csv", method: .get, headers: op) { r in
                XCTAssertEqual(r.headers[.contentType], "text/csv; charset=utf-8")
                XCTAssertEqual(String(buffer: r.body), "site,month,loans,borrowers,returns\r\nshelf-a,2026-11,0,0,2\r\n")
            }
            try await client.execute(uri: "/metrics", method: .get, headers: op) { r in
                XCTAssertEqual(r.status, .ok)
                XCTAssertTrue(String(buffer: r.body).contains("stationhub_quarantined_events 0"), String(buffer: r.body))
            }
        }
    }

    /// A database that cannot be reached: 503 with Retry-After, which boxes honour.
    func testADatabaseThatIsGoneIsAnsweredServiceUnavailable() async throws {
        let store = HubStore(engine: GoneEngine())
        let app = Application(router: HubServer.router(store: store, keys: nil))
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/enroll", method: .post, body: ByteBuffer(string: #"{"token":"t"}"#)) { r in
                XCTAssertEqual(r.status, .serviceUnavailable)
                XCTAssertEqual(r.headers[.retryAfter], "5")
                XCTAssertEqual(Self.json(r)["error"] as? String, "the database cannot be reached")
            }
            try await client.execute(uri: "/v1/health", method: .get) { XCTAssertEqual($0.status, .ok, "the hub itself is up") }
        }
    }

    /// The same over a real socket: a gzip batch and its answer.
    func testARealSocketCarriesAGzipBatch() async throws {
        try await withHub({ client, _, credentials in
            let gz = try Self.gzip(Self.batch("box-a", Self.returns(1...2)))
            try await client.execute(uri: "/v1/batches", method: .post, headers: Self.headers(credentials["box-a"]!, gzip: true), body: gz) { r in
                XCTAssertEqual(r.status, .ok)
                XCTAssertEqual(Self.json(r)["acked_through"] as? Int, 2)
            }
        }, setup: .live)
    }
}

/// An engine whose database is gone: every statement fails as PostgreSQL's pool does.
struct GoneEngine: SQLEngine {
    var dialect: SQLDialect { .postgres }
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T {
        throw HubError(.unavailable, "the database cannot be reached")
    }
    func read(_ statement: SQLStatement) async throws -> [SQLRow] { throw HubError(.unavailable, "the database cannot be reached") }
    func forgetOldPages() async {}
    func close() async {}
}
