import Foundation
import StationTesting
import XCTest

/// The unit files as systemd judges them: `systemd-analyze verify` on a copy whose
/// ExecStart points at the built binary, and the offline security exposure score.
final class SystemdUnitTests: XCTestCase {
    func unitCopy(_ name: String) throws -> String {
        let dir = try ProjectPaths.temporaryDirectory("unit")
        let text = try String(contentsOfFile: ProjectPaths.file("systemd/\(name)"), encoding: .utf8)
            .replacingOccurrences(of: "/usr/bin/stationd ", with: ProjectPaths.executable("stationd") + " ")
            .replacingOccurrences(of: "/usr/bin/stationhub ", with: ProjectPaths.executable("stationhub") + " ")
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `systemd-analyze verify` on the copy: exit 0 and silent.
    func assertVerifies(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let verify = try ChildProcess(["systemd-analyze", "verify", try unitCopy(name)])
        XCTAssertEqual(verify.wait(timeout: 60), 0, verify.standardError, file: file, line: line)
        XCTAssertEqual(verify.standardError.trimmingCharacters(in: .whitespacesAndNewlines), "", "verify must be silent", file: file, line: line)
    }

    /// The offline security exposure score of the unit.
    func exposure(_ name: String) throws -> Double {
        let security = try ChildProcess(["systemd-analyze", "security", "--offline=yes", "--no-pager", try unitCopy(name)])
        XCTAssertEqual(security.wait(timeout: 60), 0, security.standardError)
        let line = try XCTUnwrap(security.lines.first { $0.contains("Overall exposure level for \(name)") }, security.lines.joined(separator: "\n"))
        print("\(name): \(line)")
        return try XCTUnwrap(line.split(separator: " ").compactMap { Double($0) }.first, line)
    }

    func testStationdUnitVerifiesCleanly() throws {
        try assertVerifies("stationd.service")
    }

    func testStationdExposureIsAtMostTwo() throws {
        XCTAssertLessThanOrEqual(try exposure("stationd.service"), 2.0)
    }

    func testStationhubUnitVerifiesAndExposureIsAtMostOneAndAHalf() throws {
        try assertVerifies("stationhub.service")
        XCTAssertLessThanOrEqual(try exposure("stationhub.service"), 1.5)
    }

    /// cage and chromium must be installed for verify to find them (scripts/bootstrap).
    func testKioskScreenUnitVerifiesCleanly() throws {
        try assertVerifies("station-kiosk.service")
    }

    func testSysusersEntriesAreValid() throws {
        let root = try ProjectPaths.temporaryDirectory("sysusers")
        let run = try ChildProcess(["systemd-sysusers", "--root=\(root.path)", "--dry-run", ProjectPaths.file("systemd/station.sysusers")])
        XCTAssertEqual(run.wait(timeout: 30), 0, run.standardError)
        XCTAssertTrue((run.lines + run.standardError.split(separator: "\n").map(String.init)).contains { $0.contains("Creating user 'station'") })
        XCTAssertTrue((run.lines + run.standardError.split(separator: "\n").map(String.init)).contains { $0.contains("Creating user 'station-kiosk'") })
    }
}
