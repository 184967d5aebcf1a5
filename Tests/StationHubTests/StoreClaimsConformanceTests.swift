import Crypto
import Foundation
import StationCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// What a box may claim, enforced by the store on both engines (``BoxClaims``): a box
/// that names a worker's pseudonym, shows a whole number (in the mask or in place of its
/// hash), refers forward or sends a seq
/// or epoch out of range gets nothing of it stored, and every other event still applies.
final class StoreClaimsConformanceTests: XCTestCase {
    func testABoxCannotPutLoansOnAMemberOrBreakTheProtocol() async throws {
        let (hub, box) = try StoreSchemaTests.keys()
        let worker = RawCredential(kind: .memberCard, secret: "M0001")
        let victim = hub.pseudonym(RawCredential(kind: .memberCard, secret: "M0002"))
        var identities = TestIdentities(seed: UInt64.random(in: 0...UInt64.max))
        let identity = identities.valid()
        let log = try await Engines.agree("claims") { _, store in
            try await Events.union(store)
            func checkout(_ seq: Int64) -> JournalEvent {
                Events.event("box-a", seq, site: "shelf-a", .checkout, at: seq, item: "label:C\(seq)", due: "2026-11-20")
            }
            var events = (1...6).map(checkout)
            let sealed = WorkerRef(try CredentialProtector.protect(worker, keys: box))
            // 1: sealed and honest. 2: a pseudonym named beside a sealed number; 3: a
            // pseudonym alone (with keys and without); 4: the whole number in the mask;
            // 5: a return of a loan that comes later; 6: honest, unsealed.
            events[0].draft.worker = sealed
            events[1].draft.worker = sealed
            events[1].draft.worker?.pseudonym = victim
            events[2].draft.worker = Events.worker("w3")
            events[2].draft.worker?.pseudonym = victim
            events[3].draft.worker = Events.worker("w4")
            events[3].draft.worker?.masked = "M0002"
            events[5].draft.worker = Events.worker("w1")
            events[4] = Events.event("box-a", 5, site: "shelf-a", .return, at: 5, item: "label:C1", refersTo: 8)
            var log = [Events.summary(try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming(events), keys: hub))]
            var pseudonymOnly = Events.event("box-b", 1, site: "shelf-b", .checkout, at: 1, item: "label:D1", who: "w9", due: "2026-11-20")
            pseudonymOnly.draft.worker?.pseudonym = victim
            // 2: a number where the box's hash belongs; 3: a hash of the wrong shape.
            var numbered = Events.event("box-b", 2, site: "shelf-b", .checkout, at: 2, item: "label:D2", who: "w9", due: "2026-11-20")
            numbered.draft.worker?.localHash = "v1:" + identity
            var shapeless = Events.event("box-b", 3, site: "shelf-b", .checkout, at: 3, item: "label:D3", who: "w9", due: "2026-11-20")
            shapeless.draft.worker?.localHash = Events.hash("w9").uppercased()
            log.append(
                Events.summary(try await store.ingest(box: "box-b", site: "shelf-b", events: Events.incoming([pseudonymOnly, numbered, shapeless]), keys: nil)))
            // Out of the protocol's range: the batch is refused whole, the good event with it.
            for (seq, epoch) in [(Int64(0), 0), (-5, 0), (7, -3)] {
                let bad = Events.event("box-a", seq, site: "shelf-a", .return, at: 7, item: "label:C7", epoch: epoch)
                log.append(await StoreConformanceTests.attempt("seq \(seq) epoch \(epoch)") {
                    Events.summary(try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming([checkout(7), bad]), keys: hub))
                })
            }
            log += try await store.dump("SELECT box_id, seq, coalesce(worker_pseudonym, worker_key) FROM event ORDER BY box_id, seq")
            log += try await store.dump("SELECT count(*) FROM event WHERE worker_pseudonym = ? OR body LIKE ?", [.text(victim), .text("%\(victim)%")])
            // The number is kept nowhere, not even in the quarantine (nor the mask that showed one).
            log += try await store.dump(
                "SELECT (SELECT count(*) FROM event WHERE worker_key LIKE ? OR body LIKE ?) + (SELECT count(*) FROM quarantine WHERE body LIKE ? OR body LIKE ?)",
                [.text("%\(identity)%"), .text("%\(identity)%"), .text("%\(identity)%"), .text("%M0002%")])
            log += try await store.report("overdue", Reports.Parameters(limit: 100, nowMillis: Events.base + 60 * 86_400_000)).csv
                .components(separatedBy: "\r\n").filter { !$0.isEmpty }
            return log
        }
        let mine = hub.pseudonym(worker)
        let notAHash = "the worker's box-local hash is not one (v, its key version, a colon and 64 hex digits)"
        XCTAssertEqual(
            log,
            [
                "acked 6 applied 2 dup 0 q [2:seq 2: a worker's pseudonym is the hub's to derive; a box may not send one;"
                    + "3:seq 3: a worker's pseudonym is the hub's to derive; a box may not send one;"
                    + "4:seq 4: the masked number shows more than a mask does;"
                    + "5:seq 5 refers to seq 8, which is not an earlier event of this box] resume - conflict false",
                "acked 3 applied 0 dup 0 q [1:seq 1: a worker's pseudonym is the hub's to derive; a box may not send one;"
                    + "2:seq 2: \(notAHash);3:seq 3: \(notAHash)] resume - conflict false",
                "seq 0 epoch 0: invalid", "seq -5 epoch 0: invalid", "seq 7 epoch -3: invalid",
                "box-a|1|\(mine)", "box-a|6|\(Events.key("box-a", "w1"))",
                "0", "0",
                "item_key,title,site,due_date,borrower", "label:C1,,shelf-a,2026-11-20,\(mine)", "label:C6,,shelf-a,2026-11-20,\(Events.key("box-a", "w1"))",
            ])
    }

    /// Text neither engine can store (a NUL, which PostgreSQL refuses in text) sets its event
    /// aside on both engines alike; the events around it apply.
    func testAnEventHoldingANULIsQuarantinedAndTheRestApply() async throws {
        XCTAssertTrue(HubIngest.holdsEscapedNUL(#"{"a":"x\u0000"}"#))
        XCTAssertTrue(HubIngest.holdsEscapedNUL(#"\u0000"#))
        XCTAssertFalse(HubIngest.holdsEscapedNUL(#"{"a":"\u0001 u0000 \u000"}"#))
        XCTAssertFalse(HubIngest.holdsEscapedNUL(#"\u000"#))
        let log = try await Engines.agree("nul") { _, store in
            try await Events.union(store)
            let events = [
                Events.event("box-a", 1, site: "shelf-a", .checkout, at: 1, item: "label:N1", who: "w1", due: "2026-11-20"),
                Events.event("box-a", 2, site: "shelf-a", .checkout, at: 2, item: "label:N\u{0}2", who: "w1", due: "2026-11-20"),
                Events.event("box-a", 3, site: "shelf-a", .checkout, at: 3, item: "label:N3", who: "w1", due: "2026-11-20"),
            ]
            var log = [Events.summary(try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming(events), keys: nil))]
            log += try await store.dump("SELECT seq, item_key FROM event ORDER BY seq")
            return log
        }
        XCTAssertEqual(log, ["acked 3 applied 2 dup 0 q [2:seq 2 holds a NUL character] resume - conflict false", "1|label:N1", "3|label:N3"])
    }
}
