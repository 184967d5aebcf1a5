import Foundation
import StationCore

/// Reads the device table files: the shipped table, then local overrides in order.
public enum DeviceTableLoader {
    /// The table's places on an installed box, in the order they are layered.
    public static let installedPaths = ["/usr/share/station/devices.conf", "/etc/station/devices.conf"]

    public struct LoadError: Error, CustomStringConvertible {
        public var problems: [String]
        public var description: String { problems.joined(separator: "\n") }
    }

    /// Loads `paths` (later ones override earlier ones). The first must exist; an
    /// override that does not exist is skipped (a box without local entries). An
    /// unreadable file, or any problem in one, is an error naming file and line.
    public static func load(paths: [String]) throws(LoadError) -> DeviceTable {
        var table = DeviceTable()
        var problems: [String] = []
        for (index, path) in paths.enumerated() {
            if index > 0 && !FileManager.default.fileExists(atPath: path) { continue }
            guard let data = FileManager.default.contents(atPath: path) else {
                problems.append("\(path): cannot read the device table")
                continue
            }
            guard let text = String(data: data, encoding: .utf8) else {
                problems.append("\(path): the device table is not UTF-8")
                continue
            }
            let (parsed, found) = DeviceTable.parse(text, file: path)
            problems += found.map(\.description)
            table = table.overlaid(with: parsed)
        }
        if !problems.isEmpty { throw LoadError(problems: problems) }
        return table
    }

    /// The default paths that exist on this machine.
    public static func defaultPaths() -> [String] {
        if let env = ProcessInfo.processInfo.environment["STATION_DEVICE_TABLE"] { return [env] }
        return installedPaths.filter { FileManager.default.fileExists(atPath: $0) }
    }
}
