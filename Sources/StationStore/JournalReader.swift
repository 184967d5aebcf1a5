import Foundation
import GRDB
import StationCore

/// Read-only access to a journal: for `stationctl`, on a connection of its own, when the
/// daemon is down (or while it runs: WAL lets a reader in beside the writer); for the
/// daemon's pages, through the journal's own pool.
public final class JournalReader {
    private let database: () -> any DatabaseReader
    var queue: any DatabaseReader { database() }

    public init(directory: String) throws {
        let path = (directory as NSString).appendingPathComponent(Journal.fileName)
        guard FileManager.default.fileExists(atPath: path) else { throw JournalError.io("open \(path)", ENOENT) }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(5)
        let queue = try DatabaseQueue(path: path, configuration: config)
        database = { queue }
    }

    /// Reads through the open journal's own readers, whichever pool is current (the
    /// daemon's pages): no connection opened and let go per page (see ``Journal``'s
    /// `checker`).
    public init(journal: Journal) {
        database = { journal.pool }
    }

    public func events() throws -> [JournalEvent] {
        try queue.read { db in try Journal.fetchEvents(db, sql: "ORDER BY box_id, seq", arguments: []) }
    }

    /// Events the hub has not acknowledged, oldest first (for an offline bundle).
    public func pending() throws -> [JournalEvent] {
        try queue.read { db in try Journal.fetchEvents(db, sql: "WHERE \(Journal.own) AND seq IN (SELECT seq FROM outbox) ORDER BY seq", arguments: []) }
    }

    /// Acknowledges through `seq` from outside the daemon (an offline acknowledgement file):
    /// a short write transaction beside a running daemon is fine in WAL mode.
    public static func acknowledge(directory: String, through seq: Int64) throws -> Int {
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let queue = try DatabaseQueue(path: (directory as NSString).appendingPathComponent(Journal.fileName), configuration: config)
        defer { try? queue.close() }
        return try queue.write { db in try Journal.deleteAcknowledged(db, through: seq) }
    }

    /// The catalog's entries whose home is `site` (the hub's downlink), by item key.
    public func catalog(homeSite site: String) throws -> [(itemKey: String, title: String?)] {
        try queue.read { db in try Journal.fetchCatalog(db, homeSite: site) }
    }

    /// The hub's newest key of `purpose` the box holds (from the downlink or enrollment).
    public func newestHubKey(purpose: String) throws -> (version: Int, material: String)? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT version, material FROM hub_key WHERE purpose = ? ORDER BY version DESC LIMIT 1", arguments: [purpose]).map {
                ($0["version"], $0["material"])
            }
        }
    }

    /// The hub's pull list and hold shelf with what this box did about each line: when it
    /// trapped the copy (sent on, or arrived here), and the copy's title from the catalog.
    public func transfers() throws -> [(entry: Journal.TransferEntry, trappedAt: Int64?, title: String?)] {
        try queue.read { db in
            try Journal.fetchTransfers(db).map { e in
                let title = try String.fetchOne(db, sql: "SELECT title FROM catalog_title WHERE item_key = ?", arguments: [e.itemKey])
                return (e, try Journal.trapped(db, request: e.request, kind: e.destination == nil ? .transferIn : .transferOut, since: e.sinceMillis), title)
            }
        }
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

    /// A line of the device log.
    public struct LogLine: Sendable {
        public var id: Int64
        public var atMillis: Int64
        public var level: String
        public var scannerID: String?
        public var message: String
    }

    public static let levels = ["debug", "info", "notice", "warning", "error", "critical"]

    /// Device log lines at `minLevel` or worse, oldest first, optionally for one scanner
    /// and since a time.
    public func deviceLog(minLevel: String = "debug", scannerID: String? = nil, sinceMillis: Int64 = 0, afterID: Int64 = 0, limit: Int = 1000) throws -> [LogLine] {
        let levels = Self.levels.drop { $0 != minLevel }
        return try queue.read { db in
            var sql = "SELECT id, at_ms, level, scanner_id, message FROM device_log WHERE at_ms >= ? AND id > ? AND level IN (\(levels.map { _ in "?" }.joined(separator: ",")))"
            var arguments: StatementArguments = [sinceMillis, afterID]
            arguments += StatementArguments(Array(levels))
            if let scannerID {
                sql += " AND scanner_id = ?"
                arguments += [scannerID]
            }
            sql += " ORDER BY id DESC LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).reversed().map {
                LogLine(id: $0["id"], atMillis: $0["at_ms"], level: $0["level"], scannerID: $0["scanner_id"], message: $0["message"])
            }
        }
    }
}
