import Foundation
import StationCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// Books carried forward (``LedgerFold``) on both engines: a book whose new events come
/// after everything held of it is carried forward from its row, and anything else (an
/// older event, a void, an event whose void came first, a copy with a request, a row that
/// retention renamed) recomputes it from every event. Either way the rows are those a
/// recompute of every book from its whole history gives.
final class StoreLedgerFoldConformanceTests: XCTestCase {
    /// A row's flags set to a marker no event makes: a book carried forward keeps it, a
    /// recomputed one loses it. The marker is how this test sees which path a batch took.
    static let marker = "carried"

    func testABookIsCarriedForwardOnlyWhenItsNewEventsComeAfterItsRowAndEndsAsAFullRecomputeWouldMakeIt() async throws {
        let log = try await Engines.agree("fold") { _, store in
            try await Events.union(store)
            var log: [String] = []
            func send(_ box: String, _ site: String, _ events: [JournalEvent]) async throws {
                _ = try await store.ingest(box: box, site: site, events: Events.incoming(events), keys: nil)
            }
            /// Marks every book's row, sends `events`, and logs which of its books kept the mark.
            func step(_ what: String, _ box: String, _ site: String, _ events: [JournalEvent]) async throws {
                try await setFlags { $0 + [Self.marker] }
                try await send(box, site, events)
                // (Of the books this batch names: the others were not touched at all.)
                let named = Set(events.compactMap { $0.draft.item?.key })
                let carried = try await store.dump("SELECT item_key FROM ledger_book WHERE flags LIKE ? ORDER BY item_key", [.text("%" + Self.marker + "%")])
                log.append("\(what): carried \(carried.filter(named.contains).joined(separator: ","))")
                try await setFlags { $0.filter { $0 != Self.marker } }
            }
            func setFlags(_ change: @escaping @Sendable ([String]) -> [String]) async throws {
                try await store.engine.transaction { s in
                    for row in try await s.rows("SELECT item_key, flags FROM ledger_book") {
                        let flags = change((row[1].text ?? "").split(separator: ",").map(String.init))
                        try await s.execute("UPDATE ledger_book SET flags = ? WHERE item_key = ?", [.text(flags.joined(separator: ",")), row[0]])
                    }
                }
            }
            try await send("box-a", "shelf-a", [
                Events.event("box-a", 1, site: "shelf-a", .checkout, at: 10, item: "label:F1", who: "w1", due: "2026-11-30"),
                Events.event("box-a", 2, site: "shelf-a", .checkout, at: 11, item: "label:F2", who: "w2", due: "2026-11-30"),
                Events.event("box-a", 3, site: "shelf-a", .checkout, at: 12, item: "label:F3", who: "w3", due: "2026-11-30"),
            ])
            // Later events of F1 and F2: carried forward (F2's return at shelf-b is a move).
            try await step("in order", "box-b", "shelf-b", [
                Events.event("box-b", 1, site: "shelf-b", .return, at: 20, item: "label:F1"),
                Events.event("box-b", 2, site: "shelf-b", .return, at: 21, item: "label:F2"),
                Events.event("box-b", 3, site: "shelf-b", .checkout, at: 22, item: "label:F1", who: "w4", due: "2026-12-05"),
            ])
            // An event older than F3's row, and one later than F2's: only F2 is carried.
            try await step("one late", "box-b", "shelf-b", [
                Events.event("box-b", 4, site: "shelf-b", .return, at: 5, item: "label:F3"),
                Events.event("box-b", 5, site: "shelf-b", .checkout, at: 30, item: "label:F2", who: "w5", due: "2026-12-05"),
            ])
            // A void of F2's loan, and a later loan of F2 in the same batch: recomputed.
            try await step("a void", "box-b", "shelf-b", [
                Events.event("box-b", 6, site: "shelf-b", .void, at: 31, refersTo: 5),
                Events.event("box-b", 9, site: "shelf-b", .checkout, at: 32, item: "label:F2", who: "w8"),
            ])
            // A void that came before its event: the event, later than F1's row, is recomputed.
            try await send("box-c", "hut-c", [Events.event("box-c", 2, site: "hut-c", .void, at: 40, refersTo: 1)])
            try await step("its void first", "box-c", "hut-c", [
                Events.event("box-c", 1, site: "hut-c", .return, at: 39, item: "label:F1"),
                Events.event("box-c", 3, site: "hut-c", .return, at: 41, item: "label:F3"),
            ])
            // A copy a request names: recomputed, whatever the order (its request reads all).
            try await store.insertRequests([
                Requests.Request(id: "rq-f", itemKey: "label:F3", pickupSite: "shelf-a", worker: Events.key("box-a", "w9"), placedMillis: Events.base, holdDays: 7)
            ])
            try await step("requested", "box-a", "shelf-a", [Events.event("box-a", 4, site: "shelf-a", .checkout, at: 50, item: "label:F3", who: "w6")])
            // Retention renames loans' workers in place: those rows are recomputed next.
            try await store.setRetention("checkout", days: 1)
            _ = try await store.applyRetention(nowMillis: Events.base + 60 * 86_400_000)  // (it cuts at a month's start)
            try await step("after retention", "box-b", "shelf-b", [
                Events.event("box-b", 7, site: "shelf-b", .return, at: 60, item: "label:F1"),
                Events.event("box-b", 8, site: "shelf-b", .return, at: 61, item: "label:F2"),
            ])
            try await step("then in order again", "box-a", "shelf-a", [Events.event("box-a", 5, site: "shelf-a", .checkout, at: 70, item: "label:F1", who: "w7")])
            // Renewals kept shorter than loans: w10's renewal of F5 loses its worker, and so
            // does F4's row, whose holder w10 is (a loan from before the cutoff), while F4's
            // check-out keeps w10. The row is recomputed when w10 renews F4.
            try await send("box-a", "shelf-a", [
                Events.event("box-a", 6, site: "shelf-a", .checkout, at: 80, item: "label:F4", who: "w10", due: "2026-11-20"),
                Events.event("box-a", 7, site: "shelf-a", .checkout, at: 81, item: "label:F5", who: "w10", due: "2026-11-20"),
                Events.event("box-a", 8, site: "shelf-a", .renewal, at: 82, item: "label:F5", who: "w10", due: "2026-11-27"),
            ])
            try await store.setRetention("checkout", days: 36_500)
            try await store.setRetention("renewal", days: 20)
            _ = try await store.applyRetention(nowMillis: Events.base + 60 * 86_400_000)
            try await step("renewals expired", "box-a", "shelf-a", [
                Events.event("box-a", 9, site: "shelf-a", .renewal, at: 90, item: "label:F4", who: "w10", due: "2026-12-20")
            ])

            // What ingest kept is what a recompute of every book from its history makes: every
            // row that says so (`folded` = 1; rows renamed in place wait for their next
            // batch), and every book's months and moves.
            func rows(_ books: String) async throws -> [String] {
                try await store.dump(
                    "SELECT \((HubStore.bookColumns + HubStore.foldColumns.dropFirst()).joined(separator: ", ")) FROM ledger_book WHERE \(books) ORDER BY item_key")
                    + store.dump("SELECT item_key, site_id, month, loans FROM book_month ORDER BY item_key, site_id, month")
                    + store.dump("SELECT item_key, box_id, seq, at_ms, from_site, to_site FROM book_move ORDER BY box_id, seq")
            }
            let folded = try await store.dump("SELECT item_key FROM ledger_book WHERE folded = 1 ORDER BY item_key")
            let kept = try await rows("folded = 1")
            try await store.engine.transaction { s in
                try await s.execute("UPDATE ledger_book SET folded = 0, last_ms = NULL, last_box = NULL, last_seq = NULL, move_site = NULL")
                try await store.rebuildBooks(s, ["label:F1", "label:F2", "label:F3", "label:F4", "label:F5"])
            }
            let recomputed = try await rows("item_key IN (" + folded.map { "'\($0)'" }.joined(separator: ", ") + ")")
            log.append("\(folded.count) rows carry a mark")
            log.append(kept == recomputed ? "kept as recomputed" : "kept \(kept) but recomputed \(recomputed)")
            log += try await store.aggregatesDump().filter { $0.contains("but the events say") }
            log += try await store.dump("SELECT item_key, from_site, to_site FROM book_move ORDER BY box_id, seq")
            return log
        }
        XCTAssertEqual(
            log,
            [
                "in order: carried label:F1,label:F2",
                "one late: carried label:F2",
                "a void: carried ",
                "its void first: carried label:F3",
                "requested: carried ",
                "after retention: carried ",
                "then in order again: carried label:F1",
                "renewals expired: carried ",
                // F3's and F5's rows were renamed in place by retention and wait for their next batch.
                "3 rows carry a mark",
                "kept as recomputed",
                // F1 and F2 returned at shelf-b after shelf-a; F3 returned at hut-c after shelf-a.
                "label:F1|shelf-a|shelf-b", "label:F2|shelf-a|shelf-b", "label:F3|shelf-a|hut-c",
            ])
    }
}
