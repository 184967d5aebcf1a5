import Foundation
import GRDB
import Logging
import StationCore
import StationTesting
import XCTest

@testable import StationStore

/// The ledger's snapshot (Journal+Ledger): after every event, and after reopening, the
/// snapshot and every window a scan reads of it agree with a full replay of the journal; a
/// start reads no closed entry.
final class LedgerSnapshotTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try ProjectPaths.temporaryDirectory("snapshot") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// Without fsync: these tests are about what is written, PowerCutTests about durability.
    func open() throws -> Journal {
        try Journal(
            directory: dir.path, boxID: "box-1", siteID: "site-a", options: .init(synchronous: "OFF", checkpointFrames: .max), logger: Logger(label: "test"))
    }

    func time(_ n: Int) -> EventTime { EventTime(wallMillis: Int64(n) * 1000, synchronized: true, bootID: "boot-1", monotonicMicros: Int64(n) * 1000) }

    /// Appends `count` random events (after the `start`th), checking the snapshot on disk and
    /// the windows scans read against a full replay every `every` events.
    func fill(_ j: Journal, _ gen: inout RandomJournal, count: Int, start: Int = 0, every: Int = 1) throws {
        for n in (start + 1)...(start + count) {
            let e = try j.append(gen.next(), time: time(n))
            gen.written(e.seq)
            if n % every == 0 {
                let replayed = try j.replayedLedger()
                let ledger = try j.snapshotLedger()
                if ledger != replayed {
                    let loans = ledger.loans.values.flatMap { $0 }.filter { !(replayed.loans[$0.item.key]?.contains($0) ?? false) }
                    XCTFail("the snapshot after seq \(e.seq) (\(e.draft.kind)) is not the replay's: it stands on \(ledger.neededSeqs.sorted()), the replay on \(replayed.neededSeqs.sorted()); loans not in the replay: \(loans.prefix(3))")
                    return
                }
                if let wrong = try j.windowMismatches(against: replayed).first {
                    XCTFail("after seq \(e.seq) (\(e.draft.kind)): \(wrong)")
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
            XCTAssertFalse(try j.snapshotLedger().loans.isEmpty)
            XCTAssertFalse(try j.snapshotLedger().visits.isEmpty)
            let before = try j.snapshotLedger()
            try j.close()
            j = try open()
            XCTAssertEqual(try j.snapshotLedger(), before, "seed \(seed): reopened from the snapshot")
            try fill(j, &gen, count: 100, start: 300, every: 10)
            try j.close()
        }
    }

    /// A void of the event just before it: what that event closed is open again, and what
    /// it opened is gone, on disk and in the windows scans read.
    func testAVoidOfTheLastEventUndoesItsChange() throws {
        let j = try open()
        let w = WorkerRef(kind: .memberCard, localHash: "v1:w", masked: "****0001", sealed: nil)
        let book = ItemRef(key: "label:LIB-000001")
        let loan = try j.append(EventDraft(kind: .checkout, item: book, worker: w, dueDate: "2026-12-30"), time: time(1))
        let renewal = try j.append(EventDraft(kind: .renewal, item: book, worker: w, dueDate: "2027-01-30"), time: time(2))
        let back = try j.append(EventDraft(kind: .return, item: book), time: time(3))
        XCTAssertTrue(try j.snapshotLedger().loans.isEmpty)
        _ = try j.append(EventDraft(kind: .void, refersTo: back.seq), time: time(4))
        XCTAssertEqual(try j.snapshotLedger().oldestLoan(of: book.key)?.seq, loan.seq)
        XCTAssertEqual(try j.snapshotLedger().oldestLoan(of: book.key)?.dueDate, "2027-01-30")
        XCTAssertEqual(try j.snapshotLedger().neededSeqs, [loan.seq, renewal.seq])
        XCTAssertEqual(try j.window(item: book.key, worker: nil).oldestLoan(of: book.key)?.renewalSeqs, [renewal.seq])
        let visit = try j.append(EventDraft(kind: .visitStart, worker: w, service: "rest"), time: time(5))
        _ = try j.append(EventDraft(kind: .void, refersTo: visit.seq), time: time(6))
        XCTAssertTrue(try j.snapshotLedger().visits.isEmpty)
        XCTAssertEqual(try j.replayedLedger(), try j.snapshotLedger())
        XCTAssertEqual(try j.window(item: book.key, worker: w.localHash).oldestLoan(of: book.key)?.dueDate, "2027-01-30")
        XCTAssertEqual(try j.window(item: book.key, worker: w.localHash).openLoans(of: w.localHash), 1)
        XCTAssertEqual(try j.windowMismatches(against: try j.replayedLedger()), [])
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
        XCTAssertNil(try j.snapshotLedger().oldestLoan(of: lost.key), "the failed checkout is not a loan")
        XCTAssertNil(try j.window(item: lost.key, worker: nil).oldestLoan(of: lost.key), "nor in a scan's window")
        XCTAssertEqual(try j.window(item: nil, worker: w.localHash).openLoans(of: w.localHash), 1)
        XCTAssertEqual(try j.snapshotLedger().neededSeqs, [kept.seq])
        XCTAssertEqual(try j.snapshotLedger(), try j.replayedLedger())
        try j.close()
    }

    /// A failed write whose reopen failed too (the disk still full) leaves the pool closed:
    /// the next window a scan reads reconciles first, as an append would, instead of failing
    /// on the closed connection at every scan from then on (no append would be reached).
    func testAWindowAfterAFailedWriteReconcilesFirst() throws {
        let j = try open()
        let w = WorkerRef(kind: .memberCard, localHash: "v1:w", masked: "****0001", sealed: nil)
        let book = ItemRef(key: "label:LIB-000001")
        _ = try j.append(EventDraft(kind: .checkout, item: book, worker: w), time: time(1))
        let q = try DatabaseQueue(path: j.path)
        try q.write { try $0.execute(sql: "CREATE TRIGGER refuse BEFORE INSERT ON event BEGIN SELECT RAISE(ABORT, 'disk error'); END") }
        XCTAssertThrowsError(try j.append(EventDraft(kind: .return, item: book), time: time(2)))
        try q.write { try $0.execute(sql: "DROP TRIGGER refuse") }
        try q.close()
        try j.pool.close()  // as a reconcile whose reopen failed leaves it
        XCTAssertEqual(try j.window(item: book.key, worker: w.localHash).openLoans(of: w.localHash), 1)
        XCTAssertEqual(try j.append(EventDraft(kind: .return, item: book), time: time(3)).seq, 2)
        XCTAssertNil(try j.window(item: book.key, worker: nil).oldestLoan(of: book.key))
        try j.close()
    }

    /// A start and a scan read the events the ledger stands on, never history: with every
    /// closed event's body made unreadable, the journal still opens with the same ledger and
    /// the same windows (while a full replay cannot read it).
    func testAStartReadsOnlyTheOpenEntries() throws {
        var gen = RandomJournal(seed: 9)
        var j = try open()
        try fill(j, &gen, count: 500, every: 100)
        let before = try j.snapshotLedger()
        let standing = before.neededSeqs
        let written = try j.events()
        try j.close()
        let q = try DatabaseQueue(path: j.path)
        try q.write { db in
            try db.execute(sql: "DROP TRIGGER event_immutable")
            try db.execute(sql: "UPDATE event SET body = '{\"unreadable\": true}' WHERE seq NOT IN (\(standing.map(String.init).joined(separator: ",")))")
            XCTAssertGreaterThan(db.changesCount, 400)
        }
        try q.close()
        j = try open()
        XCTAssertEqual(try j.snapshotLedger(), before)
        XCTAssertEqual(try j.windowMismatches(against: before, named: written), [])
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
        XCTAssertEqual(try j.snapshotLedger(), expected)
        XCTAssertEqual(try j.snapshotLedger(), expected)
        try j.close()
    }

    /// A journal from before the windows (entries without kind, book or worker) gets them
    /// from its events when it is upgraded, and keeps its snapshot: no full replay.
    func testTheWindowMigrationFillsTheEntriesFromTheirEvents() throws {
        let q = try DatabaseQueue(path: dir.appendingPathComponent(Journal.fileName).path)
        try JournalSchema.migrator.migrate(q, upTo: "v6-transfer-purpose")
        let worker = #""worker":{"kind":"member-card","localHash":"v1:w","masked":"****0001"}"#
        try q.write { db in
            try db.execute(sql: "INSERT INTO meta VALUES ('box_id', 'box-1'), ('site_id', 'site-a'), ('epoch', '0'), ('ledger_snapshot', 'v1')")
            for (seq, kind, body) in [
                (1, "checkout", #"{"kind":"checkout","item":{"key":"label:LIB-000001"},\#(worker),"dueDate":"2026-12-30","flags":[]}"#),
                (2, "renewal", #"{"kind":"renewal","item":{"key":"label:LIB-000001"},\#(worker),"dueDate":"2027-01-30","flags":[]}"#),
                (3, "visit-start", #"{"kind":"visit-start",\#(worker),"service":"rest","flags":[]}"#),
            ] {
                try db.execute(sql: "INSERT INTO event VALUES ('box-1', ?, 0, 'site-a', NULL, ?, ?, 1, 'boot-1', ?, ?)", arguments: [seq, kind, seq * 1000, seq * 1000, body])
                try db.execute(sql: "INSERT INTO ledger_entry (seq) VALUES (?)", arguments: [seq])
            }
        }
        try q.close()
        try "station-seq-v1 1000 0\n".write(to: dir.appendingPathComponent("seq"), atomically: true, encoding: .utf8)
        let j = try open()
        XCTAssertEqual(try j.window(item: "label:LIB-000001", worker: "v1:w").oldestLoan(of: "label:LIB-000001")?.dueDate, "2027-01-30")
        XCTAssertEqual(try j.window(item: nil, worker: "v1:w").openLoans(of: "v1:w"), 1)
        XCTAssertEqual(j.openedVisits.visits.keys.sorted(), ["v1:w"])
        XCTAssertEqual(try j.windowMismatches(against: try j.replayedLedger()), [])
        try j.close()
    }

    /// Retention keeps what the snapshot stands on, however old.
    func testRetentionKeepsWhatTheLedgerStandsOn() throws {
        var gen = RandomJournal(seed: 11)
        let j = try open()
        try fill(j, &gen, count: 300, every: 300)
        try j.acknowledge(through: j.upcomingSeq - 1)
        let before = try j.snapshotLedger()
        XCTAssertGreaterThan(try j.purge(nowMillis: 10_000 * 86_400_000, retention: .init(days: 1)), 100)
        let left = Set(try j.events().map(\.seq))
        XCTAssertTrue(before.neededSeqs.isSubset(of: left))
        XCTAssertLessThan(left.count, before.neededSeqs.count + 5, "the needed ones, the newest and what the newest closed")
        XCTAssertEqual(try j.replayedLedger(), before, "a full replay of what is left gives the same ledger")
        try j.close()
    }
}

extension Journal {
    /// Where the windows scans read (``window(item:worker:)``) disagree with `full`, a full
    /// replay: for every book and every worker any event names (those whose last loan just
    /// ended included) and a book no event names, the loans of the book, the open visits
    /// and the worker's count of loans. `named` stands for the journal's events where
    /// those cannot be read.
    func windowMismatches(against full: LocalLedger, named: [JournalEvent]? = nil) throws -> [String] {
        let all = try named ?? events()
        let books = Set(all.compactMap(\.draft.item?.key)).union(["label:LIB-999999"])
        let workers = Set(all.compactMap(\.draft.worker?.localHash))
        var wrong: [String] = []
        for book in books.sorted() {
            let w = try window(item: book, worker: nil)
            if w.loans[book] != full.loans[book] { wrong.append("the window of \(book) has \(w.loans[book] ?? []), the replay \(full.loans[book] ?? [])") }
            if w.visits != full.visits { wrong.append("the window of \(book) has visits \(w.visits.keys.sorted()), the replay \(full.visits.keys.sorted())") }
        }
        for worker in workers.sorted() {
            let held = try window(item: nil, worker: worker).openLoans(of: worker)
            if held != full.openLoans(of: worker) { wrong.append("\(worker) holds \(held) in the window, \(full.openLoans(of: worker)) in the replay") }
        }
        return wrong
    }
}
