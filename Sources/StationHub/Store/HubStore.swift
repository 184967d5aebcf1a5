import Foundation
import ServiceLifecycle
import StationCore
import StationProtocol

/// The hub's storage, written once over an ``SQLEngine``: SQLite (``SQLiteEngine``, the
/// embedded default, one process) or PostgreSQL (``PostgresEngine``, any number of hub
/// instances on one database). Administration and enrollment here; ingest, the ledger,
/// the downlink and maintenance in its extensions. What it decides as values (ownership,
/// stored rows, the high-water mark, the ledger, reports, retention) is in ``HubIngest``,
/// ``Ledger``, ``Reports`` and ``Retention``.
public final class HubStore: Sendable {
    public let engine: any SQLEngine
    let opener = CredentialOpener()
    let lastSeen = LastSeen()
    private let schema = SchemaGate()
    /// Whether ``prepare()`` may create a hub in a database that holds none.
    let creating: Bool

    public var dialect: SQLDialect { engine.dialect }

    /// `creating`: `stationhub init` (and tests) may make a new hub; every other command
    /// refuses a database that holds none.
    public init(engine: any SQLEngine, creating: Bool = true) {
        self.engine = engine
        self.creating = creating
    }

    /// Brings the database to this hub's schema (once; later calls return at once).
    public func prepare() async throws {
        try await schema.once { try await Schema.migrate(self.engine, creating: self.creating) }
    }

    public func close() async { await engine.close() }

    // MARK: - Boxes

    /// Trades a one-time token for the box's credential. A new enrollment of the same box
    /// (a replaced box) makes the old credential invalid. The token is claimed by one
    /// UPDATE: two instances given the same token cannot both win.
    public func enroll(token: String) async throws -> EnrollResponse {
        let credential = HubIngest.randomSecret()
        let tokenHash = SQLValue.text(HubIngest.hash(token))
        return try await engine.transaction { s in
            // Unknown and used tokens get one answer: it must not tell which tokens existed.
            guard let box = try await s.value("UPDATE enrollment_token SET used = 1 WHERE token_hash = ? AND used = 0 RETURNING box_id", [tokenHash])?.text else {
                throw HubError(.unauthorized, "this enrollment token is not valid (unknown, or used already): ask the hub's operator for a new one", code: "token-refused")
            }
            let site = try await s.value(
                "UPDATE box SET credential_hash = ?, revoked_reason = NULL, revoked_ms = NULL, enrolled_ms = ? WHERE id = ? RETURNING site_id",
                [.text(HubIngest.hash(credential)), .int(HubIngest.nowMillis()), .text(box)])
            // The hub's public keys come with the credential: a box seals to the hub's own key
            // from its first scan on, whatever its config said.
            let keys = try await s.rows("SELECT purpose, version, material FROM public_key ORDER BY purpose, version").compactMap { r -> Downlink.Key? in
                guard let purpose = r[0].text, let version = r[1].int, let material = r[2].text else { return nil }
                return Downlink.Key(purpose: purpose, version: Int(version), material: material)
            }
            return EnrollResponse(boxID: box, siteID: site?.text ?? "", credential: credential, keys: keys)
        }
    }

    /// The box a bearer credential belongs to; when it was last heard from is written at
    /// most once a minute per box.
    public func authenticate(_ credential: String) async throws -> (box: String, site: String) {
        let rows = try await engine.read(
            SQLStatement("SELECT id, site_id, revoked_reason FROM box WHERE credential_hash = ?", [.text(HubIngest.hash(credential))]))
        guard let row = rows.first, let box = row[0].text, let site = row[1].text else { throw HubError(.unauthorized, "unknown box credential") }
        if let reason = row[2].text { throw HubError(.forbidden, "this box is revoked: \(reason)") }
        if let now = lastSeen.due(box) {
            try await engine.transaction { s in
                try await s.execute(
                    "UPDATE box SET last_seen_ms = ? WHERE id = ? AND (last_seen_ms IS NULL OR last_seen_ms < ?)", [.int(now), .text(box), .int(now)])
            }
        }
        return (box, site)
    }

    /// A box's site, credential hash and revocation, for offline bundles.
    public func boxCredential(_ box: String) async throws -> (site: String, credentialHash: String, revoked: String?) {
        let rows = try await engine.read(SQLStatement("SELECT site_id, credential_hash, revoked_reason FROM box WHERE id = ?", [.text(box)]))
        guard let row = rows.first, let site = row[0].text, let hash = row[1].text else { throw HubError(.notFound, "no enrolled box \(box)") }
        return (site, hash, row[2].text)
    }

    /// `stationhub import FILE`: a bundle from a site without a network, verified against
    /// the box's credential, applied like an upload; answers the signed acknowledgement.
    public func importBundle(_ bundle: SyncBundle, keys: HubKeys?) async throws -> (BatchResult, BundleAcknowledgement) {
        let (site, hash, revoked) = try await boxCredential(bundle.boxID)
        if let revoked { throw HubError(.forbidden, "this box is revoked: \(revoked)") }
        guard bundle.verify(credentialHash: hash) else {
            throw HubError(.unauthorized, "the bundle's signature does not match box \(bundle.boxID)'s credential")
        }
        let incoming = bundle.events.map(IncomingEvent.init)
        let (result, _) = try await ingest(box: bundle.boxID, site: site, events: incoming, keys: keys)
        return (result, BundleAcknowledgement(boxID: bundle.boxID, ackedThrough: result.ackedThrough, credentialHash: hash))
    }
}

/// One event as uploaded: decoded, or the reason it could not be.
/// Opens the store a `--database` value names: `postgres://` or `postgresql://` URLs are
/// PostgreSQL; anything else (a path, or `sqlite:PATH`) is a SQLite file.
public enum HubDatabase {
    /// The engine, not yet running: PostgreSQL's pool runs as ``PostgresEngine/service``.
    /// `waitSeconds`: PostgreSQL, how long a request waits for a connection before it is
    /// answered 503 (under load they queue; a database that is gone must not hold boxes).
    /// Without `creating`, a SQLite file that does not exist is refused before it is made.
    public static func engine(_ database: String, waitSeconds: Int = 30, creating: Bool = true) throws -> any SQLEngine {
        if database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") {
            return try PostgresEngine(url: database, leaseSeconds: waitSeconds)
        }
        let path = database.hasPrefix("sqlite:") ? String(database.dropFirst("sqlite:".count)) : database
        if !creating, !FileManager.default.fileExists(atPath: path) {
            throw HubError(.notFound, "\(path) does not exist: check --database (or STATIONHUB_DATABASE, or [database] url in stationhub.toml), or create a hub there with `stationhub init`", code: "no-hub-database")
        }
        return try SQLiteEngine(path: path)
    }

    /// The engine's own background work, if it has any (PostgreSQL's connection pool).
    public static func service(of engine: any SQLEngine) -> (any Service)? {
        (engine as? PostgresEngine)?.service
    }

    /// Runs `body` with the store open and prepared; the engine's background work runs
    /// beside it and ends with it, and the store is closed after, whatever `body` did.
    public static func with<T: Sendable>(
        _ database: String, waitSeconds: Int = 30, creating: Bool = true, _ body: @escaping @Sendable (HubStore) async throws -> T
    ) async throws -> T {
        let engine = try engine(database, waitSeconds: waitSeconds, creating: creating)
        let store = HubStore(engine: engine, creating: creating)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            if let background = service(of: engine) { group.addTask { try await background.run() } }
            defer { group.cancelAll() }
            do {
                try await store.prepare()
                let value = try await body(store)
                await store.close()
                return value
            } catch {
                await store.close()
                throw error
            }
        }
    }

    /// The `--database` value for messages: a PostgreSQL password is left out.
    public static func describe(_ database: String) -> String {
        PostgresEngine.redacted(database)
    }
}

/// Runs a piece of work once for all callers, however many ask at once; a failure lets
/// the next caller try again.
final class SchemaGate: @unchecked Sendable {
    private let mutex = AsyncMutex()
    private var done = false

    func once(_ work: () async throws -> Void) async throws {
        try await mutex.withLock {
            guard !done else { return }
            try await work()
            done = true
        }
    }
}
