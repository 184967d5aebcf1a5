import Foundation
import GRDB

/// The hub's database in one SQLite file through GRDB, the embedded default (one hub
/// process). One writer at a time: a transaction holds the writer from `BEGIN IMMEDIATE`
/// to `COMMIT`, each statement a GRDB access on the writer's own queue (never on the
/// cooperative pool); reads run on the pool's reader connections beside it (WAL).
public final class SQLiteEngine: SQLEngine {
    let pool: DatabasePool
    /// The transactions, one at a time and first come first served.
    let writer = AsyncMutex()
    public var dialect: SQLDialect { .sqlite }

    public init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        // A transaction spans several accesses of the writer (see `transaction`), which
        // the writer mutex keeps to one at a time.
        config.allowsUnsafeTransactions = true
        // Ingest looks up and updates index pages all over a growing file: a 64 MiB page
        // cache per connection keeps the hot part of the indexes in memory.
        // Deleted and overwritten content is zeroed in the file (secure_delete): an erased
        // worker must not linger in free pages.
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -65536; PRAGMA secure_delete = ON") }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // GRDB's WAL setup leaves its writer at synchronous=NORMAL: a commit must be durable.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        } catch {
            throw HubError(.unavailable, "cannot open the SQLite database \(path): \(Self.message(error))")
        }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await writer.withLock {
            let pool = self.pool
            do {
                try await pool.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
                let value = try await body(Session(pool: pool))
                try await pool.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
                return value
            } catch {
                // Not in this task, which may be cancelled: the writer must not be left
                // inside a transaction (an interrupted statement may have ended it already).
                await Task.detached {
                    _ = try? await pool.writeWithoutTransaction { db in
                        if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") }
                    }
                }.value
                throw Self.failure(error)
            }
        }
    }

    public func read(_ statement: SQLStatement) async throws -> [SQLRow] {
        do {
            return try await pool.read { db in try Self.fetch(db, statement) }
        } catch {
            throw Self.failure(error)
        }
    }

    /// The write-ahead log still holds the pages as they were before: copied into the
    /// database and emptied. A long report reading meanwhile can hold it off: tried a few
    /// times, then left (the change itself is committed).
    public func forgetOldPages() async {
        for attempt in 1...5 {
            let done = await writer.withLock {
                (try? await self.pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }) != nil
            }
            if done { return }
            try? await Task.sleep(for: .milliseconds(200 * attempt))
        }
    }

    public func close() async { try? pool.close() }

    struct Session: SQLSession {
        let pool: DatabasePool
        var dialect: SQLDialect { .sqlite }

        func rows(_ statement: SQLStatement) async throws -> [SQLRow] {
            try await pool.writeWithoutTransaction { db in try SQLiteEngine.fetch(db, statement) }
        }

        func execute(_ statement: SQLStatement) async throws {
            try await pool.writeWithoutTransaction { db in
                try db.makeStatement(sql: statement.text).execute(arguments: SQLiteEngine.arguments(statement.arguments))
            }
        }

        /// One writer at a time holds every lock already.
        func lock(_ lock: StoreLock) async throws {}
    }

    static func fetch(_ db: Database, _ statement: SQLStatement) throws -> [SQLRow] {
        let prepared = try db.makeStatement(sql: statement.text)
        return try Row.fetchAll(prepared, arguments: arguments(statement.arguments)).map { row in
            row.databaseValues.map { value in
                switch value.storage {
                case .int64(let i): .int(i)
                case .double(let d): .real(d)
                case .string(let s): .text(s)
                case .blob(let b): .text(String(decoding: b, as: UTF8.self))
                case .null: .null
                }
            }
        }
    }

    static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(
            values.map { v -> DatabaseValue in
                switch v {
                case .int(let i): i.databaseValue
                case .real(let d): d.databaseValue
                case .text(let s): s.databaseValue
                case .null: .null
                }
            })
    }

    /// What a SQLite error means to the API.
    static func failure(_ error: any Error) -> any Error {
        if error is HubError || error is CancellationError { return error }
        guard let error = error as? DatabaseError else { return HubError(.unavailable, "the database failed: \(error)") }
        switch error.resultCode {
        case .SQLITE_CONSTRAINT where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY || error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE:
            return HubError(.conflict, "already exists: \(message(error))")
        case .SQLITE_CONSTRAINT, .SQLITE_MISMATCH, .SQLITE_TOOBIG, .SQLITE_RANGE:
            return HubError(.invalid, "the database refuses this: \(message(error))")
        default:
            return HubError(.unavailable, "the database failed: \(message(error))")
        }
    }

    static func message(_ error: any Error) -> String {
        (error as? DatabaseError)?.message ?? "\(error)"
    }
}

/// A lock for async code: one holder at a time, waiters served in order.
final class AsyncMutex: @unchecked Sendable {
    private let lock = NSLock()
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func withLock<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = lock.withLock {
                if held {
                    waiters.append(c)
                    return false
                }
                held = true
                return true
            }
            if now { c.resume() }
        }
    }

    private func release() {
        // The lock passes to the first waiter: `held` stays true.
        let next: CheckedContinuation<Void, Never>? = lock.withLock {
            if waiters.isEmpty {
                held = false
                return nil
            }
            return waiters.removeFirst()
        }
        next?.resume()
    }
}
