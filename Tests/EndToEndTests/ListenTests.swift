import Foundation
import StationTesting
import XCTest

/// `stationd listen --json` run for real under umockdev-run, with the device descriptions
/// and event files of Tests/Fixtures. Expected strings are written here by hand.
final class ListenTests: XCTestCase {
    static let fixtures = ProjectPaths.file("Tests/Fixtures")
    static let table = ProjectPaths.file("hw/devices.conf")

    struct Line {
        var raw: String
        var object: [String: Any]
        var type: String { object["type"] as? String ?? "" }
        subscript(_ key: String) -> String? { object[key] as? String }
    }

    struct Run {
        var lines: [Line]
        var exitCode: Int32?
        var stderr: String
        var scans: [String] { lines.filter { $0.type == "scan" }.compactMap { $0["text"] } }
        func of(_ type: String) -> [Line] { lines.filter { $0.type == type } }
    }

    /// Runs `stationd listen` with the given devices until `expect` lines of interest have
    /// been printed (scans and rejections by default), then stops it with SIGTERM.
    func listen(
        devices: [String], events: [String: String] = [:], serial: [String: String] = [:],
        overrides: String? = nil, extraArguments: [String] = [], environment: [String: String] = [:],
        expect: Int, counting: @escaping (Line) -> Bool = { ["scan", "rejection"].contains($0.type) },
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> Run {
        var argv = ["umockdev-run"]
        for d in devices { argv += ["-d", "\(Self.fixtures)/devices/\(d).umockdev"] }
        for (node, e) in events.sorted(by: { $0.key < $1.key }) { argv += ["-e", "\(node)=\(Self.fixtures)/events/\(e).events"] }
        for (node, s) in serial { argv += ["-s", "\(node)=\(Self.fixtures)/serial/\(s).script"] }
        argv += ["--", ProjectPaths.executable("stationd"), "listen", "--json", "--device-table", Self.table]
        if let overrides {
            let dir = try ProjectPaths.temporaryDirectory("listen")
            let path = dir.appendingPathComponent("local.conf").path
            try overrides.write(toFile: path, atomically: true, encoding: .utf8)
            argv += ["--device-table", path]
        }
        argv += extraArguments
        let child = try ChildProcess(argv, environment: environment)
        let done = child.readLines(timeout: 30, count: expect) { raw in
            guard let object = Self.parse(raw) else { return false }
            return counting(Line(raw: raw, object: object))
        }
        // A little longer, so anything printed that should not be is caught.
        child.readLines(timeout: 0.7) { _ in false }
        let code = child.terminate()
        let lines = child.lines.map { raw -> Line in
            guard let object = Self.parse(raw) else {
                XCTFail("not a JSON object: \(raw)", file: file, line: line)
                return Line(raw: raw, object: [:])
            }
            return Line(raw: raw, object: object)
        }
        let run = Run(lines: lines, exitCode: code, stderr: child.standardError)
        XCTAssertTrue(done, "expected \(expect) lines; got:\n\(child.lines.joined(separator: "\n"))\nstderr:\n\(run.stderr)", file: file, line: line)
        XCTAssertEqual(code, 0, "stationd listen must exit 0 on SIGTERM; stderr:\n\(run.stderr)", file: file, line: line)
        return run
    }

    static func parse(_ raw: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(raw.utf8))) as? [String: Any]
    }

    func testEnterSuffixScannerWithShiftedSymbolsAndAIM() throws {
        let run = try listen(devices: ["newland-hr200-kbd"], events: ["/dev/input/event10": "enter-suffix"], expect: 3)
        XCTAssertEqual(run.scans, ["9787111213826", "ABC-$*@]9", "9787111213826"])
        XCTAssertEqual(run.of("scan").map { $0["aim"] }, [nil, nil, "]E0"])
        let attached = try XCTUnwrap(run.of("attached").first)
        XCTAssertEqual(attached["scanner"], "1eab:0103:NLS-HR200-0001")
        XCTAssertEqual(attached["devnode"], "/dev/input/event10")
        XCTAssertEqual(attached.object["grabbed"] as? Bool, true)
        XCTAssertEqual(run.of("rejection").count, 0)
    }

    func testScannerWithoutSuffixEndsScansByIdleTimeout() throws {
        // A longer idle timeout than the table's, set by a local override: umockdev's
        // replay can stall for ~100 ms on a loaded machine, a real scanner does not.
        let overrides = """
            [Opticon, site setting]
            MatchVendor=065a
            MatchProduct=0001
            Role=scanner
            Interface=evdev
            Layout=us
            Suffix=none
            IdleTimeoutMs=300
            Source=vendor doc: site configuration
            """
        let run = try listen(devices: ["opticon-opr2001-kbd"], events: ["/dev/input/event12": "no-suffix"], overrides: overrides, expect: 2)
        XCTAssertEqual(run.scans, ["0123456789012", "ISBN7"])
        XCTAssertEqual(run.of("attached").first?["model"], "Opticon, site setting")
        XCTAssertEqual(run.of("attached").first?["scanner"], "065a:0001@pci-0000:00:14.0-usb-0:3:1.0")
    }

    func testGermanLayoutScanner() throws {
        let overrides = """
            [Gryphon set to German]
            MatchVendor=05f9
            MatchProduct=2206
            Role=scanner
            Interface=evdev
            Layout=de
            Suffix=enter
            Source=vendor doc: site configuration
            """
        let run = try listen(devices: ["datalogic-gryphon-kbd"], events: ["/dev/input/event13": "de-layout"], overrides: overrides, expect: 2)
        XCTAssertEqual(run.scans, ["Zyx-$@", "9787111213826"])
    }

    func testTwoScannersNeverInterleaveAndAKeyboardIsNeverGrabbed() throws {
        let run = try listen(
            devices: ["newland-hr200-kbd", "honeywell-1400g-kbd", "plain-keyboard"],
            events: ["/dev/input/event10": "enter-suffix", "/dev/input/event11": "second-scanner", "/dev/input/event14": "keyboard"],
            environment: ["UMOCKDEV_DEBUG": "ioctl"], expect: 5)
        let by = Dictionary(grouping: run.of("scan"), by: { $0["scanner"] ?? "" }).mapValues { $0.compactMap { $0["text"] } }
        XCTAssertEqual(by["1eab:0103:NLS-HR200-0001"], ["9787111213826", "ABC-$*@]9", "9787111213826"])
        XCTAssertEqual(by["0c2e:0b81:14G0000042"], ["LIB-000123", "LIB-000124"])
        XCTAssertEqual(run.scans.count, 5, "the keyboard's typing must not become a scan")
        let ignored = try XCTUnwrap(run.of("ignored").first)
        XCTAssertEqual(ignored["devnode"], "/dev/input/event14")
        XCTAssertEqual(ignored["vendor"], "046d")
        XCTAssertEqual(run.of("attached").count, 2)

        // Which fd is which node, and which fds got EVIOCGRAB (0x40044590).
        let grabs = Self.grabbedNodes(run.stderr)
        XCTAssertTrue(grabs.contains("/dev/input/event10"), "scanner not grabbed; ioctl log:\n\(run.stderr)")
        XCTAssertTrue(grabs.contains("/dev/input/event11"))
        XCTAssertFalse(grabs.contains("/dev/input/event14"), "the plain keyboard was grabbed")
        XCTAssertTrue(run.stderr.contains("(/dev/input/event14)"), "the keyboard was not even opened; the check above proves nothing")
    }

    /// Nodes that received an EVIOCGRAB, from umockdev's ioctl debug log.
    static func grabbedNodes(_ log: String) -> Set<String> {
        var open: [String: String] = [:]
        var grabbed: Set<String> = []
        for line in log.split(separator: "\n") {
            let words = line.split(separator: " ")
            if line.hasPrefix("ioctl_emulate_open fd"), words.count >= 4 {
                open[String(words[2])] = words[3].trimmingCharacters(in: CharacterSet(charactersIn: "():"))
            } else if line.hasPrefix("ioctl fd"), words.count >= 5, words[4].hasPrefix("40044590") {
                if let node = open[String(words[2])] { grabbed.insert(node) }
            }
        }
        return grabbed
    }

    func testKeypadAndAltModeGBK() throws {
        let keypad = try listen(devices: ["newland-hr200-kbd"], events: ["/dev/input/event10": "keypad"], expect: 1)
        XCTAssertEqual(keypad.scans, ["123*-+."])
        let overrides = """
            [HR200 in ALT mode]
            MatchVendor=1eab
            MatchProduct=0103
            Role=scanner
            Interface=evdev
            Layout=us
            Suffix=enter
            AltCodePage=gbk
            Source=vendor doc: site configuration
            """
        let alt = try listen(devices: ["newland-hr200-kbd"], events: ["/dev/input/event10": "alt-gbk"], overrides: overrides, expect: 1)
        XCTAssertEqual(alt.scans, ["中文"])
    }

    func testHumanTypingOnAScannerIsATypingRejection() throws {
        let run = try listen(devices: ["newland-hr200-kbd"], events: ["/dev/input/event10": "typing"], expect: 1)
        XCTAssertEqual(run.scans, [])
        XCTAssertEqual(run.of("rejection").map { $0["reason"] }, ["typing"])
        XCTAssertFalse(run.of("rejection")[0].raw.contains("hello"), "a rejection must not quote what was typed")
    }

    func testStuckKeyIsRejectedNotA300CharacterBarcode() throws {
        let run = try listen(devices: ["newland-hr200-kbd"], events: ["/dev/input/event10": "stuck-key"], expect: 1)
        XCTAssertEqual(run.scans, [])
        XCTAssertEqual(run.of("rejection").map { $0["reason"] }, ["too-long"])
    }

    func testSynDroppedDiscardsThePartialScanAndRecovers() throws {
        let run = try listen(devices: ["newland-hr200-kbd"], events: ["/dev/input/event10": "syn-dropped"], expect: 2)
        XCTAssertEqual(run.of("rejection").map { $0["reason"] }, ["events-dropped"])
        XCTAssertEqual(run.scans, ["9787111213826"])
    }

    func testGarbageEventsAreIgnoredAndTheNextScanIsClean() throws {
        let run = try listen(devices: ["newland-hr200-kbd"], events: ["/dev/input/event10": "garbage"], expect: 1)
        XCTAssertEqual(run.scans, ["9787111213826"])
        XCTAssertEqual(run.of("rejection").count, 0)
    }

    func testSerialScannerSendingGB18030() throws {
        let run = try listen(devices: ["newland-hr200-cdc"], serial: ["/dev/ttyACM0": "gb18030-qr"], expect: 2)
        XCTAssertEqual(run.scans, ["职工书屋-借阅", "9787111213826"])
        XCTAssertEqual(run.of("attached").first?["interface"], "tty")
    }

    func testUnknownKeyboardTypingAtScannerSpeedGetsAHint() throws {
        let run = try listen(
            devices: ["plain-keyboard"], events: ["/dev/input/event14": "enter-suffix"], environment: ["UMOCKDEV_DEBUG": "ioctl"],
            expect: 1, counting: { $0.type == "hint" })
        XCTAssertEqual(run.scans, [])
        let hint = try XCTUnwrap(run.of("hint").first)
        XCTAssertTrue(hint["message"]?.contains("--scanner 046d:c31c") ?? false, hint.raw)
        XCTAssertFalse(hint.raw.contains("978711"), "the hint must not quote what was typed")
        XCTAssertFalse(Self.grabbedNodes(run.stderr).contains("/dev/input/event14"))
    }

    func testScannerFlagMarksAModelForOneRun() throws {
        let run = try listen(
            devices: ["plain-keyboard"], events: ["/dev/input/event14": "enter-suffix"],
            extraArguments: ["--scanner", "046D:C31C"], expect: 3)
        XCTAssertEqual(run.scans, ["9787111213826", "ABC-$*@]9", "9787111213826"])
        XCTAssertEqual(run.of("ignored").count, 0)
    }

    func testBadScannerFlagIsAClearError() throws {
        let child = try ChildProcess([ProjectPaths.executable("stationd"), "listen", "--json", "--scanner", "1eab-0103", "--device-table", Self.table])
        XCTAssertNotEqual(child.wait(timeout: 10), 0)
        XCTAssertTrue(child.standardError.contains("VENDOR:PRODUCT"), child.standardError)
    }

    func testMalformedDeviceTableNamesFileAndLine() throws {
        let dir = try ProjectPaths.temporaryDirectory("table")
        let path = dir.appendingPathComponent("bad.conf").path
        try "[Broken]\nMatchVendor=1EAB\n".write(toFile: path, atomically: true, encoding: .utf8)
        let child = try ChildProcess([ProjectPaths.executable("stationd"), "listen", "--json", "--device-table", path])
        XCTAssertNotEqual(child.wait(timeout: 10), 0)
        XCTAssertTrue(child.standardError.contains("\(path):2"), child.standardError)
    }

    func testHotplugUnplugAndReplugUnderANewEventNumber() throws {
        let child = try ChildProcess([
            "/usr/bin/python3", "\(Self.fixtures)/tools/hotplug.py", ProjectPaths.executable("stationd"), Self.table,
            "\(Self.fixtures)/devices/newland-hr200-kbd.umockdev", "/dev/input/event10", "\(Self.fixtures)/events/enter-suffix.events", "2",
        ])
        let code = child.wait(timeout: 90)
        let log = child.lines.joined(separator: "\n")
        XCTAssertEqual(code, 0, "hotplug choreography failed:\n\(log)\n\(child.standardError)")
        let lines = child.lines.compactMap { $0.hasPrefix("#") ? nil : Self.parse($0) }
        let types = lines.map { $0["type"] as? String ?? "?" }
        XCTAssertEqual(types, ["attached", "scan", "scan", "scan", "detached", "attached", "scan", "scan", "scan", "detached"], log)
        let attached = lines.filter { $0["type"] as? String == "attached" }
        XCTAssertEqual(attached.map { $0["devnode"] as? String }, ["/dev/input/event10", "/dev/input/event11"])
        XCTAssertEqual(Set(attached.map { $0["scanner"] as? String }), ["1eab:0103:NLS-HR200-0001"], "same scanner, new node")
        XCTAssertEqual(lines.filter { $0["type"] as? String == "scan" }.map { $0["text"] as? String }.suffix(3), ["9787111213826", "ABC-$*@]9", "9787111213826"])
        XCTAssertTrue(child.lines.last?.hasPrefix("# exit 0") ?? false, log)
    }
}
