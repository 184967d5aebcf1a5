import Foundation
import Logging

/// Log lines for systemd's journal: `<N>` (the syslog priority journald maps) before each
/// line on stderr, then the message and its dotted metadata keys. Used when
/// `JOURNAL_STREAM` says stderr is connected to the journal.
public struct JournaldLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let write: @Sendable (String) -> Void

    public init(write: @escaping @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }) {
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// syslog priorities: 2 crit, 3 err, 4 warning, 5 notice, 6 info, 7 debug.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .critical: 2
        case .error: 3
        case .warning: 4
        case .notice: 5
        case .info: 6
        case .debug, .trace: 7
        }
    }

    public static func render(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = "<\(priority(level))>\(message)"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        // One record per line: a newline inside a message would start a new record.
        return line.replacingOccurrences(of: "\n", with: " ")
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let extra = event.metadata { all.merge(extra) { $1 } }
        write(Self.render(level: event.level, message: "\(event.message)", metadata: all))
    }
}

/// Warnings and worse also go to the device log in the journal database: the site
/// manager's view. Writes happen on a queue of their own, never on the scan path; a
/// failed write is dropped (reporting it would log again).
public final class DeviceLogSink: @unchecked Sendable {
    public static let shared = DeviceLogSink()
    private let queue = DispatchQueue(label: "station.device-log")
    private var writer: (@Sendable (Logger.Level, String?, String, Int64) throws -> Void)?
    private let lock = NSLock()

    /// Sets (or clears) where device log lines go.
    public func attach(_ writer: (@Sendable (Logger.Level, String?, String, Int64) throws -> Void)?) {
        lock.lock()
        self.writer = writer
        lock.unlock()
    }

    func record(level: Logger.Level, scannerID: String?, message: String) {
        lock.lock()
        let writer = self.writer
        lock.unlock()
        guard let writer else { return }
        let at = Int64(Date().timeIntervalSince1970 * 1000)
        queue.async { try? writer(level, scannerID, message, at) }
    }

    /// Waits until every queued line is written (shutdown, tests).
    public func flush() { queue.sync {} }
}

/// Copies warnings and worse into the ``DeviceLogSink``.
public struct DeviceLogHandler: LogHandler {
    public var logLevel: Logger.Level = .warning
    public var metadata: Logger.Metadata = [:]

    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let scanner = all["scanner.id"].map { "\($0)" }
        var text = "\(event.message)"
        for (key, value) in all.sorted(by: { $0.key < $1.key }) where key != "scanner.id" { text += " \(key)=\(value)" }
        DeviceLogSink.shared.record(level: event.level, scannerID: scanner, message: text)
    }
}

public enum StationLogging {
    /// The log handlers of a Station executable: the journal's format under systemd,
    /// a readable one otherwise; warnings and worse also to the device log.
    /// `STATION_LOG_LEVEL` (trace, debug, info, ...) overrides the level.
    public static func bootstrap(level: Logger.Level = .info, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let level = environment["STATION_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? level
        let journald = environment["JOURNAL_STREAM"] != nil
        LoggingSystem.bootstrap { label in
            var primary: any LogHandler
            if journald {
                primary = JournaldLogHandler()
            } else {
                primary = StreamLogHandler.standardError(label: label)
            }
            primary.logLevel = level
            return MultiplexLogHandler([primary, DeviceLogHandler()])
        }
    }
}
