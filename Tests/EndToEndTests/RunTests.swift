import Foundation
import StationTesting
import XCTest

/// `stationd run --print` for real: scans in, durable records out, under umockdev.
final class RunTests: XCTestCase {
    /// The 1-based line where `key =` stands in a config file (found here, independently
    /// of the daemon's own key index).
    static func line(of key: String, in path: String) throws -> Int {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        return try XCTUnwrap(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("\(key) =") }) + 1
    }

    /// Stops the daemon itself (not umockdev-run, which must outlive it to answer its
    /// last ioctls) and waits for both.
    func stop(_ child: ChildProcess, signal sig: Int32 = SIGTERM) -> Int32? {
        child.stopChildren(signal: sig, timeout: 20)
    }

    func testScansAreRecordedThenTold() throws {
        let box = try TestBox(label: "run")
        let events = try box.events(named: "books", scans: ["LIB-000001", "LIB-000002", "9787111213826", "9787111213827"])
        let child = try box.run(events: events)
        XCTAssertTrue(child.readLines(timeout: 30, count: 4) { $0.contains("\"type\":\"outcome\"") }, child.lines.joined(separator: "\n") + child.standardError)
        XCTAssertEqual(stop(child), 0, child.standardError)
        let outcomes = child.lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        XCTAssertEqual(outcomes.map { $0["outcome"] as? String }, ["returned", "returned", "returned", "misread"])
        XCTAssertEqual(outcomes.map { ($0["event"] as? [String: Any])?["seq"] as? Int }, [1, 2, 3, nil])

        let export = try ChildProcess([ProjectPaths.executable("stationctl"), "export", "--state-dir", box.stateDirectory, "--format", "csv"])
        XCTAssertEqual(export.wait(timeout: 20), 0, export.standardError)
        XCTAssertEqual(export.lines.count, 4)
        XCTAssertTrue(export.lines[1].hasPrefix("box-test-1,1,0,site-a,"), export.lines[1])
        XCTAssertTrue(export.lines[2].contains("label:LIB-000002"))
        let pending = try ChildProcess([ProjectPaths.executable("stationctl"), "pending", "--state-dir", box.stateDirectory, "--json"])
        XCTAssertEqual(pending.wait(timeout: 20), 0)
        XCTAssertEqual(pending.lines, [#"{"pending":3,"first_seq":1,"last_seq":3}"#])
    }

    func testConfigProblemsNameFileLineAndKey() throws {
        let box = try TestBox(label: "badconfig", site: "kind = \"bookshelf\"\nmax_loans = 0\ncolour = \"red\"")
        let child = try ChildProcess([ProjectPaths.executable("stationd"), "run", "--config", box.configPath])
        XCTAssertNotEqual(child.wait(timeout: 20), 0)
        let err = child.standardError
        let maxLoans = try Self.line(of: "max_loans", in: box.configPath), colour = try Self.line(of: "colour", in: box.configPath)
        XCTAssertTrue(err.contains("\(box.configPath):\(maxLoans): site.max_loans: must be between 1 and 100"), err)
        XCTAssertTrue(err.contains("\(box.configPath):\(colour): site.colour: unknown key"), err)
    }

    /// kill -9 at random moments while a long script of uniquely labelled scans replays;
    /// each restart resumes after the last outcome printed. An independent checker then
    /// reads the journal: every told outcome there exactly once, nothing claimed that is
    /// not, seq strictly increasing, integrity ok.
    func testKillNineAtRandomMomentsLosesNothingAcknowledged() throws {
        let seed = Torture.seed()
        var rng = TestIdentities(seed: seed)
        print("kill test seed \(seed)")
        let box = try TestBox(label: "kill")
        let total = Torture.iterations(test: 200, torture: 1000)
        let wantedKills = Torture.iterations(test: 20, torture: 100)
        let labels = (1...total).map { String(format: "LIB-%06d", $0) }
        let outcomes = box.directory.appendingPathComponent("outcomes.jsonl")
        FileManager.default.createFile(atPath: outcomes.path, contents: nil)
        let log = try FileHandle(forWritingTo: outcomes)
        var next = 0
        var kills = 0
        var runs = 0
        while next < total {
            runs += 1
            // At most 60 scans per run: umockdev's replay of one file garbles the stream
            // after about 7,000 events.
            let chunk = Array(labels[next..<min(total, next + 60)])
            let events = try box.events(named: "run\(runs)", scans: chunk, gapMillis: 25, leadIn: 300)
            let child = try box.run(events: events)
            let killing = kills < wantedKills
            if killing {
                let delay = Double(rng.number(in: 350...1500)) / 1000
                child.readLines(timeout: delay) { _ in false }
                _ = stop(child, signal: SIGKILL)
                kills += 1
            } else {
                XCTAssertTrue(child.readLines(timeout: 60, count: chunk.count) { $0.contains("\"recorded\":true") }, "seed \(seed): a run did not finish")
                XCTAssertEqual(stop(child), 0, child.standardError)
            }
            for line in child.lines { log.write(Data((line + "\n").utf8)) }
            let told = child.lines.compactMap { line -> Int? in
                guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                    let item = (o["event"] as? [String: Any])?["item"] as? String, let n = Int(item.suffix(6))
                else { return nil }
                return n
            }
            if let last = told.max() { next = max(next, last) }
            XCTAssertLessThan(runs, wantedKills * 10, "seed \(seed): no progress")
            if runs >= wantedKills * 10 { break }
        }
        try log.close()
        XCTAssertGreaterThanOrEqual(kills, wantedKills)
        let checker = try ChildProcess(["python3", ProjectPaths.file("Tests/Checkers/journal_check.py"), box.journalPath, outcomes.path, String(total)])
        let code = checker.wait(timeout: 60)
        Torture.report(scenario: "kill -9 while scanning", seed: seed, faults: "\(kills) kills in \(runs) runs", checker: checker.lines.first ?? "no verdict")
        XCTAssertEqual(code, 0, "seed \(seed): " + checker.lines.joined(separator: "\n") + checker.standardError)
        XCTAssertTrue(checker.lines.first?.hasPrefix("\(total) scans, \(total) acknowledged, 0 lost, 0 duplicated") ?? false, checker.lines.joined(separator: "\n"))
    }
}

extension RunTests {
    func testARejectedBurstIsToldAsAMisreadAndRecordsNothing() throws {
        let box = try TestBox(label: "typing")
        let child = try box.run(events: ProjectPaths.file("Tests/Fixtures/events/typing.events"))
        XCTAssertTrue(child.readLines(timeout: 30) { $0.contains("\"type\":\"outcome\"") }, child.standardError)
        XCTAssertEqual(stop(child), 0)
        let o = try XCTUnwrap((try? JSONSerialization.jsonObject(with: Data(child.lines[0].utf8))) as? [String: Any])
        XCTAssertEqual(o["outcome"] as? String, "misread")
        XCTAssertEqual(o["recorded"] as? Bool, false)
        XCTAssertTrue((o["message"] as? String)?.contains("human typing speed") ?? false, "\(o)")
    }
}

extension RunTests {
    func testUnderSystemdEveryLogLineCarriesItsPriority() throws {
        let box = try TestBox(label: "journald")
        let events = try box.events(named: "one", scans: ["LIB-000001"])
        let child = try box.run(events: events, environment: ["JOURNAL_STREAM": "8:12345"])
        XCTAssertTrue(child.readLines(timeout: 20) { $0.contains("\"recorded\":true") })
        XCTAssertEqual(stop(child), 0)
        let lines = child.standardError.split(separator: "\n").filter { !$0.hasPrefix("ERROR: libumockdev") }
        XCTAssertFalse(lines.isEmpty)
        for line in lines { XCTAssertNotNil(line.range(of: #"^<[0-7]>"#, options: .regularExpression), String(line)) }
        XCTAssertTrue(lines.contains { $0.hasPrefix("<6>running") && $0.contains("box.id=box-test-1") }, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.hasPrefix("<6>scanner attached") })
    }
}

extension RunTests {
    /// SIGHUP while scans keep coming: the new config takes effect between two reads, no
    /// scan is lost, and scanners whose table entry did not change are not re-opened.
    func testSIGHUPReloadsTheConfigWithoutLosingAScan() throws {
        let box = try TestBox(label: "reload")
        let scans = (1...30).map { $0 % 2 == 0 ? String(format: "BK-%06d", $0) : String(format: "LIB-%06d", $0) }
        let events = try box.events(named: "mixed", scans: scans, gapMillis: 120)
        let child = try box.run(events: events)
        XCTAssertTrue(child.readLines(timeout: 30, count: 10) { $0.contains("\"type\":\"outcome\"") })
        let config = try String(contentsOfFile: box.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: #"item_label_patterns = ["LIB-[0-9]{6}"]"#, with: #"item_label_patterns = ["LIB-[0-9]{6}", "BK-[0-9]{6}"]"#)
            .write(toFile: box.configPath, atomically: true, encoding: .utf8)
        for pid in child.children() { kill(pid, SIGHUP) }
        XCTAssertTrue(child.readLines(timeout: 30, count: 30) { $0.contains("\"type\":\"outcome\"") }, child.lines.joined(separator: "\n"))
        XCTAssertEqual(stop(child), 0)
        let outcomes = child.lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        XCTAssertEqual(outcomes.count, 30, "one outcome per scan, none lost across the reload")
        let bk = outcomes.enumerated().filter { $0.offset % 2 == 1 }.map { $0.element["outcome"] as? String ?? "" }
        XCTAssertEqual(bk.first, "misread", "before the reload BK- labels are unknown")
        XCTAssertEqual(bk.last, "returned", "after the reload they are item labels")
        XCTAssertTrue(child.standardError.contains("config reloaded"), child.standardError)
        XCTAssertFalse(child.standardError.contains("scanner detached"), "an unchanged scanner is not re-opened")
    }

    func testAReloadWithProblemsKeepsTheRunningConfig() throws {
        let box = try TestBox(label: "reload-bad")
        let events = try box.events(named: "two", scans: ["LIB-000001", "LIB-000002"], gapMillis: 1500)
        let child = try box.run(events: events)
        XCTAssertTrue(child.readLines(timeout: 30) { $0.contains("\"type\":\"outcome\"") })
        // A site manager follows the device log meanwhile.
        let follow = try ChildProcess([ProjectPaths.executable("stationctl"), "logs", "--follow", "--json", "--level", "error", "--state-dir", box.stateDirectory])
        follow.readLines(timeout: 0.5) { _ in false }
        try (try String(contentsOfFile: box.configPath, encoding: .utf8) + "\n[nonsense]\nx = 1\n").write(toFile: box.configPath, atomically: true, encoding: .utf8)
        for pid in child.children() { kill(pid, SIGHUP) }
        XCTAssertTrue(child.readLines(timeout: 30, count: 2) { $0.contains("\"outcome\":\"returned\"") }, "still scanning with the old config")
        XCTAssertTrue(follow.readLines(timeout: 15) { $0.contains("config reload refused") }, "logs --follow did not show the new line: \(follow.lines) \(follow.standardError)")
        follow.terminate()
        XCTAssertEqual(stop(child), 0)
        XCTAssertTrue(child.standardError.contains("config reload refused"), child.standardError)
    }

    func testCheckConfig() throws {
        let good = try TestBox(label: "check")
        let ok = try ChildProcess([ProjectPaths.executable("stationd"), "check-config", "--config", good.configPath])
        XCTAssertEqual(ok.wait(timeout: 20), 0, ok.standardError)
        XCTAssertTrue(ok.lines.first?.contains(": ok (box box-test-1, site site-a, bookshelf") ?? false, ok.lines.joined())
        let bad = try TestBox(label: "check-bad", site: "kind = \"library\"\nloan_days = \"thirty\"")
        let no = try ChildProcess([ProjectPaths.executable("stationd"), "check-config", "--config", bad.configPath])
        XCTAssertEqual(no.wait(timeout: 20), 1)
        let kind = try Self.line(of: "kind", in: bad.configPath), days = try Self.line(of: "loan_days", in: bad.configPath)
        XCTAssertTrue(no.lines.contains { $0.contains(":\(kind): site.kind: must be one of bookshelf, hut, station") }, no.lines.joined(separator: "\n"))
        XCTAssertTrue(no.lines.contains { $0.contains(":\(days): site.loan_days: must be an integer") }, no.lines.joined(separator: "\n"))
    }
}
