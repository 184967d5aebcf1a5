import Foundation
import StationTesting
import XCTest

/// `stationd run` under input that real scanners produce on a bad day: the plug pulled
/// again and again mid-scan, and event streams full of events no keyboard sends. Each is
/// counted by the independent journal checker (Tests/Checkers/journal_check.py).
final class StormTests: XCTestCase {

    func check(_ box: TestBox, outcomes: String, total: Int) throws -> (code: Int32?, verdict: String, all: String) {
        let checker = try ChildProcess(["python3", ProjectPaths.file("Tests/Checkers/journal_check.py"), box.journalPath, outcomes, String(total)])
        let code = checker.wait(timeout: 60)
        return (code, checker.lines.first ?? "no verdict", checker.lines.joined(separator: "\n") + checker.standardError)
    }

    /// The scanner is unplugged at random moments (mid-scan as often as not) and plugged
    /// in again under new event numbers; what was not acknowledged is scanned again, as a
    /// worker who heard no beep does. Every scan ends up recorded exactly once.
    func testUnplugStormsLoseAndDoubleNoScan() throws {
        let seed = Torture.seed()
        let box = try TestBox(label: "storm")
        let total = Torture.iterations(test: 60, torture: 300)
        let rounds = Torture.iterations(test: 8, torture: 40)
        let outcomes = box.directory.appendingPathComponent("outcomes.jsonl").path
        let storm = try ChildProcess([
            "/usr/bin/python3", ProjectPaths.file("Tests/Faults/unplug_storm.py"), ProjectPaths.executable("stationd"), box.configPath,
            ProjectPaths.file("Tests/Fixtures/devices/newland-hr200-kbd.umockdev"), "/dev/input/event10", outcomes,
            String(total), String(rounds), String(seed),
        ])
        let code = storm.wait(timeout: Double(rounds) * 10 + 120)
        let stderr = (try? String(contentsOfFile: box.directory.appendingPathComponent("storm-stderr.txt").path, encoding: .utf8)) ?? ""
        XCTAssertEqual(code, 0, "seed \(seed): " + storm.lines.joined(separator: "\n") + storm.standardError + stderr.suffix(3000))
        let (checkCode, verdict, all) = try check(box, outcomes: outcomes, total: total)
        Torture.report(scenario: "scanner unplug storm", seed: seed, faults: storm.lines.last ?? "", checker: verdict)
        XCTAssertEqual(checkCode, 0, "seed \(seed): " + all)
        XCTAssertTrue(verdict.hasPrefix("\(total) scans, \(total) acknowledged, 0 lost, 0 duplicated"), "seed \(seed): " + all)
        // Most rounds end in an unplug (the scans may all be in before the last ones).
        let unplugs = storm.lines.last.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        XCTAssertGreaterThanOrEqual(unplugs, rounds / 2, storm.lines.joined(separator: "\n"))
    }

    /// Events no keyboard sends, between and inside scans: key codes beyond KEY_MAX,
    /// impossible key values, relative and absolute motion, switches, stray scancodes,
    /// event types the kernel does not define, and SYN_DROPPED between scans. None may
    /// crash the reader, leak into a scan or cost one: every scan is recorded once.
    /// (Runs of 60 scans, one daemon start each: umockdev's replay of one file garbles
    /// the stream after about 7,000 events.)
    func testMalformedEvdevStreamsLoseNoScan() throws {
        let seed = Torture.seed()
        var rng = TestIdentities(seed: seed)
        let box = try TestBox(label: "malformed")
        let perRun = 60
        let total = perRun * Torture.iterations(test: 1, torture: 7)
        var injected = 0
        var drops = 0
        let noises: [[String]] = (0..<total).map { _ in
            var lines: [String] = []
            for _ in 0..<rng.number(in: 1...8) {
                injected += 1
                switch rng.number(in: 0...7) {
                case 0: lines.append("raw EV_KEY \(rng.number(in: 0x300...0x3FF)) \(rng.number(in: 0...2))")
                case 1: lines.append("raw EV_KEY KEY_\(["A", "5", "ENTER", "LEFTSHIFT"][rng.number(in: 0...3)]) \(rng.number(in: 3...100_000))")
                case 2: lines.append("raw EV_REL \(rng.number(in: 0...9)) \(rng.number(in: 0...1000) - 500)")
                case 3: lines.append("raw EV_ABS \(rng.number(in: 0...0x3F)) \(rng.number(in: 0...65535))")
                case 4: lines.append("raw EV_MSC MSC_SCAN \(rng.number(in: 0...0xFFFFF))")
                case 5: lines.append("raw EV_SW \(rng.number(in: 0...16)) \(rng.number(in: 0...1))")
                case 6:
                    lines += ["raw EV_SYN SYN_DROPPED 0", "raw EV_SYN SYN_REPORT 0"]
                    drops += 1
                default: lines.append("raw \(rng.number(in: 0x18...0x1E)) \(rng.number(in: 0...0x2FF)) \(rng.number(in: 0...1_000_000))")
                }
            }
            // A real kernel closes every packet with SYN_REPORT; the gap ends the burst.
            return lines + ["raw EV_SYN SYN_REPORT 0", "wait 300"]
        }
        let labels = (1...total).map { String(format: "LIB-%06d", $0) }
        var lines: [String] = []
        for run in stride(from: 0, to: total, by: perRun) {
            let events = try box.events(named: "malformed\(run)", scans: Array(labels[run..<(run + perRun)]), gapMillis: 20, noise: { noises[run + $0] })
            let child = try box.run(events: events)
            XCTAssertTrue(
                child.readLines(timeout: Double(perRun) * 2 + 30, count: perRun) { $0.contains("\"recorded\":true") },
                "seed \(seed): not every scan was recorded:\n" + child.lines.suffix(5).joined(separator: "\n") + String(child.standardError.suffix(2000)))
            XCTAssertEqual(child.stopChildren(), 0, String(child.standardError.suffix(2000)))
            lines += child.lines
        }
        let outcomes = box.directory.appendingPathComponent("outcomes.jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: outcomes, atomically: true, encoding: .utf8)
        let (code, verdict, all) = try check(box, outcomes: outcomes, total: total)
        Torture.report(scenario: "malformed evdev streams", seed: seed, faults: "\(injected) malformed events", checker: verdict)
        XCTAssertEqual(code, 0, "seed \(seed): " + all)
        XCTAssertTrue(verdict.hasPrefix("\(total) scans, \(total) acknowledged, 0 lost, 0 duplicated"), "seed \(seed): " + all)
        // Each SYN_DROPPED is told once ("please scan again": the dropped events may have
        // been a scan); nothing else is a misread.
        let misreads = lines.filter { $0.contains("\"outcome\":\"misread\"") }
        XCTAssertEqual(misreads.filter { !$0.contains("the kernel dropped input events") }, [], "seed \(seed): malformed events leaked into a scan")
        XCTAssertEqual(misreads.count, drops, "seed \(seed)")
    }
}
