/// The table of known scanner and reader models (`hw/devices.conf`): the single source
/// the daemon matches devices against and the udev rules are generated from.
///
/// The format follows libinput's quirks files: `[Section name]` then `Key=Value` lines,
/// `#` comments, strictly formatted. Parsing reports every problem with its line.
public struct DeviceTable: Sendable, Equatable {
    public var entries: [DeviceEntry]

    public init(entries: [DeviceEntry] = []) {
        self.entries = entries
    }

    /// A problem found in a table, with where it is.
    public struct Problem: Sendable, Equatable, CustomStringConvertible, Error {
        public var location: SourceLocation
        public var section: String?
        public var message: String
        public init(_ location: SourceLocation, section: String?, _ message: String) {
            self.location = location
            self.section = section
            self.message = message
        }
        public var description: String {
            if let section { return "\(location): [\(section)] \(message)" }
            return "\(location): \(message)"
        }
    }

    static let allowedKeys: Set<String> = [
        "MatchVendor", "MatchProduct", "MatchSerial", "MatchPort", "Role", "Interface", "Layout",
        "Suffix", "IdleTimeoutMs", "AltCodePage", "Baud", "Encoding", "Source",
    ]

    /// Parses a table. Entries that could not be understood are left out and reported;
    /// the rest are returned so one bad section does not blind the daemon to all scanners.
    public static func parse(_ text: String, file: String) -> (table: DeviceTable, problems: [Problem]) {
        var problems: [Problem] = []
        var entries: [DeviceEntry] = []
        var current: (name: String, line: Int, values: [String: (String, Int)])?

        func close() {
            guard let section = current else { return }
            current = nil
            switch makeEntry(name: section.name, line: section.line, values: section.values, file: file) {
            case .success(let entry): entries.append(entry)
            case .failure(let list): problems += list.problems
            }
        }

        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, raw) in lines.enumerated() {
            let lineNumber = index + 1
            let here = SourceLocation(file: file, line: lineNumber)
            let line = String(raw)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line != line.trimmingWhitespace() {
                problems.append(Problem(here, section: current?.name, "leading or trailing whitespace"))
                continue
            }
            if line.hasPrefix("[") {
                close()
                guard line.hasSuffix("]"), line.count > 2 else {
                    problems.append(Problem(here, section: nil, "a section header is `[Model name]`"))
                    continue
                }
                let name = String(line.dropFirst().dropLast())
                current = (name, lineNumber, [:])
                continue
            }
            guard current != nil else {
                problems.append(Problem(here, section: nil, "`\(line)` is outside any [section]"))
                continue
            }
            guard let eq = line.firstIndex(of: "=") else {
                problems.append(Problem(here, section: current?.name, "expected Key=Value"))
                continue
            }
            let key = String(line[..<eq])
            let value = String(line[line.index(after: eq)...])
            if key != key.trimmingWhitespace() || value != value.trimmingWhitespace() {
                problems.append(Problem(here, section: current?.name, "no spaces around `=`"))
                continue
            }
            guard allowedKeys.contains(key) else {
                problems.append(Problem(here, section: current?.name, "unknown key `\(key)`"))
                continue
            }
            if current!.values[key] != nil {
                problems.append(Problem(here, section: current?.name, "`\(key)` given twice"))
                continue
            }
            if value.isEmpty {
                problems.append(Problem(here, section: current?.name, "`\(key)` has no value"))
                continue
            }
            current!.values[key] = (value, lineNumber)
        }
        close()

        var seenNames: [String: Int] = [:]
        var seenKeys: [String: String] = [:]
        for entry in entries {
            if let first = seenNames[entry.name] {
                problems.append(Problem(entry.origin, section: entry.name, "section name already used at line \(first)"))
            } else {
                seenNames[entry.name] = entry.origin.line
            }
            if let other = seenKeys[entry.matchKey] {
                problems.append(Problem(entry.origin, section: entry.name, "matches the same device as [\(other)]"))
            } else {
                seenKeys[entry.matchKey] = entry.name
            }
        }
        return (DeviceTable(entries: entries), problems)
    }

    struct ProblemList: Error { var problems: [Problem] }

    private static func makeEntry(
        name: String, line: Int, values: [String: (String, Int)], file: String
    ) -> Result<DeviceEntry, ProblemList> {
        var problems: [Problem] = []
        let origin = SourceLocation(file: file, line: line)
        func fail(_ key: String?, _ message: String) {
            let at = key.flatMap { values[$0]?.1 } ?? line
            problems.append(Problem(SourceLocation(file: file, line: at), section: name, message))
        }
        func value(_ key: String) -> String? { values[key]?.0 }
        func required(_ key: String) -> String? {
            guard let v = value(key) else {
                fail(nil, "`\(key)` is required")
                return nil
            }
            return v
        }
        func hexID(_ key: String) -> String? {
            guard let v = required(key) else { return nil }
            guard v.count == 4, v.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                fail(key, "`\(key)` must be 4 lowercase hex digits, got `\(v)`")
                return nil
            }
            return v
        }
        func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) -> T? where T.RawValue == String {
            guard let v = value(key) else { return nil }
            guard let parsed = T(rawValue: v) else {
                let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
                fail(key, "`\(key)=\(v)` is not one of \(allowed)")
                return nil
            }
            return parsed
        }
        func integer(_ key: String, _ range: ClosedRange<Int>) -> Int? {
            guard let v = value(key) else { return nil }
            guard let n = Int(v), range.contains(n) else {
                fail(key, "`\(key)` must be an integer in \(range.lowerBound)...\(range.upperBound), got `\(v)`")
                return nil
            }
            return n
        }

        let vendor = hexID("MatchVendor")
        let product = hexID("MatchProduct")
        let role: DeviceRole? = value("Role") == nil ? { fail(nil, "`Role` is required"); return nil }() : choice("Role", DeviceRole.self)
        let interface: DeviceInterface? =
            value("Interface") == nil ? { fail(nil, "`Interface` is required"); return nil }() : choice("Interface", DeviceInterface.self)
        let suffix = choice("Suffix", SuffixKey.self)
        let altCodePage = choice("AltCodePage", AltCodePage.self)
        let encoding = choice("Encoding", SerialEncoding.self)
        let idle = integer("IdleTimeoutMs", 10...2000)
        let baud = integer("Baud", 1200...921_600)
        let source = required("Source")
        if let port = value("MatchPort"), port.contains(where: { $0 == "\"" || $0 == " " }) {
            fail("MatchPort", "`MatchPort` is a udev ID_PATH without spaces or quotes")
        }
        if let serial = value("MatchSerial"), serial.contains(where: { $0 == "\"" || $0 == " " }) {
            fail("MatchSerial", "`MatchSerial` is a udev ID_SERIAL_SHORT without spaces or quotes")
        }
        var layout: String?
        var variant: String?
        if let spec = value("Layout") {
            if let parsed = LayoutSpec(spec) {
                layout = parsed.layout
                variant = parsed.variant
            } else {
                fail("Layout", "`Layout` is an xkb layout like `de` or `de(nodeadkeys)`, got `\(spec)`")
            }
        }

        if let role, let interface, role != .ignore {
            if suffix == nil { fail(nil, "`Suffix` is required for role \(role.rawValue)") }
            if interface == .evdev && value("Layout") == nil { fail(nil, "`Layout` is required for an evdev \(role.rawValue)") }
        }
        if interface == .tty {
            for key in ["Layout", "AltCodePage"] where value(key) != nil {
                fail(key, "`\(key)` applies to evdev devices only")
            }
            if suffix == SuffixKey.none { fail("Suffix", "a serial scanner ends scans with a line ending: use Suffix=enter") }
        }
        if interface == .evdev {
            for key in ["Baud", "Encoding"] where value(key) != nil {
                fail(key, "`\(key)` applies to tty devices only")
            }
        }
        if idle != nil && suffix != SuffixKey.none {
            fail("IdleTimeoutMs", "`IdleTimeoutMs` only applies with Suffix=none")
        }

        guard problems.isEmpty, let vendor, let product, let role, let interface, let source else {
            return .failure(ProblemList(problems: problems))
        }
        return .success(
            DeviceEntry(
                name: name, vendor: vendor, product: product, serial: value("MatchSerial"), port: value("MatchPort"),
                role: role, interface: interface, layout: layout, variant: variant, suffix: suffix,
                idleTimeoutMillis: idle, altCodePage: altCodePage, baud: baud, encoding: encoding,
                source: source, origin: origin))
    }

    /// This table with `overrides` layered on top: an entry matching the same device
    /// (same vendor, product, serial and port) replaces the earlier one; others are added.
    public func overlaid(with overrides: DeviceTable) -> DeviceTable {
        var result = entries
        for entry in overrides.entries {
            if let i = result.firstIndex(where: { $0.matchKey == entry.matchKey }) {
                result[i] = entry
            } else {
                result.append(entry)
            }
        }
        return DeviceTable(entries: result)
    }
}

/// `de` or `de(nodeadkeys)`.
public struct LayoutSpec: Sendable, Equatable {
    public var layout: String
    public var variant: String?

    public init(layout: String, variant: String? = nil) {
        self.layout = layout
        self.variant = variant
    }

    public init?(_ spec: String) {
        let allowed: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
        if let open = spec.firstIndex(of: "(") {
            guard spec.hasSuffix(")") else { return nil }
            let name = spec[..<open]
            let variant = spec[spec.index(after: open)..<spec.index(before: spec.endIndex)]
            guard !name.isEmpty, !variant.isEmpty, name.allSatisfy(allowed), variant.allSatisfy(allowed) else { return nil }
            self.init(layout: String(name), variant: String(variant))
        } else {
            guard !spec.isEmpty, spec.allSatisfy(allowed) else { return nil }
            self.init(layout: spec)
        }
    }

    public var description: String { variant.map { "\(layout)(\($0))" } ?? layout }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
