import Foundation
import StationTesting
import XCTest

/// `stationctl` against a running daemon (admin socket) and a stopped one (the journal,
/// read-only), in English and Chinese.
final class StationctlTests: XCTestCase {
    func ctl(_ args: [String], environment: [String: String] = [:]) throws -> (Int32?, [String], String) {
        let child = try ChildProcess([ProjectPaths.executable("stationctl")] + args, environment: environment)
        let code = child.wait(timeout: 20)
        return (code, child.lines, child.standardError)
    }

    func testStatusAndDevicesRunningThenStopped() throws {
        let box = try TestBox(label: "ctl")
        let events = try box.events(named: "one", scans: ["LIB-000001"])
        let child = try ChildProcess(
            ["umockdev-run", "-d", ProjectPaths.file("Tests/Fixtures/devices/newland-hr200-kbd.umockdev"),
             "-d", ProjectPaths.file("Tests/Fixtures/devices/plain-keyboard.umockdev"), "-e", "/dev/input/event10=\(events)",
             "-e", "/dev/input/event14=\(ProjectPaths.file("Tests/Fixtures/events/enter-suffix.events"))", "--",
             ProjectPaths.executable("stationd"), "run", "--config", box.configPath, "--print"])
        XCTAssertTrue(child.readLines(timeout: 20) { $0.contains("\"recorded\":true") }, child.standardError)

        var (code, lines, err) = try ctl(["status", "--socket", box.adminSocket, "--json"])
        XCTAssertEqual(code, 0, err)
        let status = try XCTUnwrap((try? JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8))) as? [String: Any])
        XCTAssertEqual(status["daemon"] as? String, "running")
        XCTAssertEqual(status["scanners"] as? Int, 1)
        XCTAssertEqual(status["pending"] as? Int, 1)

        (code, lines, _) = try ctl(["status", "--socket", box.adminSocket], environment: ["LANG": "zh_CN.UTF-8"])
        XCTAssertEqual(code, 0)
        XCTAssertTrue(lines.contains("扫描器：1 台"), lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.contains("职工书屋") })
        (code, lines, _) = try ctl(["status", "--socket", box.adminSocket], environment: ["LANG": "en_US.UTF-8"])
        XCTAssertTrue(lines.contains("scanners: 1"), lines.joined(separator: "\n"))

        // The plain keyboard types at scanner speed: it is listed, with the hint (once its
        // replayed burst has arrived).
        var devices: [String: Any] = [:]
        for _ in 0..<40 {
            (code, lines, err) = try ctl(["devices", "--socket", box.adminSocket, "--json"])
            XCTAssertEqual(code, 0, err)
            devices = (try? JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8))) as? [String: Any] ?? [:]
            if ((devices["ignored"] as? [[String: Any]])?.first?["hint"] as? String) != nil { break }
            Thread.sleep(forTimeInterval: 0.25)
        }
        let attached = try XCTUnwrap(devices["attached"] as? [[String: Any]])
        XCTAssertEqual(attached.map { $0["scanner"] as? String }, ["1eab:0103:NLS-HR200-0001"])
        XCTAssertEqual(attached.first?["grabbed"] as? Bool, true)
        let ignored = try XCTUnwrap(devices["ignored"] as? [[String: Any]])
        XCTAssertEqual(ignored.first?["devnode"] as? String, "/dev/input/event14")
        XCTAssertTrue((ignored.first?["hint"] as? String)?.contains("--scanner 046d:c31c") ?? false, "\(ignored)")

        for pid in child.children() { kill(pid, SIGTERM) }
        XCTAssertEqual(child.wait(timeout: 20), 0)

        (code, lines, _) = try ctl(["status", "--socket", box.adminSocket, "--state-dir", box.stateDirectory])
        XCTAssertEqual(code, 3, "not running")
        XCTAssertTrue(lines.contains("stationd: not running (read from the journal)"), lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains("waiting for the hub: 1 events"))
        (code, lines, _) = try ctl(["devices", "--socket", box.adminSocket])
        XCTAssertEqual(code, 3)
        (code, _, _) = try ctl(["check-config", "--config", box.configPath])
        XCTAssertEqual(code, 0)
    }
}

extension StationctlTests {
    /// Every command a site manager has answers in JSON too (scripts and the manager page
    /// read it); the list comes from stationctl's own help, so a new command is covered.
    func testEveryCommandHasJSON() throws {
        let help = try ChildProcess([ProjectPaths.executable("stationctl"), "--help"])
        XCTAssertEqual(help.wait(timeout: 20), 0)
        let section = help.lines.drop { !$0.hasPrefix("SUBCOMMANDS:") }.dropFirst()
        let commands = section.compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), !line.contains("'stationctl help") else { return nil }
            return line.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init)
        }
        XCTAssertGreaterThanOrEqual(commands.count, 10, help.lines.joined(separator: "\n"))
        /// The subcommands a help text lists.
        func subcommands(_ lines: [String]) -> [String] {
            lines.drop { !$0.hasPrefix("SUBCOMMANDS:") }.dropFirst().compactMap { line -> String? in
                guard line.hasPrefix("  "), !line.hasPrefix("   "), !line.contains("'stationctl help") else { return nil }
                return line.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init)
            }
        }
        for command in commands {
            let c = try ChildProcess([ProjectPaths.executable("stationctl"), command, "--help"])
            XCTAssertEqual(c.wait(timeout: 20), 0)
            // A command made of subcommands (cards control|items|enrollment): each of them.
            let nested = subcommands(c.lines)
            if nested.isEmpty {
                XCTAssertTrue(c.lines.contains { $0.contains("--json") }, "stationctl \(command) has no --json")
            }
            for sub in nested {
                let s = try ChildProcess([ProjectPaths.executable("stationctl"), command, sub, "--help"])
                XCTAssertEqual(s.wait(timeout: 20), 0)
                XCTAssertTrue(s.lines.contains { $0.contains("--json") }, "stationctl \(command) \(sub) has no --json")
            }
        }
        let config = try ChildProcess([ProjectPaths.executable("stationctl"), "check-config", "--config", "/nonexistent/station.toml", "--json"])
        XCTAssertEqual(config.wait(timeout: 20), 1)
        let object = (try? JSONSerialization.jsonObject(with: Data((config.lines.first ?? "").utf8))) as? [String: Any]
        XCTAssertEqual(object?["ok"] as? Bool, false, config.lines.joined())
    }
}
