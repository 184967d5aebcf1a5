import XCTest

@testable import StationCore

final class DeviceTableTests: XCTestCase {
    let good = """
        # a comment
        [Newland HR200 (HID keyboard)]
        MatchVendor=1eab
        MatchProduct=0103
        Role=scanner
        Interface=evdev
        Layout=de(nodeadkeys)
        Suffix=enter
        AltCodePage=gbk
        Source=usb.ids: 1eab  Fujian Newland Computer Co., Ltd / 0103  HR200

        [Newland HR200 (Serial CDC)]
        MatchVendor=1eab
        MatchProduct=0106
        Role=scanner
        Interface=tty
        Suffix=enter
        Baud=115200
        Encoding=gb18030
        Source=usb.ids: 1eab  Fujian Newland Computer Co., Ltd / 0106  HR200

        [A security key]
        MatchVendor=1050
        MatchProduct=0407
        Role=ignore
        Interface=evdev
        Source=usb.ids: 1050  Yubico.com / 0407  Yubikey 4/5 OTP+U2F+CCID
        """

    func testParsesEveryKey() {
        let (table, problems) = DeviceTable.parse(good, file: "t.conf")
        XCTAssertEqual(problems, [])
        XCTAssertEqual(table.entries.count, 3)
        let kbd = table.entries[0]
        XCTAssertEqual(kbd.name, "Newland HR200 (HID keyboard)")
        XCTAssertEqual(kbd.layout, "de")
        XCTAssertEqual(kbd.variant, "nodeadkeys")
        XCTAssertEqual(kbd.altCodePage, .gbk)
        XCTAssertEqual(kbd.origin, SourceLocation(file: "t.conf", line: 2))
        XCTAssertEqual(table.entries[1].baud, 115200)
        XCTAssertEqual(table.entries[1].encoding, .gb18030)
        XCTAssertEqual(table.entries[2].role, .ignore)
    }

    /// Each malformed variant must be reported with the line of the offending key.
    func testEveryMalformationIsReportedWithItsLine() {
        let cases: [(String, String, Int, String)] = [
            ("MatchVendor=1eab", "MatchVendor=1EAB", 3, "4 lowercase hex digits"),
            ("MatchProduct=0103", "MatchProduct=103", 4, "4 lowercase hex digits"),
            ("Role=scanner", "Role=reader", 5, "is not one of scanner, id-reader, ignore"),
            ("Suffix=enter\nAltCodePage", "Suffix=space\nAltCodePage", 8, "is not one of enter, tab, none"),
            ("Layout=de(nodeadkeys)", "Layout=de(", 7, "xkb layout"),
            ("AltCodePage=gbk", "AltCodePage=big5", 9, "is not one of gbk, unicode, cp437"),
            ("Interface=evdev\nLayout", "Interface=usb\nLayout", 6, "is not one of evdev, tty"),
            ("Role=scanner\nInterface=evdev", "Role=scanner\nColour=red\nInterface=evdev", 6, "unknown key `Colour`"),
            ("Suffix=enter\nAltCodePage", "Suffix = enter\nAltCodePage", 8, "no spaces around `=`"),
            ("Baud=115200", "Baud=fast", 18, "integer"),
        ]
        for (from, to, line, message) in cases {
            let text = good.replacingOccurrences(of: from, with: to)
            XCTAssertNotEqual(text, good, "fixture did not change for \(to)")
            let (_, problems) = DeviceTable.parse(text, file: "t.conf")
            XCTAssertTrue(
                problems.contains { $0.location.line == line && $0.description.contains(message) },
                "\(to): expected line \(line) \(message), got \(problems)")
        }
    }

    func testStructuralProblems() {
        func problems(_ text: String) -> [String] { DeviceTable.parse(text, file: "t.conf").problems.map(\.description) }
        XCTAssertEqual(problems("Role=scanner"), ["t.conf:1: `Role=scanner` is outside any [section]"])
        XCTAssertTrue(problems("[x]\nMatchVendor=1eab").contains { $0.contains("`MatchProduct` is required") })
        XCTAssertTrue(problems("[unterminated\n").contains { $0.contains("section header") })
        let twice = good + "\n\n[Newland HR200 (HID keyboard)]\nMatchVendor=aaaa\nMatchProduct=0001\nRole=ignore\nInterface=evdev\nSource=usb.ids: x"
        XCTAssertTrue(problems(twice).contains { $0.contains("section name already used at line 2") })
        let sameDevice = good + "\n\n[Other]\nMatchVendor=1050\nMatchProduct=0407\nRole=ignore\nInterface=evdev\nSource=usb.ids: x"
        XCTAssertTrue(problems(sameDevice).contains { $0.contains("matches the same device as [A security key]") })
        let ttyLayout = good.replacingOccurrences(of: "Interface=tty\n", with: "Interface=tty\nLayout=us\n")
        XCTAssertTrue(problems(ttyLayout).contains { $0.contains("applies to evdev devices only") })
        let noSuffix = good.replacingOccurrences(of: "Suffix=enter\nAltCodePage", with: "AltCodePage")
        XCTAssertTrue(problems(noSuffix).contains { $0.contains("`Suffix` is required for role scanner") })
        let dup = good.replacingOccurrences(of: "Role=ignore", with: "Role=ignore\nRole=ignore")
        XCTAssertTrue(problems(dup).contains { $0.contains("`Role` given twice") })
    }

    func testABadSectionDoesNotHideTheOthers() {
        let text = good.replacingOccurrences(of: "MatchVendor=1eab\nMatchProduct=0103", with: "MatchVendor=zzzz\nMatchProduct=0103")
        let (table, problems) = DeviceTable.parse(text, file: "t.conf")
        XCTAssertEqual(problems.count, 1)
        XCTAssertEqual(table.entries.map(\.product), ["0106", "0407"])
    }

    func testMatchingPrefersSerialThenPortThenModel() {
        func entry(_ name: String, serial: String? = nil, port: String? = nil) -> DeviceEntry {
            DeviceEntry(name: name, vendor: "1eab", product: "0103", serial: serial, port: port, role: .scanner,
                        interface: .evdev, layout: "us", suffix: .enter, source: "usb.ids")
        }
        let table = DeviceTable(entries: [entry("model"), entry("port", port: "pci-0:1.2"), entry("unit", serial: "S1")])
        func match(_ serial: String?, _ port: String?) -> String? {
            table.match(DeviceIdentity(vendor: "1eab", product: "0103", serial: serial, port: port), interface: .evdev)?.name
        }
        XCTAssertEqual(match("S1", "pci-0:1.2"), "unit")
        XCTAssertEqual(match("S2", "pci-0:1.2"), "port")
        XCTAssertEqual(match("S2", "pci-0:1.3"), "model")
        XCTAssertEqual(match(nil, nil), "model")
        XCTAssertNil(table.match(DeviceIdentity(vendor: "1eab", product: "0103"), interface: .tty))
        XCTAssertNil(table.match(DeviceIdentity(vendor: "1eab", product: "0104"), interface: .evdev))
    }

    func testOverridesReplaceTheSameDeviceAndAddOthers() {
        let base = DeviceTable.parse(good, file: "a").table
        let local = DeviceTable.parse(
            "[Local Newland]\nMatchVendor=1eab\nMatchProduct=0103\nRole=scanner\nInterface=evdev\nLayout=fr\nSuffix=tab\nSource=vendor doc: site\n\n"
                + "[Port 2 reader]\nMatchVendor=1eab\nMatchProduct=0103\nMatchPort=pci-0:1.2\nRole=id-reader\nInterface=evdev\nLayout=us\nSuffix=enter\nSource=vendor doc: site",
            file: "b"
        ).table
        let merged = base.overlaid(with: local)
        XCTAssertEqual(merged.entries.count, 4)
        XCTAssertEqual(merged.match(DeviceIdentity(vendor: "1eab", product: "0103"), interface: .evdev)?.layout, "fr")
        XCTAssertEqual(merged.match(DeviceIdentity(vendor: "1eab", product: "0103", port: "pci-0:1.2"), interface: .evdev)?.role, .idReader)
    }

    func testIdentityFromUdevProperties() {
        let id = DeviceIdentity(udevProperties: ["ID_VENDOR_ID": "1EAB", "ID_MODEL_ID": "0103", "ID_SERIAL_SHORT": "N1", "ID_PATH": "pci-0:1"])
        XCTAssertEqual(id?.scannerID, "1eab:0103:N1")
        XCTAssertEqual(DeviceIdentity(udevProperties: ["ID_VENDOR_ID": "1eab", "ID_MODEL_ID": "0103", "ID_PATH": "pci-0:1"])?.scannerID, "1eab:0103@pci-0:1")
        XCTAssertNil(DeviceIdentity(udevProperties: ["ID_VENDOR_ID": "1eab"]))
    }

    func testRulesForEachRoleAndInterface() {
        let rules = UdevRules.render(DeviceTable.parse(good, file: "t").table)
        XCTAssertTrue(rules.contains(
            #"SUBSYSTEM=="input", KERNEL=="event*", ENV{ID_VENDOR_ID}=="1eab", ENV{ID_MODEL_ID}=="0103", ENV{STATION_ROLE}="scanner", ENV{LIBINPUT_IGNORE_DEVICE}="1", GROUP="input", MODE="0660""#))
        XCTAssertTrue(rules.contains(
            #"SUBSYSTEM=="tty", ENV{ID_VENDOR_ID}=="1eab", ENV{ID_MODEL_ID}=="0106", ENV{STATION_ROLE}="scanner", ENV{ID_MM_DEVICE_IGNORE}="1", GROUP="dialout", MODE="0660""#))
        XCTAssertTrue(rules.contains(#"ATTR{idVendor}=="1eab", ATTR{idProduct}=="0103", TEST=="power/control", ATTR{power/control}="on""#))
        // An ignored device gets a role and nothing else: no group access, no hiding.
        let ignored = rules.split(separator: "\n").filter { $0.contains("\"1050\"") }
        XCTAssertEqual(ignored.count, 1)
        XCTAssertFalse(ignored[0].contains("GROUP"))
        XCTAssertFalse(ignored[0].contains("LIBINPUT_IGNORE_DEVICE"))
    }

    func testUSBIDRegistry() {
        let text = "# comment\n1eab  Fujian Newland Computer Co., Ltd\n\t0103  HR200 Barcode scanner engine (HID keyboard)\n\t\t01  an interface\n0c2e  Metrologic Instruments\n\t0b81  Barcode scanner Voyager 1400g Series\nC 00  (Defined at Interface level)\n\t01  Audio\n"
        let reg = USBIDRegistry(parsing: text)
        XCTAssertEqual(reg.vendorName("1eab"), "Fujian Newland Computer Co., Ltd")
        XCTAssertEqual(reg.productName("1eab", "0103"), "HR200 Barcode scanner engine (HID keyboard)")
        XCTAssertEqual(reg.productName("0c2e", "0b81"), "Barcode scanner Voyager 1400g Series")
        XCTAssertNil(reg.productName("1eab", "0b81"))
        XCTAssertNil(reg.vendorName("C 00"))
    }
}
