import Foundation
import StationTesting
import XCTest

/// ENOSPC on pwrite and EIO on fdatasync injected with libfiu into a running daemon
/// (Tests/Faults/fault_test.py does the choreography through libfiu's control FIFO).
final class FaultTests: XCTestCase {
    /// Under `make torture`, several daemons in turn, each through several cycles of both
    /// faults (60 scans per run: umockdev's replay of one file garbles the stream after
    /// about 7,000 events). One verdict line: the checker's counts added up.
    func testDiskFullAndIOErrorsAreToldAndReconciled() throws {
        let rounds = Torture.iterations(test: 1, torture: 4)
        let cycles = Torture.iterations(test: 1, torture: 4)
        var sums = [0, 0, 0, 0]
        var errors = 0
        for _ in 0..<rounds {
            let (counts, told) = try diskFullAndIOErrors(cycles: cycles)
            sums = zip(sums, counts).map { $0 + $1 }
            errors += told
        }
        Torture.report(
            scenario: "ENOSPC and EIO (libfiu)", seed: nil, faults: "\(rounds) runs x \(cycles) cycles; \(errors) told storage-error",
            checker: "\(sums[0]) scans, \(sums[1]) acknowledged, \(sums[2]) lost, \(sums[3]) duplicated")
    }

    /// One daemon through `cycles` of ENOSPC then EIO; the checker's four counts (scans,
    /// acknowledged, lost, duplicated) and how many scans were told storage-error.
    func diskFullAndIOErrors(cycles: Int) throws -> ([Int], Int) {
        let box = try TestBox(label: "faults")
        let total = 60
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
        XCTAssertTrue(stderr.contains("database or disk is full"), "ENOSPC reached the journal")
        XCTAssertTrue(stderr.contains("disk I/O error"), "EIO reached the journal")
        XCTAssertTrue(stderr.contains("journal reopened after a failed write"))
        let verdict = child.lines.first { $0.contains(" scans, ") } ?? ""
        let counts = verdict.split(separator: " ").prefix(8).compactMap { Int($0) }
        let told = Int(child.lines.first { $0.hasPrefix("storage-error outcomes: ") }?.dropFirst(24).prefix { $0.isNumber } ?? "") ?? 0
        XCTAssertEqual(counts.count, 4, verdict)
        return (counts.count == 4 ? counts : [total, 0, total, 0], told)
    }
}
