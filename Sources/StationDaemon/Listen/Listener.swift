import Glibc
import Logging
import StationCore
import StationInput
import StationSystem

/// `stationd listen`: discovery and input only, one JSON line per report, flushed as it
/// happens. A hardware diagnostic: it records nothing.
public enum Listener {
    /// `raw`: print credential-shaped scans as read (a hardware diagnostic on the
    /// manager's own card); otherwise they are masked.
    public static func run(table: DeviceTable, extraScanners: [String], raw: Bool = false, logger: Logger, write: @escaping (String) -> Void) throws {
        let loop = try EventLoop()
        let signals = try SignalWatch(signals: [SIGTERM, SIGINT])
        let service = try InputService(
            options: .init(table: table, extraScanners: extraScanners), loop: loop, logger: logger,
            sink: { write($0.jsonLine(raw: raw).rendered) })
        try loop.watch(signals.fd) {
            if !signals.drain().isEmpty { loop.stop() }
        }
        try loop.run(
            prepare: {
                try service.start()
                logger.info("listening", metadata: ["scanners": "\(service.attached.count)"])
            }, finally: { service.shutdown() })
        logger.info("stopped")
    }
}
