import Foundation
import StationTesting
import XCTest

@testable import StationHub

/// SQLite's transactions committed in groups: many callers share one commit, a caller
/// whose body fails loses only its own writes, and a failed commit answers every caller
/// of its group with the failure.
final class SQLiteGroupCommitTests: XCTestCase {
    func engine() throws -> SQLiteEngine {
        let path = try ProjectPaths.temporaryDirectory("group-commit").appendingPathComponent("hub.sqlite").path
        return try SQLiteEngine(path: path)
    }

    func testConcurrentTransactionsShareCommitsAndAFailingOneLosesOnlyItsOwnWrites() async throws {
        let engine = try engine()
        defer { Task { await engine.close() } }
        try await engine.transaction { s in try await s.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, note TEXT)") }
        let before = engine.commitCount
        let callers = 40, failing = 17

        // Each writes its row, then yields while the others queue up behind the writer.
        let answers = await withTaskGroup(of: (Int, String).self) { group in
            for n in 0..<callers {
                group.addTask {
                    do {
                        let echoed: Int = try await engine.transaction { s in
                            try await s.execute("INSERT INTO t (n, note) VALUES (?, 'written')", [.int(Int64(n))])
                            try await Task.sleep(for: .milliseconds(2))
                            if n == failing { throw HubError(.invalid, "caller \(n) changed its mind") }
                            return n
                        }
                        return (n, echoed == n ? "ok" : "answered \(echoed)")
                    } catch {
                        return (n, "\(error)")
                    }
                }
            }
            var out: [Int: String] = [:]
            for await (n, answer) in group { out[n] = answer }
            return out
        }

        for n in 0..<callers where n != failing { XCTAssertEqual(answers[n], "ok", "caller \(n)") }
        XCTAssertEqual(answers[failing]?.contains("changed its mind"), true, answers[failing] ?? "no answer")
        let rows = try await engine.read(SQLStatement("SELECT n FROM t ORDER BY n")).compactMap { $0[0].int }
        XCTAssertEqual(rows, (0..<callers).filter { $0 != failing }.map(Int64.init), "every row but the failing caller's")
        let commits = engine.commitCount - before
        XCTAssertLessThan(commits, callers / 2, "\(callers) transactions took \(commits) commits: they were not grouped")
        XCTAssertGreaterThan(commits, 0)
    }

    func testAGroupWhoseCommitFailsAnswersEveryCallerWithTheFailure() async throws {
        let engine = try engine()
        defer { Task { await engine.close() } }
        // A deferred foreign key is checked at COMMIT: one caller's dangling reference
        // fails the commit of the whole group it landed in.
        try await engine.transaction { s in
            try await s.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            try await s.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")
        }
        let gate = AsyncStream<Void>.makeStream()
        // The first transaction holds the writer until the others are queued behind it.
        async let first: Void = engine.transaction { s in
            try await s.execute("INSERT INTO parent (id) VALUES (1)")
            for await _ in gate.stream { break }
        }
        try await Task.sleep(for: .milliseconds(100))
        async let good: Void = engine.transaction { s in try await s.execute("INSERT INTO child (id, parent) VALUES (1, 1)") }
        async let dangling: Void = engine.transaction { s in try await s.execute("INSERT INTO child (id, parent) VALUES (2, 99)") }
        try await Task.sleep(for: .milliseconds(100))
        gate.continuation.yield()
        try await first
        var failures: [String] = []
        do { try await good } catch { failures.append("good: \(error)") }
        do { try await dangling } catch { failures.append("dangling: \(error)") }
        XCTAssertEqual(failures.count, 2, "both callers of the failed group hear of it: \(failures)")
        let children = try await engine.read(SQLStatement("SELECT count(*) FROM child"))
        XCTAssertEqual(children.first?.first?.int, 0, "nothing of a failed group is kept")
        // The writer is usable again.
        try await engine.transaction { s in try await s.execute("INSERT INTO child (id, parent) VALUES (3, 1)") }
        let after = try await engine.read(SQLStatement("SELECT id FROM child"))
        XCTAssertEqual(after.compactMap { $0[0].int }, [3])
    }
}
