import XCTest
import StationCore

@testable import StationHub

/// ``StatisticsSchedule`` as values, and on PostgreSQL: a new hub's first batches have its
/// tables analyzed.
final class StatisticsScheduleTests: XCTestCase {
    func testAnalyzesAfterTheFirstThousandsThenEachHalfAgainOneAtATime() {
        var s = StatisticsSchedule()
        var began: [Int] = []
        var total = 0
        for _ in 0..<400 {
            total += 500
            if s.ingested(500) {
                began.append(total)
                s.finished()
            }
        }
        // 5,000 first; then at least half of all before it again each time.
        XCTAssertEqual(began.prefix(4), [5_000, 10_000, 15_000, 22_500])
        for (a, b) in zip(began, began.dropFirst()) { XCTAssertGreaterThanOrEqual(b - a, max(StatisticsSchedule.firstAfter, a / 2)) }
        XCTAssertLessThan(began.count, 12, "geometric: \(began)")

        // While one runs, none begins; the events go on counting.
        var busy = StatisticsSchedule()
        XCTAssertTrue(busy.ingested(5_000))
        XCTAssertFalse(busy.ingested(50_000))
        busy.finished()
        XCTAssertTrue(busy.ingested(1), "counted while it ran: \(busy)")
    }

    func testANewPostgreSQLHubsFirstBatchesHaveItsTablesAnalyzed() async throws {
        let analyzed = try await Engines.each("statistics") { engine, store -> String? in
            try await Events.union(store)
            var seq: Int64 = 0
            for _ in 0..<11 {
                let events = (0..<500).map { _ -> JournalEvent in
                    seq += 1
                    return Events.event("box-a", seq, site: "shelf-a", .checkout, at: seq, item: "label:S\(seq % 900)", who: "w\(seq % 40)", due: "2027-02-01")
                }
                _ = try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming(events), keys: nil)
            }
            guard engine == .postgres else { return nil }
            for _ in 0..<100 {
                let at = try await store.dump(
                    "SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL AND relname IN \(SQLStatement.list(PostgresEngine.ingestTables.count))",
                    PostgresEngine.ingestTables.map { .text($0) })
                if at == ["\(PostgresEngine.ingestTables.count)"] { return "every table" }
                try await Task.sleep(for: .milliseconds(100))
            }
            return "-"
        }
        if let postgres = analyzed[.postgres] { XCTAssertEqual(postgres, "every table", "5,500 events ingested, the tables not all analyzed") }
    }
}
