import Foundation
import GRDB
import Logging
import StationCore

/// How long acknowledged events stay on the box, and the site manager's device log.
extension Journal {
    // MARK: - Retention

    /// How long acknowledged events stay on the box.
    public struct Retention: Sendable, Equatable {
        public var days: Int
        /// Visits for these services go sooner (lactation rooms, by default).
        public var sensitiveVisitDays: Int
        public var sensitiveServices: Set<String>

        public init(days: Int = 180, sensitiveVisitDays: Int = 7, sensitiveServices: Set<String> = ["lactation"]) {
            self.days = days
            self.sensitiveVisitDays = sensitiveVisitDays
            self.sensitiveServices = sensitiveServices
        }
    }

    /// Deletes acknowledged events older than their retention period, except those the
    /// ledger stands on (its snapshot: open loans with their renewals, open visits).
    /// Unacknowledged events are never purged. Returns how many were deleted; when some
    /// were, the background thread is asked for a checkpoint at once, which copies their
    /// overwritten pages into the database file (the WAL's length alone might not ask for
    /// one for days), off the scan loop that purges.
    @discardableResult
    public func purge(nowMillis: Int64, retention: Retention) throws -> Int {
        let day: Int64 = 86_400_000
        let cutoff = nowMillis - Int64(retention.days) * day
        let sensitiveCutoff = nowMillis - Int64(retention.sensitiveVisitDays) * day
        let services = Array(retention.sensitiveServices)
        let placeholders = services.map { _ in "?" }.joined(separator: ",")
        let purged = try pool.write { db in
            var arguments: StatementArguments = [boxID, cutoff, sensitiveCutoff]
            arguments += StatementArguments(services)
            try db.execute(
                sql: """
                    DELETE FROM event
                    WHERE box_id = ?1
                      AND seq NOT IN (SELECT seq FROM outbox)
                      AND seq NOT IN (SELECT seq FROM ledger_entry)
                      -- The newest event stays: at start, seq continues above it.
                      AND seq < (SELECT max(seq) FROM event WHERE box_id = ?1)
                      AND (wall_ms < ?
                           OR (kind IN ('visit-start', 'visit-end') AND wall_ms < ?
                               AND json_extract(body, '$.service') IN (\(services.isEmpty ? "NULL" : placeholders))))
                    """,
                arguments: arguments)
            return db.changesCount
        }
        if purged > 0 { requestCheckpoint() }
        return purged
    }

    // MARK: - Device log and caches

    /// A line of the site manager's device log (bounded: the oldest go first).
    public func log(level: Logger.Level, scannerID: String?, message: String, atMillis: Int64) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO device_log (at_ms, level, scanner_id, message) VALUES (?, ?, ?, ?)",
                arguments: [atMillis, level.journalName, scannerID, message])
        }
    }
}
