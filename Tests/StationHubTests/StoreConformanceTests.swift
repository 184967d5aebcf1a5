import Foundation
import StationCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// Every store operation on both engines, in process: the same answers from SQLite and
/// PostgreSQL (``Engines/agree``), and the answers this test expects.
final class StoreConformanceTests: XCTestCase {
    /// What an operation answered, as a line: `ok`, a value, or the refusal's kind.
    static func attempt(_ what: String, _ op: () async throws -> String) async -> String {
        do {
            return "\(what): \(try await op())"
        } catch let error as HubError {
            return "\(what): \(error.kind)"
        } catch {
            return "\(what): \(error)"
        }
    }

    func testAdministrationAndEnrollmentRefuseWhatTheyShould() async throws {
        let log = try await Engines.agree("admin") { _, store in
            var log: [String] = []
            func step(_ what: String, _ op: () async throws -> String) async { log.append(await Self.attempt(what, op)) }
            await step("site") { try await store.addSite("shelf-a", region: "east"); return "ok" }
            await step("site again") { try await store.addSite("shelf-a", region: nil); return "ok" }
            await step("box at no site") { _ = try await store.addBox("box-1", site: "nowhere"); return "ok" }
            let token = try await store.addBox("box-1", site: "shelf-a")
            try await store.addSite("shelf-b", region: nil)
            await step("box at another site") { _ = try await store.addBox("box-1", site: "shelf-b"); return "ok" }
            var first = ""
            await step("enroll") { first = try await store.enroll(token: token).credential; return "ok" }
            await step("enroll again") { _ = try await store.enroll(token: token); return "ok" }
            await step("unknown token") { _ = try await store.enroll(token: "nonsense"); return "ok" }
            await step("authenticate") { let o = try await store.authenticate(first); return "\(o.box)@\(o.site)" }
            await step("unknown credential") { _ = try await store.authenticate("x"); return "ok" }
            await step("revoke no box") { try await store.revoke("box-9", reason: "r"); return "ok" }
            await step("revoke") { try await store.revoke("box-1", reason: "stolen from the shelf"); return "ok" }
            await step("revoked") { _ = try await store.authenticate(first); return "ok" }
            await step("credential") { try await store.boxCredential("box-1").revoked ?? "-" }
            let second = try await store.enroll(token: try await store.addBox("box-1", site: "shelf-a")).credential
            await step("old credential") { _ = try await store.authenticate(first); return "ok" }
            await step("new credential") { let o = try await store.authenticate(second); return "\(o.box)@\(o.site)" }
            await step("no box") { _ = try await store.boxCredential("box-9"); return "ok" }
            log += try await store.dump("SELECT id, site_id, revoked_reason, last_seen_ms IS NOT NULL FROM box")
            return log
        }
        XCTAssertEqual(
            log,
            [
                "site: ok", "site again: conflict", "box at no site: notFound", "box at another site: conflict", "enroll: ok", "enroll again: unauthorized",
                "unknown token: unauthorized", "authenticate: box-1@shelf-a", "unknown credential: unauthorized", "revoke no box: notFound", "revoke: ok",
                "revoked: forbidden", "credential: stolen from the shelf", "old credential: unauthorized", "new credential: box-1@shelf-a",
                "no box: notFound", "box-1|shelf-a|-|1",
            ])
    }

    func testIngestIsIdempotentQuarantinesConflictsAndFollowsDeclaredGaps() async throws {
        let log = try await Engines.agree("ingest") { _, store in
            try await Events.union(store)
            func send(_ events: [JournalEvent], extra: [IncomingEvent] = [], box: String = "box-a", site: String = "shelf-a") async -> String {
                await Self.attempt("batch") { Events.summary(try await store.ingest(box: box, site: site, events: Events.incoming(events) + extra, keys: nil)) }
            }
            func ret(_ seq: Int64, item: String = "label:B1", epoch: Int = 0) -> JournalEvent {
                Events.event("box-a", seq, site: "shelf-a", .return, at: seq, item: item, epoch: epoch)
            }
            var log: [String] = []
            log.append(await send((1...5).map { ret($0) }))
            log.append(await send((1...5).map { ret($0) }))  // the answer was lost: sent again
            log.append(await send([ret(1, item: "label:OTHER"), ret(6)], extra: [.unreadable(seq: 7, body: #"{"seq":7}"#, reason: "not an event")]))
            log.append(await send([ret(8), ret(9), ret(12)]))
            log.append(await send([ret(10), ret(11)]))
            log.append(await send([ret(1001, epoch: 1)]))  // a salvaged journal declares its gap
            log.append(await send([Events.event("box-b", 1, site: "shelf-b", .return, at: 1, item: "label:B1")]))
            log.append(await send([Events.event("box-a", 13, site: "shelf-b", .return, at: 1, item: "label:B1")]))
            log.append(await send([], box: "box-x", site: "shelf-a"))
            log += try await store.dump("SELECT box_id, seq, reason FROM quarantine ORDER BY id")
            log += try await store.dump("SELECT id, acked_through, epoch FROM box ORDER BY id")
            return log
        }
        XCTAssertEqual(
            log,
            [
                "batch: acked 5 applied 5 dup 0 q [] resume - conflict false",
                "batch: acked 5 applied 0 dup 5 q [] resume - conflict false",
                "batch: acked 7 applied 1 dup 0 q [1:seq 1 arrived again with different content;7:not an event] resume - conflict true",
                "batch: acked 9 applied 3 dup 0 q [] resume 10 conflict false",
                "batch: acked 12 applied 2 dup 0 q [] resume - conflict false",
                "batch: acked 1001 applied 1 dup 0 q [] resume - conflict false",
                "batch: forbidden", "batch: forbidden", "batch: notFound",
                "box-a|1|seq 1 arrived again with different content", "box-a|7|not an event",
                "box-a|1001|1", "box-b|0|0", "box-c|0|0",
            ])
    }

    func testTheLedgerIsTheSameWhateverOrderBatchesArriveIn() async throws {
        let seed = UInt64.random(in: 0..<(1 << 32))
        let union = RandomUnion(seed: seed)
        let dumps = try await Engines.agree("order") { _, store in
            var rng = TestIdentities(seed: seed &+ 1)
            var dumps: [[String]] = []
            for round in 0..<3 {
                if round > 0 {
                    try await store.engine.transaction { s in
                        for t in ["event", "quarantine", "ledger_book", "ledger_visit", "clock_correction", "lending_month", "book_month", "book_move"] { try await s.execute("DELETE FROM \(t)") }
                        try await s.execute("UPDATE request SET state = 'placed', since_ms = placed_ms, until_ms = NULL, at_site = NULL, active = 1")
                    }
                }
                else {
                    try await Events.union(store)
                    try await store.insertRequests(RandomUnion.requests)
                }
                for delivery in union.deliveries(&rng) {
                    switch delivery {
                    case .batch(let box, let site, let events): _ = try await store.ingest(box: box, site: site, events: Events.incoming(events), keys: nil)
                    case .correction(let box, let c): _ = try await store.addClockCorrections(box: box, [c])
                    }
                }
                dumps.append(try await store.ledgerDump() + store.aggregatesDump() + store.transfersDump().map { "transfers \($0)" })
            }
            return dumps
        }
        let expected = union.expectedLedger()
        let transfers = union.expectedTransfers(nowMillis: HubIngest.nowMillis()).map { "transfers \($0)" }
        // The reports' aggregates agree with the events, and are the same whatever the order.
        let aggregates = dumps[0].filter { $0.hasPrefix("aggregate ") }
        XCTAssertEqual(aggregates.count, 4, "seed \(seed)")
        XCTAssertFalse(aggregates.contains { $0.contains("but the events say") }, "seed \(seed): \(aggregates)")
        XCTAssertTrue(aggregates.contains { $0.contains("shelf-a,") }, "seed \(seed): \(aggregates)")
        for (round, dump) in dumps.enumerated() {
            XCTAssertEqual(dump.filter { !$0.hasPrefix("aggregate ") && !$0.hasPrefix("transfers ") }, expected, "seed \(seed), order \(round)")
            XCTAssertEqual(dump.filter { $0.hasPrefix("transfers ") }, transfers, "seed \(seed), order \(round)")
            XCTAssertEqual(dump.filter { $0.hasPrefix("aggregate ") }, aggregates, "seed \(seed), order \(round)")
        }
        // Not a vacuous comparison: every book the events name has its row, and visits were paired.
        let books = Set(union.events.compactMap { $0.draft.item?.key })
        XCTAssertEqual(Set(expected.compactMap { $0.hasPrefix("label:") ? String($0.prefix { $0 != "|" }) : nil }), books, "seed \(seed)")
        XCTAssertTrue(expected.contains { $0.hasPrefix("hut-c|") }, "seed \(seed)")
        // Transfers happened, and the requests moved on from where they were placed.
        XCTAssertTrue(union.events.contains { $0.draft.kind == .transferOut } && union.events.contains { $0.draft.kind == .transferIn }, "seed \(seed)")
        XCTAssertTrue(transfers.contains { $0.hasPrefix("transfers rq") && !$0.contains("|placed|") }, "seed \(seed): \(transfers)")
    }

    func testClockCorrectionsRetimeTheirBootAndTheBestOffsetWins() async throws {
        let log = try await Engines.agree("clock") { _, store in
            try await Events.union(store)
            // Checked out at box-a at its 10:00 (unsynchronised), returned at box-b at 10:00.5.
            let out = Events.event("box-a", 1, site: "shelf-a", .checkout, at: 10, item: "label:C1", who: "w", synced: false, boot: "u")
            var back = Events.event("box-b", 1, site: "shelf-b", .return, at: 10, item: "label:C1")
            back.time.wallMillis += 500
            _ = try await store.ingest(box: "box-b", site: "shelf-b", events: Events.incoming([back]), keys: nil)
            _ = try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming([out]), keys: nil)
            var log = try await store.dump("SELECT holder, site_id, flags FROM ledger_book")
            let hubDate = ClockCorrection(bootID: "u", offsetMillis: 300, source: .hubDate, recordedWallMillis: 1, monotonicMicros: 1)
            let ntp = ClockCorrection(bootID: "u", offsetMillis: 1000, source: .ntp, recordedWallMillis: 2, monotonicMicros: 2)
            _ = try await store.addClockCorrections(box: "box-a", [hubDate])
            log += try await store.dump("SELECT holder, site_id, flags FROM ledger_book")
            _ = try await store.addClockCorrections(box: "box-a", [ntp, hubDate])
            _ = try await store.addClockCorrections(box: "box-a", [ntp])
            log += try await store.dump("SELECT holder, site_id, flags FROM ledger_book")
            log += try await store.dump("SELECT count(*) FROM clock_correction")
            log += try await store.dump("SELECT corrected_ms - wall_ms FROM event WHERE box_id = 'box-a'")
            return log
        }
        XCTAssertEqual(
            log,
            [
                // Box-a's clock: as recorded the loan came first; 0.3 s late (the Date
                // header) it still does; 1 s late (NTP, preferred) it came after the return.
                "-|shelf-b|drifted", "-|shelf-b|drifted", "\(Events.key("box-a", "w"))|shelf-a|returned-without-loan", "2", "1000",
            ])
    }

    /// A void cancels its event everywhere, whether it arrives after the event or before.
    func testAVoidedCheckOutLeavesTheBookOnNoOnesLoanWhicheverArrivesFirst() async throws {
        let log = try await Engines.agree("void") { _, store in
            try await Events.union(store)
            let out = Events.event("box-a", 1, site: "shelf-a", .checkout, at: 1, item: "label:V1", who: "w", due: "2026-12-01")
            let void = Events.event("box-a", 2, site: "shelf-a", .void, at: 2, refersTo: 1)
            let out2 = Events.event("box-b", 2, site: "shelf-b", .checkout, at: 1, item: "label:V2", who: "w", due: "2026-12-01")
            let void2 = Events.event("box-b", 3, site: "shelf-b", .void, at: 2, refersTo: 2)
            var log: [String] = []
            _ = try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming([out]), keys: nil)
            log += try await store.dump("SELECT item_key, holder, due_date FROM ledger_book")
            _ = try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming([void]), keys: nil)
            log += try await store.dump("SELECT item_key, holder, due_date FROM ledger_book")
            _ = try await store.ingest(box: "box-b", site: "shelf-b", events: Events.incoming([void2]), keys: nil)
            _ = try await store.ingest(box: "box-b", site: "shelf-b", events: Events.incoming([out2]), keys: nil)
            log += try await store.dump("SELECT item_key, holder, due_date FROM ledger_book ORDER BY item_key")
            return log
        }
        XCTAssertEqual(log, ["label:V1|\(Events.key("box-a", "w"))|2026-12-01", "label:V1|-|-", "label:V1|-|-", "label:V2|-|-"])
    }
}
