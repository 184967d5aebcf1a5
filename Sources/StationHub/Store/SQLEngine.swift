/// What the hub's store needs of a database, and nothing more: statements with arguments,
/// rows, transactions, and the engine's own way of keeping concurrent writers apart.
/// ``SQLiteEngine`` (GRDB, one process) and ``PostgresEngine`` (postgres-nio, any number
/// of hub instances) implement it; ``HubStore`` is written once against it.
public protocol SQLEngine: Sendable {
    var dialect: SQLDialect { get }

    /// Runs `body` in one read-write transaction: committed when it returns, rolled back
    /// when it throws. An engine may run `body` again when the database chose it as the
    /// loser of a deadlock or a serialization race (it recomputes everything it writes).
    /// Errors come out as ``HubError``s.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T

    /// One statement on its own (a read: a report, a lookup), on any connection.
    func read(_ statement: SQLStatement) async throws -> [SQLRow]

    /// After personal data was de-identified: no copy of what it was lingers where the
    /// engine keeps old pages (SQLite's write-ahead log). Best effort.
    func forgetOldPages() async

    /// Ends the engine's connections.
    func close() async

    /// `events` were ingested and committed: an engine that plans by statistics may
    /// gather them again (``StatisticsSchedule``), in the background.
    func ingested(events: Int)
}

extension SQLEngine {
    /// SQLite keeps no statistics the hub relies on: its statements are written for a
    /// planner without them (``ReportAggregates/unindexed(_:)``).
    public func ingested(events: Int) {}
}

/// Statements inside one transaction.
public protocol SQLSession: Sendable {
    var dialect: SQLDialect { get }
    func rows(_ statement: SQLStatement) async throws -> [SQLRow]
    func execute(_ statement: SQLStatement) async throws
    /// Takes `lock` until the transaction ends.
    func lock(_ lock: StoreLock) async throws
}

extension SQLSession {
    func rows(_ text: String, _ arguments: [SQLValue] = []) async throws -> [SQLRow] {
        try await rows(SQLStatement(text, arguments))
    }

    func execute(_ text: String, _ arguments: [SQLValue] = []) async throws {
        try await execute(SQLStatement(text, arguments))
    }

    func execute(_ statements: [SQLStatement]) async throws {
        for s in statements { try await execute(s) }
    }

    /// The first column of the first row.
    func value(_ text: String, _ arguments: [SQLValue] = []) async throws -> SQLValue? {
        try await rows(text, arguments).first?.first
    }
}

/// What a transaction holds against other writers. On SQLite there is one writer at a
/// time, so every lock is already held; PostgreSQL takes row and advisory locks.
public enum StoreLock: Sendable, Equatable {
    /// Schema changes: one hub instance at a time.
    case migrations
    /// One box's row: its batches and clock corrections apply one at a time.
    case box(String)
    /// The ledger rows of these names (``HubStore/ledgerLockNames``), taken in one order
    /// by every instance; the whole ledger shared meanwhile.
    case ledgerRows([String])
    /// The whole ledger, alone (retention, erasure, catalog imports).
    case wholeLedger
}
