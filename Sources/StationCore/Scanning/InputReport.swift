/// What the input edge reports: devices coming and going, scans, and why input was not
/// a scan. Consumed by `stationd listen` (as JSON lines) and by the workflow.
public enum InputReport: Sendable, Equatable {
    case attached(AttachedScanner)
    case detached(scannerID: String, devnode: String, reason: String)
    /// A device that is not read as a scanner: an unknown keyboard, a tty nobody claimed,
    /// or a table entry with role `ignore`.
    case ignored(devnode: String, vendor: String?, product: String?, reason: String)
    case scan(scannerID: String, role: DeviceRole, FramedScan)
    case rejected(scannerID: String, ScanRejection)
    /// Advice for the site manager, e.g. an unknown keyboard that types at scanner speed.
    case hint(devnode: String, message: String)
    /// A device that should work and does not (permissions, a grab held elsewhere, ...).
    case problem(devnode: String, scannerID: String?, message: String)
}

/// A scanner or reader the daemon reads.
public struct AttachedScanner: Sendable, Equatable {
    public var scannerID: String
    public var devnode: String
    public var model: String
    public var role: DeviceRole
    public var interface: DeviceInterface
    /// Exclusive access (EVIOCGRAB): its keys reach no console or other program.
    public var grabbed: Bool

    public init(scannerID: String, devnode: String, model: String, role: DeviceRole, interface: DeviceInterface, grabbed: Bool) {
        self.scannerID = scannerID
        self.devnode = devnode
        self.model = model
        self.role = role
        self.interface = interface
        self.grabbed = grabbed
    }
}
