import StationSystem
import CEvdevShim
import Glibc
import Logging
import StationCore

/// Discovery and reading of every scanner, event-driven, as one client of an
/// ``EventLoop``: udev enumeration at start, the udev monitor for add/remove, evdev and
/// tty readers, one framer per scanner, and one timer (framer idle timeouts, permission
/// retries). Reports go to `sink` as they happen, on the loop's thread.
public final class InputService {
    public struct Options: Sendable {
        public var table: DeviceTable
        /// `vendor:product` pairs marked as scanners for this run (`listen --scanner`).
        public var extraScanners: [String]
        /// How long a device whose node is not yet accessible is retried.
        public var permissionRetryMillis: [Int]

        public init(table: DeviceTable, extraScanners: [String] = [], permissionRetryMillis: [Int] = [50, 100, 200, 400, 800, 1600]) {
            self.table = table
            self.extraScanners = extraScanners
            self.permissionRetryMillis = permissionRetryMillis
        }
    }

    private let options: Options
    private var table: DeviceTable
    /// `--scanner` entries, layered over whatever table is in force.
    private let extraEntries: DeviceTable
    private let logger: Logger
    private let sink: (InputReport) -> Void
    private let loop: EventLoop
    private let udev: Udev
    private var monitor: UdevMonitor?
    private var channels: [String: ScannerChannel] = [:]  // by syspath
    private var watchers: [String: KeyboardWatch] = [:]  // unknown keyboards, by syspath
    private var retries: [String: PendingOpen] = [:]  // by syspath
    private var reportedProblems: Set<String> = []

    public init(options: Options, loop: EventLoop, logger: Logger, sink: @escaping (InputReport) -> Void) throws {
        self.options = options
        self.loop = loop
        self.logger = logger
        self.sink = sink
        extraEntries = Self.entries(forScanners: options.extraScanners)
        table = options.table.overlaid(with: extraEntries)
        udev = try Udev()
    }

    /// `--scanner VENDOR:PRODUCT` entries, for evdev and tty both, so `--scanner` works for
    /// either kind of device.
    static func entries(forScanners pairs: [String]) -> DeviceTable {
        var extra = DeviceTable()
        for pair in pairs {
            let parts = pair.lowercased().split(separator: ":").map(String.init)
            guard parts.count == 2 else { continue }
            for interface in DeviceInterface.allCases {
                extra = extra.overlaid(
                    with: DeviceTable(entries: [
                        DeviceEntry(
                            name: "\(pair) (marked with --scanner)", vendor: parts[0], product: parts[1], role: .scanner,
                            interface: interface, layout: interface == .evdev ? "us" : nil, suffix: .enter,
                            source: "vendor doc: command line")
                    ]))
            }
        }
        return extra
    }

    /// Validates `--scanner VENDOR:PRODUCT` arguments.
    public static func parseVendorProduct(_ text: String) -> (String, String)? {
        let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 4 && $0.allSatisfy(\.isHexDigit) }) else { return nil }
        return (parts[0], parts[1])
    }

    /// Registers with the loop, enumerates the devices present and starts following udev.
    /// After this returns, every device present at start has been reported.
    public func start() throws {
        let monitor = try udev.monitor(subsystems: ["input", "tty"])
        self.monitor = monitor
        try loop.watch(monitor.fd) { [unowned self] in
            for (action, device) in monitor.drain() { self.handle(action: action, device: device) }
        }
        try loop.addTimer(clock: .monotonic, deadline: { [unowned self] in self.nextDeadline() }, fire: { [unowned self] in self.fire(now: $0) })
        for device in try udev.enumerate(subsystems: ["input", "tty"]) {
            consider(device)
        }
    }

    /// Releases every grab and closes every device.
    public func shutdown() {
        for (syspath, _) in channels { detach(syspath: syspath, reason: "shutdown", report: false) }
        for (_, watch) in watchers {
            loop.unwatch(watch.device.fd)
            watch.device.close()
        }
        watchers.removeAll()
    }

    /// Puts a new device table in force (a config reload): scanners whose entry changed
    /// are re-opened with it, devices it no longer claims are released, devices it now
    /// claims are attached. Scanners whose entry is unchanged keep reading undisturbed.
    public func replaceTable(_ newTable: DeviceTable) throws {
        table = newTable.overlaid(with: extraEntries)
        for device in try udev.enumerate(subsystems: ["input", "tty"]) {
            let claimed: DeviceEntry?
            switch classify(device) {
            case .scanner(_, _, let entry): claimed = entry
            case .ignoredByTable, .unknownKeyboard, .unknownSerial, .notOurs: claimed = nil
            }
            if let channel = channels[device.syspath] {
                guard channel.entry != claimed else { continue }
                detach(syspath: device.syspath, reason: "device table changed", report: true)
                if claimed != nil { consider(device) }
            } else if let watch = watchers[device.syspath], claimed != nil {
                loop.unwatch(watch.device.fd)
                watch.device.close()
                watchers.removeValue(forKey: device.syspath)
                consider(device)
            } else if claimed != nil && retries[device.syspath] == nil {
                consider(device)
            }
        }
    }

    /// The scanners read now.
    public var attached: [AttachedScanner] { channels.values.map(\.attachedInfo).sorted { $0.devnode < $1.devnode } }

    // MARK: - Discovery

    private func handle(action: String, device: UdevDevice) {
        switch action {
        case "add", "change", "bind":
            if channels[device.syspath] == nil && watchers[device.syspath] == nil { consider(device) }
        case "remove":
            retries.removeValue(forKey: device.syspath)
            if channels[device.syspath] != nil {
                detach(syspath: device.syspath, reason: "removed", report: true)
            }
            if let watch = watchers.removeValue(forKey: device.syspath) {
                loop.unwatch(watch.device.fd)
                watch.device.close()
            }
        default:
            break
        }
    }

    /// What a device is to this box: a scanner of the table, a device the table says to
    /// leave alone, a keyboard or serial device the table does not know, or none of ours.
    enum Classification {
        case scanner(devnode: String, identity: DeviceIdentity, entry: DeviceEntry)
        case ignoredByTable(devnode: String, identity: DeviceIdentity, entry: DeviceEntry)
        case unknownKeyboard(devnode: String, identity: DeviceIdentity)
        case unknownSerial(devnode: String, identity: DeviceIdentity)
        /// No node, not an input event node or a tty, or no USB identity (a virtual
        /// console, a built-in serial port, a power button).
        case notOurs
    }

    /// The one place a device meets the device table.
    func classify(_ device: UdevDevice) -> Classification {
        guard let devnode = device.devnode else { return .notOurs }
        let interface: DeviceInterface
        if device.isEventNode {
            interface = .evdev
        } else if device.subsystem == "tty" {
            interface = .tty
        } else {
            return .notOurs
        }
        guard let identity = DeviceIdentity(udevProperties: device.properties) else { return .notOurs }
        guard let entry = table.match(identity, interface: interface) else {
            if interface == .evdev && device.isKeyboard { return .unknownKeyboard(devnode: devnode, identity: identity) }
            return interface == .tty ? .unknownSerial(devnode: devnode, identity: identity) : .notOurs
        }
        return entry.role == .ignore ? .ignoredByTable(devnode: devnode, identity: identity, entry: entry) : .scanner(devnode: devnode, identity: identity, entry: entry)
    }

    private func consider(_ device: UdevDevice) {
        switch classify(device) {
        case .notOurs:
            return
        case .unknownKeyboard(let devnode, let identity):
            sink(.ignored(devnode: devnode, vendor: identity.vendor, product: identity.product, reason: "keyboard not in the device table: never grabbed"))
            watchKeyboard(device, devnode: devnode)
        case .unknownSerial(let devnode, let identity):
            sink(.ignored(devnode: devnode, vendor: identity.vendor, product: identity.product, reason: "serial device not in the device table"))
        case .ignoredByTable(let devnode, let identity, let entry):
            sink(.ignored(devnode: devnode, vendor: identity.vendor, product: identity.product, reason: "device table: [\(entry.name)] has role ignore"))
        case .scanner(let devnode, let identity, let entry):
            open(device: device, devnode: devnode, identity: identity, entry: entry, attempt: 0)
        }
    }

    private func open(device: UdevDevice, devnode: String, identity: DeviceIdentity, entry: DeviceEntry, attempt: Int) {
        do {
            let channel = try ScannerChannel(devnode: devnode, identity: identity, entry: entry)
            try loop.watch(channel.fd) { [unowned self] in self.service(syspath: device.syspath) }
            channels[device.syspath] = channel
            retries.removeValue(forKey: device.syspath)
            reportedProblems.remove(identity.scannerID)
            logger.info(
                "scanner attached",
                metadata: ["scanner.id": "\(identity.scannerID)", "scanner.devnode": "\(devnode)", "scanner.model": "\(entry.name)"])
            sink(.attached(channel.attachedInfo))
        } catch let error as SystemError where (error.errno == EACCES || error.errno == EPERM || error.errno == ENOENT) && attempt < options.permissionRetryMillis.count {
            // udev may not have applied the group and mode yet: retry briefly.
            let delay = Int64(options.permissionRetryMillis[attempt]) * 1000
            retries[device.syspath] = PendingOpen(
                device: device, devnode: devnode, identity: identity, entry: entry, attempt: attempt + 1,
                at: SystemClock.monotonicMicros() + delay)
        } catch {
            retries.removeValue(forKey: device.syspath)
            let message = Self.explain(error, entry: entry)
            logger.error("scanner cannot be used", metadata: ["scanner.id": "\(identity.scannerID)", "scanner.devnode": "\(devnode)", "error": "\(message)"])
            sink(.problem(devnode: devnode, scannerID: identity.scannerID, message: message))
        }
    }

    static func explain(_ error: any Error, entry: DeviceEntry) -> String {
        guard let error = error as? SystemError else { return "\(error)" }
        switch error.errno {
        case EBUSY where error.call.hasPrefix("ioctl(EVIOCGRAB)"):
            return "\(error.path ?? "") is held by another program (exclusive grab busy); stop it, then replug the scanner"
        case EACCES, EPERM:
            let group = entry.interface == .evdev ? "input" : "dialout"
            return "permission denied on \(error.path ?? ""): install the udev rules from hw/ and add the daemon's user to group \(group)"
        default:
            return error.description
        }
    }

    private func watchKeyboard(_ device: UdevDevice, devnode: String) {
        // Read-only and never grabbed: only key timing is looked at, never which keys.
        guard let evdev = try? EvdevDevice(devnode: devnode) else { return }
        let watch = KeyboardWatch(device: evdev, identity: DeviceIdentity(udevProperties: device.properties))
        do {
            try loop.watch(evdev.fd) { [unowned self] in self.serviceWatch(syspath: device.syspath) }
            watchers[device.syspath] = watch
        } catch {
            evdev.close()
        }
    }

    private func serviceWatch(syspath: String) {
        guard let watch = watchers[syspath] else { return }
        let result: EvdevDevice.ReadResult
        do { result = try watch.device.readAvailable() } catch { result = .gone(error) }
        switch result {
        case .gone:
            loop.unwatch(watch.device.fd)
            watch.device.close()
            watchers.removeValue(forKey: syspath)
        case .events(let events):
            let now = SystemClock.monotonicMicros()
            let lastKernel = events.last?.kernelMicros ?? 0
            for e in events where e.type == InputEventRecord.evKey && e.value == 1 {
                let at = now - max(0, lastKernel - e.kernelMicros)
                if watch.detector.press(at: at) {
                    let pair = watch.identity.map { "\($0.vendor):\($0.product)" } ?? "VENDOR:PRODUCT"
                    let message = "keyboard \(watch.device.devnode) (\(pair)) typed a burst at scanner speed: it is probably a scanner. "
                        + "Try `stationd listen --json --scanner \(pair)`, then add it to the device table (see hw/README.md)"
                    logger.notice("unknown keyboard looks like a scanner", metadata: ["scanner.devnode": "\(watch.device.devnode)", "device.usb": "\(pair)"])
                    sink(.hint(devnode: watch.device.devnode, message: message))
                }
            }
        }
    }

    // MARK: - Reading

    private func service(syspath: String) {
        guard let channel = channels[syspath] else { return }
        let reports: [InputReport]
        let gone: SystemError??
        (reports, gone) = channel.service(logger: logger)
        reports.forEach(sink)
        if let gone {
            detach(syspath: syspath, reason: gone.map { "read failed: \($0)" } ?? "unplugged", report: true)
        }
    }

    private func detach(syspath: String, reason: String, report: Bool) {
        guard let channel = channels.removeValue(forKey: syspath) else { return }
        loop.unwatch(channel.fd)
        let partial = channel.abandon()
        channel.close()
        guard report else { return }
        partial.forEach(sink)
        logger.warning("scanner detached", metadata: ["scanner.id": "\(channel.identity.scannerID)", "scanner.devnode": "\(channel.devnode)", "reason": "\(reason)"])
        sink(.detached(scannerID: channel.identity.scannerID, devnode: channel.devnode, reason: reason))
    }

    // MARK: - Time

    private func nextDeadline() -> Int64? {
        (channels.values.compactMap(\.deadline) + retries.values.map(\.at)).min()
    }

    private func fire(now: Int64) {
        for (_, channel) in channels {
            channel.expire(now: now).forEach(sink)
        }
        for (syspath, pending) in retries where pending.at <= now {
            retries.removeValue(forKey: syspath)
            open(device: pending.device, devnode: pending.devnode, identity: pending.identity, entry: pending.entry, attempt: pending.attempt)
        }
    }
}

private struct PendingOpen {
    var device: UdevDevice
    var devnode: String
    var identity: DeviceIdentity
    var entry: DeviceEntry
    var attempt: Int
    var at: Int64
}

private final class KeyboardWatch {
    let device: EvdevDevice
    let identity: DeviceIdentity?
    var detector = BurstDetector()
    init(device: EvdevDevice, identity: DeviceIdentity?) {
        self.device = device
        self.identity = identity
    }
}
