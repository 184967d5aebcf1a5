import Foundation
import GRDB
import Synchronization

/// The hub's database in one SQLite file through GRDB, the embedded default (one hub
/// process). One writer at a time: transactions are committed in groups (``transaction(_:)``),
/// each statement a synchronous GRDB access to the writer from the group's task (no hop to
/// another thread and back per statement: a batch makes some twenty), the commit's sync an
/// asynchronous one (the task's thread is not held while the disk syncs); reads run on the
/// pool's reader connections beside it (WAL).
public final class SQLiteEngine: SQLEngine {
    let pool: DatabasePool
    /// The writer, one holder at a time: a group of transactions, or a checkpoint.
    let writer = AsyncMutex()
    let commits = GroupCommit()
    let commitsRun = Mutex(0)
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

    /// Transactions are committed in groups: while the writer commits one group, the
    /// transactions that arrive wait, and the next group runs them one after another, each
    /// in a savepoint of one `BEGIN IMMEDIATE … COMMIT`. One commit (one sync of the
    /// write-ahead log) then serves many batches, and index pages several of them touch
    /// are written once. A body that throws is rolled back to its savepoint alone; no
    /// caller hears of success before the group's `COMMIT` returned. The bodies run on a
    /// task of the engine's, so a caller's cancellation cannot cut a group short.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T {
        let value = try await withCheckedThrowingContinuation { (done: CheckedContinuation<any Sendable, any Error>) in
            if commits.submit(GroupCommit.Job(body: { try await body($0) }, done: done)) {
                Task.detached { await self.lead() }
            }
        }
        guard let typed = value as? T else { throw HubError(.unavailable, "a transaction answered \(type(of: value)), not \(T.self)") }
        return typed
    }

    /// Commits groups while transactions wait; the task that runs it ends when none do.
    private func lead() async {
        while true {
            let jobs = commits.take(max: GroupCommit.maxJobs)
            if jobs.isEmpty { return }
            await writer.withLock { await self.commit(jobs) }
        }
    }

    /// One group: every job in its savepoint, one `COMMIT`, then every caller answered.
    private func commit(_ jobs: [GroupCommit.Job]) async {
        let pool = self.pool
        let session = Session(pool: pool)
        do {
            try await pool.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        } catch {
            for job in jobs { job.done.resume(throwing: Self.failure(error)) }
            return
        }
        var results: [(GroupCommit.Job, Result<any Sendable, any Error>)] = []
        for (index, job) in jobs.enumerated() {
            do {
                try await pool.writeWithoutTransaction { db in try db.execute(sql: "SAVEPOINT job") }
                let value = try await job.body(session)
                try await pool.writeWithoutTransaction { db in try db.execute(sql: "RELEASE job") }
                results.append((job, .success(value)))
            } catch {
                let undone = try? await pool.writeWithoutTransaction { db -> Bool in
                    guard db.isInsideTransaction else { return false }
                    try db.execute(sql: "ROLLBACK TO job; RELEASE job")
                    return true
                }
                if undone != true {
                    // SQLite ended the whole transaction (an I/O error, a full disk): what the
                    // jobs before this one wrote is gone with it.
                    await Self.rollBack(pool)
                    for (earlier, _) in results { earlier.done.resume(throwing: Self.failure(error)) }
                    for rest in jobs[index...] { rest.done.resume(throwing: Self.failure(error)) }
                    return
                }
                results.append((job, .failure(Self.failure(error))))
            }
        }
        do {
            try await pool.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
            commitsRun.withLock { $0 += 1 }
        } catch {
            await Self.rollBack(pool)
            for (job, _) in results { job.done.resume(throwing: Self.failure(error)) }
            return
        }
        for (job, result) in results { job.done.resume(with: result) }
    }

    /// The writer left outside any transaction (a failed statement may have ended it already).
    private static func rollBack(_ pool: DatabasePool) async {
        _ = try? await pool.writeWithoutTransaction { db in
            if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") }
        }
    }

    /// How many groups were committed (each one sync of the log), for tests.
    var commitCount: Int { commitsRun.withLock { $0 } }

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
            try writing { db in try SQLiteEngine.fetch(db, statement) }
        }

        func execute(_ statement: SQLStatement) async throws {
            try writing { db in
                try db.makeStatement(sql: statement.text).execute(arguments: SQLiteEngine.arguments(statement.arguments))
            }
        }

        /// The writer, synchronously: only the group's task (holding ``writer``) asks for it.
        func writing<T>(_ body: (Database) throws -> T) throws -> T {
            try pool.writeWithoutTransaction(body)
        }

        /// One writer at a time holds every lock already.
        func lock(_ lock: StoreLock) async throws {}
    }

    static func fetch(_ db: Database, _ statement: SQLStatement) throws -> [SQLRow] {
        let prepared = try db.makeStatement(sql: statement.text)
        // Each row's values straight from the statement (a cursor's row is a view of it),
        // not copied into a GRDB row first: a report can read 600,000 rows.
        let cursor = try Row.fetchCursor(prepared, arguments: arguments(statement.arguments))
        var rows: [SQLRow] = []
        while let row = try cursor.next() {
            rows.append(
                row.databaseValues.map { value in
                    switch value.storage {
                    case .int64(let i): .int(i)
                    case .double(let d): .real(d)
                    case .string(let s): .text(s)
                    case .blob(let b): .text(String(decoding: b, as: UTF8.self))
                    case .null: .null
                    }
                })
        }
        return rows
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

/// Transactions waiting for the next group commit. The first to arrive while no group is
/// being committed starts the task that commits them (``submit`` answers true).
final class GroupCommit: @unchecked Sendable {
    /// At most this many transactions share a commit, so the first of them is not kept
    /// waiting for the writer's work on many others.
    static let maxJobs = 32

    struct Job: Sendable {
        let body: @Sendable (any SQLSession) async throws -> any Sendable
        let done: CheckedContinuation<any Sendable, any Error>
    }

    private let lock = NSLock()
    private var waiting: [Job] = []
    private var leading = false

    /// Queues `job`; true when no task commits groups now and the caller must start one.
    func submit(_ job: Job) -> Bool {
        lock.withLock {
            waiting.append(job)
            if leading { return false }
            leading = true
            return true
        }
    }

    /// The next group, oldest first; none (and the leading task ends) when nothing waits.
    func take(max: Int) -> [Job] {
        lock.withLock {
            let jobs = Array(waiting.prefix(max))
            waiting.removeFirst(jobs.count)
            if jobs.isEmpty { leading = false }
            return jobs
        }
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
