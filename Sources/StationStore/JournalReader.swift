import Foundation
import GRDB
import StationCore

/// Read-only access to a journal for `stationctl` when the daemon is down (or while it
/// runs: WAL lets a reader in beside the writer).
public final class JournalReader {
    private let queue: DatabaseQueue

    public init(directory: String) throws {
        let path = (directory as NSString).appendingPathComponent(Journal.fileName)
        guard FileManager.default.fileExists(atPath: path) else { throw JournalError.io("open \(path)", ENOENT) }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(5)
        queue = try DatabaseQueue(path: path, configuration: config)
    }

    public func events() throws -> [JournalEvent] {
        try queue.read { db in try Journal.fetchEvents(db, sql: "ORDER BY seq", arguments: []) }
    }

    public func pendingCount() throws -> Int {
        try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox") ?? 0 }
    }

    public func pendingRange() throws -> (first: Int64?, last: Int64?) {
        try queue.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT min(seq) AS a, max(seq) AS b FROM outbox")
            return (row?["a"], row?["b"])
        }
    }
}
