import Foundation
import StationTesting
import XCTest

extension KioskPageTests {
    /// Requested copies: an arrival put on the hold shelf, another worker refused it, its
    /// own worker told it waits and lent it, and a copy another site asked for trapped to
    /// be sent on. The hub's lists are written into the box's journal as its downlink would
    /// leave them.
    func testTheKioskShowsRequestedCopiesTrappedHeldAndLent() throws {
        let box = try TestBox(label: "kiosk-requests", site: "kind = \"bookshelf\"")
        // A first start makes the journal; then the hub's lists go in.
        let first = try box.run(events: try box.events(named: "warm", scans: [], leadIn: 200))
        _ = try first.pageURL("kiosk page")
        XCTAssertEqual(first.stopChildren(timeout: 20), 0, first.standardError)
        var ids = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        let (requester, other) = (ids.valid(), ids.valid())
        let masked = String(requester.prefix(4)) + String(repeating: "*", count: 10) + String(requester.suffix(4))
        let seed = try ChildProcess(
            [
                "python3", "-c",
                """
                import hashlib, hmac, os, sqlite3, sys
                key = os.urandom(32)
                verifier = 'v1:' + hmac.new(key, ('resident-id:' + sys.stdin.read().strip()).encode(), hashlib.sha256).hexdigest()
                c = sqlite3.connect(sys.argv[1])
                c.execute("INSERT INTO transfer_order (request, kind, item_key, destination, masked, hold_key, verifier, member, hold_days, until_ms, since_ms) VALUES ('r1', 'hold', 'label:LIB-000001', NULL, ?, ?, ?, NULL, 7, NULL, 0)", (sys.argv[2], key.hex(), verifier))
                c.execute("INSERT INTO transfer_order (request, kind, item_key, destination, masked, hold_key, verifier, member, hold_days, until_ms, since_ms) VALUES ('r2', 'pull', 'label:LIB-000002', 'shelf-b', NULL, NULL, NULL, NULL, NULL, NULL, 0)")
                c.commit()
                """, box.journalPath, masked,
            ], input: Data(requester.utf8))
        XCTAssertEqual(seed.wait(timeout: 20), 0, seed.standardError)

        let scans = ["LIB-000001", other, "LIB-000001", requester, "LIB-000001", "LIB-000002"]
        let child = try box.run(events: try box.events(named: "requests", scans: scans, gapMillis: 3500, leadIn: 14000))
        defer { _ = child.stopChildren(timeout: 20) }
        let url = try child.pageURL("kiosk page")
        let out = Self.screenshots + "/requests"
        try? FileManager.default.removeItem(atPath: out)
        let states = ["idle", "transfer-in", "session-opened", "hold-refused", "session-opened", "hold-ready", "transfer-out"]
        let shots = try drive(url: url, out: out, expect: states, english: true)
        XCTAssertEqual(shots.map(\.state), states + ["transfer-out-en"], child.standardError)
        guard shots.count == 8 else { return }
        XCTAssertTrue(shots[1].text.contains("预约图书已到") && shots[1].text.contains("为 \(masked) 预留，请放到预约架"), shots[1].text)
        XCTAssertTrue(shots[3].text.contains("此书已被预约") && shots[3].text.contains("此书为 \(masked) 预留"), shots[3].text)
        XCTAssertTrue(shots[4].text.contains("您预约的 1 本书已到，请到预约架取书"), shots[4].text)
        XCTAssertTrue(shots[5].text.contains("预约借书成功") && shots[5].text.contains("LIB-000001"), shots[5].text)
        XCTAssertTrue(shots[6].text.contains("请转寄至 shelf-b 站"), shots[6].text)
        XCTAssertTrue(shots[7].text.contains("Please send this book on") && shots[7].text.contains("requested at shelf-b"), shots[7].text)
        XCTAssertFalse(shots.contains { $0.text.contains(requester) || $0.text.contains(other) }, "an identity number reached the screen")
        for shot in shots {
            XCTAssertTrue(shot.sameDocument, "\(shot.state) came by reloading, not over the event stream")
            XCTAssertTrue(shot.fits, "\(shot.state) does not fit 800x480")
        }
    }
}
