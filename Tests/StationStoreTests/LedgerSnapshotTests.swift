import Foundation
import GRDB
import Logging
import StationCore
import StationTesting
import XCTest

@testable import StationStore

/// The ledger's snapshot (Journal+Ledger): after every event, and after reopening, the
/// ledger the box works from is the one a full replay of its journal gives; a start reads
/// the open entries only.
final class LedgerSnapshotTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try ProjectPaths.temporaryDirectory("snapshot") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// Without fsync: these tests are about what is written, PowerCutTests about durability.
    func open() throws -> Journal {
        try Journal(
            directory: dir.path, boxID: "box-1", siteID: "site-a", options: .init(synchronous: "OFF", checkpointIntervalSeconds: 3600), logger: Logger(label: "test"))
    }

    func time(_ n: Int) -> EventTime { EventTime(wallMillis: Int64(n) * 1000, synchronized: true, bootID: "boot-1", monotonicMicros: Int64(n) * 1000) }

    /// Appends `count` random events (after the `start`th), checking the ledger in force and
    /// the snapshot on disk against a full replay every `every` events.
    func fill(_ j: Journal, _ gen: inout RandomJournal, count: Int, start: Int = 0, every: Int = 1) throws {
        for n in (start + 1)...(start + count) {
            let e = try j.append(gen.next(), time: time(n))
            gen.written(e.seq)
            if n % every == 0 {
                let replayed = try j.replayedLedger()
                for (name, ledger) in [("the ledger in force", j.ledger), ("the snapshot", try j.snapshotLedger())] where ledger != replayed {
                    let loans = ledger.loans.values.flatMap { $0 }.filter { !(replayed.loans[$0.item.key]?.contains($0) ?? false) }
                    XCTFail("\(name) after seq \(e.seq) (\(e.draft.kind)) is not the replay's: it stands on \(ledger.neededSeqs.sorted()), the replay on \(replayed.neededSeqs.sorted()); loans not in the replay: \(loans.prefix(3))")
                    return
                }
            }
        }
    }

    func testTheSnapshotIsAFullReplayAfterEveryEventAndAfterReopening() throws {
        for seed in UInt64(1)...3 {
            try? FileManager.default.removeItem(at: dir)
            var gen = RandomJournal(seed: seed)
            var j = try open()
            try fill(j, &gen, count: 300)
            let kinds = try j.events().map(\.draft.kind)
            XCTAssertGreaterThan(kinds.filter { $0 == .void }.count, 10, "voids of the previous and of older events")
            XCTAssertGreaterThan(kinds.filter { $0 == .renewal }.count, 10)
            XCTAssertFalse(j.ledger.loans.isEmpty)
            XCTAssertFalse(j.ledger.visits.isEmpty)
            let before = j.ledger
            try j.close()
            j = try open()
            XCTAssertEqual(j.ledger, before, "seed \(seed): reopened from the snapshot")
            try fill(j, &gen, count: 100, start: 300, every: 10)
            try j.close()
        }
    }

    /// A void of the event just before it: what that event closed is open again, and what
    /// it opened is gone, in memory and on disk.
    func testAVoidOfTheLastEventUndoesItsChange() throws {
        let j = try open()
        let w = WorkerRef(kind: .memberCard, localHash: "v1:w", masked: "****0001", sealed: nil)
        let book = ItemRef(key: "label:LIB-000001")
        let loan = try j.append(EventDraft(kind: .checkout, item: book, worker: w, dueDate: "2026-12-30"), time: time(1))
        let renewal = try j.append(EventDraft(kind: .renewal, item: book, worker: w, dueDate: "2027-01-30"), time: time(2))
        let back = try j.append(EventDraft(kind: .return, item: book), time: time(3))
        XCTAssertTrue(j.ledger.loans.isEmpty)
        _ = try j.append(EventDraft(kind: .void, refersTo: back.seq), time: time(4))
        XCTAssertEqual(j.ledger.oldestLoan(of: book.key)?.seq, loan.seq)
        XCTAssertEqual(j.ledger.oldestLoan(of: book.key)?.dueDate, "2027-01-30")
        XCTAssertEqual(j.ledger.neededSeqs, [loan.seq, renewal.seq])
        XCTAssertEqual(try j.snapshotLedger(), j.ledger)
        let visit = try j.append(EventDraft(kind: .visitStart, worker: w, service: "rest"), time: time(5))
        _ = try j.append(EventDraft(kind: .void, refersTo: visit.seq), time: time(6))
        XCTAssertTrue(j.ledger.visits.isEmpty)
        XCTAssertEqual(try j.replayedLedger(), j.ledger)
        XCTAssertEqual(try j.snapshotLedger(), j.ledger)
        try j.close()
    }

    /// A write that fails leaves the ledger as the journal has it: the loan the failed
    /// checkout would have made is not there once the next append has reconciled.
    func testAFailedWriteLeavesTheLedgerAsOnDisk() throws {
        let j = try open()
        let w = WorkerRef(kind: .memberCard, localHash: "v1:w", masked: "****0001", sealed: nil)
        let kept = try j.append(EventDraft(kind: .checkout, item: ItemRef(key: "label:LIB-000001"), worker: w), time: time(1))
        // A trigger behind the journal's back makes the next write fail and land nothing.
        let q = try DatabaseQueue(path: j.path)
        try q.write { try $0.execute(sql: "CREATE TRIGGER refuse BEFORE INSERT ON event BEGIN SELECT RAISE(ABORT, 'disk error'); END") }
        let lost = ItemRef(key: "label:LIB-000002")
        XCTAssertThrowsError(try j.append(EventDraft(kind: .checkout, item: lost, worker: w), time: time(2)))
        try q.write { try $0.execute(sql: "DROP TRIGGER refuse") }
        try q.close()
        _ = try j.append(EventDraft(kind: .visitEnd, worker: w), time: time(3))
        XCTAssertNil(j.ledger.oldestLoan(of: lost.key), "the failed checkout is not a loan")
        XCTAssertEqual(j.ledger.neededSeqs, [kept.seq])
        XCTAssertEqual(j.ledger, try j.replayedLedger())
        try j.close()
    }

    /// A start replays the events the ledger stands on, never history: with every closed
    /// event's body made unreadable, the journal still opens with the same ledger (while a
    /// full replay cannot read it).
    func testAStartReadsOnlyTheOpenEntries() throws {
        var gen = RandomJournal(seed: 9)
        var j = try open()
        try fill(j, &gen, count: 500, every: 100)
        let before = j.ledger
        let standing = before.neededSeqs
        try j.close()
        let q = try DatabaseQueue(path: j.path)
        try q.write { db in
            try db.execute(sql: "DROP TRIGGER event_immutable")
            try db.execute(sql: "UPDATE event SET body = '{\"unreadable\": true}' WHERE seq NOT IN (\(standing.map(String.init).joined(separator: ",")))")
            XCTAssertGreaterThan(db.changesCount, 400)
        }
        try q.close()
        j = try open()
        XCTAssertEqual(j.ledger, before)
        XCTAssertThrowsError(try j.replayedLedger(), "history is unreadable: the start did not read it")
        try j.close()
    }

    /// A journal from before the snapshot (or one whose snapshot is missing) gets one from a
    /// full replay at its first start.
    func testAJournalWithoutASnapshotGetsOneFromAFullReplay() throws {
        var gen = RandomJournal(seed: 3)
        var j = try open()
        try fill(j, &gen, count: 200, every: 200)
        let expected = try j.replayedLedger()
        try j.close()
        let q = try DatabaseQueue(path: j.path)
        try q.write { db in
            try db.execute(sql: "DELETE FROM ledger_entry")
            try db.execute(sql: "DELETE FROM meta WHERE key = 'ledger_snapshot'")
        }
        try q.close()
        j = try open()
        XCTAssertEqual(j.ledger, expected)
        XCTAssertEqual(try j.snapshotLedger(), expected)
        try j.close()
    }

    /// Retention keeps what the snapshot stands on, however old.
    func testRetentionKeepsWhatTheLedgerStandsOn() throws {
        var gen = RandomJournal(seed: 11)
        let j = try open()
        try fill(j, &gen, count: 300, every: 300)
        try j.acknowledge(through: j.upcomingSeq - 1)
        let before = j.ledger
        XCTAssertGreaterThan(try j.purge(nowMillis: 10_000 * 86_400_000, retention: .init(days: 1)), 100)
        let left = Set(try j.events().map(\.seq))
        XCTAssertTrue(before.neededSeqs.isSubset(of: left))
        XCTAssertLessThan(left.count, before.neededSeqs.count + 5, "the needed ones, the newest and what the newest closed")
        XCTAssertEqual(try j.replayedLedger(), before, "a full replay of what is left gives the same ledger")
        try j.close()
    }
}
