import Foundation
import GRDB
import Logging
import StationCore
import StationSystem
import StationTesting
import XCTest

@testable import StationStore

/// The journal on real files in a temporary directory.
final class JournalTests: XCTestCase {
    var dir: URL!
    let logger = Logger(label: "test")

    override func setUpWithError() throws {
        dir = try ProjectPaths.temporaryDirectory("journal")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func open(box: String = "box-1") throws -> Journal {
        try Journal(directory: dir.path, boxID: box, siteID: "site-a", options: .init(checkpointFrames: .max), logger: logger)
    }

    func time(_ ms: Int64) -> EventTime { EventTime(wallMillis: ms, synchronized: true, bootID: "boot-1", monotonicMicros: ms * 1000) }

    func draft(_ n: Int) -> EventDraft {
        EventDraft(kind: .return, scannerID: "1eab:0103:S1", item: ItemRef(key: "label:LIB-\(n)"), flags: ["returned-without-loan"])
    }

    /// The WAL is copied back once it is long enough, not a while after each commit nor on
    /// a clock: a quiet spell after a scan runs no checkpoint (it would let the next scan's
    /// commit restart the WAL, which SQLite syncs separately: two fdatasyncs for one scan),
    /// and a journal nobody writes runs none (an idle box is not woken by it).
    func testCheckpointsFollowTheWALsLengthNotCommitsOrTheClock() throws {
        let frames = 12
        let j = try Journal(directory: dir.path, boxID: "box-1", siteID: "site-a", options: .init(checkpointFrames: frames), logger: logger)
        defer { try? j.close() }
        let wal = j.path + "-wal"
        // The WAL from the open (the schema) copied back: the next commit starts it again.
        try j.checkpoint()
        _ = try j.append(draft(1), time: time(1000))
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertEqual(j.checkpointsRun, 0, "a quiet spell after one commit ran a checkpoint")
        var n = 1
        XCTAssertLessThan(j.walFrames, 4, "the commit after a checkpoint did not start the WAL again")
        while case let now = j.walFrames, now < frames {
            XCTAssertEqual(j.checkpointsRun, 0, "a checkpoint ran with \(now) frames in the WAL, fewer than \(frames)")
            n += 1
            XCTAssertLessThan(n, 100, "the WAL does not grow")
            _ = try j.append(draft(n), time: time(Int64(n) * 1000))
        }
        let deadline = Date(timeIntervalSinceNow: 10)
        while j.checkpointsRun == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertEqual(j.checkpointsRun, 1, "the WAL reached \(frames) frames, yet no checkpoint ran")
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertEqual(j.checkpointsRun, 1, "nothing committed since the checkpoint, yet another ran")
        // The next commit starts the WAL again from its start: its file keeps its length.
        let length = try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int
        _ = try j.append(draft(n + 1), time: time(Int64(n + 1) * 1000))
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int, length, "the commit after a checkpoint grew the WAL")
        XCTAssertEqual(j.checkpointsRun, 1)
    }

    /// A start writes the WAL ahead when a clean close left it empty, so the first commits
    /// after it write over the file's blocks instead of growing it (their fdatasync then
    /// carries no new size and blocks), and SQLite takes the zeros for an empty WAL.
    func testAStartWritesTheWALAheadAndItsFirstCommitsWriteOverIt() throws {
        let frames = 40
        func reopen() throws -> Journal {
            try Journal(directory: dir.path, boxID: "box-1", siteID: "site-a", options: .init(checkpointFrames: frames), logger: logger)
        }
        var j = try reopen()
        let wal = j.path + "-wal"
        func size() -> Int? { try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int }
        _ = try j.append(draft(1), time: time(1000))
        try j.close()
        XCTAssertEqual(size() ?? 0, 0, "a clean close leaves the WAL empty")
        j = try reopen()
        let ahead = try XCTUnwrap(size(), "no WAL written ahead at the start")
        XCTAssertEqual(ahead, 32 + frames * (4096 + 24))
        for n in 2...11 { _ = try j.append(draft(n), time: time(Int64(n) * 1000)) }
        XCTAssertEqual(size(), ahead, "the first commits after a start grew the WAL")
        XCTAssertEqual(try j.events().map(\.seq), Array(1...11))
        try j.close()
        j = try reopen()
        XCTAssertEqual(try j.events().map(\.seq), Array(1...11), "what was written over the zeros is read back")
        try j.close()
    }

    func testAppendIsReadBackAfterReopenWithIncreasingSeq() throws {
        var j = try open()
        let a = try j.append(draft(1), time: time(1000))
        let b = try j.append(draft(2), time: time(2000))
        XCTAssertEqual([a.seq, b.seq], [1, 2])
        try j.close()
        j = try open()
        XCTAssertEqual(try j.events().map(\.seq), [1, 2])
        XCTAssertEqual(try j.events().last, b)
        XCTAssertEqual(try j.append(draft(3), time: time(3000)).seq, 3, "continues after a restart without a gap")
        try j.close()
    }

    /// A box waiting for its card opens an unnamed journal; the first name it is given takes
    /// it over while it is empty, and a journal with events never changes owner.
    func testAnUnnamedEmptyJournalIsAdoptedAndANamedOneKeepsItsBox() throws {
        try open(box: "").close()
        var j = try open(box: "box-7")
        XCTAssertEqual(try j.append(draft(1), time: time(1000)).boxID, "box-7")
        try j.close()
        XCTAssertThrowsError(try open(box: "box-8")) { XCTAssertTrue("\($0)".contains("box-7"), "\($0)") }
        XCTAssertThrowsError(try open(box: ""), "a named journal is not given back to an unnamed box")
        j = try open(box: "box-7")
        XCTAssertEqual(try j.events().map(\.seq), [1])
        try j.close()
    }

    func testOutboxUntilAcknowledged() throws {
        let j = try open()
        for n in 1...5 { _ = try j.append(draft(n), time: time(Int64(n))) }
        XCTAssertEqual(try j.pendingCount(), 5)
        XCTAssertEqual(try j.acknowledge(through: 3), 3)
        XCTAssertEqual(try j.pending().map(\.seq), [4, 5])
        XCTAssertEqual(try j.events().count, 5, "acknowledged events stay until retention purges them")
        try j.close()
    }

    func testSeqContinuesAboveEverythingUsedWhenTheDatabaseIsReplaced() throws {
        var j = try open()
        for n in 1...5 { _ = try j.append(draft(n), time: time(Int64(n))) }
        try j.close()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dir.appendingPathComponent(Journal.fileName + suffix).path) }
        j = try open()
        XCTAssertEqual(j.epoch, 1, "a replaced database is a new epoch")
        let e = try j.append(draft(6), time: time(6))
        XCTAssertEqual(e.seq, SeqReservation.blockSize + 1, "above the whole reserved block")
        XCTAssertEqual(e.epoch, 1)
        try j.close()
    }

    func testReservationFileIsWrittenBeforeSeqsAreUsed() throws {
        let j = try open()
        _ = try j.append(draft(1), time: time(1))
        let text = try String(contentsOf: dir.appendingPathComponent("seq"), encoding: .utf8)
        XCTAssertEqual(text, "station-seq-v1 \(SeqReservation.blockSize) 0\n")
        try j.close()
    }

    func testDamagedReservationFileIsAnError() throws {
        try "garbage".write(to: dir.appendingPathComponent("seq"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try open()) { XCTAssertTrue("\($0)".contains("is damaged"), "\($0)") }
    }

    func testNewerDatabaseIsRefusedNotDowngraded() throws {
        try open().close()
        let q = try DatabaseQueue(path: dir.appendingPathComponent(Journal.fileName).path)
        try q.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-from-the-future')") }
        try q.close()
        XCTAssertThrowsError(try open()) {
            XCTAssertTrue("\($0)".contains("written by a newer stationd (migrations v9-from-the-future"), "\($0)")
        }
    }

    func testMigrationsFromEmptyAreNamedAndIdempotent() throws {
        try open().close()
        try open().close()
        let q = try DatabaseQueue(path: dir.appendingPathComponent(Journal.fileName).path)
        let applied = try q.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }
        XCTAssertEqual(applied, JournalSchema.migrator.migrations)
        XCTAssertEqual(applied, ["v1-journal", "v2-sync-state", "v3-ledger-snapshot", "v4-transfers", "v5-stocktake", "v6-transfer-purpose", "v7-ledger-window"])
        try q.close()
    }

    /// The transfers' migration rebuilds the event table for its two new kinds: the events
    /// of an older journal stay, still immutable.
    func testTheTransfersMigrationKeepsEventsAndTakesTheNewKinds() throws {
        let q = try DatabaseQueue(path: dir.appendingPathComponent("old.sqlite").path)
        try JournalSchema.migrator.migrate(q, upTo: "v3-ledger-snapshot")
        let row = "('box-1', 1, 0, 's', NULL, 'return', 5, 1, 'b', 0, '{\"seq\":1}')"
        try q.write { try $0.execute(sql: "INSERT INTO event VALUES \(row)") }
        XCTAssertThrowsError(try q.write { try $0.execute(sql: "INSERT INTO event VALUES ('box-1', 2, 0, 's', NULL, 'transfer-out', 6, 1, 'b', 0, '{}')") })
        try JournalSchema.migrator.migrate(q)
        try q.write { try $0.execute(sql: "INSERT INTO event VALUES ('box-1', 2, 0, 's', NULL, 'transfer-out', 6, 1, 'b', 0, '{\"request\":\"r1\"}')") }
        XCTAssertEqual(try q.read { try String.fetchAll($0, sql: "SELECT kind || ' ' || wall_ms FROM event ORDER BY seq") }, ["return 5", "transfer-out 6"])
        XCTAssertThrowsError(try q.write { try $0.execute(sql: "UPDATE event SET kind = 'checkout'") }) { XCTAssertTrue("\($0)".contains("immutable")) }
        try q.close()
    }

    /// What a requested copy's scan is to do, from the hub's lists and this journal: sent on
    /// once, expected until it arrives, held from its arrival until its hold ends.
    func testTransferOrdersFollowTheHubsListsAndWhatThisBoxTrapped() throws {
        let j = try open()
        let day: Int64 = 86_400_000
        try j.replaceTransfers([
            Journal.TransferEntry(request: "r1", itemKey: "label:A", destination: "site-b"),
            Journal.TransferEntry(request: "r2", itemKey: "label:B", masked: "****0022", key: "00", verifier: "v1:x", holdDays: 3),
            Journal.TransferEntry(request: "r3", itemKey: "label:C", masked: "****0033", key: "00", verifier: "v1:y", holdDays: 3, untilMillis: 50 * day),
        ])
        XCTAssertEqual(try j.transferOrder(itemKey: "label:A", nowMillis: day), .send(request: "r1", destination: "site-b"))
        XCTAssertEqual(try j.transferOrder(itemKey: "label:B", nowMillis: day), .expect(request: "r2", masked: "****0022"))
        XCTAssertEqual(try j.transferOrder(itemKey: "label:C", nowMillis: day), .held(request: "r3", masked: "****0033", untilMillis: 50 * day))
        XCTAssertNil(try j.transferOrder(itemKey: "label:C", nowMillis: 50 * day), "its hold ended")
        XCTAssertNil(try j.transferOrder(itemKey: "label:Z", nowMillis: day))
        _ = try j.append(EventDraft(kind: .transferOut, item: ItemRef(key: "label:A"), request: "r1", destination: "site-b"), time: time(2 * day))
        _ = try j.append(EventDraft(kind: .transferIn, item: ItemRef(key: "label:B"), request: "r2"), time: time(2 * day))
        XCTAssertNil(try j.transferOrder(itemKey: "label:A", nowMillis: 3 * day), "sent on already")
        XCTAssertEqual(try j.transferOrder(itemKey: "label:B", nowMillis: 3 * day), .held(request: "r2", masked: "****0022", untilMillis: 5 * day), "from its arrival here")
        // Placed again after the copy went elsewhere: the old trap is not this round's.
        try j.replaceTransfers([Journal.TransferEntry(request: "r1", itemKey: "label:A", destination: "site-b", sinceMillis: 4 * day)])
        XCTAssertEqual(try j.transferOrder(itemKey: "label:A", nowMillis: 5 * day), .send(request: "r1", destination: "site-b"))
        // A move for no worker keeps its purpose.
        try j.replaceTransfers([Journal.TransferEntry(request: "m1", itemKey: "label:A", destination: "site-c", sinceMillis: 4 * day, purpose: "move")])
        XCTAssertEqual(try j.transferOrder(itemKey: "label:A", nowMillis: 5 * day), .send(request: "m1", destination: "site-c", moved: true))
        XCTAssertEqual(try j.transfers().map(\.purpose), ["move"])
        // A copy on this shelf for this site's own hold shelf: its hold line decides.
        try j.replaceTransfers([
            Journal.TransferEntry(request: "r4", itemKey: "label:D", destination: "site-a"),
            Journal.TransferEntry(request: "r4", itemKey: "label:D", masked: "****0044", key: "00", verifier: "v1:z", holdDays: 3),
        ])
        XCTAssertEqual(try j.transfers().count, 2)
        XCTAssertEqual(try j.transferOrder(itemKey: "label:D", nowMillis: day), .expect(request: "r4", masked: "****0044"))
        try j.replaceTransfers([Journal.TransferEntry(request: "r4", itemKey: "label:D", destination: "site-a")])
        XCTAssertNil(try j.transferOrder(itemKey: "label:D", nowMillis: day), "never sent to its own site")
        try j.replaceTransfers([])
        XCTAssertNil(try j.transferOrder(itemKey: "label:B", nowMillis: 3 * day), "the hub's list replaces what was held")
        try j.close()
    }

    func testAnotherBoxsJournalIsRefused() throws {
        try open(box: "box-1").close()
        XCTAssertThrowsError(try open(box: "box-2")) { XCTAssertTrue("\($0)".contains("belongs to box box-1"), "\($0)") }
    }

    func testEventsAreImmutableAndTheSchemaChecksKinds() throws {
        let j = try open()
        _ = try j.append(draft(1), time: time(1))
        let q = try DatabaseQueue(path: j.path)
        XCTAssertThrowsError(try q.write { try $0.execute(sql: "UPDATE event SET kind = 'checkout'") }) {
            XCTAssertTrue("\($0)".contains("immutable"))
        }
        XCTAssertThrowsError(try q.write {
            try $0.execute(sql: "INSERT INTO event VALUES ('box-1', 99, 0, 's', NULL, 'teleport', 0, 1, 'b', 0, '{}')")
        })
        try q.close()
        try j.close()
    }

    /// The daemon's start rebuilds its ledger row by row from the journal: the same open
    /// loans and visits as building it from every event at once, voided events left out.
    func testTheStreamedLedgerIsTheLedgerOfEveryEvent() throws {
        let j = try open()
        let workers = (0..<4).map { WorkerRef(kind: .memberCard, localHash: "v1:w\($0)", masked: "****000\($0)", sealed: nil) }
        var rng = TestIdentities(seed: 5)
        for n in 1...400 {
            let item = ItemRef(key: "label:LIB-\(rng.number(in: 1...30))")
            let worker = workers[rng.number(in: 0...3)]
            let d: EventDraft
            switch rng.number(in: 0...9) {
            case 0...3: d = EventDraft(kind: .checkout, scannerID: "s", item: item, worker: worker, dueDate: "2026-12-30")
            case 4...6: d = EventDraft(kind: .return, scannerID: "s", item: item)
            case 7: d = EventDraft(kind: .visitStart, scannerID: "s", worker: worker, service: "rest")
            case 8: d = EventDraft(kind: .visitEnd, scannerID: "s", worker: worker, service: "rest")
            default: d = EventDraft(kind: .void, scannerID: "s", refersTo: Int64(rng.number(in: 1...n)))
            }
            _ = try j.append(d, time: time(Int64(n)))
        }
        let all = try j.events()
        XCTAssertGreaterThan(all.filter { $0.draft.kind == .void }.count, 10)
        let expected = LocalLedger(events: all)
        XCTAssertFalse(expected.loans.isEmpty)
        XCTAssertEqual(try j.replayedLedger(), expected)
        XCTAssertEqual(try j.windowMismatches(against: expected), [], "the windows scans read")
        XCTAssertEqual(try j.snapshotLedger(), expected, "the snapshot on disk")
        try j.close()
    }

    /// A write that failed but landed (here: put there behind the journal's back) is
    /// found by the next append, which records a void for it instead of reusing its seq.
    func testAFailedWriteThatLandedIsVoided() throws {
        let j = try open()
        _ = try j.append(draft(1), time: time(1))
        let q = try DatabaseQueue(path: j.path)
        try q.write {
            try $0.execute(sql: "INSERT INTO event VALUES ('box-1', 2, 0, 'site-a', NULL, 'return', 2, 1, 'b', 0, '{\"kind\":\"return\",\"flags\":[]}')")
        }
        try q.close()
        XCTAssertThrowsError(try j.append(draft(2), time: time(2)), "seq 2 is taken: the append fails")
        let next = try j.append(draft(3), time: time(3))
        let all = try j.events()
        XCTAssertEqual(all.map(\.seq), [1, 2, 3, 4])
        XCTAssertEqual(all[2].draft.kind, .void)
        XCTAssertEqual(all[2].draft.refersTo, 2)
        XCTAssertEqual(next.seq, 4)
        try j.close()
    }

    /// The same found by a scan's window read, which comes before its append: the void is
    /// written then, and the window leaves the landed event out.
    func testAFailedWriteThatLandedIsVoidedAtTheNextWindowRead() throws {
        let j = try open()
        let w = WorkerRef(kind: .memberCard, localHash: "v1:w", masked: "****0001", sealed: nil)
        let book = ItemRef(key: "label:LIB-000001")
        let q = try DatabaseQueue(path: j.path)
        try q.write {
            try $0.execute(
                sql: "INSERT INTO event VALUES ('box-1', 1, 0, 'site-a', NULL, 'checkout', 1, 1, 'b', 0, ?)",
                arguments: [#"{"kind":"checkout","item":{"key":"label:LIB-000001"},"worker":{"kind":"member-card","localHash":"v1:w","masked":"****0001"},"flags":[]}"#])
            try $0.execute(sql: "INSERT INTO ledger_entry (seq, kind, item_key, worker_hash) VALUES (1, 'checkout', 'label:LIB-000001', 'v1:w')")
        }
        try q.close()
        XCTAssertThrowsError(try j.append(EventDraft(kind: .checkout, item: book, worker: w), time: time(1)), "seq 1 is taken: the append fails")
        let window = try j.window(item: book.key, worker: w.localHash)
        XCTAssertNil(window.oldestLoan(of: book.key), "the landed checkout is voided, not a loan")
        XCTAssertEqual(window.openLoans(of: w.localHash), 0)
        XCTAssertEqual(try j.events().map(\.draft.kind), [.checkout, .void])
        XCTAssertEqual(try j.events().last?.draft.refersTo, 1)
        try j.close()
    }

    func testDeviceLogIsBounded() throws {
        let j = try open()
        try j.log(level: .warning, scannerID: "s1", message: "first", atMillis: 1)
        let q = try DatabaseQueue(path: j.path)
        try q.write { db in
            for i in 0..<10_050 { try db.execute(sql: "INSERT INTO device_log (at_ms, level, message) VALUES (?, 'info', 'x')", arguments: [i]) }
        }
        let (count, first) = try q.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM device_log")!, try String.fetchOne(db, sql: "SELECT message FROM device_log ORDER BY id LIMIT 1"))
        }
        XCTAssertEqual(count, 10_000)
        XCTAssertEqual(first, "x", "the oldest line went first")
        try q.close()
        try j.close()
    }

    func testPragmasOnEveryConnection() throws {
        let j = try open()
        XCTAssertEqual(try j.writerSynchronous(), 2, "the writer commits with synchronous=FULL")
        let q = try DatabaseQueue(path: j.path, configuration: Journal.configuration(.init()))
        try q.read { db in
            XCTAssertEqual(try Int.fetchOne(db, sql: "PRAGMA synchronous"), 2, "FULL")
            XCTAssertEqual(try String.fetchOne(db, sql: "PRAGMA journal_mode"), "wal")
            XCTAssertEqual(try Int.fetchOne(db, sql: "PRAGMA secure_delete"), 1)
        }
        try q.close()
        try j.close()
    }
}

extension JournalTests {
    /// Overwrites `count` pages from page `first` (1-based) with garbage.
    func corrupt(_ path: String, firstPage: Int, count: Int) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64((firstPage - 1) * 4096))
        try handle.write(contentsOf: Data((0..<(count * 4096)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }))
        try handle.close()
    }

    func testACorruptJournalIsSalvagedMovedAsideAndANewEpochDeclared() throws {
        var j = try open()
        var written: [JournalEvent] = []
        for n in 1...300 {
            var d = draft(n)
            d.flags = [String(repeating: "padding-", count: 20)]
            written.append(try j.append(d, time: time(Int64(n))))
        }
        try j.acknowledge(through: 100)
        try j.close()
        let db = dir.appendingPathComponent(Journal.fileName).path
        let size = try FileManager.default.attributesOfItem(atPath: db)[.size] as! Int
        XCTAssertGreaterThan(size / 4096, 20, "enough pages to damage some in the middle")
        // Two of the event table's own pages in the middle (not the schema's, wherever the
        // migrations left those: nothing could be read without them).
        let leaves = try DatabaseQueue(path: db).read { try Int.fetchAll($0, sql: "SELECT pageno FROM dbstat WHERE name = 'event' AND pagetype = 'leaf' ORDER BY pageno") }
        XCTAssertGreaterThan(leaves.count, 10)
        for page in leaves[(leaves.count / 2)...].prefix(2) { try corrupt(db, firstPage: page, count: 1) }

        // A start reads what it needs (not these pages): the box runs, and the check in the
        // background finds the damage, leaving its marker for the next start.
        j = try open()
        XCTAssertEqual(j.epoch, 0, "the start did not read the damaged pages")
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.contains(".corrupt-") })
        let problem = try j.checkIntegrity()
        XCTAssertNotNil(problem, "the whole file read through")
        XCTAssertTrue(FileManager.default.fileExists(atPath: db + ".check-failed"), "marked for the next start")
        try j.close()

        j = try open()
        XCTAssertFalse(FileManager.default.fileExists(atPath: db + ".check-failed"), "salvaged: the marker goes")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        XCTAssertTrue(files.contains { $0.hasPrefix(Journal.fileName + ".corrupt-") }, "moved aside, never deleted: \(files)")
        XCTAssertEqual(j.epoch, 1, "a declared gap")
        let salvaged = try j.events()
        XCTAssertFalse(salvaged.isEmpty)
        XCTAssertLessThanOrEqual(salvaged.count, 200, "only the unacknowledged ones that could be read")
        XCTAssertTrue(salvaged.allSatisfy { $0.seq > 100 }, "acknowledged events are not copied")
        let original = Dictionary(uniqueKeysWithValues: written.map { ($0.seq, $0) })
        for e in salvaged { XCTAssertEqual(e, original[e.seq], "salvaged as written") }
        XCTAssertEqual(try j.pending().map(\.seq), salvaged.map(\.seq), "still waiting for the hub")
        let next = try j.append(draft(301), time: time(301))
        XCTAssertEqual(next.seq, SeqReservation.blockSize + 1)
        XCTAssertEqual(next.epoch, 1)
        try j.close()
    }

    /// A marker whose journal reads whole when the start checks it again (a read error
    /// that passed): nothing is salvaged, the marker goes, the box goes on where it was.
    func testAMarkedJournalThatChecksWholeAtTheStartIsKept() throws {
        var j = try open()
        for n in 1...5 { _ = try j.append(draft(n), time: time(Int64(n))) }
        XCTAssertNil(try j.checkIntegrity(), "a sound journal")
        XCTAssertFalse(FileManager.default.fileExists(atPath: j.path + ".check-failed"))
        try j.close()
        try Data("from a check\n".utf8).write(to: URL(fileURLWithPath: j.path + ".check-failed"))
        j = try open()
        XCTAssertFalse(FileManager.default.fileExists(atPath: j.path + ".check-failed"))
        XCTAssertEqual(j.epoch, 0, "no salvage, no new epoch")
        XCTAssertEqual(try j.append(draft(6), time: time(6)).seq, 6)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.contains(".corrupt-") })
        try j.close()
    }

    /// A check stopped before it reads (the daemon stopping) finds nothing on a journal
    /// the same check finds corrupt when let run; checks run at the lowest CPU and I/O
    /// priority.
    func testACancelledCheckFindsNothingAndChecksRunLowered() throws {
        var j = try open()
        for n in 1...300 { _ = try j.append(EventDraft(kind: .return, item: ItemRef(key: "label:LIB-\(n)"), flags: [String(repeating: "padding-", count: 20)]), time: time(Int64(n))) }
        try j.close()
        let leaves = try DatabaseQueue(path: j.path).read { try Int.fetchAll($0, sql: "SELECT pageno FROM dbstat WHERE name = 'event' AND pagetype = 'leaf' ORDER BY pageno") }
        try corrupt(j.path, firstPage: leaves[leaves.count / 2], count: 1)
        j = try open()
        let check = IntegrityCheck()
        check.cancel()
        XCTAssertNil(try check.run(j), "stopped before it read")
        XCTAssertFalse(FileManager.default.fileExists(atPath: j.path + ".check-failed"))
        XCTAssertNotNil(try IntegrityCheck().run(j), "the same journal, read through")

        let done = expectation(description: "ran")
        nonisolated(unsafe) var seen: (nice: Int32, ioClass: Int32) = (0, 0)
        BackgroundThread.start {
            seen = BackgroundThread.currentPriority()
            done.fulfill()
        }
        wait(for: [done], timeout: 10)
        XCTAssertEqual(seen.nice, 19)
        XCTAssertEqual(seen.ioClass, 3, "the idle I/O class")
        try j.close()
    }

    /// A marked journal that cannot be read through at the start (here: not a file at
    /// all) fails the start and keeps its marker; once it reads whole the box goes on.
    func testAMarkedJournalThatCannotBeReadFailsTheStartAndKeepsTheMark() throws {
        var j = try open()
        _ = try j.append(draft(1), time: time(1))
        try j.close()
        let marker = j.path + ".check-failed"
        try Data("from a check\n".utf8).write(to: URL(fileURLWithPath: marker))
        try FileManager.default.moveItem(atPath: j.path, toPath: j.path + ".away")
        try FileManager.default.createDirectory(atPath: j.path, withIntermediateDirectories: false)
        XCTAssertThrowsError(try open(), "no finding either way: the start fails")
        XCTAssertTrue(FileManager.default.fileExists(atPath: marker), "kept for the next try")
        try FileManager.default.removeItem(atPath: j.path)
        try FileManager.default.moveItem(atPath: j.path + ".away", toPath: j.path)
        j = try open()
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
        XCTAssertEqual(try j.events().map(\.seq), [1])
        try j.close()
    }

    /// Damages every page of `name` (a table or an index) of the closed journal at `path`
    /// and opens it again, which must not read them; then `use` must fail, mark the journal
    /// for the next start and tell ``Journal/onDamage`` once. Returns the journal, open.
    func damageFoundByUse(_ path: String, pagesOf name: String, _ use: (Journal) throws -> Void) throws -> Journal {
        let pages = try DatabaseQueue(path: path).read { try Int.fetchAll($0, sql: "SELECT pageno FROM dbstat WHERE name = ? ORDER BY pageno", arguments: [name]) }
        XCTAssertFalse(pages.isEmpty)
        for page in pages { try corrupt(path, firstPage: page, count: 1) }
        let j = try open()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".check-failed"), "the start did not read \(name)")
        nonisolated(unsafe) var told = 0
        j.onDamage = { told += 1 }
        XCTAssertThrowsError(try use(j))
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + ".check-failed"), "marked for the next start")
        XCTAssertEqual(told, 1)
        return j
    }

    /// A write that finds the file damaged marks it for the next start and says so at
    /// once (the daemon's check then reads it through); other failures mark nothing.
    func testAWriteThatFindsTheFileDamagedMarksIt() throws {
        let written = try open()
        for n in 1...50 { _ = try written.append(draft(n), time: time(Int64(n))) }
        try written.close()
        let j = try damageFoundByUse(written.path, pagesOf: "outbox") { _ = try $0.append(draft(51), time: time(51)) }
        try? j.close()

        let other = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        XCTAssertTrue(other.contains(Journal.fileName + ".check-failed"))
        try FileManager.default.removeItem(atPath: j.path + ".check-failed")
        nonisolated(unsafe) var told = 0
        j.onDamage = { told += 1 }
        j.markIfDamaged(JournalError.io("write", ENOSPC))
        j.markIfDamaged(DatabaseError(resultCode: .SQLITE_FULL))
        XCTAssertFalse(FileManager.default.fileExists(atPath: j.path + ".check-failed"), "a full disk is no damage")
        XCTAssertEqual(told, 0)
    }

    /// A book's entries are first read by a scan, long after the start: damage found there
    /// marks the journal as a failed write's does, so the check reads it through at once.
    func testAWindowReadThatFindsTheFileDamagedMarksIt() throws {
        let written = try open()
        let w = WorkerRef(kind: .memberCard, localHash: "v1:w", masked: "****0001", sealed: nil)
        for n in 1...50 { _ = try written.append(EventDraft(kind: .checkout, item: ItemRef(key: "label:LIB-\(n)"), worker: w), time: time(Int64(n))) }
        try written.close()
        let j = try damageFoundByUse(written.path, pagesOf: "ledger_entry_item") { _ = try $0.window(item: "label:LIB-7", worker: w.localHash) }
        try? j.close()
    }

    func testAFileThatIsNoDatabaseAtAllIsMovedAside() throws {
        var j = try open()
        for n in 1...5 { _ = try j.append(draft(n), time: time(Int64(n))) }
        try j.close()
        try corrupt(dir.appendingPathComponent(Journal.fileName).path, firstPage: 1, count: 1)
        j = try open()
        XCTAssertEqual(j.epoch, 1)
        XCTAssertEqual(try j.events().count, 0)
        XCTAssertEqual(try j.append(draft(6), time: time(6)).seq, SeqReservation.blockSize + 1)
        try j.close()
    }
}

extension JournalTests {
    func testRetentionPurgesOnlyAcknowledgedOldEventsNobodyNeeds() throws {
        let j = try open()
        let day: Int64 = 86_400_000
        let now: Int64 = 1000 * day
        func add(_ kind: EventKind, ageDays: Int64, service: String? = nil, worker: WorkerRef? = nil) throws -> Int64 {
            try j.append(EventDraft(kind: kind, item: ItemRef(key: "label:L"), worker: worker, service: service), time: time(now - ageDays * day)).seq
        }
        let oldReturn = try add(.return, ageDays: 200)
        // The ledger stands on an open loan: kept however old (a checkout after the return).
        let openLoan = try add(.checkout, ageDays: 200, worker: WorkerRef(kind: .memberCard, localHash: "v1:w", masked: "****0001", sealed: nil))
        let lactation = try add(.visitStart, ageDays: 10, service: "lactation")
        let rest = try add(.visitStart, ageDays: 10, service: "rest")
        let recent = try add(.visitEnd, ageDays: 1)
        try j.acknowledge(through: recent)
        let unacked = try add(.visitEnd, ageDays: 300)
        let purged = try j.purge(nowMillis: now, retention: .init(days: 180, sensitiveVisitDays: 7))
        XCTAssertEqual(purged, 2)
        XCTAssertEqual(Set(try j.events().map(\.seq)), [openLoan, rest, recent, unacked])
        XCTAssertFalse(try j.events().map(\.seq).contains(oldReturn))
        XCTAssertFalse(try j.events().map(\.seq).contains(lactation), "lactation visits go sooner")
        try j.close()
    }
}

extension JournalTests {
    /// A purge reaches the database file at once (the checkpointer is asked), not whenever
    /// the WAL is next long enough for a checkpoint: the rows it deleted are overwritten
    /// there (`secure_delete`).
    func testAPurgedEventLeavesTheDatabaseFileAtOnce() throws {
        let j = try open()
        defer { try? j.close() }
        let day: Int64 = 86_400_000
        let marker = "label:PURGED-Q7X3"
        let old = try j.append(EventDraft(kind: .return, item: ItemRef(key: marker)), time: time(1 * day))
        let newest = try j.append(draft(2), time: time(999 * day))
        try j.acknowledge(through: newest.seq)
        try j.checkpoint()
        func inFile() throws -> Bool { try Data(contentsOf: URL(fileURLWithPath: j.path)).range(of: Data(marker.utf8)) != nil }
        XCTAssertTrue(try inFile(), "the event should be in the database file before the purge")
        XCTAssertEqual(try j.purge(nowMillis: 1000 * day, retention: .init(days: 180)), 1)
        XCTAssertFalse(try j.events().map(\.seq).contains(old.seq))
        // The checkpoint runs on the checkpointer's thread, asked for by the purge.
        let deadline = Date(timeIntervalSinceNow: 10)
        while try inFile() && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertFalse(try inFile(), "the purged event is still in the database file")
    }
}

extension JournalTests {
    func testClockCorrectionsAreRecordedBesideImmutableEvents() throws {
        let j = try open()
        let e = try j.append(draft(1), time: EventTime(wallMillis: 1000, synchronized: false, bootID: "boot-1", monotonicMicros: 5))
        try j.recordClockCorrection(bootID: "boot-1", offsetMillis: 86_400_000, source: "ntp", atWallMillis: 2000, monotonicMicros: 9)
        XCTAssertThrowsError(try j.recordClockCorrection(bootID: "boot-1", offsetMillis: 1, source: "guess", atWallMillis: 0, monotonicMicros: 0))
        XCTAssertEqual(try j.pendingClockCorrections().map(\.offsetMillis), [86_400_000])
        XCTAssertEqual(try j.events(), [e], "the event keeps the time it was recorded with")
        try j.close()
    }
}

extension JournalTests {
    func testAnInterruptedSalvageIsFinishedAtTheNextStart() throws {
        var j = try open()
        for n in 1...3 { _ = try j.append(draft(n), time: time(Int64(n))) }
        try j.close()
        // As if the box died after moving the corrupt file aside, before the rename.
        try FileManager.default.moveItem(atPath: j.path, toPath: j.path + ".salvage")
        j = try open()
        XCTAssertEqual(try j.events().map(\.seq), [1, 2, 3])
        XCTAssertEqual(j.epoch, 1, "declared as a new epoch, to be safe")
        try j.close()
    }

    func testPurgingEverythingOldNeverLetsASeqBeReused() throws {
        var j = try open()
        for n in 1...3 { _ = try j.append(draft(n), time: time(Int64(n))) }
        try j.acknowledge(through: 3)
        XCTAssertEqual(try j.purge(nowMillis: 1_000 * 86_400_000, retention: .init(days: 1)), 2, "all but the newest")
        try j.close()
        j = try open()
        XCTAssertEqual(j.epoch, 0, "no false gap")
        XCTAssertEqual(try j.append(draft(4), time: time(4)).seq, 4)
        try j.close()
    }
}
