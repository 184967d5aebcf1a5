import Foundation
import StationCore

/// What the admin socket is asked (`stationctl status`, `devices`, `enroll`, `sync`): one
/// request line in, one JSON line out.
public enum AdminRequest: String, CaseIterable, Sendable {
    case status
    case devices
    /// `stationctl enroll` wrote hub.json: sync starts without a restart.
    case startSync = "start-sync"
    case syncNow = "sync-now"
}

/// The devices the scan loop has seen: the scanners it reads (from the input service),
/// and those it leaves alone with why, and hints about keyboards that type like scanners.
public struct DeviceBook: Sendable {
    public struct Ignored: Sendable, Equatable {
        public var vendor: String?
        public var product: String?
        public var reason: String
    }

    /// Evdev nodes of attached scanners, by scanner id (their LEDs blink the outcome).
    public private(set) var scannerNodes: [String: String] = [:]
    public private(set) var scanners = 0
    public private(set) var ignored: [String: Ignored] = [:]
    public private(set) var hints: [String: String] = [:]

    public init() {}

    /// Takes note of a report; true when the number of scanners changed.
    public mutating func note(_ report: InputReport) -> Bool {
        switch report {
        case .attached(let scanner):
            if scanner.interface == .evdev { scannerNodes[scanner.scannerID] = scanner.devnode }
            scanners += 1
            return true
        case .detached(let scannerID, _, _):
            scannerNodes[scannerID] = nil
            scanners -= 1
            return true
        case .ignored(let devnode, let vendor, let product, let reason):
            ignored[devnode] = Ignored(vendor: vendor, product: product, reason: reason)
        case .hint(let devnode, let message):
            hints[devnode] = message
        default:
            break
        }
        return false
    }
}

/// The answers, as values.
public enum AdminCommands {
    /// What `status` reports.
    public struct Status: Sendable {
        public var boxID: String
        public var siteID: String
        public var siteKind: String
        public var scanners: Int
        public var pending: Int
        public var nextSeq: Int64
        public var epoch: Int
        public var lastSync: String
        public var uptimeSeconds: Int
        public var kioskURL: String?
        public var beepers: [String]
        public var voice: Bool
        public var cuesDropped: Int
        /// The hub key credentials are sealed to (nil: none yet, the box is not enrolled).
        public var hubKeyVersion: Int?
        /// The site the hub has this box at, when it is not the config's (after a move).
        public var hubSite: String?
    }

    public static func unknown(_ line: String) -> JSONLine {
        JSONLine([("error", .string("unknown request; ask for \(AdminRequest.allCases.map(\.rawValue).joined(separator: ", "))"))])
    }

    public static func status(_ s: Status) -> JSONLine {
        JSONLine([
            ("daemon", .string("running")), ("box_id", .string(s.boxID)), ("site_id", .string(s.siteID)), ("site_kind", .string(s.siteKind)),
            ("scanners", .int(s.scanners)), ("pending", .int(s.pending)), ("next_seq", .int(Int(s.nextSeq))), ("epoch", .int(s.epoch)),
            ("last_sync", .string(s.lastSync)), ("uptime_s", .int(s.uptimeSeconds)), ("kiosk_url", s.kioskURL.map { .string($0) } ?? .null),
            ("beepers", .array(s.beepers.map { .string($0) })), ("voice", .bool(s.voice)), ("cues_dropped", .int(s.cuesDropped)),
            ("hub_key_version", s.hubKeyVersion.map { .int($0) } ?? .null), ("hub_site", s.hubSite.map { .string($0) } ?? .null),
        ])
    }

    public static func devices(attached: [AttachedScanner], book: DeviceBook) -> JSONLine {
        var line = JSONLine([("daemon", .string("running"))])
        let scanners = attached.map { s in
            JSONLine([
                ("scanner", .string(s.scannerID)), ("devnode", .string(s.devnode)), ("model", .string(s.model)),
                ("role", .string(s.role.rawValue)), ("interface", .string(s.interface.rawValue)), ("grabbed", .bool(s.grabbed)),
            ])
        }
        let others = book.ignored.sorted { $0.key < $1.key }.map { devnode, d in
            JSONLine([
                ("devnode", .string(devnode)), ("vendor", d.vendor.map { .string($0) } ?? .null), ("product", d.product.map { .string($0) } ?? .null),
                ("reason", .string(d.reason)), ("hint", book.hints[devnode].map { .string($0) } ?? .null),
            ])
        }
        line.append("attached", .array(scanners.map { .object($0) }))
        line.append("ignored", .array(others.map { .object($0) }))
        return line
    }

    public static func syncStarted() -> JSONLine { JSONLine([("sync", .string("started"))]) }

    public static func notEnrolled(_ why: String) -> JSONLine { JSONLine([("error", .string(why))]) }
}
