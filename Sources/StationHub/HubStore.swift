import Crypto
import Foundation
import StationCore
import StationProtocol

/// The hub's storage, one interface over two engines: SQLite (``SQLiteHubStore``, the
/// embedded default, one process) and PostgreSQL (``PostgresHubStore``, any number of hub
/// instances on one database). ``HubDatabase/open(_:)`` chooses by the `--database` URL.
/// Both keep the same tables and give the same answers; what they share as values
/// (ownership checks, credential opening, the high-water mark, the ledger) is in
/// ``HubIngest`` and ``Ledger``.
public protocol HubStore: Sendable {
    // Administration
    /// A site, in a region (reports rank titles per region).
    func addSite(_ id: String, region: String?) async throws
    /// Creates a box of `site` (or reissues its token) and returns a one-time enrollment token.
    func addBox(_ id: String, site: String) async throws -> String
    /// Revokes a box: it keeps recording locally; the hub refuses its uploads with `reason`.
    func revoke(_ id: String, reason: String) async throws

    // Boxes
    /// Trades a one-time token for the box's credential. A new enrollment of the same box
    /// (a replaced box) makes the old credential invalid.
    func enroll(token: String) async throws -> EnrollResponse
    /// The box a bearer credential belongs to.
    func authenticate(_ credential: String) async throws -> (box: String, site: String)
    /// Applies a batch in one transaction: idempotent on (box, seq); the same seq with
    /// other content is quarantined (a conflict), as is anything unreadable; a batch naming
    /// another box or site is refused whole. Answers the high-water mark durably applied.
    /// With `keys`, a worker's sealed credential is opened, the pseudonym derived and the
    /// sealed number left out of what is stored; an unopenable one is quarantined.
    func ingest(box: String, site: String, events: [HubIncoming], keys: HubKeys?) async throws -> (BatchResult, conflict: Bool)
    /// A box's site, credential hash and revocation, for offline bundles.
    func boxCredential(_ box: String) async throws -> (site: String, credentialHash: String, revoked: String?)
    /// Stores a box's clock corrections (each once) and re-times that boot's unsynchronised
    /// events; the ledger rows they touch are recomputed in the same transaction.
    func addClockCorrections(box: String, _ corrections: [ClockCorrection]) async throws -> Int
    /// Keeps a box's warnings and errors for the site manager's central view, each line once.
    func addDeviceLog(box: String, _ lines: [DeviceLogLine]) async throws -> Int
    /// A box's device-log lines the hub holds, oldest first.
    func deviceLog(box: String) async throws -> [DeviceLogLine]

    // Downlink
    /// Titles and their home sites, inserted or updated; only rows that change take a revision.
    func importCatalog(_ titles: [Downlink.Title]) async throws -> Int
    /// Card UIDs of members, by the member's pseudonym.
    func importMembers(_ members: [Downlink.Member]) async throws -> Int
    func setSiteSetting(site: String, key: String, value: String) async throws
    /// Publishes the public halves of the hub's keys: a new version takes a revision.
    func publishKeys(purpose: String, _ keys: [Int: String]) async throws
    /// What changed for `site` after revision `since`, at most `limit` rows, oldest first.
    func downlink(site: String, since: Int64, limit: Int) async throws -> Downlink

    /// The engine's SQL differences, for reports.
    var dialect: Reports.Dialect { get }
    /// Runs a report's SQL in one read snapshot.
    func table(_ query: Reports.Query) async throws -> Reports.Table
    /// Runs statements in one transaction, the whole ledger held meanwhile (no batch
    /// recomputes a ledger row between them); answers how many rows each returned.
    func execute(_ statements: [Reports.Query]) async throws -> [Int]
    /// Ends the engine's connections.
    func close() async
}

/// A refusal from the store, with the kind the API maps to a status.
public struct HubFailure: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case unauthorized, forbidden, notFound, conflict, invalid, unavailable }
    public var kind: Kind
    public var description: String
    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

/// One event as uploaded: decoded, or the reason it could not be.
public enum HubIncoming: Sendable {
    case event(JournalEvent, canonical: String)
    case unreadable(seq: Int64?, body: String, reason: String)
}

extension HubStore {
    /// A report by name (``Reports/all``), computed in SQL by the engine.
    public func report(_ name: String, _ parameters: Reports.Parameters) async throws -> Reports.Table {
        let query: Reports.Query
        do { query = try Reports.query(name, parameters, dialect: dialect) } catch let f as Reports.Failure { throw HubFailure(.invalid, f.description) }
        var table = try await self.table(query)
        query.finish(&table.rows)
        return table
    }

    /// `stationhub retention set KEY DAYS` (``Retention/Key``).
    public func setRetention(_ key: String, days: Int) async throws {
        do { _ = try Retention.Key(key) } catch { throw HubFailure(.invalid, "\(error)") }
        guard (0...36_500).contains(days) else { throw HubFailure(.invalid, "\(days) days: 0 to 36500") }
        _ = try await execute([
            Retention.q(
                "INSERT INTO retention (key, days) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET days = excluded.days", [.text(key), .int(Int64(days))], dialect)
        ])
    }

    public func retentionPeriods() async throws -> [(key: String, days: Int)] {
        try await table(Reports.Query(sql: "SELECT key, days FROM retention ORDER BY key", arguments: [], columns: ["key", "days"])).rows.compactMap {
            guard case .text(let key) = $0[0], case .int(let days) = $0[1] else { return nil }
            return (key, Int(days))
        }
    }

    /// De-identifies (or, for quarantine, deletes) what has outlived its retention period
    /// at `nowMillis`; answers how many records each period changed.
    public func applyRetention(nowMillis: Int64) async throws -> [(key: String, changed: Int)] {
        var out: [(String, Int)] = []
        let run = String(UUID().uuidString.prefix(8)).lowercased()
        for (index, (key, days)) in try await retentionPeriods().enumerated() {
            guard let parsed = try? Retention.Key(key) else { continue }
            // Tags of one key and run (`expired:RUN-K:N`) never meet another key's.
            let cutoff = Retention.cutoff(periodEndingAt: nowMillis - Int64(days) * 86_400_000)
            let plan = Retention.expire(parsed, cutoff: cutoff, run: "\(run)-\(index)", dialect: dialect)
            out.append((key, try await execute(plan.statements)[plan.changed]))
        }
        return out
    }

    /// `stationhub erase WORKER`: every record of one worker de-identified, logged.
    public func erase(worker: String, reference: String, operator name: String) async throws -> (events: Int, books: Int, visits: Int) {
        guard !worker.hasPrefix("expired:"), !worker.hasPrefix("erased:") else { throw HubFailure(.invalid, "\(worker) names no one already") }
        let tag = "erased:" + String(HubIngest.randomSecret().prefix(16))
        let counts = try await execute(
            Retention.erase(worker: worker, tag: tag, reference: reference, operator: name, atMillis: HubIngest.nowMillis(), dialect: dialect))
        return (counts[0], counts[1], counts[2])
    }

    public func downlink(site: String, since: Int64) async throws -> Downlink {
        try await downlink(site: site, since: since, limit: 5000)
    }

    /// `stationhub import FILE`: a bundle from a site without a network, verified against
    /// the box's credential, applied like an upload; answers the signed acknowledgement.
    public func importBundle(_ bundle: SyncBundle, keys: HubKeys?) async throws -> (BatchResult, BundleAcknowledgement) {
        let (site, hash, revoked) = try await boxCredential(bundle.boxID)
        if let revoked { throw HubFailure(.forbidden, "this box is revoked: \(revoked)") }
        guard bundle.verify(credentialHash: hash) else {
            throw HubFailure(.unauthorized, "the bundle's signature does not match box \(bundle.boxID)'s credential")
        }
        let incoming = bundle.events.map { e -> HubIncoming in .event(e, canonical: String(decoding: (try? HubIngest.encoder.encode(e)) ?? Data(), as: UTF8.self)) }
        let (result, _) = try await ingest(box: bundle.boxID, site: site, events: incoming, keys: keys)
        return (result, BundleAcknowledgement(boxID: bundle.boxID, ackedThrough: result.ackedThrough, credentialHash: hash))
    }
}

/// Opens the store a `--database` value names: `postgres://` or `postgresql://` URLs are
/// PostgreSQL; anything else (a path, or `sqlite:PATH`) is a SQLite file.
public enum HubDatabase {
    /// `waitSeconds`: PostgreSQL, how long a request waits for a connection before it is
    /// answered 503 (under load they queue; a database that is gone must not hold boxes).
    public static func open(_ database: String, waitSeconds: Int = 30) async throws -> any HubStore {
        if database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") {
            return try await PostgresHubStore(url: database, leaseSeconds: waitSeconds)
        }
        let path = database.hasPrefix("sqlite:") ? String(database.dropFirst("sqlite:".count)) : database
        return try SQLiteHubStore(path: path)
    }

    /// The `--database` value for messages: a PostgreSQL password is left out.
    public static func describe(_ database: String) -> String {
        PostgresHubStore.redacted(database)
    }
}
