import Glibc
import Logging
import StationCore
import StationInput

/// `stationd listen`: discovery and input only, one JSON line per report, flushed as it
/// happens. A hardware diagnostic: it records nothing.
public enum Listener {
    /// `raw`: print credential-shaped scans as read (a hardware diagnostic on the
    /// manager's own card); otherwise they are masked.
    public static func run(table: DeviceTable, extraScanners: [String], raw: Bool = false, logger: Logger, write: @escaping (String) -> Void) throws {
        let signals = try SignalWatch(signals: [SIGTERM, SIGINT])
        let service = try InputService(
            options: .init(table: table, extraScanners: extraScanners), logger: logger,
            sink: { write($0.jsonLine(raw: raw).rendered) })
        try service.watch(fd: signals.fd) {
            if !signals.drain().isEmpty { service.stop() }
        }
        try service.start()
        logger.info("listening", metadata: ["scanners": "\(service.attached.count)"])
        defer { service.shutdown() }
        try service.run()
        logger.info("stopped")
    }
}
