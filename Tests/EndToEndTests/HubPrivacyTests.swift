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

        let q = try ChildProcess(["python3", "-c", "import sqlite3,sys\nfor r in sqlite3.connect(sys.argv[1]).execute('SELECT worker_pseudonym, body FROM event ORDER BY box_id'): print(r[0]); print(r[1])", hub.database])
        XCTAssertEqual(q.wait(timeout: 20), 0, q.standardError)
        XCTAssertEqual(q.lines.count, 4)
        XCTAssertEqual(q.lines[0], q.lines[2], "one worker, one union-wide pseudonym across boxes")
        XCTAssertTrue(q.lines[0].hasPrefix("p1:"), q.lines[0])
        XCTAssertFalse(q.lines[1].contains("sealed"), "the sealed number is not kept: \(q.lines[1])")
        for name in try FileManager.default.contentsOfDirectory(atPath: hub.directory.path) where name.hasPrefix("hub.sqlite") {
            let text = String(decoding: try Data(contentsOf: hub.directory.appendingPathComponent(name)), as: UTF8.self)
            XCTAssertFalse(text.contains(id) || text.contains(String(id.dropFirst(2).prefix(14))), "\(name) holds the number (seed \(seed))")
        }
    }
}
