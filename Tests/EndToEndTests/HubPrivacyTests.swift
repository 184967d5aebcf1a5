import Crypto
import Foundation
import StationCore
import StationTesting
import XCTest

/// Privacy at the hub: sealed credentials are opened with the hub's key, the union-wide
/// pseudonym derived with a key boxes never hold, and the number discarded.
final class HubPrivacyTests: XCTestCase {
    func testSealedCredentialsBecomeTheSamePseudonymAndTheNumberIsDiscarded() throws {
        let hub = try HubProcess(label: "hub-privacy")
        let keysDir = hub.directory.appendingPathComponent("keys").path
        let keygen = try ChildProcess([ProjectPaths.executable("stationhub"), "keygen", "--dir", keysDir])
        XCTAssertEqual(keygen.wait(timeout: 30), 0, keygen.standardError)
        let publicKeyText = try XCTUnwrap(keygen.lines.first { $0.hasPrefix("public_key") }?.split(separator: "\"").dropFirst().first)
        let hubKey = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: try XCTUnwrap(Data(base64Encoded: String(publicKeyText))))
        try hub.admin(["site", "add", "shelf-a"])
        var credentials: [String: String] = [:]
        for box in ["box-1", "box-2"] {
            let token = try XCTUnwrap(try hub.admin(["box", "add", box, "--site", "shelf-a"]).first)
            try hub.start(arguments: ["--keys", keysDir])
            credentials[box] = try XCTUnwrap(try hub.post("/v1/enroll", body: #"{"token":"\#(token)"}"#).body["credential"] as? String)
            hub.stop()
        }
        try hub.start(arguments: ["--keys", keysDir])

        let seed = UInt64.random(in: 0..<(1 << 32))
        var gen = TestIdentities(seed: seed)
        let id = gen.valid()
        // The same worker at two boxes, each with its own local key: different local hashes.
        func event(box: String, seq: Int64, hubVersion: Int = 1) throws -> String {
            let keys = CredentialKeys(localKey: SymmetricKey(size: .bits256), localVersion: 1, hubKey: hubKey, hubVersion: hubVersion)
            let worker = WorkerRef(try CredentialProtector.protect(RawCredential(kind: .residentID, secret: id), keys: keys))
            let e = JournalEvent(
                boxID: box, seq: seq, siteID: "shelf-a", epoch: 0, time: EventTime(wallMillis: seq, synchronized: true, bootID: "b", monotonicMicros: seq),
                draft: EventDraft(kind: .visitStart, worker: worker, service: "rest"))
            return #"{"box_id":"\#(box)","events":[\#(String(decoding: try JSONEncoder().encode(e), as: UTF8.self))]}"#
        }
        XCTAssertEqual(try hub.post("/v1/batches", body: try event(box: "box-1", seq: 1), credential: credentials["box-1"]).body["applied"] as? Int, 1)
        XCTAssertEqual(try hub.post("/v1/batches", body: try event(box: "box-2", seq: 1), credential: credentials["box-2"]).body["applied"] as? Int, 1)
        // Sealed to a key version the hub does not hold: quarantined, not stored.
        let unknown = try hub.post("/v1/batches", body: try event(box: "box-1", seq: 2, hubVersion: 7), credential: credentials["box-1"])
        XCTAssertEqual(unknown.status, 200, unknown.text)
        XCTAssertTrue((unknown.body["quarantined"] as? [[String: Any]])?.first?["reason"].map { "\($0)" }?.contains("cannot be opened") ?? false, unknown.text)
        hub.stop()

        let rows = try hub.query("SELECT worker_pseudonym, body FROM event ORDER BY box_id").map { $0.split(separator: "|", maxSplits: 1).map(String.init) }
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(rows.first?.first, rows.last?.first, "one worker, one union-wide pseudonym across boxes")
        XCTAssertTrue(rows.first?.first?.hasPrefix("p1:") ?? false, "\(rows)")
        XCTAssertFalse(rows.first?.last?.contains("sealed") ?? true, "the sealed number is not kept: \(rows)")
        let text = String(decoding: try hub.rawContents(), as: UTF8.self)
        XCTAssertFalse(text.isEmpty)
        XCTAssertFalse(text.contains(id) || text.contains(String(id.dropFirst(2).prefix(14))), "the hub's database holds the number (seed \(seed))")
    }
}
