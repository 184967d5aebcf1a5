import Foundation
import StationTesting
import XCTest

/// Feedback for real: tones on a PC speaker and LED blinks on the scanner, written by
/// `stationd run` to evdev nodes whose every write umockdev checks (`-s` scripts fail the
/// run on the first byte that differs); voice prompts through a player; and feedback that
/// can never hold up recording.
final class FeedbackTests: XCTestCase {
    static let speaker = ProjectPaths.file("Tests/Fixtures/devices/pc-speaker.umockdev")
    static let scanner = ProjectPaths.file("Tests/Fixtures/devices/newland-hr200-kbd.umockdev")

    /// The scanner and beeper scripts for `scans`, each expecting `expect[i]` ("TONES;LEDS").
    func scripts(_ box: TestBox, scans: [String], expect: [String]) throws -> (scanner: String, beeper: String) {
        let events = try box.events(named: "feedback", scans: scans, gapMillis: 1500, leadIn: 1500)
        let scanner = box.directory.appendingPathComponent("scanner.script").path
        let beeper = box.directory.appendingPathComponent("beeper.script").path
        let make = try ChildProcess(
            ["python3", ProjectPaths.file("Tests/Fixtures/tools/make-feedback-script.py"), events, "--scanner-out", scanner, "--beeper-out", beeper]
                + expect.flatMap { ["--expect", $0] })
        XCTAssertEqual(make.wait(timeout: 30), 0, make.standardError)
        return (scanner, beeper)
    }

    func run(_ box: TestBox, scanner: String, beeper: String) throws -> ChildProcess {
        try ChildProcess(
            [
                "umockdev-run", "-d", Self.scanner, "-d", Self.speaker, "-s", "/dev/input/event10=\(scanner)", "-s", "/dev/input/event5=\(beeper)", "--",
                ProjectPaths.executable("stationd"), "run", "--config", box.configPath, "--print",
            ], environment: ["STATION_LOG_LEVEL": "debug"])
    }

    func testEachOutcomeSoundsAndBlinksItsOwnPattern() throws {
        // The config overrides one outcome's signal; the others keep the standard table.
        let box = try TestBox(label: "feedback-beeps", extra: """
            [feedback]
            voice = "off"
            [feedback.signals.returned]
            tones = "600/100 0/50 600/100"
            leds = 2
            """)
        var ids = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        // Stated by hand, independently of the daemon's table.
        let expected = [
            ("LIB-000001", "returned", "600/100 0/50 600/100;2"),
            (ids.valid(), "session-opened", "988/80;1"),
            ("LIB-000002", "checked-out", "880/90 1319/120;1"),
            ("ZZZZ", "misread", "440/120 0/80 440/120;2"),
        ]
        let (scanner, beeper) = try scripts(box, scans: expected.map(\.0), expect: expected.map(\.2))
        let child = try run(box, scanner: scanner, beeper: beeper)
        XCTAssertTrue(child.readLines(timeout: 40, count: 4) { $0.contains("\"type\":\"outcome\"") }, child.lines.joined(separator: "\n") + child.standardError)
        let outcomes = child.lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }.map { $0["outcome"] as? String }
        XCTAssertEqual(outcomes, expected.map(\.1))
        // Every cue was played to the end on both devices (a write that differed would
        // have stopped umockdev-run).
        XCTAssertTrue(
            try waitUntil(20) { child.standardError.components(separatedBy: "feedback given").count - 1 >= 4 }, child.standardError)
        XCTAssertTrue(child.standardError.contains("beeper found"), child.standardError)
        // stationctl status tells the site manager which beeper is in use.
        let status = try ChildProcess([ProjectPaths.executable("stationctl"), "status", "--socket", box.adminSocket, "--json"])
        XCTAssertEqual(status.wait(timeout: 20), 0, status.standardError)
        let reported = (try? JSONSerialization.jsonObject(with: Data((status.lines.first ?? "").utf8))) as? [String: Any]
        XCTAssertEqual(reported?["beepers"] as? [String], ["/dev/input/event5"], status.lines.joined())
        XCTAssertEqual(reported?["voice"] as? Bool, false)
        let given = child.standardError.split(separator: "\n").filter { $0.contains("feedback given") }
        XCTAssertTrue(given.allSatisfy { $0.contains("beepers=1") && $0.contains("leds=true") }, given.joined(separator: "\n"))
        XCTAssertEqual(child.stopChildren(timeout: 20), 0, child.standardError)
        XCTAssertFalse(child.standardError.contains("data mismatch"), child.standardError)
        XCTAssertFalse(child.standardError.contains("write failed"), child.standardError)
    }

    /// The check itself can fail: a script that expects another tone stops the run.
    func testAWrongToneFailsTheScript() throws {
        let box = try TestBox(label: "feedback-mismatch", extra: "[feedback]\nvoice = \"off\"")
        let (scanner, beeper) = try scripts(box, scans: ["ZZZZ"], expect: ["441/120 0/80 440/120;2"])
        let child = try run(box, scanner: scanner, beeper: beeper)
        XCTAssertTrue(try waitUntil(30) { child.standardError.contains("data mismatch") }, child.standardError)
        _ = child.stopChildren(timeout: 20)
    }

    /// A fake player writes down what it was asked to play.
    func testVoicePromptsPlayTheOutcomesFileInTheConfiguredLanguage() throws {
        let box0 = try ProjectPaths.temporaryDirectory("feedback-voice-files")
        let voices = box0.appendingPathComponent("voices").path
        for language in ["zh", "en"] {
            try FileManager.default.createDirectory(atPath: voices + "/" + language, withIntermediateDirectories: true)
            for outcome in ["returned", "misread", "checked-out", "session-opened"] {
                try Data("RIFF".utf8).write(to: URL(fileURLWithPath: "\(voices)/\(language)/\(outcome).wav"))
            }
        }
        let played = box0.appendingPathComponent("played.txt").path
        let player = box0.appendingPathComponent("player.sh").path
        try "#!/bin/sh\necho \"$@\" >> \(played)\n".write(toFile: player, atomically: true, encoding: .utf8)
        chmod(player, 0o755)
        let box = try TestBox(label: "feedback-voice", extra: """
            [feedback]
            language = "en"
            voice = "on"
            voice_dir = "\(voices)"
            player = ["\(player)", "-q"]
            beeper = "off"
            """)
        let events = try box.events(named: "voice", scans: ["LIB-000001", "ZZZZ"], gapMillis: 1200)
        let child = try box.run(events: events)
        XCTAssertTrue(child.readLines(timeout: 30, count: 2) { $0.contains("\"type\":\"outcome\"") }, child.standardError)
        XCTAssertTrue(try waitUntil(10) { ((try? String(contentsOfFile: played, encoding: .utf8)) ?? "").split(separator: "\n").count == 2 }, child.standardError)
        XCTAssertEqual(child.stopChildren(timeout: 20), 0, child.standardError)
        XCTAssertEqual(try String(contentsOfFile: played, encoding: .utf8).split(separator: "\n"), ["-q \(voices)/en/returned.wav", "-q \(voices)/en/misread.wav"])
    }

    /// Feedback far slower than the scans: every `returned` cue holds the feedback thread
    /// for 1.5 s of tone (on a FIFO standing in for the beeper, held open by a reader
    /// that never reads) and starts a player that takes seconds. Played one after another
    /// the 40 cues would take 60 s; the scans are still recorded and told at scanner
    /// speed, and the cues the feedback thread cannot keep up with are dropped.
    func testASlowSinkNeverDelaysRecording() throws {
        let dir = try ProjectPaths.temporaryDirectory("feedback-slow-sink")
        let fifo = dir.appendingPathComponent("beeper").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let holder = try ChildProcess(["sh", "-c", "exec 3<\(fifo); sleep 120"])
        defer { _ = holder.stopChildren(signal: SIGKILL, timeout: 5) }
        let voices = dir.appendingPathComponent("voices").path
        try FileManager.default.createDirectory(atPath: voices + "/zh", withIntermediateDirectories: true)
        try Data("RIFF".utf8).write(to: URL(fileURLWithPath: voices + "/zh/returned.wav"))
        let box = try TestBox(label: "feedback-slow", extra: """
            [feedback]
            beeper = "\(fifo)"
            voice = "on"
            voice_dir = "\(voices)"
            player = ["sleep", "5"]
            [feedback.signals.returned]
            tones = "440/1500"
            """)
        let codes = (1...40).map { String(format: "LIB-%06d", $0) }
        let events = try box.events(named: "fast", scans: codes, gapMillis: 30)
        let child = try box.run(events: events, environment: ["STATION_LOG_LEVEL": "debug"])
        XCTAssertTrue(child.readLines(timeout: 30, count: 1) { $0.contains("\"type\":\"outcome\"") }, child.standardError)
        let first = Date()
        XCTAssertTrue(child.readLines(timeout: 60, count: 40) { $0.contains("\"type\":\"outcome\"") }, child.standardError)
        let span = Date().timeIntervalSince(first)
        XCTAssertTrue(child.standardError.contains("beeper found"), child.standardError)
        let outcomes = child.lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        XCTAssertEqual(outcomes.filter { $0["outcome"] as? String == "returned" }.count, 40)
        // Typing the other 39 scans takes about 3 s.
        XCTAssertLessThan(span, 15, "recording waited for feedback")
        XCTAssertEqual(child.stopChildren(timeout: 20), 0, child.standardError)
        let given = child.standardError.components(separatedBy: "feedback given").count - 1
        XCTAssertLessThan(given, 10, "the cues were played one after another: the sink was not slow")
        print("slow sink: scans 2-40 told in \(String(format: "%.1f", span)) s; \(given) of 40 cues played, the rest dropped")
        // The independent checker: all 40 in the journal once, as told.
        let told = box.directory.appendingPathComponent("told.jsonl").path
        try child.lines.joined(separator: "\n").appending("\n").write(toFile: told, atomically: true, encoding: .utf8)
        let check = try ChildProcess(["python3", ProjectPaths.file("Tests/Checkers/journal_check.py"), box.journalPath, told, "40"])
        XCTAssertEqual(check.wait(timeout: 30), 0, check.lines.joined(separator: "\n") + check.standardError)
    }

    func testFeedbackAndPagesConfigProblemsNameTheirLines() throws {
        let box = try TestBox(label: "feedback-config", extra: """
            [feedback]
            language = "fr"
            beeper = "speaker"
            [feedback.signals.warning]
            tones = "880/5000"
            [feedback.signals.borrowed]
            leds = 1
            [pages]
            kiosk_port = 70000
            manager_password = "short"
            """)
        let check = try ChildProcess([ProjectPaths.executable("stationd"), "check-config", "--config", box.configPath])
        XCTAssertEqual(check.wait(timeout: 20), 1)
        let out = check.lines.joined(separator: "\n")
        for (key, says) in [
            ("language", "zh or en"), ("beeper", "auto, off"), ("kiosk_port", "must be a port"), ("manager_password", "at least 8"),
        ] {
            let line = try RunTests.line(of: key, in: box.configPath)
            XCTAssertTrue(out.split(separator: "\n").contains { $0.contains(":\(line):") && $0.contains(key) && $0.contains(says) }, "\(key) at line \(line): \(out)")
        }
        XCTAssertTrue(out.contains("feedback.signals.warning: tones: `880/5000`: 5000 ms is outside 10–2000"), out)
        XCTAssertTrue(out.contains("borrowed is not an outcome"), out)
    }
}
