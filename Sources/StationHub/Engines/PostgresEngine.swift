import Crypto
import Foundation
import Logging
import NIOSSL
import PostgresNIO
import ServiceLifecycle

/// The hub's database on PostgreSQL (postgres-nio), for when one machine is not enough:
/// any number of `stationhub` instances share it and hold no state of their own.
///
/// Correctness across instances rests on the database, not on process locks (``StoreLock``):
/// a box's row is locked (`FOR UPDATE`) by its batches, so the same batch sent to two
/// instances applies once; ledger rows are recomputed under transaction-scoped advisory
/// locks taken in one order by everyone; the downlink's revision counter is one row held by
/// its writer until commit, so revisions become visible in order; a transaction that loses
/// a deadlock or a serialization race is run again.
public final class PostgresEngine: SQLEngine {
    let client: PostgresClient
    let logger: Logger
    /// How long a request waits for a pooled connection before it is answered 503.
    let leaseSeconds: Int
    public var dialect: SQLDialect { .postgres }

    /// The connection pool's own work (`PostgresClient.run()`): a service to run beside
    /// whatever uses the engine.
    public var service: any Service { client }

    /// The database it was opened on (another hub instance opens the same).
    public let url: String

    public init(url: String, leaseSeconds: Int = 30) throws {
        self.url = url
        self.leaseSeconds = leaseSeconds
        var logger = Logger(label: "stationhub.postgres")
        // The pool's own warnings include "run() not called yet" for a query made while
        // its service starts; failures reach the caller as errors either way.
        logger.logLevel = .error
        self.logger = logger
        client = PostgresClient(configuration: try Self.configuration(url), backgroundLogger: logger)
    }

    public func close() async {}

    /// When this instance analyzes the tables again.
    let statistics = Guarded(StatisticsSchedule())

    /// The tables a batch reads and writes, which ``ingested(events:)`` analyzes (not the
    /// whole database: the system catalogs are not the hub's role's to analyze).
    static let ingestTables = ["event", "ledger_book", "ledger_visit", "ledger_correction", "book_month", "book_move", "lending_month", "box", "quarantine"]

    /// `ANALYZE` of the tables ingest reads, in the background, when ``StatisticsSchedule``
    /// says so; a failure is logged, and the next one comes as scheduled.
    public func ingested(events: Int) {
        guard statistics.withLock({ $0.ingested(events) }) else { return }
        let statistics = self.statistics, logger = self.logger
        Task {
            do {
                _ = try await withConnection { conn in
                    try await conn.query(PostgresQuery(unsafeSQL: "ANALYZE " + Self.ingestTables.joined(separator: ", ")), logger: logger)
                }
            } catch {
                logger.error("ANALYZE failed: \(String(describing: Self.failure(error)))")
            }
            statistics.withLock { $0.finished() }
        }
    }

    /// A value behind a lock.
    final class Guarded<Value: Sendable>: @unchecked Sendable {
        private var value: Value
        private let lock = NSLock()
        init(_ value: Value) { self.value = value }
        func withLock<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&value) } }
    }

    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?host=/socket/dir][&sslmode=disable|prefer|require]`.
    static func configuration(_ text: String) throws -> PostgresClient.Configuration {
        let bad = HubError(.invalid, "\(Self.redacted(text)) is not postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?host=/socket/dir&sslmode=...]")
        guard let url = URLComponents(string: text), let user = url.user, !user.isEmpty else { throw bad }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard !database.isEmpty else { throw bad }
        let query = Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        let port = url.port ?? 5432
        var config: PostgresClient.Configuration
        if let socketDir = query["host"], socketDir.hasPrefix("/") {
            config = .init(unixSocketPath: "\(socketDir)/.s.PGSQL.\(port)", username: user, password: url.password, database: database)
        } else {
            guard let host = url.host, !host.isEmpty else { throw bad }
            let tls: PostgresClient.Configuration.TLS
            switch query["sslmode"] ?? "prefer" {
            case "disable": tls = .disable
            case "prefer": tls = .prefer(.makeClientConfiguration())
            case "require": tls = .require(.makeClientConfiguration())
            case let other: throw HubError(.invalid, "sslmode \(other): disable, prefer or require")
            }
            config = .init(host: host, port: port, username: user, password: url.password, database: database, tls: tls)
        }
        config.options.maximumConnections = 16
        // No JIT: PostgreSQL compiles a statement whose estimated cost passes
        // jit_above_cost, and the reports' estimates pass it while they run in under a
        // second. Compiling took 411 ms of the sleeping report's 813 at 1,000,000 events.
        config.options.additionalStartupParameters = [("jit", "off")]
        return config
    }

    /// The URL without its password, for messages.
    static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? "postgres://..."
    }

    // MARK: - Transactions

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                let logger = self.logger
                return try await withConnection { conn in
                    try await conn.query("BEGIN", logger: logger)
                    do {
                        let value = try await body(Session(conn: conn, logger: logger))
                        try await conn.query("COMMIT", logger: logger)
                        return value
                    } catch {
                        _ = try? await conn.query("ROLLBACK", logger: logger)
                        throw error
                    }
                }
            } catch let error as PSQLError where ["40001", "40P01"].contains(error.serverInfo?[.sqlState] ?? "") && attempt < 10 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...20) * attempt))
            } catch {
                throw Self.failure(error)
            }
        }
    }

    /// One statement, without a transaction around it (one round trip, not three).
    public func read(_ statement: SQLStatement) async throws -> [SQLRow] {
        do {
            let logger = self.logger
            return try await withConnection { conn in try await Session(conn: conn, logger: logger).rows(statement) }
        } catch {
            throw Self.failure(error)
        }
    }

    /// PostgreSQL keeps old row versions until it vacuums them: `VACUUM FULL` after an
    /// erasure, as the README says. Nothing to do per statement.
    public func forgetOldPages() async {}

    /// What a database error means to the API. The store's own refusals pass as they are;
    /// the pool's own errors (no connection could be made, the pool is closed) mean the
    /// database cannot be reached.
    static func failure(_ error: any Error) -> any Error {
        if error is HubError || error is CancellationError { return error }
        guard let error = error as? PSQLError else { return HubError(.unavailable, "the database cannot be reached: \(error)") }
        let state = error.serverInfo?[.sqlState] ?? ""
        let message = error.serverInfo?[.message] ?? "\(error.code)"
        if state.hasPrefix("22") { return HubError(.invalid, "the database refuses a value: \(message)") }
        if state == "23505" { return HubError(.conflict, "already exists: \(message)") }
        if state.hasPrefix("23") { return HubError(.invalid, "the database refuses this: \(message)") }
        if state.isEmpty { return HubError(.unavailable, "the database cannot be reached: \(error.code)") }
        return HubError(.unavailable, "the database failed: \(state) \(message)")
    }

    /// A connection from the pool for `body`, or `unavailable` when none comes within
    /// ``leaseSeconds`` (the database is gone: a box is told to come back rather than held).
    /// Only the wait for a connection is bounded, not the work done with it.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let leased = LeaseFlag(), client = self.client, seconds = leaseSeconds
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await client.withConnection { conn in
                    leased.set()
                    return try await body(conn)
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                if !leased.isSet { throw HubError(.unavailable, "the database gave no connection within \(seconds) s") }
                return nil
            }
            while let result = try await group.next() {
                if let value = result {
                    group.cancelAll()
                    return value
                }
            }
            throw HubError(.unavailable, "the database connection ended")
        }
    }

    /// Set once a connection was leased (read by the deadline).
    final class LeaseFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.withLock { value = true } }
        var isSet: Bool { lock.withLock { value } }
    }

    // MARK: - Statements

    struct Session: SQLSession {
        let conn: PostgresConnection
        let logger: Logger
        var dialect: SQLDialect { .postgres }

        func rows(_ statement: SQLStatement) async throws -> [SQLRow] {
            var rows: [SQLRow] = []
            for try await row in try await conn.query(PostgresEngine.query(statement), logger: logger) {
                rows.append(try row.map(PostgresEngine.value))
            }
            return rows
        }

        func execute(_ statement: SQLStatement) async throws {
            try await conn.query(PostgresEngine.query(statement), logger: logger)
        }

        func lock(_ lock: StoreLock) async throws {
            switch lock {
            case .migrations:
                try await conn.query("SELECT pg_advisory_xact_lock(\(PostgresEngine.migrationLock))", logger: logger)
            case .box(let id):
                try await conn.query("SELECT 1 FROM box WHERE id = \(id) FOR UPDATE", logger: logger)
            case .wholeLedger:
                try await conn.query("SELECT pg_advisory_xact_lock(\(PostgresEngine.ledgerLock))", logger: logger)
            case .ledgerRows(let names):
                guard !names.isEmpty else { return }
                try await conn.query("SELECT pg_advisory_xact_lock_shared(\(PostgresEngine.ledgerLock))", logger: logger)
                // Sorted, and unnest keeps the array's order: every instance takes the
                // locks in one order, so none waits on another in a circle.
                let keys = Array(Set(names.map(PostgresEngine.lockKey))).sorted()
                try await conn.query("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(\(keys)::bigint[]) AS k", logger: logger)
            }
        }
    }

    /// Advisory lock keys (one namespace for the hub): migrations, and the whole ledger.
    static let migrationLock: Int64 = 0x5354_4154_0001
    static let ledgerLock: Int64 = 0x5354_4154_0002

    /// A lock key of one ledger row: the first 8 bytes of its name's SHA-256.
    static func lockKey(_ name: String) -> Int64 {
        SHA256.hash(data: Data(name.utf8)).withUnsafeBytes { raw in raw.loadUnaligned(as: Int64.self) }
    }

    static func query(_ statement: SQLStatement) -> PostgresQuery {
        var binds = PostgresBindings(capacity: statement.arguments.count)
        for v in statement.arguments {
            switch v {
            case .int(let i): binds.append(i)
            case .real(let d): binds.append(d)
            case .text(let s): binds.append(s)
            case .null: binds.appendNull()
            }
        }
        return PostgresQuery(unsafeSQL: SQLDialect.postgres.placeholders(statement.text), binds: binds)
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .int(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
        default: return .text(try cell.decode(String.self))
        }
    }
}
