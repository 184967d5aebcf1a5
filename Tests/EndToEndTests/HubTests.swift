import Foundation
import StationTesting
import XCTest

/// A real stationhub process on 127.0.0.1: enrollment, idempotent ingest, conflicts,
/// quarantine, gaps and epochs, and every refusal.
final class HubTests: XCTestCase {
    var hub: HubProcess!

    override func setUpWithError() throws {
        hub = try HubProcess(label: "hub")
        try hub.admin(["site", "add", "shelf-a"])
        try hub.admin(["site", "add", "shelf-b"])
        try hub.start()
    }

    override func tearDown() {
        hub.stop()
    }

    func enroll(_ box: String, site: String = "shelf-a") throws -> String {
        let token = try XCTUnwrap(try hub.admin(["box", "add", box, "--site", site]).first)
        let reply = try hub.post("/v1/enroll", body: #"{"token":"\#(token)"}"#)
        XCTAssertEqual(reply.status, 200, reply.text)
        return try XCTUnwrap(reply.body["credential"] as? String)
    }

    func event(_ seq: Int, box: String = "box-1", site: String = "shelf-a", epoch: Int = 0, item: String = "label:LIB-1") -> String {
        #"{"boxID":"\#(box)","seq":\#(seq),"siteID":"\#(site)","epoch":\#(epoch),"time":{"wallMillis":\#(seq),"synchronized":true,"bootID":"b","monotonicMicros":\#(seq)},"draft":{"kind":"return","item":{"key":"\#(item)"},"flags":[]}}"#
    }

    func batch(_ events: [String], box: String = "box-1") -> String { #"{"box_id":"\#(box)","events":[\#(events.joined(separator: ","))]}"# }

    func testEnrollUploadAndReplayAreIdempotent() throws {
        let credential = try enroll("box-1")
        var r = try hub.post("/v1/batches", body: batch((1...5).map { event($0) }), credential: credential)
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.body["acked_through"] as? Int, 5)
        XCTAssertEqual(r.body["applied"] as? Int, 5)
        // The response was lost; the box sends the same batch again.
        r = try hub.post("/v1/batches", body: batch((1...5).map { event($0) }), credential: credential)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.body["applied"] as? Int, 0)
        XCTAssertEqual(r.body["duplicates"] as? Int, 5)
        XCTAssertEqual(r.body["acked_through"] as? Int, 5)
    }

    func testTheSameSeqWithOtherContentIsAConflictAndQuarantined() throws {
        let credential = try enroll("box-1")
        _ = try hub.post("/v1/batches", body: batch([event(1)]), credential: credential)
        let r = try hub.post("/v1/batches", body: batch([event(1, item: "label:OTHER"), event(2), #"{"seq":3,"what":"garbage"}"#]), credential: credential)
        XCTAssertEqual(r.status, 409, r.text)
        let quarantined = try XCTUnwrap(r.body["quarantined"] as? [[String: Any]])
        XCTAssertEqual(quarantined.map { $0["seq"] as? Int }, [1, 3])
        XCTAssertEqual(r.body["applied"] as? Int, 1, "the rest of the batch still applies")
        XCTAssertEqual(r.body["acked_through"] as? Int, 3, "quarantined events are acknowledged: they block nothing")
    }

    func testGapsAreAnsweredWithWhereToResumeUnlessDeclaredByANewEpoch() throws {
        let credential = try enroll("box-1")
        var r = try hub.post("/v1/batches", body: batch([event(1), event(2), event(5)]), credential: credential)
        XCTAssertEqual(r.body["acked_through"] as? Int, 2)
        XCTAssertEqual(r.body["resume_from"] as? Int, 3)
        r = try hub.post("/v1/batches", body: batch([event(3), event(4)]), credential: credential)
        XCTAssertEqual(r.body["acked_through"] as? Int, 5)
        XCTAssertNil(r.body["resume_from"] as? Int)
        // A salvaged journal: the box declares the gap with a new epoch.
        r = try hub.post("/v1/batches", body: batch([event(1001, epoch: 1)]), credential: credential)
        XCTAssertEqual(r.body["acked_through"] as? Int, 1001)
    }

    func testRefusalsChangeNothing() throws {
        let credential = try enroll("box-1")
        let other = try enroll("box-9", site: "shelf-b")
        XCTAssertEqual(try hub.post("/v1/batches", body: batch([event(1)]), credential: "not-a-credential").status, 401)
        XCTAssertEqual(try hub.post("/v1/batches", body: batch([event(1)])).status, 401)
        // A box of site B can never write site A, nor write as another box.
        XCTAssertEqual(try hub.post("/v1/batches", body: batch([event(1, box: "box-9", site: "shelf-a")], box: "box-9"), credential: other).status, 403)
        XCTAssertEqual(try hub.post("/v1/batches", body: batch([event(1)]), credential: other).status, 400, "box_id is not this credential's box")
        XCTAssertEqual(try hub.post("/v1/batches", body: batch([event(1, box: "box-1")], box: "box-9"), credential: other).status, 403)
        // An enrollment token works once.
        let token = try XCTUnwrap(try hub.admin(["box", "add", "box-2", "--site", "shelf-a"]).first)
        XCTAssertEqual(try hub.post("/v1/enroll", body: #"{"token":"\#(token)"}"#).status, 200)
        XCTAssertEqual(try hub.post("/v1/enroll", body: #"{"token":"\#(token)"}"#).status, 401)
        // A revoked box is told why.
        try hub.admin(["box", "revoke", "box-1", "--reason", "stolen from the shelf"])
        let r = try hub.post("/v1/batches", body: batch([event(1)]), credential: credential)
        XCTAssertEqual(r.status, 403)
        XCTAssertTrue((r.body["error"] as? String)?.contains("stolen from the shelf") ?? false, r.text)
        // Too large.
        let big = batch((1...2001).map { event($0, box: "box-9", site: "shelf-b") }, box: "box-9")
        XCTAssertEqual(try hub.post("/v1/batches", body: big, credential: other).status, 413)
        // Nothing above was applied.
        let ok = try hub.post("/v1/batches", body: batch([event(1, box: "box-9", site: "shelf-b")], box: "box-9"), credential: other)
        XCTAssertEqual(ok.body["applied"] as? Int, 1, ok.text)
        XCTAssertEqual(ok.body["acked_through"] as? Int, 1)
    }
}

extension HubTests {
    /// The same events from two boxes, in many batch orders with replays, through the real
    /// HTTP ingest: identical ledger rows.
    func testTheLedgerIsTheSameWhateverOrderBatchesArriveIn() throws {
        func ev(_ box: String, _ site: String, _ seq: Int, _ at: Int, _ kind: String, item: String? = nil, who: String? = nil) -> String {
            let itemJSON = item.map { #","item":{"key":"\#($0)"}"# } ?? ""
            let workerJSON = who.map { #","worker":{"kind":"member-card","localHash":"v1:\#($0)","masked":"****"}"# } ?? ""
            // box-1's clock ran 1000 ms slow and unsynchronised; a correction says so.
            let (wall, synced, boot) = box == "box-1" ? (at - 1000, false, "u") : (at, true, "b")
            return #"{"boxID":"\#(box)","seq":\#(seq),"siteID":"\#(site)","epoch":0,"time":{"wallMillis":\#(wall),"synchronized":\#(synced),"bootID":"\#(boot)","monotonicMicros":\#(at)},"draft":{"kind":"\#(kind)"\#(itemJSON)\#(workerJSON),"flags":[]}}"#
        }
        let correction = #"{"corrections":[{"boot_id":"u","offset_ms":1000,"source":"ntp","recorded_wall_ms":5000,"mono_us":5000}]}"#
        let box1 = [ev("box-1", "shelf-a", 1, 10, "checkout", item: "label:B1", who: "alice"), ev("box-1", "shelf-a", 2, 30, "return", item: "label:B1"),
                    ev("box-1", "shelf-a", 3, 35, "checkout", item: "label:B2", who: "alice")]
        let box2 = [ev("box-9", "shelf-b", 1, 20, "checkout", item: "label:B1", who: "bob"), ev("box-9", "shelf-b", 2, 45, "return", item: "label:B2"),
                    ev("box-9", "shelf-b", 3, 50, "visit-start", who: "m1"), ev("box-9", "shelf-b", 4, 60, "visit-end", who: "m1")]
        let batches = box1.map { ("box-1", $0) } + box2.map { ("box-9", $0) } + [("box-1", correction)]
        var rng = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        var first: [String]?
        for round in 0..<4 {
            let hub = try HubProcess(label: "order-\(round)")
            try hub.admin(["site", "add", "shelf-a"])
            try hub.admin(["site", "add", "shelf-b"])
            var credentials: [String: String] = [:]
            try hub.start()
            for (box, site) in [("box-1", "shelf-a"), ("box-9", "shelf-b")] {
                let token = try XCTUnwrap(try hub.admin(["box", "add", box, "--site", site]).first)
                credentials[box] = try XCTUnwrap(try hub.post("/v1/enroll", body: #"{"token":"\#(token)"}"#).body["credential"] as? String)
            }
            var order = batches + [batches[rng.number(in: 0...(batches.count - 1))]]  // and a replay
            if round > 0 { for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.number(in: 0...i)) } }
            for (box, event) in order {
                let r =
                    event == correction
                    ? try hub.post("/v1/clock-corrections", body: correction, credential: credentials[box])
                    : try hub.post("/v1/batches", body: #"{"box_id":"\#(box)","events":[\#(event)]}"#, credential: credentials[box])
                XCTAssertEqual(r.status, 200, r.text)
            }
            hub.stop()
            let dump = try hub.query("SELECT item_key, holder, loaned_at_ms, due_date, site_id, flags FROM ledger_book ORDER BY item_key")
                + hub.query("SELECT site_id, box_id, start_seq, end_seq, worker, service, start_ms, end_ms, flags FROM ledger_visit ORDER BY site_id, box_id, start_seq")
            if let first {
                XCTAssertEqual(dump, first, "round \(round) differs")
            } else {
                first = dump
                XCTAssertEqual(dump.count, 3, dump.joined(separator: "\n"))
                guard dump.count == 3 else { return }
                XCTAssertTrue(dump[0].contains("|shelf-a|") && dump[0].contains("implied-return"), dump[0])
                // Only at its corrected time (30) does box-1's return come after bob's
                // check-out (20) and end it; at its recorded time (-970) it would not.
                XCTAssertTrue(dump[0].hasPrefix("label:B1|||"), dump[0])
                XCTAssertTrue(dump[1].hasPrefix("label:B2|") && dump[1].contains("drifted"), dump[1])
            }
        }
    }
}

extension HubTests {
    /// A box replaced (stolen, broken): `box add` of the same id issues a new token; the
    /// new box's enrollment makes the old credential worthless; the box's seqs go on.
    func testReplacingABoxRetiresTheOldCredential() throws {
        let old = try enroll("box-1")
        XCTAssertEqual(try hub.post("/v1/batches", body: batch([event(1)]), credential: old).status, 200)
        let replacement = try enroll("box-1")
        XCTAssertNotEqual(old, replacement)
        let refused = try hub.post("/v1/batches", body: batch([event(2)]), credential: old)
        XCTAssertEqual(refused.status, 401, refused.text)
        let ok = try hub.post("/v1/batches", body: batch([event(2)]), credential: replacement)
        XCTAssertEqual(ok.body["acked_through"] as? Int, 2, ok.text)
        // Another site's id cannot be taken over by adding it elsewhere.
        XCTAssertThrowsError(try hub.admin(["box", "add", "box-1", "--site", "shelf-b"]))
    }
}

extension HubTests {
    /// A void cancels its event everywhere: a book whose only check-out was voided is on
    /// no one's loan (the ledger recomputes every book, this one included).
    func testAVoidedCheckOutLeavesTheBookOnNoOnesLoan() throws {
        let credential = try enroll("box-1")
        let checkout = #"{"boxID":"box-1","seq":1,"siteID":"shelf-a","epoch":0,"time":{"wallMillis":1,"synchronized":true,"bootID":"b","monotonicMicros":1},"draft":{"kind":"checkout","item":{"key":"label:V1"},"worker":{"kind":"member-card","localHash":"v1:w","masked":"****"},"dueDate":"2026-12-01","flags":[]}}"#
        let void = #"{"boxID":"box-1","seq":2,"siteID":"shelf-a","epoch":0,"time":{"wallMillis":2,"synchronized":true,"bootID":"b","monotonicMicros":2},"draft":{"kind":"void","refersTo":1,"flags":[]}}"#
        XCTAssertEqual(try hub.post("/v1/batches", body: batch([checkout]), credential: credential).status, 200)
        XCTAssertEqual(try hub.query("SELECT holder FROM ledger_book WHERE item_key = 'label:V1'"), ["box-1/v1:w"])
        XCTAssertEqual(try hub.post("/v1/batches", body: batch([void]), credential: credential).status, 200)
        XCTAssertEqual(try hub.query("SELECT coalesce(holder, '-'), coalesce(due_date, '-') FROM ledger_book WHERE item_key = 'label:V1'"), ["-|-"])
    }

    /// Times and offsets no clock gives are refused or set aside, never crash the hub.
    func testAbsurdTimesAreSetAsideOrRefused() throws {
        let credential = try enroll("box-1")
        let far = #"{"boxID":"box-1","seq":1,"siteID":"shelf-a","epoch":0,"time":{"wallMillis":-9223372036854775000,"synchronized":true,"bootID":"b","monotonicMicros":1},"draft":{"kind":"return","item":{"key":"label:T1"},"flags":[]}}"#
        let r = try hub.post("/v1/batches", body: batch([far]), credential: credential)
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual((r.body["quarantined"] as? [[String: Any]])?.count, 1, r.text)
        let correction = #"{"corrections":[{"boot_id":"b","offset_ms":9223372036854775000,"source":"ntp","recorded_wall_ms":1,"mono_us":1}]}"#
        XCTAssertEqual(try hub.post("/v1/clock-corrections", body: correction, credential: credential).status, 400)
        XCTAssertEqual(try hub.request("GET", "/v1/health").status, 200, "the hub is still up")
    }
}
