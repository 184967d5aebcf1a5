import Crypto
import Foundation
import Logging
import NIOSSL
import PostgresNIO
import StationCore
import StationProtocol

/// The hub's database on PostgreSQL (postgres-nio), for when one machine is not enough:
/// any number of `stationhub` instances share it, and hold no state of their own.
///
/// Correctness across instances rests on the database, not on process locks:
/// - a batch locks its box's row (`FOR UPDATE`), so batches of one box apply one at a time
///   whichever instance received them: the same batch sent to two instances is applied
///   once, the second finding every seq already there;
/// - ledger rows are recomputed under transaction-scoped advisory locks, one per book and
///   per (site, worker), taken in a fixed order (no deadlock); a void takes the whole
///   ledger exclusively;
/// - the downlink's revision counter is one row, updated in the writer's transaction, so
///   revisions commit in order;
/// - a transaction that loses a deadlock or a serialization race is run again.
public final class PostgresHubStore: HubStore {
    let client: PostgresClient
    let runner: Task<Void, Never>
    let logger: Logger
    let opener = CredentialOpener()
    let lastSeen = LastSeen()
    public var dialect: Reports.Dialect { .postgres }

    /// How long a request waits for a pooled connection before it is answered 503.
    let leaseSeconds: Int

    public init(url: String, leaseSeconds: Int = 30) async throws {
        self.leaseSeconds = leaseSeconds
        var logger = Logger(label: "stationhub.postgres")
        // The pool's own warnings include "run() not called yet" for a query made while
        // its task starts; failures reach the caller as errors either way.
        logger.logLevel = .error
        self.logger = logger
        let client = PostgresClient(configuration: try Self.configuration(url), backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
        do {
            try await migrate()
        } catch {
            runner.cancel()
            throw error
        }
    }

    public func close() async {
        runner.cancel()
        _ = await runner.value
    }

    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?host=/socket/dir][&sslmode=disable|prefer|require]`.
    static func configuration(_ text: String) throws -> PostgresClient.Configuration {
        let bad = HubFailure(.invalid, "\(Self.redacted(text)) is not postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?host=/socket/dir&sslmode=...]")
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
            case let other: throw HubFailure(.invalid, "sslmode \(other): disable, prefer or require")
            }
            config = .init(host: host, port: port, username: user, password: url.password, database: database, tls: tls)
        }
        config.options.maximumConnections = 16
        return config
    }

    /// The URL without its password, for messages.
    static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? "postgres://..."
    }

    // MARK: - Transactions

    /// Runs `body` in one transaction, again when it lost a deadlock or a serialization
    /// race to another instance (it recomputes everything it writes). Database refusals
    /// become ``HubFailure``s.
    func transaction<T: Sendable>(
        _ isolation: String = "READ COMMITTED", _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            do {
                let logger = self.logger
                return try await withConnection { conn in
                    try await conn.query("BEGIN ISOLATION LEVEL \(unescaped: isolation)", logger: logger)
                    do {
                        let value = try await body(conn)
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

    /// What a database error means to the API. The store's own refusals pass as they are;
    /// the pool's own errors (no connection could be made, the pool is closed) mean the
    /// database cannot be reached.
    static func failure(_ error: any Error) -> HubFailure {
        if let failure = error as? HubFailure { return failure }
        guard let error = error as? PSQLError else { return HubFailure(.unavailable, "the database cannot be reached: \(error)") }
        let state = error.serverInfo?[.sqlState] ?? ""
        let message = error.serverInfo?[.message] ?? "\(error.code)"
        if state.hasPrefix("22") { return HubFailure(.invalid, "the database refuses a value: \(message)") }
        if state == "23505" { return HubFailure(.conflict, "already exists: \(message)") }
        if state.hasPrefix("23") { return HubFailure(.invalid, "the database refuses this: \(message)") }
        if state.isEmpty { return HubFailure(.unavailable, "the database cannot be reached: \(error.code)") }
        return HubFailure(.unavailable, "the database failed: \(state) \(message)")
    }

    /// Statements that must see one snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await transaction("REPEATABLE READ READ ONLY", body)
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
                if !leased.isSet { throw HubFailure(.unavailable, "the database gave no connection within \(seconds) s") }
                return nil
            }
            while let result = try await group.next() {
                if let value = result {
                    group.cancelAll()
                    return value
                }
            }
            throw HubFailure(.unavailable, "the database connection ended")
        }
    }

    /// Set once a connection was leased (read by the deadline).
    final class LeaseFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() {
            lock.lock()
            value = true
            lock.unlock()
        }
        var isSet: Bool {
            lock.lock()
            defer { lock.unlock() }
            return value
        }
    }

    /// One statement, without a transaction around it (one round trip, not three).
    func single<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await withConnection { conn in try await body(conn) }
        } catch {
            throw Self.failure(error)
        }
    }

    // MARK: - Schema

    /// Schema versions, each a list of statements; applied once, by one instance at a time.
    static let migrations: [[String]] = [
        [
            "CREATE TABLE site (id TEXT PRIMARY KEY, region TEXT)",
            """
            CREATE TABLE box (id TEXT PRIMARY KEY, site_id TEXT NOT NULL REFERENCES site(id), credential_hash TEXT UNIQUE, revoked_reason TEXT,
                acked_through BIGINT NOT NULL DEFAULT 0, epoch BIGINT NOT NULL DEFAULT 0, last_seen_ms BIGINT)
            """,
            "CREATE TABLE enrollment_token (token_hash TEXT PRIMARY KEY, box_id TEXT NOT NULL REFERENCES box(id), used BIGINT NOT NULL DEFAULT 0)",
            """
            CREATE TABLE event (
                box_id TEXT NOT NULL REFERENCES box(id), seq BIGINT NOT NULL, epoch BIGINT NOT NULL, site_id TEXT NOT NULL, kind TEXT NOT NULL,
                wall_ms BIGINT NOT NULL, body TEXT NOT NULL, content_hash TEXT NOT NULL, received_ms BIGINT NOT NULL,
                worker_pseudonym TEXT, item_key TEXT, boot_id TEXT, clock_synced BIGINT, corrected_ms BIGINT, worker_key TEXT,
                due_date TEXT, service TEXT, auto_closed BIGINT NOT NULL DEFAULT 0, refers_to BIGINT,
                PRIMARY KEY (box_id, seq))
            """,
            "CREATE INDEX event_worker ON event(worker_pseudonym) WHERE worker_pseudonym IS NOT NULL",
            "CREATE INDEX event_item ON event(item_key) WHERE item_key IS NOT NULL",
            "CREATE INDEX event_site_kind ON event(site_id, kind)",
            "CREATE INDEX event_kind_time ON event(kind, corrected_ms)",
            "CREATE INDEX event_boot ON event(box_id, boot_id)",
            "CREATE INDEX event_visit_worker ON event(site_id, worker_key) WHERE kind IN ('visit-start', 'visit-end')",
            "CREATE INDEX event_void ON event(box_id, refers_to) WHERE kind = 'void'",
            """
            CREATE TABLE quarantine (id BIGSERIAL PRIMARY KEY, box_id TEXT NOT NULL, seq BIGINT NOT NULL, reason TEXT NOT NULL, body TEXT NOT NULL,
                received_ms BIGINT NOT NULL)
            """,
            "CREATE INDEX quarantine_box ON quarantine(box_id, seq)",
            """
            CREATE TABLE ledger_book (item_key TEXT PRIMARY KEY, holder TEXT, loaned_at_ms BIGINT, due_date TEXT, site_id TEXT, flags TEXT NOT NULL)
            """,
            """
            CREATE TABLE ledger_visit (site_id TEXT NOT NULL, box_id TEXT NOT NULL, start_seq BIGINT, end_seq BIGINT, worker TEXT NOT NULL,
                service TEXT, start_ms BIGINT, end_ms BIGINT, flags TEXT NOT NULL)
            """,
            "CREATE INDEX ledger_visit_worker ON ledger_visit(site_id, worker)",
            """
            CREATE TABLE clock_correction (box_id TEXT NOT NULL REFERENCES box(id), boot_id TEXT NOT NULL,
                source TEXT NOT NULL CHECK (source IN ('ntp', 'hub-date', 'manual')), mono_us BIGINT NOT NULL, offset_ms BIGINT NOT NULL,
                recorded_wall_ms BIGINT NOT NULL, received_ms BIGINT NOT NULL, PRIMARY KEY (box_id, boot_id, source, mono_us))
            """,
            """
            CREATE TABLE device_log (box_id TEXT NOT NULL REFERENCES box(id), id BIGINT NOT NULL, at_ms BIGINT NOT NULL, level TEXT NOT NULL,
                scanner_id TEXT, message TEXT NOT NULL, received_ms BIGINT NOT NULL, PRIMARY KEY (box_id, id))
            """,
            "CREATE TABLE revision (id BIGINT PRIMARY KEY CHECK (id = 1), value BIGINT NOT NULL)",
            "INSERT INTO revision VALUES (1, 0)",
            "CREATE TABLE catalog_title (item_key TEXT PRIMARY KEY, title TEXT, home_site TEXT, revision BIGINT NOT NULL)",
            "CREATE INDEX catalog_revision ON catalog_title(revision)",
            "CREATE TABLE member_card (card_uid TEXT PRIMARY KEY, member TEXT NOT NULL, revision BIGINT NOT NULL)",
            "CREATE INDEX member_revision ON member_card(revision)",
            """
            CREATE TABLE site_setting (site_id TEXT NOT NULL REFERENCES site(id), key TEXT NOT NULL, value TEXT NOT NULL, revision BIGINT NOT NULL,
                PRIMARY KEY (site_id, key))
            """,
            """
            CREATE TABLE public_key (purpose TEXT NOT NULL, version BIGINT NOT NULL, material TEXT NOT NULL, revision BIGINT NOT NULL,
                PRIMARY KEY (purpose, version))
            """,
        ],
        [
            "CREATE INDEX event_worker_key ON event(worker_key) WHERE worker_key IS NOT NULL",
            "CREATE TABLE retention (key TEXT PRIMARY KEY, days BIGINT NOT NULL)",
            "CREATE TABLE deidentify (old TEXT PRIMARY KEY, tag TEXT NOT NULL)",
            """
            CREATE TABLE erasure_log (id BIGSERIAL PRIMARY KEY, at_ms BIGINT NOT NULL, reference TEXT NOT NULL, operator TEXT NOT NULL,
                tag TEXT NOT NULL, events BIGINT NOT NULL, books BIGINT NOT NULL, visits BIGINT NOT NULL)
            """,
        ],
    ]

    /// Advisory lock keys (one namespace for the hub): migrations, and the whole ledger.
    static let migrationLock: Int64 = 0x5354_4154_0001
    static let ledgerLock: Int64 = 0x5354_4154_0002

    func migrate() async throws {
        try await transaction { conn in
            try await conn.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: self.logger)
            try await conn.query("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)", logger: self.logger)
            var version: Int64 = 0
            for try await v in try await conn.query("SELECT coalesce(max(version), 0) FROM schema_version", logger: self.logger).decode(Int64.self) {
                version = v
            }
            for (index, statements) in Self.migrations.enumerated() where Int64(index + 1) > version {
                for sql in statements { try await conn.query(PostgresQuery(unsafeSQL: sql), logger: self.logger) }
                try await conn.query("INSERT INTO schema_version VALUES (\(Int64(index + 1)))", logger: self.logger)
            }
        }
    }

    // MARK: - Administration

    public func addSite(_ id: String, region: String?) async throws {
        try await transaction { conn in
            let rows = try await conn.query("INSERT INTO site (id, region) VALUES (\(id), \(region)) ON CONFLICT DO NOTHING RETURNING id", logger: self.logger).collect()
            guard !rows.isEmpty else { throw HubFailure(.conflict, "site \(id) exists") }
        }
    }

    public func addBox(_ id: String, site: String) async throws -> String {
        let token = HubIngest.randomSecret()
        try await transaction { conn in
            guard try await self.exists(conn, "SELECT 1 FROM site WHERE id = \(site)") else {
                throw HubFailure(.notFound, "no site \(site): create it with `stationhub site add \(site)`")
            }
            try await conn.query("INSERT INTO box (id, site_id) VALUES (\(id), \(site)) ON CONFLICT (id) DO NOTHING", logger: self.logger)
            guard try await self.exists(conn, "SELECT 1 FROM box WHERE id = \(id) AND site_id = \(site)") else {
                throw HubFailure(.conflict, "box \(id) belongs to another site")
            }
            try await conn.query("INSERT INTO enrollment_token (token_hash, box_id) VALUES (\(HubIngest.hash(token)), \(id))", logger: self.logger)
        }
        return token
    }

    public func revoke(_ id: String, reason: String) async throws {
        try await transaction { conn in
            guard try await self.exists(conn, "UPDATE box SET revoked_reason = \(reason) WHERE id = \(id) RETURNING id") else {
                throw HubFailure(.notFound, "no box \(id)")
            }
        }
    }

    public func enroll(token: String) async throws -> EnrollResponse {
        let credential = HubIngest.randomSecret()
        let tokenHash = HubIngest.hash(token)
        return try await transaction { conn in
            // Claimed by one UPDATE: two instances given the same token cannot both win.
            var box: String?
            for try await b in try await conn.query(
                "UPDATE enrollment_token SET used = 1 WHERE token_hash = \(tokenHash) AND used = 0 RETURNING box_id", logger: self.logger
            ).decode(String.self) { box = b }
            guard let box else {
                if try await self.exists(conn, "SELECT 1 FROM enrollment_token WHERE token_hash = \(tokenHash)") {
                    throw HubFailure(.unauthorized, "this enrollment token was used already; issue a new one")
                }
                throw HubFailure(.unauthorized, "unknown enrollment token")
            }
            var site = ""
            for try await s in try await conn.query(
                "UPDATE box SET credential_hash = \(HubIngest.hash(credential)), revoked_reason = NULL WHERE id = \(box) RETURNING site_id", logger: self.logger
            ).decode(String.self) { site = s }
            return EnrollResponse(boxID: box, siteID: site, credential: credential)
        }
    }

    public func authenticate(_ credential: String) async throws -> (box: String, site: String) {
        let hash = HubIngest.hash(credential)
        let found = try await single { conn in
            var found: (String, String, String?)?
            for try await row in try await conn.query("SELECT id, site_id, revoked_reason FROM box WHERE credential_hash = \(hash)", logger: self.logger)
                .decode((String, String, String?).self)
            { found = row }
            return found.map { [$0.0, $0.1, $0.2] }
        }
        guard let found else { throw HubFailure(.unauthorized, "unknown box credential") }
        if let reason = found[2] { throw HubFailure(.forbidden, "this box is revoked: \(reason)") }
        if let now = lastSeen.due(found[0]!) {
            _ = try await single { conn in
                try await conn.query(
                    "UPDATE box SET last_seen_ms = \(now) WHERE id = \(found[0]!) AND (last_seen_ms IS NULL OR last_seen_ms < \(now))", logger: self.logger)
            }
        }
        return (found[0]!, found[1]!)
    }

    public func boxCredential(_ box: String) async throws -> (site: String, credentialHash: String, revoked: String?) {
        let found = try await single { conn in
            var found: [String?]?
            for try await row in try await conn.query("SELECT site_id, credential_hash, revoked_reason FROM box WHERE id = \(box)", logger: self.logger)
                .decode((String, String?, String?).self)
            { found = [row.0, row.1, row.2] }
            return found
        }
        guard let found, let hash = found[1] else { throw HubFailure(.notFound, "no enrolled box \(box)") }
        return (found[0]!, hash, found[2])
    }

    func exists(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> Bool {
        try await !conn.query(query, logger: logger).collect().isEmpty
    }

    func count(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> Int64 {
        var n: Int64 = 0
        for try await v in try await conn.query(query, logger: logger).decode(Int64.self) { n = v }
        return n
    }

    static func statement(_ query: Reports.Query) -> PostgresQuery {
        var binds = PostgresBindings()
        for v in query.arguments {
            switch v {
            case .int(let i): binds.append(i)
            case .real(let d): binds.append(d)
            case .text(let s): binds.append(s)
            case .null: binds.appendNull()
            }
        }
        return PostgresQuery(unsafeSQL: query.sql, binds: binds)
    }

    public func execute(_ statements: [Reports.Query]) async throws -> [Int] {
        try await transaction { conn in
            try await conn.query("SELECT pg_advisory_xact_lock(\(Self.ledgerLock))", logger: self.logger)
            var counts: [Int] = []
            for q in statements { counts.append(try await conn.query(Self.statement(q), logger: self.logger).collect().count) }
            return counts
        }
    }

    public func table(_ query: Reports.Query) async throws -> Reports.Table {
        let statement = Self.statement(query)
        let rows = try await single { conn in
            var rows: [[Reports.Value]] = []
            for try await row in try await conn.query(statement, logger: self.logger) {
                rows.append(
                    try row.map { cell -> Reports.Value in
                        guard cell.bytes != nil else { return .null }
                        switch cell.dataType {
                        case .int2, .int4, .int8: return .int(try cell.decode(Int64.self))
                        case .float4, .float8: return .real(try cell.decode(Double.self))
                        default: return .text(try cell.decode(String.self))
                        }
                    })
            }
            return rows
        }
        return Reports.Table(columns: query.columns, rows: rows)
    }
}
