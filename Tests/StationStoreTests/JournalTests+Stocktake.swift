import Foundation
import GRDB
import StationCore
import StationTesting
import XCTest

@testable import StationStore

/// A stocktake in the journal: found again after a restart with what it counted (a voided
/// sighting left out), gone once it ended; and the migration that takes its kinds.
extension JournalTests {
    func testARunningStocktakeIsFoundAgainAfterARestart() throws {
        var j = try open()
        XCTAssertNil(try j.stocktake())
        XCTAssertNil(j.openedStocktake)
        _ = try j.append(draft(1), time: time(1000))
        let start = try j.append(EventDraft(kind: .stocktakeStart, scannerID: "s1"), time: time(2000))
        for (n, key) in ["label:A", "label:B", "label:A", "isbn:9787111213826", "isbn:9787111213826"].enumerated() {
            _ = try j.append(EventDraft(kind: .seen, scannerID: "s1", item: ItemRef(key: key), refersTo: start.seq), time: time(3000 + Int64(n)))
        }
        let doubtful = try j.append(EventDraft(kind: .seen, scannerID: "s1", item: ItemRef(key: "label:C"), refersTo: start.seq), time: time(4000))
        _ = try j.append(EventDraft(kind: .void, refersTo: doubtful.seq), time: time(4001))
        try j.close()

        j = try open()
        let running = try XCTUnwrap(try j.stocktake())
        XCTAssertEqual([running.startSeq, running.startedAtMillis, Int64(running.counted)], [start.seq, 2000, 4], "A, B and two copies of the title; C voided")
        XCTAssertEqual(j.openedStocktake, running, "what the daemon's workflow starts from")
        XCTAssertEqual(running.labels, ["label:A", "label:B"])
        _ = try j.append(EventDraft(kind: .stocktakeEnd, scannerID: "s1", refersTo: start.seq), time: time(5000))
        XCTAssertNil(try j.stocktake())
        let last = try XCTUnwrap(try JournalReader(directory: dir.path).latestStocktake())
        XCTAssertEqual([last.stocktake.counted, Int(last.endedAtMillis ?? 0)], [4, 5000])
        // A start told as failed that landed after all is voided: no stocktake runs.
        let doubtfulStart = try j.append(EventDraft(kind: .stocktakeStart, scannerID: "s1"), time: time(6000))
        _ = try j.append(EventDraft(kind: .void, refersTo: doubtfulStart.seq), time: time(6001))
        XCTAssertNil(try j.stocktake())
        XCTAssertEqual(try JournalReader(directory: dir.path).latestStocktake()?.stocktake.startSeq, start.seq)
        try j.close()
    }

    func testTheStocktakeMigrationKeepsEventsAndTakesTheNewKinds() throws {
        let q = try DatabaseQueue(path: dir.appendingPathComponent("old.sqlite").path)
        try JournalSchema.migrator.migrate(q, upTo: "v4-transfers")
        try q.write { try $0.execute(sql: "INSERT INTO event VALUES ('box-1', 1, 0, 's', NULL, 'transfer-out', 5, 1, 'b', 0, '{\"request\":\"r1\"}')") }
        XCTAssertThrowsError(try q.write { try $0.execute(sql: "INSERT INTO event VALUES ('box-1', 2, 0, 's', NULL, 'seen', 6, 1, 'b', 0, '{}')") })
        try JournalSchema.migrator.migrate(q)
        try q.write { try $0.execute(sql: "INSERT INTO event VALUES ('box-1', 2, 0, 's', NULL, 'seen', 6, 1, 'b', 0, '{\"item\":{\"key\":\"label:A\"}}')") }
        XCTAssertEqual(try q.read { try String.fetchAll($0, sql: "SELECT kind || ' ' || wall_ms FROM event ORDER BY seq") }, ["transfer-out 5", "seen 6"])
        XCTAssertThrowsError(try q.write { try $0.execute(sql: "UPDATE event SET kind = 'checkout'") }) { XCTAssertTrue("\($0)".contains("immutable")) }
        let indexes = try q.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'event' AND sql IS NOT NULL ORDER BY name") }
        XCTAssertEqual(indexes, ["event_request", "event_stocktake"])
        try q.close()
    }
}
