import Crypto
import Foundation
import StationCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// Erasure, quarantine release and late pseudonyms, on both engines: what an operator does
/// to one person's records, and what the hub does once its keys are in place.
final class StorePrivacyConformanceTests: XCTestCase {
    /// A sealed check-out of `secret` at `box`.
    static func loan(_ box: String, _ seq: Int64, site: String, item: String, _ secret: String, keys: CredentialKeys) throws -> JournalEvent {
        var e = Events.event(box, seq, site: site, .checkout, at: seq, item: item, due: "2026-11-20")
        e.draft.worker = WorkerRef(try CredentialProtector.protect(RawCredential(kind: .memberCard, secret: secret), keys: keys))
        return e
    }

    func testErasureNamesAPersonOnlyAsAPseudonymAndTellsEachBoxWhatToForget() async throws {
        let (hub, box) = try StoreSchemaTests.keys()
        let worker = hub.pseudonym(RawCredential(kind: .memberCard, secret: "M0001"))
        var identities = TestIdentities(seed: UInt64.random(in: 0...UInt64.max))
        let identity = identities.valid()
        let log = try await Engines.agree("erase") { _, store in
            try await Events.union(store)
            var log: [String] = []
            _ = try await store.importMembers([.init(cardUID: "04A1", member: worker), .init(cardUID: "04B2", member: "p1:" + String(repeating: "b", count: 32))])
            _ = try await store.ingest(box: "box-a", site: "shelf-a", events: [IncomingEvent(try Self.loan("box-a", 1, site: "shelf-a", item: "label:E1", "M0001", keys: box))], keys: hub)
            _ = try await store.ingest(
                box: "box-b", site: "shelf-b",
                events: [IncomingEvent(try Self.loan("box-b", 1, site: "shelf-b", item: "label:E2", "M0002", keys: box)), IncomingEvent(try Self.loan("box-b", 2, site: "shelf-b", item: "label:E3", "M0001", keys: box))],
                keys: hub)
            let summary = try await store.workerSummary(worker)
            log.append("summary \(summary.events) \(summary.openLoans) \(summary.boxes)")
            // What names no one, or a number typed where a pseudonym belongs, is refused.
            for typed in [identity, "330802", "p1:" + String(repeating: "0", count: 32), "erased:abc", "box-a/v1:zz"] {
                log.append(await StoreConformanceTests.attempt("erase \(typed.count)") { _ = try await store.erase(worker: typed, reference: "R", operator: "o"); return "ok" })
            }
            log += try await store.dump("SELECT count(*) FROM erasure_log")
            let before = try await store.downlink(box: "box-a", site: "shelf-a", since: 0).revision
            let erased = try await store.erase(worker: worker, reference: "REQ-7", operator: "ops-li")
            log.append("erased \(erased.events) \(erased.books) \(erased.visits)")
            log += try await store.dump("SELECT box_id, seq FROM forget ORDER BY box_id, seq")
            log += try await store.members().map { "member \($0.cardUID)" }
            let down = try await store.downlink(box: "box-a", site: "shelf-a", since: before)
            log.append("box-a forgets \(down.forget ?? []) members \(down.members.map { "\($0.cardUID):\($0.removed ?? false)" })")
            // Once box-a asks from there, what it was told is kept no longer; box-b's waits.
            _ = try await store.downlink(box: "box-a", site: "shelf-a", since: down.revision)
            log += try await store.dump("SELECT box_id, seq FROM forget ORDER BY box_id, seq")
            log += try await store.erasureLog().map { "\($0.reference)|\($0.operatorName)|\($0.events)|\($0.books)" }
            // The pseudonym is nowhere: events, ledger, member list, audit, erasure log.
            let p = SQLValue.text("%\(worker)%")
            log += try await store.dump(
                """
                SELECT (SELECT count(*) FROM event WHERE worker_pseudonym LIKE ? OR worker_key LIKE ? OR body LIKE ?)
                     + (SELECT count(*) FROM ledger_book WHERE holder LIKE ?) + (SELECT count(*) FROM member_card WHERE member LIKE ?)
                     + (SELECT count(*) FROM audit WHERE detail LIKE ? OR subject LIKE ?)
                """, [p, p, p, p, p, p, p])
            return log
        }
        XCTAssertEqual(
            log,
            [
                "summary 2 2 [\"box-a\", \"box-b\"]",
                "erase 18: invalid", "erase 6: invalid", "erase 35: notFound", "erase 10: invalid", "erase 11: invalid", "0",
                "erased 2 2 0", "box-a|1", "box-b|2", "member 04B2",
                "box-a forgets [1] members [\"04A1:true\"]",
                "box-b|2", "REQ-7|ops-li|2|2", "0",
            ])
    }

    func testAQuarantinedEventIsAppliedOnceItsCauseIsFixed() async throws {
        let (hub, box) = try StoreSchemaTests.keys()
        // A second credential key the hub's keys do not yet hold.
        let directory = try ProjectPaths.temporaryDirectory("keys-v2")
        let v2 = Curve25519.KeyAgreement.PrivateKey()
        for (version, key) in hub.credentialKeys {
            try key.rawRepresentation.base64EncodedString().write(toFile: directory.appendingPathComponent("credential-key-v\(version).x25519").path, atomically: true, encoding: .utf8)
        }
        try v2.rawRepresentation.base64EncodedString().write(toFile: directory.appendingPathComponent("credential-key-v2.x25519").path, atomically: true, encoding: .utf8)
        for (version, key) in hub.pseudonymKeys {
            try key.withUnsafeBytes { Data($0) }.base64EncodedString().write(toFile: directory.appendingPathComponent("pseudonym-key-v\(version).hmac").path, atomically: true, encoding: .utf8)
        }
        let later = try HubKeys(directory: directory.path)
        var v2Keys = box
        v2Keys.hubKey = v2.publicKey
        v2Keys.hubVersion = 2
        let sealedToV2 = v2Keys
        let worker = hub.pseudonym(RawCredential(kind: .memberCard, secret: "M0009"))
        let log = try await Engines.agree("release") { _, store in
            try await Events.union(store)
            var log: [String] = []
            let events = [
                IncomingEvent(try Self.loan("box-a", 1, site: "shelf-a", item: "label:Q1", "M0009", keys: sealedToV2)),
                .unreadable(seq: 2, body: "7", reason: "not an event this hub understands: an event is a JSON object"),
                IncomingEvent(Events.event("box-a", 3, site: "shelf-a", .return, at: 3, item: "label:Q3")),
            ]
            log.append(Events.summary(try await store.ingest(box: "box-a", site: "shelf-a", events: events, keys: hub)))
            // A copy of seq 3 with other content: a conflict.
            log.append(Events.summary(try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming([Events.event("box-a", 3, site: "shelf-a", .return, at: 3, item: "label:QX")]), keys: hub)))
            let held = try await store.quarantine(box: "box-a").sorted { $0.seq < $1.seq }
            log += held.map { "q \($0.seq) \($0.reason)" }
            let ids = Dictionary(held.map { ($0.seq, $0.id) }, uniquingKeysWith: { a, _ in a })
            // With the old keys it is set aside again; with the new ones it applies.
            log.append(Events.summary((try await store.release(ids[1]!, keys: hub, note: "try", by: .process), false)))
            let again = try await store.quarantine(box: "box-a").first { $0.seq == 1 }!
            log.append(Events.summary((try await store.release(again.id, keys: later, note: "key v2 found", by: .process), false)))
            log.append(await StoreConformanceTests.attempt("unreadable") { _ = try await store.release(ids[2]!, keys: later, note: "", by: .process); return "ok" })
            log.append(await StoreConformanceTests.attempt("conflict copy") { _ = try await store.release(ids[3]!, keys: later, note: "", by: .process); return "ok" })
            try await store.discard(ids[2]!, note: "not an event", by: .process)
            log.append(await StoreConformanceTests.attempt("gone") { try await store.discard(ids[2]!, note: "", by: .process); return "ok" })
            log += try await store.dump("SELECT seq, worker_pseudonym FROM event ORDER BY seq")
            log += try await store.dump("SELECT item_key, holder FROM ledger_book ORDER BY item_key")
            log += try await store.quarantine().map { "left \($0.seq)" }
            log += try await store.auditLog().reversed().filter { $0.action.hasPrefix("quarantine.") }.map { "\($0.action)|\($0.subject)|\($0.detail)" }
            return log
        }
        XCTAssertEqual(
            log,
            [
                "acked 3 applied 1 dup 0 q [1:seq 1: the sealed credential cannot be opened: sealed with hub key version 2, which this hub does not hold;2:not an event this hub understands: an event is a JSON object] resume - conflict false",
                "acked 3 applied 0 dup 0 q [3:seq 3 arrived again with different content] resume - conflict true",
                "q 1 seq 1: the sealed credential cannot be opened: sealed with hub key version 2, which this hub does not hold",
                "q 2 not an event this hub understands: an event is a JSON object",
                "q 3 seq 3 arrived again with different content",
                "acked 3 applied 0 dup 0 q [1:seq 1: the sealed credential cannot be opened: sealed with hub key version 2, which this hub does not hold] resume - conflict false",
                "acked 3 applied 1 dup 0 q [] resume - conflict false",
                "unreadable: conflict", "conflict copy: conflict", "gone: notFound",
                "1|\(worker)", "3|-", "label:Q1|\(worker)", "label:Q3|-", "left 3",
                "quarantine.release|box-a#1|try; set aside again: seq 1: the sealed credential cannot be opened: sealed with hub key version 2, which this hub does not hold",
                "quarantine.release|box-a#1|key v2 found", "quarantine.discard|box-a#2|not an event",
            ])
    }

    func testCredentialsAHubWithoutKeysStoredSealedGetTheirPseudonymsLater() async throws {
        let (hub, box) = try StoreSchemaTests.keys()
        let worker = hub.pseudonym(RawCredential(kind: .memberCard, secret: "M0005"))
        let log = try await Engines.agree("pseudonymize") { _, store in
            try await Events.union(store)
            var log: [String] = []
            // Taken by a hub without keys: each box's hash is all it can name the worker by.
            _ = try await store.ingest(box: "box-a", site: "shelf-a", events: [IncomingEvent(try Self.loan("box-a", 1, site: "shelf-a", item: "label:P1", "M0005", keys: box))], keys: nil)
            _ = try await store.ingest(box: "box-b", site: "shelf-b", events: [IncomingEvent(try Self.loan("box-b", 1, site: "shelf-b", item: "label:P2", "M0005", keys: box))], keys: nil)
            log += try await store.dump("SELECT count(DISTINCT worker_key) FROM event")
            let (opened, unopened) = try await store.openSealed(keys: hub, by: .process)
            log.append("opened \(opened) \(unopened)")
            log += try await store.dump("SELECT box_id, worker_pseudonym, worker_key, body LIKE '%\"sealed\"%' FROM event ORDER BY box_id")
            log += try await store.dump("SELECT item_key, holder FROM ledger_book ORDER BY item_key")
            log.append("again \(try await store.openSealed(keys: hub, by: .process))")
            return log
        }
        XCTAssertEqual(
            log,
            [
                "2", "opened 2 0", "box-a|\(worker)|\(worker)|0", "box-b|\(worker)|\(worker)|0", "label:P1|\(worker)", "label:P2|\(worker)", "again (opened: 0, unopened: 0)",
            ])
    }
}
