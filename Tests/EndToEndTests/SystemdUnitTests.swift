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

    func testStationdUnitVerifiesCleanly() throws {
        let unit = try unitCopy("stationd.service")
        let verify = try ChildProcess(["systemd-analyze", "verify", unit])
        XCTAssertEqual(verify.wait(timeout: 60), 0, verify.standardError)
        XCTAssertEqual(verify.standardError.trimmingCharacters(in: .whitespacesAndNewlines), "", "verify must be silent")
    }

    func testStationdExposureIsAtMostTwo() throws {
        let unit = try unitCopy("stationd.service")
        let security = try ChildProcess(["systemd-analyze", "security", "--offline=yes", "--no-pager", unit])
        XCTAssertEqual(security.wait(timeout: 60), 0, security.standardError)
        let line = try XCTUnwrap(security.lines.first { $0.contains("Overall exposure level for stationd.service") }, security.lines.joined(separator: "\n"))
        let score = try XCTUnwrap(line.split(separator: " ").compactMap { Double($0) }.first, line)
        print("stationd.service: \(line)")
        XCTAssertLessThanOrEqual(score, 2.0, line)
    }

    func testStationhubUnitVerifiesAndExposureIsAtMostOneAndAHalf() throws {
        let unit = try unitCopy("stationhub.service")
        let verify = try ChildProcess(["systemd-analyze", "verify", unit])
        XCTAssertEqual(verify.wait(timeout: 60), 0, verify.standardError)
        XCTAssertEqual(verify.standardError.trimmingCharacters(in: .whitespacesAndNewlines), "", "verify must be silent")
        let security = try ChildProcess(["systemd-analyze", "security", "--offline=yes", "--no-pager", unit])
        XCTAssertEqual(security.wait(timeout: 60), 0, security.standardError)
        let line = try XCTUnwrap(security.lines.first { $0.contains("Overall exposure level for stationhub.service") }, security.lines.joined(separator: "\n"))
        let score = try XCTUnwrap(line.split(separator: " ").compactMap { Double($0) }.first, line)
        print("stationhub.service: \(line)")
        XCTAssertLessThanOrEqual(score, 1.5, line)
    }

    func testSysusersEntriesAreValid() throws {
        let root = try ProjectPaths.temporaryDirectory("sysusers")
        let run = try ChildProcess(["systemd-sysusers", "--root=\(root.path)", "--dry-run", ProjectPaths.file("systemd/station.sysusers")])
        XCTAssertEqual(run.wait(timeout: 30), 0, run.standardError)
        XCTAssertTrue((run.lines + run.standardError.split(separator: "\n").map(String.init)).contains { $0.contains("Creating user 'station'") })
    }
}
