import StationCore
import StationTesting
import XCTest

/// What each event does to the events the ledger stands on (the journal writes these
/// changes into its snapshot).
final class LocalLedgerTests: XCTestCase {
    let alice = WorkerRef(kind: .memberCard, localHash: "v1:alice", masked: "****0001", sealed: nil)
    let bob = WorkerRef(kind: .memberCard, localHash: "v1:bob", masked: "****0002", sealed: nil)
    let copy = ItemRef(key: "label:LIB-000001")
    let title = ItemRef(key: "isbn:9787111213826", title: "9787111213826")

    func event(_ seq: Int64, _ draft: EventDraft) -> JournalEvent {
        JournalEvent(boxID: "box-1", seq: seq, siteID: "site-a", epoch: 0, time: EventTime(wallMillis: seq, synchronized: true, bootID: "b", monotonicMicros: seq), draft: draft)
    }

    func testEachEventSaysWhatItOpenedAndClosed() {
        var l = LocalLedger()
        typealias C = LocalLedger.Change
        XCTAssertEqual(l.apply(event(1, EventDraft(kind: .checkout, item: copy, worker: alice, dueDate: "2026-12-30"))), C(opened: [1]))
        XCTAssertEqual(l.apply(event(2, EventDraft(kind: .renewal, item: copy, worker: alice, dueDate: "2027-01-30"))), C(opened: [2]))
        XCTAssertEqual(l.apply(event(3, EventDraft(kind: .renewal, item: copy, worker: bob, dueDate: "2027-01-30"))), C(), "not bob's loan")
        XCTAssertEqual(l.apply(event(4, EventDraft(kind: .checkout, item: copy, worker: bob))), C(opened: [4], closed: [1, 2]), "a labelled copy lent again")
        XCTAssertEqual(l.apply(event(5, EventDraft(kind: .checkout, item: title, worker: alice))), C(opened: [5]))
        XCTAssertEqual(l.apply(event(6, EventDraft(kind: .checkout, item: title, worker: bob))), C(opened: [6]), "title-only: several at once")
        XCTAssertEqual(l.apply(event(7, EventDraft(kind: .renewal, item: title, worker: bob))), C(opened: [7]))
        XCTAssertEqual(l.apply(event(8, EventDraft(kind: .return, item: title, refersTo: 6))), C(closed: [6, 7]), "the named loan, with its renewal")
        XCTAssertEqual(l.apply(event(9, EventDraft(kind: .return, item: title))), C(closed: [5]), "the oldest")
        XCTAssertEqual(l.apply(event(10, EventDraft(kind: .return, item: title))), C(), "nothing on loan")
        XCTAssertEqual(l.apply(event(11, EventDraft(kind: .visitStart, worker: alice, service: "rest"))), C(opened: [11]))
        XCTAssertEqual(l.apply(event(12, EventDraft(kind: .visitStart, worker: alice, service: "rest"))), C(opened: [12], closed: [11]))
        XCTAssertEqual(l.apply(event(13, EventDraft(kind: .visitEnd, worker: alice))), C(closed: [12]))
        XCTAssertEqual(l.apply(event(14, EventDraft(kind: .void, refersTo: 13))), C(), "the journal undoes a void's event")
        XCTAssertEqual(l.neededSeqs, [4])
    }

    /// The loans a worker holds, kept as a count beside the loans, equal the loans counted
    /// after every event of random journals (voids left to the journal, as in a box).
    func testEachWorkersLoansCountedAsTheyChange() {
        for seed in UInt64(1)...5 {
            var journal = RandomJournal(seed: seed, workers: 5, labels: 8, titles: 2)
            var l = LocalLedger()
            for seq in Int64(1)...1500 {
                let draft = journal.next()
                journal.written(seq)
                l.apply(event(seq, draft))
                for w in journal.workers {
                    let counted = l.loans.values.reduce(0) { $0 + $1.filter { $0.worker == w.localHash }.count }
                    XCTAssertEqual(l.openLoans(of: w.localHash), counted, "seed \(seed), after event \(seq), \(w.localHash)")
                }
            }
        }
    }
}
