import StationCore

/// `stationd check-config` and `stationctl check-config`: the config and the device tables
/// it names, every problem listed; and a hub key the config pins that the hub did not
/// publish (a box sealing to it would send numbers nobody can open).
public enum ConfigCheck {
    public struct Report: Sendable {
        public var ok: Bool
        public var lines: [String]
    }

    /// `published(stateDirectory)`: the hub's credential key as the box last learnt it
    /// (at enrollment or from the downlink), if it did.
    public static func run(path: String, published: (String) -> (version: Int, material: String)? = { _ in nil }) -> Report {
        switch StationConfig.load(path: path) {
        case .failure(let problems):
            return Report(ok: false, lines: problems.problems.map(\.description))
        case .success(let config):
            var lines: [String] = []
            if let pinned = config.hubPublicKey, let hub = published(config.stateDirectory), hub.version == config.hubKeyVersion, hub.material != pinned {
                lines.append(
                    "\(path): hub.public_key: version \(hub.version) is not the key the hub published as version \(hub.version): remove public_key and key_version (the box takes the hub's own)")
            }
            do {
                let table = try DeviceTableLoader.load(paths: config.deviceTables)
                guard lines.isEmpty else { return Report(ok: false, lines: lines) }
                let key = config.hubPublicKey.map { _ in "hub key version \(config.hubKeyVersion) pinned" } ?? published(config.stateDirectory).map { "the hub's key version \($0.version)" } ?? "no hub key yet (enroll the box)"
                let identity = config.identityFromCard ? "box and site from its enrollment card" : "box \(config.boxID), site \(config.siteID)"
                return Report(ok: true, lines: ["\(path): ok (\(identity), \(config.kiosk.siteKind.rawValue), \(table.entries.count) device table entries, \(key))"])
            } catch {
                return Report(ok: false, lines: lines + error.problems)
            }
        }
    }
}
