import Foundation
import StationCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// The reports' aggregates (`lending_month`, `book_month`, `book_move`) on both engines: after every kind
/// of change (a batch, a void before its event, a clock correction that moves a loan into
/// the next month, an erasure, retention) the lending index, drift, most borrowed and
/// restock read from them are
/// what the events say, and the migration's fill gives the same rows from history.
final class StoreAggregateConformanceTests: XCTestCase {
    func testTheReportsAggregatesFollowEveryChangeAndFillFromHistory() async throws {
        let log = try await Engines.agree("aggregates") { _, store in
            try await Events.union(store)
            var log: [String] = []
            func step(_ what: String) async throws {
                log.append("- \(what)")
                log += try await store.aggregatesDump()
                // A period of whole months is read from the aggregates too.
                log += try await store.aggregatesDump(from: "2026-11-01", to: "2026-12-01").map { "november " + $0 }
            }
            // Nov 30 23:59 at box-a on a clock nobody set yet: two minutes late it is December's.
            let a = [
                Events.event("box-a", 1, site: "shelf-a", .checkout, at: 10, item: "label:B1", who: "w1", due: "2026-11-30"),
                Events.event("box-a", 2, site: "shelf-a", .checkout, at: 41_759, item: "label:B2", who: "w2", due: "2026-12-30", synced: false, boot: "u"),
            ]
            _ = try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming(a), keys: nil)
            _ = try await store.ingest(
                box: "box-b", site: "shelf-b", events: Events.incoming([Events.event("box-b", 1, site: "shelf-b", .return, at: 20, item: "label:B1")]), keys: nil)
            try await step("two loans at shelf-a, one returned at shelf-b")
            // A void that comes before the loan it cancels.
            _ = try await store.ingest(
                box: "box-b", site: "shelf-b", events: Events.incoming([Events.event("box-b", 3, site: "shelf-b", .void, at: 31, refersTo: 2)]), keys: nil)
            _ = try await store.ingest(
                box: "box-b", site: "shelf-b", events: Events.incoming([Events.event("box-b", 2, site: "shelf-b", .checkout, at: 30, item: "label:B3", who: "w3")]),
                keys: nil)
            try await step("a voided loan at shelf-b")
            _ = try await store.addClockCorrections(
                box: "box-a", [ClockCorrection(bootID: "u", offsetMillis: 120_000, source: .ntp, recordedWallMillis: Events.base, monotonicMicros: 1)])
            try await step("box-a's clock was two minutes slow")
            _ = try await store.erase(worker: Events.key("box-a", "w1"), reference: "REQ-1", operator: "ops")
            try await step("w1 erased")
            try await store.setRetention("checkout", days: 20)
            _ = try await store.applyRetention(nowMillis: Events.base + 60 * 86_400_000)
            try await step("loans past 20 days de-identified")
            func aggregates() async throws -> [String] {
                try await store.dump("SELECT site_id, month, loans, borrowers, returns FROM lending_month ORDER BY site_id, month")
                    + store.dump("SELECT item_key, site_id, month, loans FROM book_month ORDER BY item_key, site_id, month")
                    + store.dump("SELECT item_key, box_id, seq, at_ms, from_site, to_site FROM book_move ORDER BY box_id, seq")
            }
            let kept = try await aggregates()
            // The migration's fill over the same history gives the same rows.
            try await store.engine.transaction { s in
                for table in ["lending_month", "book_month", "book_move"] { try await s.execute("DELETE FROM \(table)") }
                try await s.execute(ReportAggregates.lendingRows(store.dialect, where: ReportAggregates.timed))
                for fill in [ReportAggregates.bookMonthRows, ReportAggregates.moveRows] { try await s.execute(fill(store.dialect, "1 = 1")) }
            }
            let filled = try await aggregates()
            log.append("filled from history: \(filled == kept ? "the same" : "\(filled) instead of \(kept)")")
            return log
        }
        XCTAssertFalse(log.contains { $0.contains("but the events say") }, log.joined(separator: "\n"))
        let november = "aggregate lending: site,month,loans,borrowers,returns / shelf-a,2026-11,2,2,0 / shelf-b,2026-11,0,0,1 / "
        let afterCorrection =
            "aggregate lending: site,month,loans,borrowers,returns / shelf-a,2026-11,1,1,0 / shelf-a,2026-12,1,1,0 / shelf-b,2026-11,0,0,1 / "
        let drift = "aggregate drift: from_site,to_site,books / shelf-a,shelf-b,1 / "
        XCTAssertEqual(
            log.filter { !$0.contains("most-borrowed") && !$0.contains("restock") },
            [
                "- two loans at shelf-a, one returned at shelf-b", november, drift, "november " + november, "november " + drift,
                "- a voided loan at shelf-b", november, drift, "november " + november, "november " + drift,
                "- box-a's clock was two minutes slow", afterCorrection, drift,
                "november aggregate lending: site,month,loans,borrowers,returns / shelf-a,2026-11,1,1,0 / shelf-b,2026-11,0,0,1 / ", "november " + drift,
                "- w1 erased", afterCorrection, drift,
                "november aggregate lending: site,month,loans,borrowers,returns / shelf-a,2026-11,1,1,0 / shelf-b,2026-11,0,0,1 / ", "november " + drift,
                "- loans past 20 days de-identified", afterCorrection, drift,
                "november aggregate lending: site,month,loans,borrowers,returns / shelf-a,2026-11,1,1,0 / shelf-b,2026-11,0,0,1 / ", "november " + drift,
                "filled from history: the same",
            ])
        // The titles (no catalog: their keys): B3's loan was voided; B2's went to December;
        // shelf-b holds B1 (returned there), so it would restock B2.
        XCTAssertEqual(
            Array(log.filter { $0.contains("most-borrowed") || $0.contains("restock") }.suffix(4)),
            [
                "aggregate most-borrowed: region,rank,title,loans,borrowers / east,1,label:B1,1,1 / east,2,label:B2,1,1 / ",
                "aggregate restock: title,loans_elsewhere,borrowers,sites / label:B2,1,1,1 / ",
                "november aggregate most-borrowed: region,rank,title,loans,borrowers / east,1,label:B1,1,1 / ",
                "november aggregate restock: title,loans_elsewhere,borrowers,sites / ",
            ])
    }

    func testMonthsAreTheEnginesMonths() {
        XCTAssertEqual(ReportAggregates.month(Events.base), "2026-11")
        XCTAssertEqual(ReportAggregates.month(Events.base - 1), "2026-11", "the day before")
        XCTAssertEqual(ReportAggregates.month(Events.base - 1001), "2026-11")
        XCTAssertEqual(ReportAggregates.month(1_796_083_200_000 - 1000), "2026-11")
        XCTAssertEqual(ReportAggregates.month(1_796_083_200_000), "2026-12")
        XCTAssertEqual(ReportAggregates.bounds("2026-12")?.start, 1_796_083_200_000)
        XCTAssertEqual(ReportAggregates.bounds("2026-12")?.end, 1_798_761_600_000)
        XCTAssertNil(ReportAggregates.bounds("2026-13"))
        XCTAssertEqual(ReportAggregates.monthOf("2026-11-01"), .some("2026-11"))
        XCTAssertEqual(ReportAggregates.monthOf(nil), .some(nil))
        XCTAssertNil(ReportAggregates.monthOf("2026-11-02"), "a period that cuts a month is read from the events")
    }
}
