/// Who a device is, from its udev properties (never from ioctls, never from `eventN`):
/// stable across replugs, reboots and renumbered nodes.
public struct DeviceIdentity: Sendable, Hashable {
    public var vendor: String
    public var product: String
    public var serial: String?
    /// udev ID_PATH: the physical port, for identical scanners with different roles.
    public var port: String?

    public init(vendor: String, product: String, serial: String? = nil, port: String? = nil) {
        self.vendor = vendor
        self.product = product
        self.serial = serial
        self.port = port
    }

    /// Reads ID_VENDOR_ID, ID_MODEL_ID, ID_SERIAL_SHORT and ID_PATH.
    public init?(udevProperties p: [String: String]) {
        guard let vendor = p["ID_VENDOR_ID"]?.lowercased(), let product = p["ID_MODEL_ID"]?.lowercased() else { return nil }
        let serial = p["ID_SERIAL_SHORT"].flatMap { $0.isEmpty ? nil : $0 }
        self.init(vendor: vendor, product: product, serial: serial, port: p["ID_PATH"])
    }

    /// The `scanner_id` recorded with every event: `vendor:product` plus the serial, or
    /// the USB port when the unit has no serial.
    public var scannerID: String {
        if let serial { return "\(vendor):\(product):\(serial)" }
        if let port { return "\(vendor):\(product)@\(port)" }
        return "\(vendor):\(product)"
    }
}

extension DeviceTable {
    /// The most specific entry for a device on the given interface: one naming its serial,
    /// then one naming its port, then the model's. Entries naming another serial or port
    /// do not match.
    public func match(_ identity: DeviceIdentity, interface: DeviceInterface) -> DeviceEntry? {
        var best: (score: Int, entry: DeviceEntry)?
        for entry in entries where entry.interface == interface && entry.vendor == identity.vendor && entry.product == identity.product {
            var score = 0
            if let serial = entry.serial {
                guard serial == identity.serial else { continue }
                score += 2
            }
            if let port = entry.port {
                guard port == identity.port else { continue }
                score += 1
            }
            // Later entries (config overrides) win ties.
            if best == nil || score >= best!.score { best = (score, entry) }
        }
        return best?.entry
    }
}
