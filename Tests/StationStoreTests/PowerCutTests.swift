import CCrashVFS
import Foundation
import GRDB
import Logging
import StationCore
import StationTesting
import XCTest

@testable import StationStore

/// Simulated power cuts through a crash-simulating SQLite VFS (as SQLite's own crash
/// harness does): at a random moment, every write that was not yet synced is lost. Every
/// event `append` returned (and so the worker was told about) must survive, and the
/// ledger's snapshot must be what a full replay of what survived gives.
final class PowerCutTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        precondition(crashvfs_register() == 0, "the crash VFS could not be registered")
    }

    struct Result {
        var acknowledged = 0
        var lost = 0
        var syncs = 0
        /// The independent checker's verdicts, one per round (with `check`).
        var checked = 0
        var checkerScans = 0
        var checkerAcknowledged = 0
        var checkerLost = 0
        var checkerDuplicated = 0
        var checkerProblems: [String] = []
        /// Reopened journals whose ledger (from the snapshot) was not the full replay's.
        var snapshotMismatches: [String] = []
    }

    /// Runs Tests/Checkers/journal_check.py over the journal that survived the cut, with
    /// what `append` returned written as the outcome lines `stationd run --print` prints.
    func check(journal: String, told: [JournalEvent], directory: URL, into result: inout Result) throws {
        let outcomes = directory.appendingPathComponent("told.jsonl")
        let lines = told.map { e -> String in
            let o: [String: Any] = ["type": "outcome", "recorded": true, "event": ["seq": e.seq, "kind": e.draft.kind.rawValue, "item": e.draft.item.map { $0.key as Any } ?? NSNull()]]
            return String(decoding: try! JSONSerialization.data(withJSONObject: o), as: UTF8.self)
        }
        try (lines.joined(separator: "\n") + "\n").write(to: outcomes, atomically: true, encoding: .utf8)
        let checker = try ChildProcess(["python3", ProjectPaths.file("Tests/Checkers/journal_check.py"), "--items-repeat", journal, outcomes.path, String(told.count)])
        let code = checker.wait(timeout: 60)
        let verdict = checker.lines.first ?? ""
        let numbers = verdict.split(separator: " ").compactMap { Int($0) }
        result.checked += 1
        if numbers.count >= 4 {
            result.checkerScans += numbers[0]
            result.checkerAcknowledged += numbers[1]
            result.checkerLost += numbers[2]
            result.checkerDuplicated += numbers[3]
        }
        if code != 0 { result.checkerProblems.append(checker.lines.joined(separator: "\n") + checker.standardError) }
    }

    /// `restarted`: the journal was closed and opened again before the cut's round, so the
    /// round's commits write over the WAL the start wrote ahead (zeros past them at the cut).
    func cutRounds(synchronous: String, rounds: Int, seed: UInt64, independentCheck: Bool = false, restarted: Bool = false) throws -> Result {
        var rng = TestIdentities(seed: seed)
        var result = Result()
        for round in 0..<rounds {
            crashvfs_reset()
            let live = try ProjectPaths.temporaryDirectory("cut-live")
            let after = try ProjectPaths.temporaryDirectory("cut-after")
            defer {
                try? FileManager.default.removeItem(at: live)
                try? FileManager.default.removeItem(at: after)
            }
            func open() throws -> Journal {
                try Journal(
                    directory: live.path, boxID: "box-1", siteID: "site-a",
                    options: .init(synchronous: synchronous, checkpointFrames: .max), logger: Logger(label: "test"))
            }
            var journal = try open()
            if restarted {
                try journal.close()
                journal = try open()
                XCTAssertEqual(
                    try FileManager.default.attributesOfItem(atPath: journal.path + "-wal")[.size] as? Int, 32 + (4 << 20) / 4120 * 4120, "no WAL written ahead")
            }
            let syncsBefore = crashvfs_sync_count()
            var told: [JournalEvent] = []
            // Loans, renewals, returns, visits and voids of a few copies and workers: each
            // append also changes the ledger's snapshot in its transaction.
            var workload = RandomJournal(seed: rng.next(), workers: 3, labels: 6, titles: 2)
            // The power goes off after a random sync, between any two (or after the last):
            // what was appended after it was never told, and is not on the disk.
            let count = rng.number(in: 1...40)
            let powerOff = syncsBefore + rng.number(in: 1...(count * 2))
            crashvfs_power_off_after(powerOff)
            for i in 1...count {
                let e = try journal.append(workload.next(), time: EventTime(wallMillis: Int64(i), synchronized: true, bootID: "b", monotonicMicros: Int64(i)))
                workload.written(e.seq)
                if crashvfs_sync_count() <= powerOff { told.append(e) }
            }
            // Only what was synced before the power went off is on the disk.
            XCTAssertGreaterThanOrEqual(crashvfs_cut(after.path), 0)
            // The seq reservation is written with its own fsync before use: durable as is.
            try FileManager.default.copyItem(at: live.appendingPathComponent("seq"), to: after.appendingPathComponent("seq"))
            result.syncs += crashvfs_sync_count() - syncsBefore
            try journal.close()

            let reopened = try Journal(directory: after.path, boxID: "box-1", siteID: "site-a", options: .init(checkpointFrames: .max), logger: Logger(label: "test"))
            let survived = Set(try reopened.events().map { "\($0.seq) \($0.draft.item?.key ?? "")" })
            let replayed = try reopened.replayedLedger()
            if try reopened.snapshotLedger() != replayed {
                result.snapshotMismatches.append("round \(round): stands on \(try reopened.snapshotLedger().neededSeqs.sorted()), the replay on \(replayed.neededSeqs.sorted())")
            }
            result.snapshotMismatches += try reopened.windowMismatches(against: replayed).map { "round \(round): \($0)" }
            let q = try DatabaseQueue(path: reopened.path)
            XCTAssertEqual(try q.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }, "ok")
            try q.close()
            try reopened.close()
            result.acknowledged += told.count
            result.lost += told.filter { !survived.contains("\($0.seq) \($0.draft.item?.key ?? "")") }.count
            if independentCheck { try check(journal: reopened.path, told: told, directory: after, into: &result) }
        }
        return result
    }

    func testPowerCutsLoseNoAcknowledgedEvent() throws {
        let seed = Torture.seed()
        let rounds = Torture.iterations(test: 25, torture: 300)
        let r = try cutRounds(synchronous: "FULL", rounds: rounds, seed: seed, independentCheck: true)
        print("power cuts (synchronous=FULL, seed \(seed)): \(r.acknowledged) acknowledged, \(r.lost) lost, \(r.syncs) syncs")
        Torture.report(
            scenario: "power cuts", seed: seed, faults: "\(rounds) cuts",
            checker: "\(r.checkerScans) scans, \(r.checkerAcknowledged) acknowledged, \(r.checkerLost) lost, \(r.checkerDuplicated) duplicated")
        XCTAssertGreaterThan(r.acknowledged, 0)
        XCTAssertEqual(r.lost, 0, "seed \(seed)")
        XCTAssertEqual(r.checked, rounds)
        XCTAssertEqual(r.checkerProblems, [], "seed \(seed)")
        XCTAssertEqual(r.snapshotMismatches, [], "seed \(seed)")
    }

    /// The same after a start: the commits write over the WAL the start wrote ahead as
    /// zeros, and what survives a cut is read up to the first zero frame.
    func testPowerCutsAfterAStartLoseNoAcknowledgedEvent() throws {
        let seed = Torture.seed()
        let r = try cutRounds(synchronous: "FULL", rounds: Torture.iterations(test: 10, torture: 100), seed: seed, restarted: true)
        print("power cuts after a start (synchronous=FULL, seed \(seed)): \(r.acknowledged) acknowledged, \(r.lost) lost, \(r.syncs) syncs")
        XCTAssertGreaterThan(r.acknowledged, 0)
        XCTAssertEqual(r.lost, 0, "seed \(seed)")
        XCTAssertEqual(r.snapshotMismatches, [], "seed \(seed)")
    }

    /// The same check with synchronous=OFF must find losses: a check that passed with OFF
    /// would prove nothing about durability.
    func testTheCheckCatchesSynchronousOff() throws {
        let seed = UInt64.random(in: 0..<(1 << 32))
        let r = try cutRounds(synchronous: "OFF", rounds: 5, seed: seed)
        print("power cuts (synchronous=OFF, seed \(seed)): \(r.acknowledged) acknowledged, \(r.lost) lost, \(r.syncs) syncs")
        XCTAssertGreaterThan(r.lost, 0, "seed \(seed): with synchronous=OFF a power cut must lose acknowledged events")
    }
}
