import Foundation
import StationTesting
import XCTest

/// ENOSPC on pwrite and EIO on fdatasync injected with libfiu into a running daemon
/// (Tests/Faults/fault_test.py does the choreography through libfiu's control FIFO).
final class FaultTests: XCTestCase {
    func testDiskFullAndIOErrorsAreToldAndReconciled() throws {
        let box = try TestBox(label: "faults")
        let total = 60
        let events = try box.events(named: "faults", scans: (1...total).map { String(format: "LIB-%06d", $0) }, gapMillis: 200)
        let outcomes = box.directory.appendingPathComponent("outcomes.jsonl").path
        let child = try ChildProcess([
            "python3", ProjectPaths.file("Tests/Faults/fault_test.py"), ProjectPaths.executable("stationd"), box.configPath,
            ProjectPaths.file("Tests/Fixtures/devices/newland-hr200-kbd.umockdev"), events, outcomes,
            ProjectPaths.file("Tests/Checkers/journal_check.py"), box.journalPath, String(total),
        ])
        let code = child.wait(timeout: 180)
        let report = child.lines.joined(separator: "\n")
        print(report)
        let stderr = (try? String(contentsOfFile: box.directory.appendingPathComponent("stderr.txt").path, encoding: .utf8)) ?? ""
        XCTAssertEqual(code, 0, report + "\n" + child.standardError + "\n" + stderr)
        XCTAssertTrue(report.contains("0 lost, 0 duplicated"), report)
        XCTAssertTrue(stderr.contains("database or disk is full"), "ENOSPC reached the journal")
        XCTAssertTrue(stderr.contains("disk I/O error"), "EIO reached the journal")
        XCTAssertTrue(stderr.contains("journal reopened after a failed write"))
    }
}
