import Foundation
import StationTesting
import XCTest

/// A journal damaged where a start does not read: the daemon starts as usual, its check in
/// the background finds the damage and stops it (non-zero, for systemd to start it again),
/// and the next start salvages the journal before it is ready and goes on recording.
final class JournalCheckTests: XCTestCase {
    func testDamageFoundWhileRunningIsSalvagedAtTheNextStart() throws {
        let box = try TestBox(label: "journal-check")
        let codes = (1...200).map { String(format: "LIB-%06d", $0) }
        let first = try box.events(named: "first", scans: codes, gapMillis: 15)
        let run = try box.run(events: first)
        XCTAssertTrue(run.readLines(timeout: 60, count: codes.count) { $0.contains("\"type\":\"outcome\"") }, run.standardError)
        for pid in run.children() { kill(pid, SIGTERM) }
        XCTAssertEqual(run.wait(timeout: 20), 0, run.standardError)

        // One of the event table's leaves in the middle of the file, garbled.
        let damage = try ChildProcess([
            "python3", "-c",
            """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            pages = [p for (p,) in db.execute("SELECT pageno FROM dbstat WHERE name = 'event' AND pagetype = 'leaf' ORDER BY pageno")]
            db.close()
            assert len(pages) > 4, pages
            with open(sys.argv[1], "r+b") as f:
                f.seek((pages[len(pages) // 2] - 1) * 4096)
                f.write(bytes((i * 37 + 11) % 256 for i in range(4096)))
            """,
            box.journalPath,
        ])
        XCTAssertEqual(damage.wait(timeout: 30), 0, damage.standardError)

        let found = try box.run(events: try box.events(named: "none", scans: []))
        XCTAssertNotEqual(found.wait(timeout: 60), 0, "stopped for systemd to start it again")
        XCTAssertTrue(found.standardError.contains("the journal is corrupt: stopping, to salvage it at the next start"), found.standardError)
        XCTAssertTrue(FileManager.default.fileExists(atPath: box.journalPath + ".check-failed"))

        let next = try box.run(events: try box.events(named: "second", scans: ["LIB-000999"]))
        XCTAssertTrue(next.readLines(timeout: 60, count: 1) { $0.contains("\"type\":\"outcome\"") }, next.standardError)
        for pid in next.children() { kill(pid, SIGTERM) }
        XCTAssertEqual(next.wait(timeout: 20), 0, next.standardError)
        XCTAssertTrue(next.standardError.contains("journal salvaged"), next.standardError)
        XCTAssertTrue(next.lines.contains { $0.contains("\"recorded\":true") }, "recording goes on: \(next.lines)")
        let files = try FileManager.default.contentsOfDirectory(atPath: box.stateDirectory)
        XCTAssertTrue(files.contains { $0.contains(".corrupt-") }, "moved aside, kept: \(files)")
        XCTAssertFalse(files.contains { $0.hasSuffix(".check-failed") }, "the marker goes with the salvage: \(files)")
    }
}
