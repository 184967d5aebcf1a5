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

    /// One section's `Key=value` lines read with their checks; each problem names its line.
    final class SectionReader {
        let name: String
        let line: Int
        let file: String
        let values: [String: (String, Int)]
        private(set) var problems: [Problem] = []

        init(name: String, line: Int, values: [String: (String, Int)], file: String) {
            (self.name, self.line, self.values, self.file) = (name, line, values, file)
        }

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

        func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type, required: Bool = false) -> T? where T.RawValue == String {
            guard let v = value(key) else {
                if required { fail(nil, "`\(key)` is required") }
                return nil
            }
            guard let parsed = T(rawValue: v) else {
                fail(key, "`\(key)=\(v)` is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
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

        /// A udev value the rules quote: no spaces, no quotes.
        func udevWord(_ key: String, _ what: String) {
            if let v = value(key), v.contains(where: { $0 == "\"" || $0 == " " }) { fail(key, "`\(key)` is a udev \(what) without spaces or quotes") }
        }
    }

    private static func makeEntry(name: String, line: Int, values: [String: (String, Int)], file: String) -> Result<DeviceEntry, ProblemList> {
        let r = SectionReader(name: name, line: line, values: values, file: file)
        let vendor = r.hexID("MatchVendor")
        let product = r.hexID("MatchProduct")
        let role = r.choice("Role", DeviceRole.self, required: true)
        let interface = r.choice("Interface", DeviceInterface.self, required: true)
        let suffix = r.choice("Suffix", SuffixKey.self)
        let (altCodePage, encoding) = (r.choice("AltCodePage", AltCodePage.self), r.choice("Encoding", SerialEncoding.self))
        let (idle, baud) = (r.integer("IdleTimeoutMs", 10...2000), r.integer("Baud", 1200...921_600))
        let source = r.required("Source")
        r.udevWord("MatchPort", "ID_PATH")
        r.udevWord("MatchSerial", "ID_SERIAL_SHORT")
        var layout: LayoutSpec?
        if let spec = r.value("Layout") {
            layout = LayoutSpec(spec)
            if layout == nil { r.fail("Layout", "`Layout` is an xkb layout like `de` or `de(nodeadkeys)`, got `\(spec)`") }
        }
        checkCombination(r, role: role, interface: interface, suffix: suffix, idle: idle)
        guard r.problems.isEmpty, let vendor, let product, let role, let interface, let source else {
            return .failure(ProblemList(problems: r.problems))
        }
        return .success(
            DeviceEntry(
                name: name, vendor: vendor, product: product, serial: r.value("MatchSerial"), port: r.value("MatchPort"),
                role: role, interface: interface, layout: layout?.layout, variant: layout?.variant, suffix: suffix,
                idleTimeoutMillis: idle, altCodePage: altCodePage, baud: baud, encoding: encoding,
                source: source, origin: SourceLocation(file: file, line: line)))
    }

    /// What only makes sense together: a suffix for scanners, a layout for evdev ones,
    /// serial keys on ttys only, an idle timeout only without a suffix key.
    private static func checkCombination(_ r: SectionReader, role: DeviceRole?, interface: DeviceInterface?, suffix: SuffixKey?, idle: Int?) {
        if let role, let interface, role != .ignore {
            if suffix == nil { r.fail(nil, "`Suffix` is required for role \(role.rawValue)") }
            if interface == .evdev && r.value("Layout") == nil { r.fail(nil, "`Layout` is required for an evdev \(role.rawValue)") }
        }
        if interface == .tty {
            for key in ["Layout", "AltCodePage"] where r.value(key) != nil {
                r.fail(key, "`\(key)` applies to evdev devices only")
            }
            if suffix == SuffixKey.none { r.fail("Suffix", "a serial scanner ends scans with a line ending: use Suffix=enter") }
        }
        if interface == .evdev {
            for key in ["Baud", "Encoding"] where r.value(key) != nil {
                r.fail(key, "`\(key)` applies to tty devices only")
            }
        }
        if idle != nil && suffix != SuffixKey.none {
            r.fail("IdleTimeoutMs", "`IdleTimeoutMs` only applies with Suffix=none")
        }
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
