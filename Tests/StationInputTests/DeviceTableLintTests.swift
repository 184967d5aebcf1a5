import Foundation
import StationCore
import XCTest

@testable import StationInput

/// Lints the committed device table (`hw/devices.conf`) against the public USB id registry
/// and xkbcommon, and checks that the committed udev rules are exactly the generated ones.
final class DeviceTableLintTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let usbIDsPath = "/usr/share/hwdata/usb.ids"

    func read(_ relative: String) throws -> String {
        try String(contentsOf: Self.root.appendingPathComponent(relative), encoding: .utf8)
    }

    func registry() throws -> USBIDRegistry {
        guard let text = try? String(contentsOfFile: Self.usbIDsPath, encoding: .utf8) else {
            XCTFail("\(Self.usbIDsPath) is missing: run scripts/bootstrap (Debian package hwdata)")
            throw CocoaError(.fileNoSuchFile)
        }
        return USBIDRegistry(parsing: text)
    }

    func lint(_ text: String) throws -> [DeviceTable.Problem] {
        let (table, problems) = DeviceTable.parse(text, file: "hw/devices.conf")
        return problems + table.lint(usbIDs: try registry(), layoutCompiles: KeymapDecoder.compiles)
    }

    func testCommittedTableIsClean() throws {
        let text = try read("hw/devices.conf")
        XCTAssertEqual(try lint(text).map(\.description), [])
        let table = DeviceTable.parse(text, file: "hw/devices.conf").table
        let real = table.entries.filter { $0.role != .ignore }
        XCTAssertGreaterThanOrEqual(Set(real.map { "\($0.vendor):\($0.product)" }).count, 10, "at least 10 real models")
        XCTAssertTrue(table.entries.contains { $0.interface == .tty })
        XCTAssertTrue(table.entries.contains { $0.role == .idReader })
        XCTAssertTrue(table.entries.contains { $0.role == .ignore })
    }

    func testEveryUSBIDsSourceNamesTheRegistryLines() throws {
        let reg = try registry()
        for entry in DeviceTable.parse(try read("hw/devices.conf"), file: "hw/devices.conf").table.entries
        where entry.source.hasPrefix("usb.ids:") {
            guard let vendor = reg.vendorName(entry.vendor), let product = reg.productName(entry.vendor, entry.product) else {
                XCTFail("[\(entry.name)] not in usb.ids")
                continue
            }
            XCTAssertTrue(entry.source.contains(vendor), "[\(entry.name)] Source does not quote the vendor line `\(vendor)`")
            XCTAssertTrue(entry.source.contains(product), "[\(entry.name)] Source does not quote the product line `\(product)`")
        }
    }

    func testCommittedRulesAreTheGeneratedOnes() throws {
        let table = DeviceTable.parse(try read("hw/devices.conf"), file: "hw/devices.conf").table
        let committed = try read("hw/60-station.rules")
        XCTAssertEqual(committed, UdevRules.render(table), "hw/60-station.rules is stale or edited by hand: run `make hw-rules`")
    }

    func testLintFailsOnMalformedEntries() throws {
        let good = try read("hw/devices.conf")
        XCTAssertEqual(try lint(good), [])
        let malformed: [(String, String)] = [
            ("an id missing from usb.ids", good.replacingOccurrences(of: "MatchProduct=0103\n", with: "MatchProduct=fff0\n")),
            ("a vendor missing from usb.ids", good.replacingOccurrences(of: "MatchVendor=0c2e\n", with: "MatchVendor=fff1\n")),
            ("a layout that does not compile", good.replacingOccurrences(of: "Layout=us\n", with: "Layout=xx\n")),
            ("a source that is neither", good.replacingOccurrences(of: "Source=usb.ids:", with: "Source=somewhere:")),
            ("upper-case hex", good.replacingOccurrences(of: "MatchVendor=1eab\n", with: "MatchVendor=1EAB\n")),
            ("a role that does not exist", good.replacingOccurrences(of: "Role=scanner\n", with: "Role=printer\n")),
            ("a suffix that does not exist", good.replacingOccurrences(of: "Suffix=enter\n", with: "Suffix=space\n")),
            ("a duplicated device", good + "\n[Copy]\nMatchVendor=1eab\nMatchProduct=0103\nRole=ignore\nInterface=evdev\nSource=usb.ids: x\n"),
            ("no source", good.replacingOccurrences(of: "\nSource=", with: "\n#Source=")),
        ]
        for (what, text) in malformed {
            XCTAssertNotEqual(text, good, "the fixture for \(what) changed nothing")
            XCTAssertFalse(try lint(text).isEmpty, "lint accepted \(what)")
        }
    }

    func testRulesCheckFailsWhenRulesDiffer() throws {
        let table = DeviceTable.parse(try read("hw/devices.conf"), file: "hw/devices.conf").table
        let committed = try read("hw/60-station.rules")
        let edited = committed.replacingOccurrences(of: "MODE=\"0660\"", with: "MODE=\"0666\"")
        XCTAssertNotEqual(edited, committed)
        XCTAssertNotEqual(edited, UdevRules.render(table))
        var fewer = table
        fewer.entries.removeLast()
        XCTAssertNotEqual(committed, UdevRules.render(fewer))
    }
}
