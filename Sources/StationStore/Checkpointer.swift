import Foundation
import GRDB
import Logging

/// Copies the WAL back into the database on a connection and a thread of its own, on a
/// timer: a PASSIVE checkpoint never waits for the writer, so scans never wait for it.
final class Checkpointer: @unchecked Sendable {
    private let queue: DatabaseQueue
    private let timer: DispatchSourceTimer
    private let logger: Logger

    init(path: String, intervalSeconds: Double, logger: Logger) throws {
        var config = Configuration()
        config.busyMode = .timeout(1)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        queue = try DatabaseQueue(path: path, configuration: config)
        self.logger = logger
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "station.journal.checkpoint", qos: .utility))
        timer.schedule(deadline: .now() + intervalSeconds, repeating: intervalSeconds, leeway: .seconds(1))
        timer.setEventHandler { [weak self] in
            do { try self?.run() } catch { self?.logger.warning("journal checkpoint failed", metadata: ["error": "\(error)"]) }
        }
        timer.resume()
    }

    func run(_ mode: Database.CheckpointMode = .passive) throws {
        try queue.writeWithoutTransaction { db in try db.checkpoint(mode) }
    }

    func stop() {
        timer.cancel()
        try? queue.close()
    }
}
