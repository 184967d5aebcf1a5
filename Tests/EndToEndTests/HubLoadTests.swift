import Foundation
import StationTesting
import XCTest

/// `station-bench loadgen` against real hubs: two thousand boxes uploading at once, every
/// answer checked by the generator, every event at the hub once. On SQLite one instance;
/// on PostgreSQL (make test's second run) two, the boxes split between them.
final class HubLoadTests: XCTestCase {
    func testTwoThousandBoxesUploadingAtOnceLoseAndDoubleNothing() throws {
        let hub = try HubProcess(label: "load-a")
        var hubs = [hub]
        if hub.isPostgres { hubs.append(try HubProcess(label: "load-b", sharing: hub)) }
        try hub.admin(["site", "add", "warm-up"])  // the schema, before both start
        for h in hubs { try h.start() }
        defer { for h in hubs { h.stop() } }
        let boxes = 2000, perBox = 10
        let loadgen = try ChildProcess([
            ProjectPaths.executable("station-bench"), "loadgen", "--hub", hubs.map { "http://127.0.0.1:\($0.port)" }.joined(separator: ","),
            "--database", hub.database, "--boxes", String(boxes), "--events", String(boxes * perBox), "--batch", "10", "--concurrency", "64",
            "--sites", "200", "--seed", String(Int.random(in: 1...1_000_000)),
        ])
        XCTAssertEqual(loadgen.wait(timeout: 600), 0, loadgen.standardError)
        print(loadgen.lines.joined(separator: "\n"))
        XCTAssertEqual(try hub.query("SELECT count(*), count(DISTINCT box_id) FROM event"), ["\(boxes * perBox)|\(boxes)"])
        XCTAssertEqual(try hub.query("SELECT count(*) FROM box WHERE acked_through = \(perBox)"), ["\(boxes)"], "every box acknowledged to its last seq")
        XCTAssertEqual(try hub.query("SELECT count(*) FROM quarantine"), ["0"])
        // The ledger followed every batch: one row per book the events name.
        XCTAssertEqual(try hub.query("SELECT count(*) FROM ledger_book"), try hub.query("SELECT count(DISTINCT item_key) FROM event WHERE item_key IS NOT NULL"))
    }
}
