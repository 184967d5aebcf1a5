import Crypto
import Foundation
import StationCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// Sealed credentials opened at ingest, and the schema's history: legacy databases
/// adopted, a newer schema refused, migrations applied once.
final class StoreSchemaTests: XCTestCase {
    /// A hub key directory of version 1, and the keys a box seals with.
    static func keys() throws -> (HubKeys, CredentialKeys) {
        let dir = try ProjectPaths.temporaryDirectory("hub-keys")
        let credential = Curve25519.KeyAgreement.PrivateKey()
        try credential.rawRepresentation.base64EncodedString().write(toFile: dir.appendingPathComponent("credential-key-v1.x25519").path, atomically: true, encoding: .utf8)
        try SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
            .write(toFile: dir.appendingPathComponent("pseudonym-key-v1.hmac").path, atomically: true, encoding: .utf8)
        return (try HubKeys(directory: dir.path), CredentialKeys(localKey: SymmetricKey(size: .bits256), localVersion: 1, hubKey: credential.publicKey, hubVersion: 1))
    }

    func testSealedCredentialsBecomePseudonymsAndUnopenableOnesAreQuarantined() async throws {
        let (hub, box) = try Self.keys()
        let identity = RawCredential(kind: .memberCard, secret: "M0001")
        let card = RawCredential(kind: .cardUID, secret: "04A1B2C3")
        let member = hub.pseudonym(RawCredential(kind: .memberCard, secret: "M0002"))
        let log = try await Engines.agree("sealed") { _, store in
            try await Events.union(store)
            _ = try await store.importMembers([.init(cardUID: "04A1B2C3", member: member)])
            var events = [
                Events.event("box-a", 1, site: "shelf-a", .checkout, at: 1, item: "label:S1"),
                Events.event("box-a", 2, site: "shelf-a", .checkout, at: 2, item: "label:S2"),
                Events.event("box-a", 3, site: "shelf-a", .checkout, at: 3, item: "label:S3"),
            ]
            events[0].draft.worker = WorkerRef(try CredentialProtector.protect(identity, keys: box))
            events[1].draft.worker = WorkerRef(try CredentialProtector.protect(card, keys: box))
            var unknownKey = box
            unknownKey.hubVersion = 7
            events[2].draft.worker = WorkerRef(try CredentialProtector.protect(identity, keys: unknownKey))
            var log = [Events.summary(try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming(events), keys: hub))]
            log += try await store.dump("SELECT seq, worker_pseudonym, body LIKE '%sealed%' FROM event ORDER BY seq")
            log += try await store.dump("SELECT holder FROM ledger_book ORDER BY item_key")
            return log
        }
        XCTAssertEqual(
            log,
            [
                "acked 3 applied 2 dup 0 q [3:seq 3: the sealed credential cannot be opened: sealed with hub key version 7, which this hub does not hold] resume - conflict false",
                "1|\(hub.pseudonym(identity))|0", "2|\(member)|0", hub.pseudonym(identity), member,
            ])
    }

    /// Databases from before the schema was one, as the previous release left them
    /// (Tests/Fixtures/hub-legacy): adopted, their rows kept, new batches applied.
    func testLegacyDatabasesAreAdoptedWithTheirRows() async throws {
        let log = try await Engines.each("legacy") { name, _ in
            let url = try await Self.legacyDatabase(name)
            return try await HubDatabase.with(url) { store in
                var log = try await store.dump("SELECT name FROM hub_migration ORDER BY name")
                log += try await store.dump("SELECT seq, due_date, auto_closed FROM event ORDER BY seq")
                let owner = try await store.authenticate("legacy-credential-0001")
                let more = [
                    Events.event("box-l1", 1, site: "shelf-old", .checkout, at: 1, item: "label:OLD-1"),
                    Events.event("box-l1", 4, site: "shelf-old", .return, at: 24 * 60, item: "label:OLD-1"),
                ]
                log.append(Events.summary(try await store.ingest(box: owner.box, site: owner.site, events: Events.incoming(more), keys: nil)))
                log += try await store.ledgerDump()
                log.append(try await store.report("lending", .init(nowMillis: Events.base)).csv)
                return log
            }
        }
        let expected = [
            "1-indexes", "1-tables", "2-fleet", "3-console", "4-report-aggregates", "5-requests", "6-stocktake", "7-moves", "8-ledger-fold", "9-readers", "1|2026-11-29|0", "2|-|0", "3|-|1",
            // seq 1 is held already (with other content here): set aside, not applied again.
            "acked 4 applied 1 dup 0 q [1:seq 1 arrived again with different content] resume - conflict true",
            "label:OLD-1|-|-|-|shelf-old|", "shelf-old|box-l1|2|3|box-l1/v1:m1|rest|1793498400000|1793500200000|auto-closed",
            "site,month,loans,borrowers,returns\r\nshelf-old,2026-11,1,1,1\r\n",
        ]
        XCTAssertEqual(log[.sqlite], expected)
        if Engines.server != nil { XCTAssertEqual(log[.postgres], expected) }
    }

    /// A database written by the previous release's migrations, for `engine`.
    static func legacyDatabase(_ engine: Engines.Name) async throws -> String {
        let script = try String(contentsOfFile: ProjectPaths.file("Tests/Fixtures/hub-legacy/\(engine.rawValue).sql"), encoding: .utf8)
        let statements = script.components(separatedBy: ";\n").map { $0.split(separator: "\n").filter { !$0.hasPrefix("--") }.joined(separator: "\n") }
            .filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        let url: String
        let sqlEngine: any SQLEngine
        if engine == .sqlite {
            url = try ProjectPaths.temporaryDirectory("legacy").appendingPathComponent("hub.sqlite").path
            sqlEngine = try SQLiteEngine(path: url)
        } else {
            url = try await Engines.freshDatabase(try XCTUnwrap(Engines.server), label: "legacy")
            sqlEngine = try PostgresEngine(url: url)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let background = HubDatabase.service(of: sqlEngine) { group.addTask { try await background.run() } }
            defer { group.cancelAll() }
            try await sqlEngine.transaction { s in for sql in statements { try await s.execute(sql) } }
        }
        await sqlEngine.close()
        return url
    }

    /// The hub's PostgreSQL connections compile no statement (`PostgresEngine`: the
    /// reports' cost estimates would have them compiled, which takes longer than running them).
    func testPostgreSQLConnectionsRunWithoutJIT() async throws {
        let answers = try await Engines.each("jit") { engine, store in
            engine == .postgres ? try await store.dump("SHOW jit") : ["off"]
        }
        for (engine, answer) in answers { XCTAssertEqual(answer, ["off"], "\(engine)") }
    }

    func testASchemaFromANewerHubIsRefusedAndMigrationsRunOnce() async throws {
        let log = try await Engines.agree("schema") { _, store in
            try await Schema.migrate(store.engine, creating: false)  // a second time: nothing to do
            var log = try await store.dump("SELECT name FROM hub_migration ORDER BY name")
            try await store.engine.transaction { s in try await s.execute("INSERT INTO hub_migration (name, applied_ms) VALUES ('9-from-the-future', 0)") }
            log.append(await StoreConformanceTests.attempt("newer") { try await Schema.migrate(store.engine, creating: false); return "ok" })
            return log
        }
        XCTAssertEqual(log, ["1-indexes", "1-tables", "2-fleet", "3-console", "4-report-aggregates", "5-requests", "6-stocktake", "7-moves", "8-ledger-fold", "9-readers", "newer: unavailable"])
    }

    /// The ledger and every report leave voided events out with one subquery per row; on
    /// SQLite (no statistics) it must find the void through its index, or each row reads
    /// all of its box's events and ingest grows with the square of the journal.
    func testSQLiteFindsAVoidThroughItsIndexNotAScanOfTheBox() async throws {
        let directory = try ProjectPaths.temporaryDirectory("plan")
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = try await HubDatabase.with(directory.appendingPathComponent("hub.sqlite").path) { store in
            try await Events.union(store)
            return try await store.dump("EXPLAIN QUERY PLAN SELECT e.seq FROM event e WHERE e.item_key = ? AND \(Reports.notVoided())", [.text("label:B1")])
        }
        let subquery = try XCTUnwrap(plan.first { $0.contains("SEARCH v ") }, "\(plan)")
        XCTAssertTrue(subquery.contains("INDEX event_void (kind=? AND box_id=? AND refers_to=?)"), "\(plan)")
    }

    /// also-borrowed over every title reads the check-outs from `event_worker_key` alone
    /// (migration 9): through `event_kind_time` or `event_void` each of 600,000 rows was
    /// looked up in the table.
    func testSQLiteReadsEveryReadersCheckOutsFromOneCoveringIndex() async throws {
        let directory = try ProjectPaths.temporaryDirectory("plan")
        defer { try? FileManager.default.removeItem(at: directory) }
        let query = try Reports.query("also-borrowed", Reports.Parameters(from: "2026-11-01", site: "shelf-a", nowMillis: Events.base), dialect: .sqlite)
        let plan = try await HubDatabase.with(directory.appendingPathComponent("hub.sqlite").path) { store in
            try await Events.union(store)
            return try await store.dump("EXPLAIN QUERY PLAN " + query.statement.text, query.statement.arguments)
        }
        XCTAssertTrue(plan.contains { $0.contains("SEARCH e USING COVERING INDEX event_worker_key") }, "\(plan)")
    }
}
