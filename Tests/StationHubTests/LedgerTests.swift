import StationCore
import StationTesting
import XCTest

@testable import StationHub

/// DESIGN's rules table, as values, and the same ledger whatever the order.
final class LedgerTests: XCTestCase {
    func worker(_ p: String) -> WorkerRef { WorkerRef(kind: .residentID, localHash: "v1:\(p)", masked: "****", sealed: nil, pseudonym: "p1:\(p)") }

    func e(_ box: String, _ seq: Int64, _ at: Int64, _ kind: EventKind, site: String = "site-a", item: String? = "label:B1", who: String? = nil, service: String? = nil) -> JournalEvent {
        JournalEvent(
            boxID: box, seq: seq, siteID: site, epoch: 0, time: EventTime(wallMillis: at, synchronized: true, bootID: "b", monotonicMicros: at),
            draft: EventDraft(kind: kind, item: item.map { ItemRef(key: $0) }, worker: who.map(worker), dueDate: kind == .return ? nil : "2026-12-30", service: service))
    }

    func testACheckoutOfABookOnLoanToAnotherWorkerImpliesItsReturn() {
        let b = Ledger.book("label:B1", events: [e("box-1", 1, 10, .checkout, who: "alice"), e("box-2", 1, 20, .checkout, site: "site-b", who: "bob")])
        XCTAssertEqual(b.holder, "p1:bob")
        XCTAssertEqual(b.flags, ["implied-return"])
    }

    func testACheckoutBySameWorkerAtAnotherBoxIsARenewal() {
        let b = Ledger.book("label:B1", events: [e("box-1", 1, 10, .checkout, who: "alice"), e("box-2", 1, 20, .checkout, who: "alice")])
        XCTAssertEqual(b.holder, "p1:alice")
        XCTAssertEqual(b.loanedAtMillis, 10, "still the first loan")
        XCTAssertEqual(b.flags, [])
    }

    func testReturnWithoutLoanAndDrift() {
        let b = Ledger.book("label:B1", events: [e("box-1", 1, 10, .return, site: "site-a"), e("box-2", 1, 20, .return, site: "site-b")])
        XCTAssertNil(b.holder)
        XCTAssertEqual(b.site, "site-b", "the book now lives where it was returned")
        XCTAssertEqual(b.flags, ["returned-without-loan", "drifted"])
    }

    /// A copy seen in a stocktake is where it was seen, unless the ledger has it on loan
    /// (the stocktake report offers the implied return; the ledger does not guess).
    func testASightingMovesACopyOnTheShelfAndLeavesALoanAlone() {
        let shelved = Ledger.book("label:B1", events: [e("box-1", 1, 10, .return, site: "site-a"), e("box-2", 1, 20, .seen, site: "site-b")])
        XCTAssertEqual([shelved.site, shelved.holder], ["site-b", nil])
        XCTAssertEqual(shelved.flags, ["returned-without-loan", "drifted"])
        let lent = Ledger.book("label:B1", events: [e("box-1", 1, 10, .checkout, who: "alice"), e("box-2", 1, 20, .seen, site: "site-b")])
        XCTAssertEqual([lent.site, lent.holder], ["site-a", "p1:alice"])
        XCTAssertEqual(lent.flags, [])
        let home = Ledger.book("label:B1", entries: [Ledger.Entry(e("box-1", 1, 10, .seen, site: "site-a"))], homeSite: "site-a")
        XCTAssertEqual(home.flags, [], "seen at home")
    }

    func testVisitsPairAndOddOnesAreKeptAndFlagged() {
        let events = [
            e("hut-1", 1, 0, .visitStart, item: nil, who: "m1", service: "lactation"), e("hut-1", 2, 600_000, .visitEnd, item: nil, who: "m1"),
            e("hut-1", 3, 700_000, .visitEnd, item: nil, who: "m2"),
            e("hut-1", 4, 800_000, .visitStart, item: nil, who: "m3"),
        ]
        let v = Ledger.visits(events, maxMillis: 3_600_000, nowMillis: 800_000 + 3_600_000)
        XCTAssertEqual(v.count, 3)
        XCTAssertEqual(v[0].endMillis, 600_000)
        XCTAssertEqual(v[0].flags, [])
        XCTAssertEqual(v[1].flags, ["end-without-start"])
        XCTAssertEqual(v[2].flags, ["closed-by-hub"])
        XCTAssertEqual(v[2].endMillis, 800_000 + 3_600_000)
    }

    func testTheSameLedgerInEveryOrder() {
        let events = [
            e("box-1", 1, 10, .checkout, who: "alice"), e("box-1", 2, 30, .return), e("box-2", 1, 20, .checkout, site: "site-b", who: "bob"),
            e("box-2", 2, 40, .checkout, site: "site-b", who: "bob"), e("box-2", 3, 40, .return, site: "site-b"), e("box-1", 3, 50, .checkout, who: "carol"),
        ]
        let expected = Ledger.book("label:B1", events: events)
        var rng = TestIdentities(seed: 11)
        for _ in 0..<200 {
            var shuffled = events
            for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, rng.number(in: 0...i)) }
            XCTAssertEqual(Ledger.book("label:B1", events: shuffled), expected)
        }
        XCTAssertEqual(expected.holder, "p1:carol")
    }
}

extension LedgerTests {
    /// A book the catalog places at its home site has drifted when it is returned at
    /// another; returned at home it has not.
    func testTheCatalogsHomeSiteDecidesDrift() {
        let away = Ledger.book("label:B9", entries: [
            Ledger.Entry(boxID: "box-1", seq: 1, siteID: "site-b", kind: .return, worker: nil, atMillis: 10, dueDate: nil, service: nil, autoClosed: false),
        ], homeSite: "site-a")
        XCTAssertEqual(away.site, "site-b")
        XCTAssertTrue(away.flags.contains("drifted"), "\(away.flags)")
        let home = Ledger.book("label:B9", entries: [
            Ledger.Entry(boxID: "box-1", seq: 1, siteID: "site-a", kind: .return, worker: nil, atMillis: 10, dueDate: nil, service: nil, autoClosed: false),
        ], homeSite: "site-a")
        XCTAssertFalse(home.flags.contains("drifted"), "\(home.flags)")
    }
}
