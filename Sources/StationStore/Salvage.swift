import Foundation
import GRDB
import GRDBSQLite
import Logging
import StationCore
import StationSystem

/// A corrupt journal found at start: its readable unacknowledged events are kept, the
/// file is moved aside (kept, never deleted), and what could not be read becomes a
/// declared gap (a new epoch) for the hub.
struct Salvage {
    var movedAside: String
    var events: [(event: JournalEvent, body: String)]
    var unreadable: Int

    /// Beside the journal while a check found it corrupt: the next start checks it again
    /// before anything else and salvages it (``atStart(path:boxID:logger:)``).
    static func markerPath(_ path: String) -> String { path + ".check-failed" }

    static func isCorruption(_ error: DatabaseError) -> Bool { [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) }

    /// What a start does before opening the journal: finishes an interrupted salvage, and
    /// where the background check (``problem(path:stop:)``, run by ``IntegrityCheck``)
    /// left its marker, checks the whole file and salvages it if it is still found corrupt.
    /// A start does not check the whole file otherwise: that read grows with the journal
    /// (1.6 s at 1,000,000 events here, tens of seconds on an SD card).
    ///
    /// Nothing is lost if a salvage is interrupted: the salvaged events are written into a
    /// new database beside the old one first; only then is the corrupt file moved aside and
    /// the new one renamed into place. A start that finds the new database but no journal
    /// finishes the rename.
    static func atStart(path: String, boxID: String, logger: Logger) throws -> Salvage? {
        let rebuilt = path + ".salvage"
        let files = FileManager.default
        if !files.fileExists(atPath: path) && files.fileExists(atPath: rebuilt) {
            try files.moveItem(atPath: rebuilt, toPath: path)
            try? files.removeItem(atPath: markerPath(path))
            logger.critical("finished an interrupted salvage of the journal", metadata: ["journal.path": "\(path)"])
            return Salvage(movedAside: "", events: [], unreadable: 0)
        }
        guard files.fileExists(atPath: markerPath(path)) else { return nil }
        guard files.fileExists(atPath: path) else {
            try files.removeItem(atPath: markerPath(path))
            return nil
        }
        // A check that cannot read the file through (an I/O error) fails the start and
        // keeps the marker: systemd tries again.
        guard let problem = try problem(path: path) else {
            logger.warning("the journal, found corrupt while the box ran, reads whole now: carrying on", metadata: ["journal.path": "\(path)"])
            try files.removeItem(atPath: markerPath(path))
            return nil
        }
        return try salvage(path: path, boxID: boxID, problem: problem, logger: logger)
    }

    /// The whole file read through (`PRAGMA quick_check` on a read-only connection of its
    /// own, beside the writer): nil when it is sound, else what is wrong. Throws when it
    /// could not be read through (an I/O error, or `stop` said so: SQLite asks it every
    /// thousand steps of the read, so a stop takes effect at once wherever the read is).
    static func problem(path: String, stop: (@Sendable () -> Bool)? = nil) throws -> String? {
        try corruptionSaid {
            let q = try DatabaseQueue(path: path, configuration: readOnly())
            defer { try? Connections.close(q) }
            return try quickCheck(q, stop: stop)
        }
    }

    /// ``problem(path:stop:)`` on a connection kept for the next check (`open` gives it).
    static func problem(on open: () throws -> DatabaseQueue, stop: (@Sendable () -> Bool)? = nil) throws -> String? {
        try corruptionSaid { try quickCheck(try open(), stop: stop) }
    }

    static func readOnly() -> Configuration {
        var config = Configuration()
        config.readonly = true
        return config
    }

    /// A file SQLite finds corrupt, said as the problem found; other errors thrown.
    private static func corruptionSaid(_ body: () throws -> String?) throws -> String? {
        do {
            return try body()
        } catch let error as DatabaseError where isCorruption(error) {
            return error.description
        }
    }

    private static func quickCheck(_ q: DatabaseQueue, stop: (@Sendable () -> Bool)?) throws -> String? {
        let result = try q.read { db in
            let asked = stop.map { Unmanaged.passRetained(StopBox($0)) }
            if let asked {
                sqlite3_progress_handler(db.sqliteConnection, 1000, { context in
                    Unmanaged<StopBox>.fromOpaque(context!).takeUnretainedValue().stop() ? 1 : 0
                }, asked.toOpaque())
            }
            defer {
                if let asked {
                    sqlite3_progress_handler(db.sqliteConnection, 0, nil, nil)
                    asked.release()
                }
            }
            return try String.fetchAll(db, sql: "PRAGMA quick_check")
        }
        // The pages the whole read left in the connection's cache are given back.
        try? q.inDatabase { db in try db.execute(sql: "PRAGMA shrink_memory") }
        return result == ["ok"] ? nil : result.prefix(3).joined(separator: "; ")
    }

    private final class StopBox {
        let stop: @Sendable () -> Bool
        init(_ stop: @escaping @Sendable () -> Bool) { self.stop = stop }
    }

    /// Salvages the corrupt journal at `path` (see the type).
    static func salvage(path: String, boxID: String, problem: String, logger: Logger) throws -> Salvage {
        let rebuilt = path + ".salvage"
        let files = FileManager.default
        logger.critical("journal is corrupt: salvaging what can be read", metadata: ["journal.path": "\(path)", "error": "\(problem)"])

        let stamp = Int64(Date().timeIntervalSince1970 * 1000)
        let aside = "\(path).corrupt-\(stamp)"
        var salvage = Salvage(movedAside: aside, events: [], unreadable: 0)
        salvage.read(from: path, boxID: boxID)

        for suffix in ["", "-wal", "-shm", "-journal"] { try? files.removeItem(atPath: rebuilt + suffix) }
        let fresh = try DatabaseQueue(path: rebuilt)
        try JournalSchema.migrator.migrate(fresh)
        try fresh.write { db in
            for (e, body) in salvage.events { try Journal.insertRow(db, e, body: body, orIgnore: true) }
            // The box's identity at once: events are read through it (Journal.own), by
            // stationctl too, before the next start writes the rest.
            try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('salvaged_from', ?), ('box_id', ?)", arguments: [aside, boxID])
        }
        try Connections.close(fresh)

        for suffix in ["", "-wal", "-shm"] where files.fileExists(atPath: path + suffix) {
            try files.moveItem(atPath: path + suffix, toPath: aside + suffix)
        }
        try files.moveItem(atPath: rebuilt, toPath: path)
        try? files.removeItem(atPath: markerPath(path))
        logger.critical(
            "journal salvaged: the corrupt file is kept beside the new one",
            metadata: [
                "journal.moved_aside": "\(aside)", "journal.salvaged_events": "\(salvage.events.count)",
                "journal.unreadable_rows": "\(salvage.unreadable)",
            ])
        return salvage
    }

    /// Reads every unacknowledged event it can, row by row where a range read fails.
    mutating func read(from path: String, boxID: String) {
        guard let q = try? DatabaseQueue(path: path, configuration: Self.readOnly()) else { return }
        defer { try? Connections.close(q) }
        // Unacknowledged: in the outbox. If the outbox cannot be read, every readable event
        // is sent again; the hub's idempotency makes that harmless.
        let outbox: Set<Int64>? = try? q.read { db in Set(try Int64.fetchAll(db, sql: "SELECT seq FROM outbox")) }
        // (By the key's own order: the last leaf only, where a scan of the table would stop
        // at the first damaged page.)
        let maxSeq = (try? q.read { db in try Int64.fetchOne(db, sql: "SELECT max(seq) FROM event WHERE box_id = ?", arguments: [boxID]) ?? 0 }) ?? 0
        let limit = max(maxSeq, outbox?.max() ?? 0)
        let columns = Journal.columns
        func take(_ rows: [Row]) {
            for row in rows {
                let seq: Int64 = row["seq"]
                guard outbox?.contains(seq) ?? true, let body: String = row["body"], let event = try? Journal.event(from: row) else { continue }
                events.append((event, body))
            }
        }
        var start: Int64 = 1
        while start <= limit {
            let end = min(start + 499, limit)
            if let rows = try? q.read({ db in try Row.fetchAll(db, sql: "SELECT \(columns) FROM event WHERE box_id = ? AND seq BETWEEN ? AND ?", arguments: [boxID, start, end]) }) {
                take(rows)
            } else {
                for seq in start...end {
                    if let rows = try? q.read({ db in try Row.fetchAll(db, sql: "SELECT \(columns) FROM event WHERE box_id = ? AND seq = ?", arguments: [boxID, seq]) }) {
                        take(rows)
                    } else {
                        unreadable += 1
                    }
                }
            }
            start = end + 1
        }
    }
}

extension Journal {
    /// Reads the whole file through on a connection of its own while the writer goes on
    /// (WAL); nil when it is sound. When it is corrupt, leaves the marker the next start
    /// looks for (``Salvage/atStart(path:boxID:logger:)``) and says what is wrong: the
    /// daemon then stops, to be started again by systemd and salvage before it is ready.
    /// Events written meanwhile are safe: the salvage keeps every unacknowledged event it
    /// can read. Throws when the file could not be read through (no finding either way).
    public func checkIntegrity(stop: (@Sendable () -> Bool)? = nil) throws -> String? {
        guard let problem = try Salvage.problem(on: checkConnection, stop: stop) else { return nil }
        try mark(problem)
        return problem
    }

    /// An append, a scan's window read or the reconcile before them (``reconciled(_:)``)
    /// that found the file damaged: marks it, so that the next start checks it and salvages
    /// it, and tells ``onDamage``. Other errors are left alone.
    func markIfDamaged(_ error: any Error) {
        guard let error = error as? DatabaseError, Salvage.isCorruption(error) else { return }
        do {
            try mark(error.description)
        } catch {
            logger.error("could not mark the damaged journal for the next start", metadata: ["error": "\(error)"])
        }
        onDamage?()
    }

    private func mark(_ problem: String) throws {
        try DurableFile.write(Data((problem + "\n").utf8), to: Salvage.markerPath(path), mode: 0o640)
    }
}

/// One whole-file check of a journal that can be stopped half-way (the daemon stopping):
/// the read is interrupted and finds nothing.
public final class IntegrityCheck: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    public init() {}

    /// ``Journal/checkIntegrity(stop:)`` on the calling thread; nil when it was stopped.
    public func run(_ journal: Journal) throws -> String? {
        do {
            return try journal.checkIntegrity { [self] in lock.withLock { cancelled } }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_INTERRUPT && lock.withLock({ cancelled }) {
            return nil
        }
    }

    public func cancel() {
        lock.withLock { cancelled = true }
    }
}
