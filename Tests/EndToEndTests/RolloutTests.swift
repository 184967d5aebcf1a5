import Foundation
import StationTesting
import XCTest

/// A union's day one, as its IT person lives it (README, "Rolling out a union"): five
/// hundred boxes from one CSV with their printed cards, boxes that seal to the hub's own
/// key from their first scan, HTTPS trusted the same way enrollment trusted it, a second
/// token refused, a revoked box brought back without a restart, and a key rotation that
/// keeps one worker one worker.
final class RolloutTests: XCTestCase {
    static let hex64 = try! NSRegularExpression(pattern: "[0-9a-f]{64}")

    func stationhub(_ args: [String], _ hub: HubProcess, input: Data? = nil) throws -> ChildProcess {
        let c = try ChildProcess([ProjectPaths.executable("stationhub")] + args + ["--database", hub.database], input: input)
        _ = c.wait(timeout: 120)
        return c
    }

    func stationctl(_ args: [String], input: Data? = nil) throws -> ChildProcess {
        let c = try ChildProcess([ProjectPaths.executable("stationctl")] + args, input: input)
        _ = c.wait(timeout: 60)
        return c
    }

    func testFiveHundredBoxesFromOneCSVWithTheirCardsEnrolledAndListed() throws {
        let hub = try HubProcess(label: "rollout-500")
        try hub.start()
        for i in 1...5 { try hub.admin(["site", "add", String(format: "shelf-%02d", i), "--region", i <= 3 ? "east" : "west", "--kind", "bookshelf"]) }
        let dir = hub.directory
        let csv = "box_id,site\n" + (1...500).map { String(format: "box-%04d,shelf-%02d\n", $0, ($0 - 1) / 100 + 1) }.joined()
        try csv.write(to: dir.appendingPathComponent("boxes.csv"), atomically: true, encoding: .utf8)
        let url = "http://127.0.0.1:\(hub.port)"
        let made = try stationhub(
            ["box", "add-many", dir.appendingPathComponent("boxes.csv").path, "--cards", dir.appendingPathComponent("cards.svg").path, "--url", url,
             "--tokens", dir.appendingPathComponent("tokens.csv").path], hub)
        XCTAssertEqual(made.exitStatus, 0, made.standardError)
        let said = made.lines.joined(separator: "\n") + made.standardError
        XCTAssertEqual(Self.hex64.numberOfMatches(in: said, range: NSRange(said.startIndex..., in: said)), 0, "no token on the terminal: \(said)")
        let sheets = (1...50).map { dir.appendingPathComponent(String(format: "cards-%02d.svg", $0)).path }
        XCTAssertTrue(sheets.allSatisfy { FileManager.default.fileExists(atPath: $0) }, said)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("cards-51.svg").path))
        let tokens = try String(contentsOf: dir.appendingPathComponent("tokens.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
            .reduce(into: [String: String]()) { out, line in
                let f = line.split(separator: ",")
                out[String(f[0])] = String(f[1])
            }
        XCTAssertEqual(tokens.count, 500)

        // The first and the last sheet, printed and read back: ten cards each, each the URL
        // and the token of its box, in order.
        var decoded: [String] = []
        for sheet in [sheets[0], sheets[49]] {
            let png = sheet + ".png"
            XCTAssertEqual(try ChildProcess(["rsvg-convert", "-w", "1240", sheet, "-o", png]).wait(timeout: 60), 0)
            let zbar = try ChildProcess(["zbarimg", "-q", "--raw", png])
            XCTAssertEqual(zbar.wait(timeout: 60), 0, zbar.standardError)
            XCTAssertEqual(zbar.lines.count, 10, zbar.lines.joined(separator: "\n"))
            decoded += zbar.lines
        }
        let expected = Set(([1, 2, 3, 4, 5, 6, 7, 8, 9, 10] + Array(491...500)).map { "station-enroll:\(url)#\(tokens[String(format: "box-%04d", $0)]!)" })
        XCTAssertEqual(Set(decoded), expected)

        // A sample enrolls with the token read off its card; the list says so.
        for n in [1, 250, 500] {
            let box = String(format: "box-%04d", n)
            let token = try XCTUnwrap(decoded.first { $0.hasSuffix(tokens[box] ?? "-") }.map { String($0.split(separator: "#").last!) } ?? tokens[box])
            XCTAssertEqual(try hub.post("/v1/enroll", body: #"{"token":"\#(token)"}"#).status, 200)
        }
        let listed = try stationhub(["box", "list", "--json"], hub)
        XCTAssertEqual(listed.exitStatus, 0, listed.standardError)
        let boxes = listed.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(boxes.count, 500)
        XCTAssertEqual(Set(boxes.filter { $0["state"] as? String == "enrolled" }.compactMap { $0["id"] as? String }), ["box-0001", "box-0250", "box-0500"])
        let west = try stationhub(["box", "list", "--site", "shelf-05"], hub)
        XCTAssertEqual(west.lines.first?.split(separator: " ").first, "box")
        XCTAssertEqual(west.lines.count, 101, "a header and shelf-05's hundred")
        // The same CSV again: refused whole, no token reissued.
        let again = try stationhub(["box", "add-many", dir.appendingPathComponent("boxes.csv").path, "--cards", dir.appendingPathComponent("again.svg").path, "--url", url], hub)
        XCTAssertEqual(again.exitStatus, 1)
        XCTAssertTrue(again.standardError.contains("box box-0001 exists"), again.standardError)
        XCTAssertFalse(again.standardError.contains("Usage:"), "a refusal at run time is no usage error")
        XCTAssertEqual(try hub.query("SELECT count(*) FROM enrollment_token"), ["500"])
    }

    /// A hub with keys from `stationhub keygen`, a site, a box; answers the token.
    func hubWithKeys(_ label: String, keysEvery: Int = 30, tls: (cert: String, key: String)? = nil) throws -> (HubProcess, keys: String, token: String) {
        let hub = try HubProcess(label: label)
        let keys = hub.directory.appendingPathComponent("keys").path
        XCTAssertEqual(try ChildProcess([ProjectPaths.executable("stationhub"), "keygen", "--dir", keys]).wait(timeout: 30), 0)
        try hub.admin(["site", "add", "site-a"])
        let token = try XCTUnwrap(try hub.admin(["box", "add", "box-test-1", "--site", "site-a"]).first)
        try hub.start(arguments: ["--keys", keys, "--keys-every", String(keysEvery)] + (tls.map { ["--tls-cert", $0.cert, "--tls-key", $0.key] } ?? []))
        return (hub, keys, token)
    }

    func testABoxSealsToTheHubsOwnKeyAndAKeyNobodyHoldsIsRefused() throws {
        var identities = TestIdentities(seed: UInt64.random(in: 0...UInt64.max))
        let identity = identities.valid()
        // The example's placeholder key: refused by check-config and at start, with the reason.
        let placeholder = try TestBox(label: "rollout-placeholder")
        let text = try String(contentsOfFile: placeholder.configPath, encoding: .utf8)
            .replacingOccurrences(of: placeholder.hubPrivateKey.publicKey.rawRepresentation.base64EncodedString(), with: "Yz4m0n5sP1u7V3c2b9XqkZLwq6s8f0rT2yU4iO6pA1E=")
        try text.write(toFile: placeholder.configPath, atomically: true, encoding: .utf8)
        let check = try stationctl(["check-config", "--config", placeholder.configPath])
        XCTAssertEqual(check.exitStatus, 1)
        XCTAssertTrue(check.lines.joined().contains("the example's placeholder"), check.lines.joined())
        let start = try ChildProcess([ProjectPaths.executable("stationd"), "run", "--config", placeholder.configPath])
        XCTAssertNotEqual(start.wait(timeout: 20), 0)
        XCTAssertTrue(start.standardError.contains("the example's placeholder"), start.standardError)

        // Not enrolled, no key: a worker's card is refused (nothing recorded), a return is not.
        let unenrolled = try TestBox(label: "rollout-nokey", pinHubKey: false)
        let first = try unenrolled.run(events: try unenrolled.events(named: "nokey", scans: [identity, "LIB-000001"], gapMillis: 200))
        XCTAssertTrue(first.readLines(timeout: 30, count: 2) { $0.contains("\"type\":\"outcome\"") }, first.standardError)
        let outcomes = first.lines.filter { $0.contains("\"type\":\"outcome\"") }
        XCTAssertTrue(outcomes[0].contains("\"outcome\":\"refused\"") && outcomes[0].contains("not enrolled yet"), outcomes[0])
        XCTAssertTrue(outcomes[1].contains("\"outcome\":\"returned\""), outcomes[1])
        XCTAssertFalse(first.lines.joined().contains(identity), "the number is printed nowhere")
        _ = first.terminate()

        // Enrolled, no key in its config: it seals to the key enrollment gave, which the hub opens.
        let (hub, _, token) = try hubWithKeys("rollout-keys")
        let box = try TestBox(label: "rollout-learns", pinHubKey: false)
        let enroll = try stationctl(["enroll", "http://127.0.0.1:\(hub.port)", try box.tokenFile(token), "--state-dir", box.stateDirectory])
        XCTAssertEqual(enroll.exitStatus, 0, enroll.standardError)
        let run = try box.run(events: try box.events(named: "learns", scans: [identity, "LIB-000002"], gapMillis: 200))
        XCTAssertTrue(run.readLines(timeout: 30) { $0.contains("\"outcome\":\"checked-out\"") }, run.lines.joined(separator: "\n") + run.standardError)
        XCTAssertTrue(try waitUntil(30) { (try hub.query("SELECT count(*) FROM event WHERE worker_pseudonym IS NOT NULL")).first == "1" }, "opened at the hub")
        XCTAssertEqual(try hub.query("SELECT count(*) FROM quarantine"), ["0"])
        // The operator finds the same worker from the number (read from standard input only).
        let lookup = try stationhub(["worker", "lookup", "-", "--keys", hub.directory.appendingPathComponent("keys").path], hub, input: Data(identity.utf8))
        XCTAssertEqual(lookup.exitStatus, 0, lookup.standardError)
        let pseudonym = try XCTUnwrap(try hub.query("SELECT worker_pseudonym FROM event WHERE worker_pseudonym IS NOT NULL").first)
        XCTAssertTrue(lookup.lines.first?.hasSuffix(pseudonym) ?? false, lookup.lines.joined(separator: "\n"))
        XCTAssertFalse((lookup.lines.joined() + lookup.standardError).contains(identity), "the number is not echoed")
        let typed = try stationhub(["erase", identity, "--reference", "R-1", "--operator", "ops"], hub)
        XCTAssertEqual(typed.exitStatus, 1)
        XCTAssertFalse(typed.standardError.contains(identity) || typed.lines.joined().contains(identity), typed.standardError)
        _ = run.terminate()

        // A key the config pins that the hub never published: check-config says so, and the box
        // seals to the hub's own key instead (the hub opens it; nothing waits in quarantine).
        let pinned = try TestBox(label: "rollout-pinned")
        let second = try XCTUnwrap(try hub.admin(["box", "add", "box-test-2", "--site", "site-a"]).first)
        try String(contentsOfFile: pinned.configPath, encoding: .utf8).replacingOccurrences(of: "id = \"box-test-1\"", with: "id = \"box-test-2\"")
            .write(toFile: pinned.configPath, atomically: true, encoding: .utf8)
        XCTAssertEqual(try stationctl(["enroll", "http://127.0.0.1:\(hub.port)", try pinned.tokenFile(second), "--state-dir", pinned.stateDirectory]).exitStatus, 0)
        let mismatch = try stationctl(["check-config", "--config", pinned.configPath])
        XCTAssertEqual(mismatch.exitStatus, 1)
        XCTAssertTrue(mismatch.lines.joined().contains("is not the key the hub published"), mismatch.lines.joined())
        let pinnedRun = try pinned.run(events: try pinned.events(named: "pinned", scans: [identity, "LIB-000003"], gapMillis: 200))
        XCTAssertTrue(pinnedRun.readLines(timeout: 30) { $0.contains("\"outcome\":\"checked-out\"") }, pinnedRun.standardError)
        XCTAssertTrue(try waitUntil(30) { (try hub.query("SELECT count(DISTINCT worker_pseudonym), count(*) FROM event WHERE worker_pseudonym IS NOT NULL")).first == "1|2" })
        XCTAssertEqual(try hub.query("SELECT count(*) FROM quarantine"), ["0"])
        _ = pinnedRun.terminate()
    }

    func pending(_ box: TestBox) throws -> Int {
        let c = try stationctl(["pending", "--state-dir", box.stateDirectory, "--json"])
        return ((try? JSONSerialization.jsonObject(with: Data((c.lines.first ?? "").utf8))) as? [String: Any])?["pending"] as? Int ?? -1
    }

    func status(_ box: TestBox) throws -> [String: Any] {
        let c = try stationctl(["status", "--socket", box.adminSocket, "--json"])
        return ((try? JSONSerialization.jsonObject(with: Data((c.lines.first ?? "").utf8))) as? [String: Any]) ?? [:]
    }

    func testHTTPSEnrollmentIsTrustedTheSameWayAfterAndABoxComesBackWithoutARestart() throws {
        let dir = try ProjectPaths.temporaryDirectory("rollout-tls")
        let tls = try TestTLS.certificates(in: dir, ip: "127.0.0.1")
        let (hub, _, token) = try hubWithKeys("rollout-https", tls: (tls.cert, tls.key))
        let url = "https://127.0.0.1:\(hub.port)"
        let box = try TestBox(label: "rollout-https-box", pinHubKey: false)
        // Untrusted: said plainly, with what to do (no TLS library text).
        let untrusted = try stationctl(["enroll", url, try box.tokenFile(token), "--state-dir", box.stateDirectory])
        XCTAssertEqual(untrusted.exitStatus, 1)
        XCTAssertTrue(untrusted.standardError.contains("not trusted by this box") && untrusted.standardError.contains("--ca-file"), untrusted.standardError)
        XCTAssertFalse(untrusted.standardError.contains("BoringSSL") || untrusted.standardError.contains(".cc:"), untrusted.standardError)
        // The token was not spent by the refused attempt: the same one enrolls with the CA.
        XCTAssertEqual(try stationctl(["enroll", url, try box.tokenFile(token), "--state-dir", box.stateDirectory, "--ca-file", tls.ca]).exitStatus, 0)
        // The config names no CA: sync trusts the hub by the CA enrollment was given.
        let labels = (1...4).map { String(format: "LIB-%06d", $0) }
        let run = try box.run(events: try box.events(named: "tls", scans: labels, gapMillis: 100))
        XCTAssertTrue(run.readLines(timeout: 30, count: 4) { $0.contains("\"recorded\":true") }, run.standardError)
        XCTAssertTrue(try waitUntil(40) { try pending(box) == 0 }, "synced over HTTPS without [hub] ca_file: \(run.standardError)")

        // A second token is refused: the box keeps its credential and keeps syncing.
        let other = try XCTUnwrap(try hub.admin(["box", "add", "box-test-9", "--site", "site-a"]).first)
        let second = try stationctl(["enroll", url, try box.tokenFile(other), "--state-dir", box.stateDirectory, "--ca-file", tls.ca, "--socket", box.adminSocket])
        XCTAssertEqual(second.exitStatus, 1)
        XCTAssertTrue(second.standardError.contains("enrolled already"), second.standardError)
        XCTAssertEqual(try hub.query("SELECT used FROM enrollment_token WHERE box_id = 'box-test-9'"), ["0"], "the other box's token is not spent")

        // Revoked: sync stops and status says why. Replaced at the hub and enrolled again
        // with --replace: sync starts over the new link, without a restart.
        try hub.admin(["box", "revoke", "box-test-1", "--reason", "moved to the east shelf"])
        XCTAssertEqual(try stationctl(["sync-now", "--socket", box.adminSocket]).exitStatus, 0)
        XCTAssertTrue(try waitUntil(30) { (try status(box)["last_sync"] as? String ?? "").contains("revoked") }, "\((try? status(box)) ?? [:])")
        let fresh = try XCTUnwrap(try hub.admin(["box", "add", "box-test-1", "--site", "site-a"]).first)
        let replaced = try stationctl(["enroll", url, try box.tokenFile(fresh), "--state-dir", box.stateDirectory, "--ca-file", tls.ca, "--replace", "--socket", box.adminSocket])
        XCTAssertEqual(replaced.exitStatus, 0, replaced.standardError)
        XCTAssertTrue(replaced.lines.joined().contains("stationd is syncing"), replaced.lines.joined())
        XCTAssertTrue(
            try waitUntil(30) {
                let last = try status(box)["last_sync"] as? String ?? "never"
                return !last.hasPrefix("stopped") && !last.hasPrefix("never")
            }, "\((try? status(box)) ?? [:])")
        XCTAssertEqual(try hub.query("SELECT count(*) FROM event WHERE box_id = 'box-test-1'"), ["4"])
        _ = run.terminate()
    }

    func testAKeyRotationKeepsOneWorkerOneWorkerAndAnErasureReachesTheBox() throws {
        var identities = TestIdentities(seed: UInt64.random(in: 0...UInt64.max))
        let identity = identities.valid()
        let (hub, keys, token) = try hubWithKeys("rollout-rotate", keysEvery: 1)
        let box = try TestBox(label: "rollout-rotate-box", pinHubKey: false)
        XCTAssertEqual(try stationctl(["enroll", "http://127.0.0.1:\(hub.port)", try box.tokenFile(token), "--state-dir", box.stateDirectory]).exitStatus, 0)
        // Two loans 10 s apart; the key rotates between them.
        let events = try box.events(named: "rotate", scans: [identity, "LIB-000001", identity, "LIB-000002"], gapMillis: 200) { i in i == 2 ? ["wait 10000"] : [] }
        let run = try box.run(events: events)
        XCTAssertTrue(run.readLines(timeout: 30) { $0.contains("\"outcome\":\"checked-out\"") }, run.standardError)
        XCTAssertTrue(try waitUntil(30) { try pending(box) == 0 })
        let rotate = try ChildProcess([ProjectPaths.executable("stationhub"), "keygen", "--dir", keys, "--version", "2"])
        XCTAssertEqual(rotate.wait(timeout: 30), 0, rotate.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: keys + "/pseudonym-key-v2.hmac"), "the pseudonym key is made once")
        // The running hub takes version 2 and publishes it; the box seals to it after its next sync.
        XCTAssertTrue(try waitUntil(20) { (try hub.query("SELECT max(version) FROM public_key")).first == "2" }, "published without a restart")
        XCTAssertEqual(try stationctl(["sync-now", "--socket", box.adminSocket]).exitStatus, 0)
        XCTAssertTrue(try waitUntil(20) { try status(box)["hub_key_version"] as? Int == 2 }, "\((try? status(box)) ?? [:])")
        XCTAssertTrue(run.readLines(timeout: 40, count: 2) { $0.contains("\"outcome\":\"checked-out\"") }, run.standardError)
        XCTAssertTrue(try waitUntil(30) { (try hub.query("SELECT count(*) FROM event WHERE kind = 'checkout'")).first == "2" })
        XCTAssertEqual(try hub.query("SELECT count(DISTINCT worker_pseudonym) FROM event WHERE kind = 'checkout'"), ["1"], "one worker, one pseudonym")
        XCTAssertEqual(try hub.query("SELECT count(*) FROM quarantine"), ["0"])

        // Erased at the hub: the box deletes its own copies of that worker's events.
        let pseudonym = try XCTUnwrap(try hub.query("SELECT DISTINCT worker_pseudonym FROM event WHERE kind = 'checkout'").first)
        let erased = try stationhub(["erase", pseudonym, "--reference", "REQ-2026-301", "--operator", "ops-li"], hub)
        XCTAssertEqual(erased.exitStatus, 0, erased.standardError)
        let log = try stationhub(["erasure-log"], hub)
        XCTAssertTrue(log.lines.last?.contains("REQ-2026-301") ?? false, log.lines.joined(separator: "\n"))
        XCTAssertFalse(log.lines.joined().contains(pseudonym))
        XCTAssertEqual(try stationctl(["sync-now", "--socket", box.adminSocket]).exitStatus, 0)
        let journal = { () throws -> [String] in
            let c = try ChildProcess(["python3", "-c", "import sqlite3,sys\nprint(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from event where json_extract(body, '$.kind') = 'checkout'\").fetchone()[0])", box.journalPath])
            _ = c.wait(timeout: 20)
            return c.lines
        }
        XCTAssertTrue(try waitUntil(30) { try journal() == ["0"] }, "the box still holds the erased worker's loans: \((try? journal()) ?? [])")
        _ = run.terminate()
    }

    func testTheOperatorsCommandsFindTheirHubRefuseWhatCannotWorkAndSayWhy() throws {
        let hub = try HubProcess(label: "rollout-cli")
        let dir = hub.directory
        // A mistyped database is refused, and not created.
        let typo = dir.appendingPathComponent("hbu.sqlite").path
        let mistyped = try ChildProcess([ProjectPaths.executable("stationhub"), "box", "list", "--database", typo])
        XCTAssertEqual(mistyped.wait(timeout: 30), 1)
        XCTAssertTrue(mistyped.standardError.contains("does not exist") && mistyped.standardError.contains("stationhub init"), mistyped.standardError)
        XCTAssertFalse(mistyped.standardError.contains("Usage:"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: typo))
        // One place for the hub's settings: the file, then STATIONHUB_DATABASE, then the flag.
        let settings = dir.appendingPathComponent("stationhub.toml").path
        try "[database]\nurl = \"\(hub.database)\"\n[hub]\ntime_zone = \"Asia/Shanghai\"\n".write(toFile: settings, atomically: true, encoding: .utf8)
        XCTAssertEqual(try ChildProcess([ProjectPaths.executable("stationhub"), "site", "add", "shelf-a", "--region", "east", "--config", settings]).wait(timeout: 30), 0)
        let fromEnvironment = try ChildProcess([ProjectPaths.executable("stationhub"), "site", "list"], environment: ["STATIONHUB_DATABASE": hub.database])
        XCTAssertEqual(fromEnvironment.wait(timeout: 30), 0, fromEnvironment.standardError)
        XCTAssertTrue(fromEnvironment.lines.contains { $0.hasPrefix("shelf-a") }, fromEnvironment.lines.joined(separator: "\n"))
        try hub.admin(["site", "add", "shelf-b", "--region", "west"])

        // A catalog with one bad line imports nothing and names every bad line.
        let catalog = dir.appendingPathComponent("catalog.csv").path
        try "item_key,title,home_site\nlabel:LIB-000001,One,shelf-a\n9787020002207,Red Sorghum,shelf-a\nisbn:9787020002208,Typo,shelf-a\nlabel:LIB-000002,Two,shelf-z\n"
            .write(toFile: catalog, atomically: true, encoding: .utf8)
        let bad = try stationhub(["catalog", "import", catalog], hub)
        XCTAssertEqual(bad.exitStatus, 1)
        XCTAssertTrue(bad.standardError.contains("line 3: 9787020002207 has no kind: write isbn:9787020002207"), bad.standardError)
        XCTAssertTrue(bad.standardError.contains("line 4: isbn:9787020002208: not a valid ISBN"), bad.standardError)
        XCTAssertEqual(try hub.query("SELECT count(*) FROM catalog_title"), ["0"])
        try "item_key,title,home_site\nlabel:LIB-000001,One,shelf-a\nisbn:9787020002207,Red Sorghum,shelf-z\n".write(toFile: catalog, atomically: true, encoding: .utf8)
        let unknownSite = try stationhub(["catalog", "import", catalog], hub)
        XCTAssertEqual(unknownSite.exitStatus, 1)
        XCTAssertTrue(unknownSite.standardError.contains("no site shelf-z"), unknownSite.standardError)
        try "item_key,title,home_site\nlabel:LIB-000001,平凡的世界,shelf-a\nisbn:9787020002207,Red Sorghum,shelf-b\n".write(toFile: catalog, atomically: true, encoding: .utf8)
        XCTAssertEqual(try stationhub(["catalog", "import", catalog], hub).exitStatus, 0)
        let found = try stationhub(["catalog", "find", "平凡"], hub)
        XCTAssertEqual(found.lines.count, 2, found.lines.joined(separator: "\n"))
        XCTAssertTrue(found.lines[1].hasPrefix("label:LIB-000001  平凡的世界  shelf-a"), found.lines[1])

        // Retention: every kind shown, set or not; what cannot work refused with the reason.
        XCTAssertEqual(try stationhub(["retention", "show"], hub).lines.first, "checkout\tnot set: kept until erased")
        for (args, says) in [
            (["retention", "set", "visit:nosuch", "30"], "no visits of service nosuch are known here"), (["retention", "set", "checkout", "0"], "at least 1"),
            (["retention", "set", "checkout", "-5"], "at least 1"), (["retention", "unset", "checkout"], "no retention period is set for checkout"),
        ] {
            let c = try stationhub(args, hub)
            XCTAssertEqual(c.exitStatus, 1, args.joined(separator: " "))
            XCTAssertTrue(c.standardError.contains(says), "\(args): \(c.standardError)")
            XCTAssertFalse(c.standardError.contains("Usage:"), "\(args): \(c.standardError)")
        }
        XCTAssertEqual(try stationhub(["retention", "set", "visit:lactation", "30"], hub).exitStatus, 0)
        XCTAssertEqual(try stationhub(["retention", "unset", "visit:lactation"], hub).exitStatus, 0)

        // Reports: local times in text, milliseconds in JSON; --region everywhere it applies,
        // refused where it does not.
        try hub.admin(["box", "add", "box-q", "--site", "shelf-b"])
        let quiet = try stationhub(["report", "quiet-boxes", "--region", "west"], hub)
        XCTAssertEqual(quiet.exitStatus, 0, quiet.standardError)
        XCTAssertEqual(quiet.lines.first?.split(separator: " ").map(String.init), ["box", "site", "last_seen", "errors_last_day", "why"], quiet.lines.joined(separator: "\n"))
        XCTAssertEqual(try stationhub(["report", "quiet-boxes", "--region", "east"], hub).lines.last, "(no rows)")
        let restock = try stationhub(["report", "restock", "--site", "shelf-a", "--region", "east"], hub)
        XCTAssertEqual(restock.exitStatus, 1)
        XCTAssertTrue(restock.standardError.contains("--region does not apply to restock"), restock.standardError)
        XCTAssertEqual(try stationhub(["report", "overdue", "--as-of", "2026-12-05"], hub).exitStatus, 0)

        // The box's parse judges a code by the box's own config.
        let box = try TestBox(label: "rollout-parse")
        let parse = try stationctl(["parse", "LIB-000123", "--config", box.configPath])
        XCTAssertEqual(parse.exitStatus, 0, parse.lines.joined(separator: "\n"))
        XCTAssertEqual(parse.lines.first, "kind:       item-label")
        XCTAssertEqual(try stationctl(["parse", "LIB-000123", "--config", "/nonexistent/station.toml"]).exitStatus, 1)
    }
}
