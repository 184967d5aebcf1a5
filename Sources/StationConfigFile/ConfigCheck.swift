import StationCore

/// `stationd check-config` and `stationctl check-config`: the config and the device tables
/// it names, every problem listed.
public enum ConfigCheck {
    public struct Report: Sendable {
        public var ok: Bool
        public var lines: [String]
    }

    public static func run(path: String) -> Report {
        switch StationConfig.load(path: path) {
        case .failure(let problems):
            return Report(ok: false, lines: problems.problems.map(\.description))
        case .success(let config):
            do {
                let table = try DeviceTableLoader.load(paths: config.deviceTables)
                return Report(ok: true, lines: ["\(path): ok (box \(config.boxID), site \(config.siteID), \(config.kiosk.siteKind.rawValue), \(table.entries.count) device table entries)"])
            } catch {
                return Report(ok: false, lines: error.problems)
            }
        }
    }
}
