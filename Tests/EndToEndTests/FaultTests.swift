import Foundation
import StationTesting
import XCTest

/// ENOSPC on pwrite and EIO on fdatasync injected with libfiu into a running daemon
/// (Tests/Faults/fault_test.py does the choreography through libfiu's control FIFO).
final class FaultTests: XCTestCase {
    func testDiskFullAndIOErrorsAreToldAndReconciled() throws {
        let box = try TestBox(label: "faults")
        let total = Torture.iterations(test: 60, torture: 200)
        let cycles = Torture.iterations(test: 1, torture: 8)
        let events = try box.events(named: "faults", scans: (1...total).map { String(format: "LIB-%06d", $0) }, gapMillis: 200)
        let outcomes = box.directory.appendingPathComponent("outcomes.jsonl").path
        let child = try ChildProcess([
            "python3", ProjectPaths.file("Tests/Faults/fault_test.py"), ProjectPaths.executable("stationd"), box.configPath,
            ProjectPaths.file("Tests/Fixtures/devices/newland-hr200-kbd.umockdev"), events, outcomes,
            ProjectPaths.file("Tests/Checkers/journal_check.py"), box.journalPath, String(total), String(cycles),
        ])
        let code = child.wait(timeout: Double(total) * 0.2 + 180)
        let report = child.lines.joined(separator: "\n")
        print(report)
        let stderr = (try? String(contentsOfFile: box.directory.appendingPathComponent("stderr.txt").path, encoding: .utf8)) ?? ""
        XCTAssertEqual(code, 0, report + "\n" + child.standardError + "\n" + stderr)
        XCTAssertTrue(report.contains("0 lost, 0 duplicated"), report)
        let verdict = child.lines.first { $0.contains(" scans, ") } ?? "no verdict"
        let errors = child.lines.first { $0.hasPrefix("storage-error outcomes") } ?? ""
        Torture.report(scenario: "ENOSPC and EIO (libfiu)", seed: nil, faults: "\(cycles) cycles; " + errors, checker: verdict)
        XCTAssertTrue(stderr.contains("database or disk is full"), "ENOSPC reached the journal")
        XCTAssertTrue(stderr.contains("disk I/O error"), "EIO reached the journal")
        XCTAssertTrue(stderr.contains("journal reopened after a failed write"))
    }
}
