import Foundation
import StationTesting
import XCTest

/// Recognition through the real programs: the differential run against python-stdnum,
/// and the privacy check that no identity number leaves the box's programs in the clear.
final class CodesTests: XCTestCase {
    static let fixtures = ProjectPaths.file("Tests/Fixtures")

    func testDifferentialAgainstPythonStdnum() throws {
        let venv = ProjectPaths.file(".build/venv-tests/bin/python")
        let setup = try ChildProcess([ProjectPaths.file("scripts/test-venv")])
        XCTAssertEqual(setup.wait(timeout: 300), 0, "scripts/test-venv failed: \(setup.standardError)")
        let seed = UInt64.random(in: 0..<(1 << 32))
        let child = try ChildProcess([venv, ProjectPaths.file("Tests/Differential/stdnum_differential.py"), ProjectPaths.executable("stationctl"), "10000", String(seed)])
        let code = child.wait(timeout: 300)
        let report = child.lines.joined(separator: "\n")
        print(report)
        XCTAssertEqual(code, 0, "disagreements with python-stdnum (seed \(seed)):\n\(report)\n\(child.standardError)")
        XCTAssertTrue(child.lines.contains("40000 codes, 0 disagreements"), report)
    }

    func testParseKindsAndExitCodes() throws {
        func parse(_ args: [String], stdin: String? = nil) throws -> (Int32?, [String: Any]) {
            var argv = [ProjectPaths.executable("stationctl"), "parse", "--json"] + args
            if let stdin {
                argv = ["/bin/sh", "-c", "printf '%s\\n' \"$0\" | \"$@\"", stdin] + argv
            }
            let child = try ChildProcess(argv)
            let code = child.wait(timeout: 20)
            let object = (try? JSONSerialization.jsonObject(with: Data((child.lines.first ?? "").utf8))) as? [String: Any] ?? [:]
            return (code, object)
        }
        var (code, o) = try parse(["9787111213826"])
        XCTAssertEqual(code, 0)
        XCTAssertEqual(o["kind"] as? String, "isbn-13")
        XCTAssertEqual(o["normalized"] as? String, "9787111213826")
        (code, o) = try parse(["9787111213827"])
        XCTAssertEqual(code, 1)
        XCTAssertEqual(o["reason"] as? String, "ISBN-13 check digit is 6, scan says 7")
        (code, o) = try parse(["STN-MODE-RENEW"])
        XCTAssertEqual(o["kind"] as? String, "control")
        XCTAssertEqual(o["normalized"] as? String, "mode:renew")
        (code, o) = try parse(["LIB-000123", "--item-label-pattern", "LIB-[0-9]{6}"])
        XCTAssertEqual(o["kind"] as? String, "item-label")
        (code, o) = try parse(["8800000000000005", "--member-card-pattern", "88[0-9]{14}", "--luhn"])
        XCTAssertEqual(o["kind"] as? String, "member-card")
        XCTAssertEqual(o["normalized"] as? String, "************0005")
        (code, o) = try parse(["04a1b2c3", "--id-reader"])
        XCTAssertEqual(o["kind"] as? String, "card-uid")
        let id = TestIdentities.make(county: "330106", year: 1979, month: 12, day: 31, sequence: 88)
        (code, o) = try parse(["-"], stdin: id)
        XCTAssertEqual(code, 0)
        XCTAssertEqual(o["kind"] as? String, "resident-id")
        XCTAssertEqual(o["normalized"] as? String, String(id.prefix(4)) + "**********" + String(id.suffix(4)))
        (code, _) = try parse(["x", "--item-label-pattern", "(unclosed"])
        XCTAssertEqual(code, 64, "a bad pattern is a usage error")
    }

    /// Scans of generated identities through an ID reader into `stationd listen`, and
    /// through `stationctl parse`; nothing printed or logged may contain a number, with x
    /// or X, or its middle 14 digits.
    func testNoIdentityNumberLeavesTheProgramsInTheClear() throws {
        let seed = UInt64.random(in: 0..<(1 << 32))
        var gen = TestIdentities(seed: seed)
        var ids: [String] = []
        while ids.count < 4 { ids.append(gen.valid()) }
        while !ids.contains(where: { $0.hasSuffix("X") }) { let n = gen.valid(); if n.hasSuffix("X") { ids.append(n) } }
        let dir = try ProjectPaths.temporaryDirectory("privacy")
        defer { try? FileManager.default.removeItem(at: dir) }

        // The ID reader types each number; the ones ending in X once with shift, once without.
        var keys = "# generated identities, seed \(seed)\n"
        var typed: [String] = []
        for id in ids {
            keys += "wait 150\n"
            for ch in id {
                keys += ch == "X" ? "key KEY_LEFTSHIFT+KEY_X\n" : "key KEY_\(ch)\n"
            }
            keys += "key KEY_ENTER\n"
            typed.append(id)
            if id.hasSuffix("X") {
                keys += "wait 150\n" + id.dropLast().map { "key KEY_\($0)\n" }.joined() + "key KEY_X\nkey KEY_ENTER\n"
                typed.append(String(id.dropLast()) + "x")
            }
        }
        let keysFile = dir.appendingPathComponent("ids.keys").path
        let eventsFile = dir.appendingPathComponent("ids.events").path
        try keys.write(toFile: keysFile, atomically: true, encoding: .utf8)
        let make = try ChildProcess(["python3", "\(Self.fixtures)/tools/make-events.py", "-o", eventsFile, keysFile])
        XCTAssertEqual(make.wait(timeout: 30), 0, make.standardError)

        let table = dir.appendingPathComponent("door.conf").path
        try """
            [ID reader at the hut door]
            MatchVendor=1eab
            MatchProduct=0103
            Role=id-reader
            Interface=evdev
            Layout=us
            Suffix=enter
            Source=vendor doc: site configuration
            """.write(toFile: table, atomically: true, encoding: .utf8)

        func listen(raw: Bool) throws -> String {
            let child = try ChildProcess(
                ["umockdev-run", "-d", "\(Self.fixtures)/devices/newland-hr200-kbd.umockdev", "-e", "/dev/input/event10=\(eventsFile)", "--",
                 ProjectPaths.executable("stationd"), "listen", "--json", "--device-table", ProjectPaths.file("hw/devices.conf"), "--device-table", table]
                    + (raw ? ["--raw"] : []))
            let done = child.readLines(timeout: 30, count: typed.count) { $0.contains("\"type\":\"scan\"") }
            XCTAssertTrue(done, "expected \(typed.count) scans: \(child.lines)")
            XCTAssertEqual(child.terminate(), 0)
            return child.lines.joined(separator: "\n") + "\n" + child.standardError
        }

        let output = try listen(raw: false)
        for id in ids { XCTAssertTrue(output.contains(String(id.prefix(4)) + "**********" + String(id.suffix(4))), "the masked form is shown") }
        XCTAssertEqual(output.components(separatedBy: "\"masked\":true").count - 1, typed.count)

        let parse = try ChildProcess(["/bin/sh", "-c", "printf '%s\\n' \"$@\" | \"$0\" parse --lines -", ProjectPaths.executable("stationctl")] + typed)
        XCTAssertEqual(parse.wait(timeout: 20), 0)
        XCTAssertEqual(parse.lines.count, typed.count)
        var everything = output + parse.lines.joined(separator: "\n") + parse.standardError
        for id in typed {
            let single = try ChildProcess(["/bin/sh", "-c", "printf '%s\\n' \"$1\" | \"$0\" parse -", ProjectPaths.executable("stationctl"), id])
            XCTAssertEqual(single.wait(timeout: 20), 0)
            everything += single.lines.joined(separator: "\n") + single.standardError
        }
        XCTAssertEqual(Self.leaks(of: ids, in: everything), [], "seed \(seed)")

        // Through the whole daemon at a hut: visits recorded in the journal, exported, and
        // the journal then corrupted so a moved-aside copy exists too.
        let box = try TestBox(label: "privacy-hut", site: "kind = \"hut\"", extraDeviceTables: [table])
        func runDaemon(expect: Int) throws -> String {
            let child = try box.run(events: eventsFile)
            XCTAssertTrue(child.readLines(timeout: 30, count: expect) { $0.contains("\"type\":\"outcome\"") }, child.lines.joined(separator: "\n") + child.standardError)
            for pid in child.children() { kill(pid, SIGTERM) }
            XCTAssertEqual(child.wait(timeout: 20), 0)
            return child.lines.joined(separator: "\n") + "\n" + child.standardError
        }
        everything += try runDaemon(expect: typed.count)
        XCTAssertTrue(everything.contains("\"outcome\":\"visit-started\""))
        let export = try ChildProcess([ProjectPaths.executable("stationctl"), "export", "--state-dir", box.stateDirectory])
        XCTAssertEqual(export.wait(timeout: 20), 0)
        XCTAssertEqual(export.lines.count, typed.count)
        everything += export.lines.joined(separator: "\n")
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: box.journalPath))
        try handle.seek(toOffset: 0)
        try handle.write(contentsOf: Data(repeating: 0x42, count: 4096))
        try handle.close()
        everything += try runDaemon(expect: typed.count)
        let stateFiles = try FileManager.default.contentsOfDirectory(atPath: box.stateDirectory)
        XCTAssertTrue(stateFiles.contains { $0.contains(".corrupt-") }, "a moved-aside copy to search: \(stateFiles)")
        for name in stateFiles {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: box.stateDirectory + "/" + name))
            XCTAssertEqual(Self.leaks(of: ids, in: String(decoding: bytes, as: UTF8.self)), [], "\(name), seed \(seed)")
            XCTAssertEqual(Self.leaks(of: ids, in: String(decoding: bytes, as: Unicode.ASCII.self)), [], "\(name), seed \(seed)")
        }
        XCTAssertEqual(Self.leaks(of: ids, in: everything), [], "seed \(seed)")

        // The search itself works: with --raw the numbers are printed, and it finds them.
        XCTAssertEqual(Set(Self.leaks(of: ids, in: try listen(raw: true))).count, ids.count, "the leak search found nothing in raw output")
    }

    /// The numbers (with x and X) or their middle 14 digits found in `text`, masked.
    static func leaks(of ids: [String], in text: String) -> [String] {
        var found: [String] = []
        for id in ids {
            let middle = String(id.dropFirst(2).prefix(14))
            let forms = [id, id.lowercased(), id.uppercased(), middle]
            if forms.contains(where: { text.contains($0) }) { found.append(String(id.prefix(4)) + "…" + String(id.suffix(4))) }
        }
        return found
    }
}
