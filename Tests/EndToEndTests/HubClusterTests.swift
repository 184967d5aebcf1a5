import Foundation
import StationTesting
import XCTest

/// Two `stationhub` instances on one PostgreSQL database (`scripts/with-postgres`): what
/// one applies the other sees, the same batch sent to both is applied once, and books
/// checked out and returned at once through both lose no ledger update.
final class HubClusterTests: XCTestCase {
    var a: HubProcess!
    var b: HubProcess!

    override func setUpWithError() throws {
        a = try HubProcess(label: "cluster-a")
        guard a.isPostgres else {
            throw XCTSkip("two hub instances need PostgreSQL: run under scripts/with-postgres (make test does)")
        }
        b = try HubProcess(label: "cluster-b", sharing: a)
        try a.admin(["site", "add", "shelf-a"])
        try a.admin(["site", "add", "shelf-b"])
        try a.start()
        try b.start()
    }

    override func tearDown() {
        a?.stop()
        b?.stop()
    }

    /// Requests run at once, one thread each (each a blocking curl).
    final class Together<T>: @unchecked Sendable {
        let requests: [() throws -> T]
        var results: [Result<T, Error>?]
        let lock = NSLock()
        init(_ requests: [() throws -> T]) {
            self.requests = requests
            results = Array(repeating: nil, count: requests.count)
        }
    }

    func together<T>(_ requests: [() throws -> T]) throws -> [T] {
        let run = Together(requests)
        DispatchQueue.concurrentPerform(iterations: requests.count) { i in
            let r = Result { try run.requests[i]() }
            run.lock.lock()
            run.results[i] = r
            run.lock.unlock()
        }
        return try run.results.map { try $0!.get() }
    }

    func enroll(_ box: String, site: String, at hub: HubProcess) throws -> String {
        let token = try XCTUnwrap(try a.admin(["box", "add", box, "--site", site]).first)
        let reply = try hub.post("/v1/enroll", body: #"{"token":"\#(token)"}"#)
        XCTAssertEqual(reply.status, 200, reply.text)
        return try XCTUnwrap(reply.body["credential"] as? String)
    }

    static func event(box: String, site: String, seq: Int, at: Int, kind: String, item: String, worker: String) -> String {
        let due = kind == "checkout" ? #","dueDate":"2026-12-31""# : ""
        return #"{"boxID":"\#(box)","seq":\#(seq),"siteID":"\#(site)","epoch":0,"time":{"wallMillis":\#(at),"synchronized":true,"bootID":"b","monotonicMicros":\#(seq)},"draft":{"kind":"\#(kind)","item":{"key":"\#(item)"},"worker":{"kind":"member-card","localHash":"\#(TestWorkers.localHash(worker))","masked":"****"}\#(due),"flags":[]}}"#
    }

    func testATokenEnrollsOneBoxEvenWhenBothInstancesAreAskedAtOnce() throws {
        let token = try XCTUnwrap(try a.admin(["box", "add", "box-1", "--site", "shelf-a"]).first)
        let replies = try together([a, b].map { hub in { try hub.post("/v1/enroll", body: #"{"token":"\#(token)"}"#) } })
        XCTAssertEqual(replies.map(\.status).sorted(), [200, 401], replies.map(\.text).joined(separator: "\n"))
    }

    /// The database gone from under running hubs: a box is told to come back (503), the
    /// hubs stay up.
    func testADatabaseGoneIsServiceUnavailableNotAnError() throws {
        a.stop()
        try a.start(arguments: ["--database-wait", "2"])
        let credential = try enroll("box-1", site: "shelf-a", at: a)
        let name = try XCTUnwrap(URLComponents(string: a.database)?.path.dropFirst())
        let server = HubProcess.replacingDatabase(a.database, with: "postgres")
        let drop = try ChildProcess(["psql", "-X", "-q", "-d", server, "-c", "DROP DATABASE \(name) WITH (FORCE)"])
        XCTAssertEqual(drop.wait(timeout: 60), 0, drop.standardError)
        let started = Date()
        let r = try a.post("/v1/batches", body: #"{"box_id":"box-1","events":[]}"#, credential: credential)
        XCTAssertEqual(r.status, 503, r.text)
        XCTAssertLessThan(Date().timeIntervalSince(started), 15, "answered within its --database-wait, not held")
        XCTAssertEqual(try a.request("GET", "/v1/health").status, 200)
    }

    func testTheSameBatchSentToBothInstancesAtOnceIsAppliedOnce() throws {
        let credential = try enroll("box-1", site: "shelf-a", at: a)
        let perBatch = 100, batches = 30
        for n in 0..<batches {
            let seqs = (n * perBatch + 1)...((n + 1) * perBatch)
            let events = seqs.map { Self.event(box: "box-1", site: "shelf-a", seq: $0, at: 1_000 + $0, kind: $0 % 2 == 0 ? "return" : "checkout", item: "label:B\($0 % 7)", worker: "w\($0 % 5)") }
            let body = #"{"box_id":"box-1","events":[\#(events.joined(separator: ","))]}"#
            let replies = try together([a, b].map { hub in { try hub.post("/v1/batches", body: body, credential: credential) } })
            XCTAssertEqual(replies.map(\.status), [200, 200], replies.map(\.text).joined(separator: "\n"))
            let applied = replies.map { $0.body["applied"] as? Int ?? -1 }, duplicates = replies.map { $0.body["duplicates"] as? Int ?? -1 }
            // One instance applies the batch; the other, waiting on the box's row, finds it
            // all there. Both acknowledge the whole batch.
            XCTAssertEqual(applied.sorted(), [0, perBatch], "batch \(n): \(replies.map(\.text))")
            XCTAssertEqual(duplicates.sorted(), [0, perBatch], "batch \(n): \(replies.map(\.text))")
            XCTAssertEqual(replies.map { $0.body["acked_through"] as? Int }, [seqs.upperBound, seqs.upperBound], "batch \(n)")
        }
        XCTAssertEqual(try a.query("SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM event WHERE box_id = 'box-1'"), ["3000|3000|1|3000"])
        XCTAssertEqual(try a.query("SELECT acked_through FROM box WHERE id = 'box-1'"), ["3000"])
        XCTAssertEqual(try a.query("SELECT count(*) FROM quarantine"), ["0"])
    }

    /// Four boxes at two sites check the same two books out and back, in rounds: in each
    /// round every box sends a batch at once, two boxes through each instance. After every
    /// round each ledger row must be what a single SQLite hub computes from the same
    /// batches sent one at a time (a lost update would hold a row computed without another
    /// instance's event, until a later batch happened to recompute it).
    func testBooksMovingThroughBothInstancesAtOnceLoseNoLedgerUpdate() throws {
        var rng = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        let boxes = [("box-1", "shelf-a"), ("box-2", "shelf-a"), ("box-3", "shelf-b"), ("box-4", "shelf-b")]
        let reference = try HubProcess(label: "cluster-reference", engine: .sqlite)
        try reference.admin(["site", "add", "shelf-a"])
        try reference.admin(["site", "add", "shelf-b"])
        try reference.start()
        defer { reference.stop() }
        var credentials: [String: String] = [:], referenceCredentials: [String: String] = [:]
        for (i, (box, site)) in boxes.enumerated() {
            credentials[box] = try enroll(box, site: site, at: i % 2 == 0 ? a : b)
            let token = try XCTUnwrap(try reference.admin(["box", "add", box, "--site", site]).first)
            referenceCredentials[box] = try XCTUnwrap(try reference.post("/v1/enroll", body: #"{"token":"\#(token)"}"#).body["credential"] as? String)
        }
        let ledger = "SELECT item_key, coalesce(holder, '-'), coalesce(loaned_at_ms, -1), coalesce(due_date, '-'), coalesce(site_id, '-'), flags FROM ledger_book ORDER BY item_key"
        let rounds = 40, perBatch = 3
        var seq = 0, lost = 0
        for round in 0..<rounds {
            var batches: [String: String] = [:]
            for (box, site) in boxes {
                let events = (1...perBatch).map { k in
                    Self.event(
                        box: box, site: site, seq: seq + k, at: 10_000 + (seq + k) * 100 + rng.number(in: 0...99),
                        kind: rng.number(in: 0...1) == 0 ? "checkout" : "return", item: "label:B\(rng.number(in: 1...2))", worker: "w\(rng.number(in: 1...3))")
                }
                batches[box] = #"{"box_id":"\#(box)","events":[\#(events.joined(separator: ","))]}"#
            }
            seq += perBatch
            let statuses = try together(
                boxes.enumerated().map { i, box in
                    { try (i % 2 == 0 ? self.a! : self.b!).post("/v1/batches", body: batches[box.0]!, credential: credentials[box.0]).status }
                })
            XCTAssertEqual(statuses, [200, 200, 200, 200], "round \(round)")
            for (box, _) in boxes { XCTAssertEqual(try reference.post("/v1/batches", body: batches[box]!, credential: referenceCredentials[box]).status, 200) }
            let expected = try reference.query(ledger), held = try a.query(ledger)
            if held != expected {
                lost += 1
                XCTFail("round \(round): a ledger update was lost between the instances:\n\(held.joined(separator: "\n"))\nexpected\n\(expected.joined(separator: "\n"))")
            }
        }
        XCTAssertEqual(try a.query("SELECT count(*) FROM event"), ["\(4 * rounds * perBatch)"])
        XCTAssertEqual(lost, 0)
    }
}
