import Foundation
import StationTesting
import XCTest

/// The kiosk and manager pages in a real headless Chromium (Debian's `chromium`), driven
/// over its DevTools protocol by `Tests/Pages/kiosk_driver.py`: the page is opened once
/// and every later state must arrive over its event stream. Screenshots at 800x480 are
/// kept in `.build/screenshots/` for people to look at.
final class KioskPageTests: XCTestCase {
    static let python = ProjectPaths.file(".build/venv-tests/bin/python")
    static let screenshots = ProjectPaths.file(".build/screenshots")

    struct Shot {
        var state: String
        var text: String
        var file: String
        var sameDocument: Bool
        var fits: Bool
        var cjkFont: Bool
    }

    func drive(url: String, out: String, expect: [String], english: Bool = false) throws -> [Shot] {
        let driver = try ChildProcess(
            [Self.python, ProjectPaths.file("Tests/Pages/kiosk_driver.py"), "--url", url, "--out", out] + expect.flatMap { ["--expect", $0] }
                + (english ? ["--english"] : []))
        let status = driver.wait(timeout: 120)
        XCTAssertEqual(status, 0, driver.lines.joined(separator: "\n") + driver.standardError)
        return driver.lines.compactMap { line in
            guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any], o["timeout"] == nil else { return nil }
            return Shot(
                state: o["state"] as? String ?? "", text: o["text"] as? String ?? "", file: o["file"] as? String ?? "",
                sameDocument: o["same_document"] as? Bool ?? false, fits: o["fits"] as? Bool ?? false, cjkFont: o["cjk_font"] as? Bool ?? false)
        }
    }

    /// A PNG's width and height from its IHDR chunk.
    func pngSize(_ path: String) throws -> (Int, Int) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], path)
        func be32(_ at: Int) -> Int { data[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    func testABookshelfKioskFollowsEachScanLiveInChineseThenEnglish() throws {
        let box = try TestBox(label: "kiosk-shelf", site: "kind = \"bookshelf\"\nmax_loans = 1\nover_limit = \"refuse\"")
        var ids = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        let id = ids.valid()
        // Chromium needs a few seconds to start and open the page before the first scan;
        // the page is "connecting" until its event stream delivers the idle screen.
        let events = try box.events(named: "kiosk", scans: [id, "LIB-000001", "LIB-000002"], gapMillis: 3500, leadIn: 14000)
        let child = try box.run(events: events)
        defer { _ = child.stopChildren(timeout: 20) }
        let url = try child.pageURL("kiosk page")
        XCTAssertTrue(url.hasPrefix("http://127.0.0.1:"), url)
        let out = Self.screenshots + "/bookshelf"
        try? FileManager.default.removeItem(atPath: out)
        let shots = try drive(url: url, out: out, expect: ["idle", "session-opened", "checked-out", "refused"], english: true)
        XCTAssertEqual(shots.map(\.state), ["idle", "session-opened", "checked-out", "refused", "refused-en"], child.standardError)
        guard shots.count == 5 else { return }
        XCTAssertTrue(child.readLines(timeout: 10, count: 3) { $0.contains("\"type\":\"outcome\"") }, child.standardError)
        let outcomes = child.lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        let due = (outcomes.first { $0["outcome"] as? String == "checked-out" }?["event"] as? [String: Any])?["due_date"] as? String
        XCTAssertTrue(shots[0].text.contains("请扫描会员卡，再扫描图书"), shots[0].text)
        XCTAssertTrue(shots[1].text.contains("请扫描图书"), shots[1].text)
        // The worker is shown masked, never in full.
        XCTAssertFalse(shots.contains { $0.text.contains(id) }, "an identity number reached the screen")
        XCTAssertTrue(shots[1].text.contains(String(id.prefix(4)) + "*"), shots[1].text)
        XCTAssertTrue(shots[2].text.contains("借书成功") && shots[2].text.contains("LIB-000001"), shots[2].text)
        XCTAssertTrue(shots[2].text.contains(try XCTUnwrap(due)), shots[2].text)
        XCTAssertTrue(shots[3].text.contains("无法办理") && shots[3].text.contains("未记录：已达借阅上限 1 本"), shots[3].text)
        XCTAssertTrue(shots[4].text.contains("Not allowed") && shots[4].text.contains("limit of 1 books reached") && shots[4].text.contains("中文"), shots[4].text)
        for shot in shots {
            XCTAssertTrue(shot.sameDocument, "\(shot.state) came by reloading, not over the event stream")
            XCTAssertTrue(shot.fits, "\(shot.state) does not fit 800x480")
            XCTAssertTrue(shot.cjkFont, "no CJK font: Chinese would render as boxes")
            let (w, h) = try pngSize(shot.file)
            XCTAssertEqual(w, 800)
            XCTAssertEqual(h, 480)
        }
    }

    func testAHutKioskShowsTheVisitTimer() throws {
        let box = try TestBox(label: "kiosk-hut", site: "kind = \"hut\"")
        var ids = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        let events = try box.events(named: "hut", scans: [ids.valid()], leadIn: 14000)
        let child = try box.run(events: events)
        defer { _ = child.stopChildren(timeout: 20) }
        let url = try child.pageURL("kiosk page")
        let out = Self.screenshots + "/hut"
        try? FileManager.default.removeItem(atPath: out)
        let shots = try drive(url: url, out: out, expect: ["idle", "visit-started"])
        XCTAssertEqual(shots.map(\.state), ["idle", "visit-started"], child.standardError)
        guard shots.count == 2 else { return }
        XCTAssertTrue(shots[0].text.contains("进出请扫描会员卡"), shots[0].text)
        XCTAssertTrue(shots[1].text.contains("欢迎使用") && shots[1].text.contains("已使用 00:0") && shots[1].text.contains("哺乳"), shots[1].text)
    }

    func testTheManagerPageNeedsThePasswordAndShowsTheBox() throws {
        let password = "shelf-manager-\(UInt32.random(in: 0...UInt32.max))"
        let box = try TestBox(label: "manager-page", extra: """
            [pages]
            kiosk_port = -1
            manager_listen = "127.0.0.1:0"
            manager_password = "\(password)"
            """)
        let events = try box.events(named: "manager", scans: ["LIB-000001", "LIB-000002"])
        let child = try box.run(events: events)
        defer { _ = child.stopChildren(timeout: 20) }
        XCTAssertTrue(child.readLines(timeout: 30, count: 2) { $0.contains("\"type\":\"outcome\"") }, child.standardError)
        let url = try child.pageURL("manager page")
        XCTAssertFalse(child.standardError.contains("kiosk page listening"), "kiosk_port = -1 turns the kiosk page off")
        let body = box.directory.appendingPathComponent("body.html").path
        func get(_ user: String?, _ path: String = "") throws -> (status: String, body: String) {
            let curl = try ChildProcess(["curl", "-s", "-o", body, "-w", "%{http_code}\n"] + (user.map { ["-u", $0] } ?? []) + [url + path])
            XCTAssertEqual(curl.wait(timeout: 20), 0)
            return (curl.lines.last ?? "", (try? String(contentsOfFile: body, encoding: .utf8)) ?? "")
        }
        XCTAssertEqual(try get(nil).status, "401")
        XCTAssertEqual(try get("manager:wrong-password").status, "401")
        XCTAssertEqual(try get("manager:\(password)x").status, "401")
        XCTAssertTrue(child.standardError.contains("manager page: wrong password"), child.standardError)
        XCTAssertFalse(child.standardError.contains(password), "the password reached the log")
        let page = try get("manager:\(password)")
        XCTAssertEqual(page.status, "200")
        XCTAssertTrue(page.body.contains("<dd id=\"pending\">2</dd>"), page.body)
        XCTAssertTrue(page.body.contains("never (not enrolled)"), page.body)
        XCTAssertTrue(page.body.contains("/dev/input/event10"), page.body)
        XCTAssertTrue(page.body.contains("<dd id=\"beepers\">无 none</dd>"), page.body)
        // The printable sheets: the same SVG as `stationctl cards`; no item labels before
        // the catalog came down from the hub.
        XCTAssertEqual(try get("manager:wrong-password", "cards/control").status, "401")
        let control = try get("manager:\(password)", "cards/control")
        XCTAssertEqual(control.status, "200")
        let cli = try ChildProcess([ProjectPaths.executable("stationctl"), "cards", "control", "--config", box.configPath])
        XCTAssertEqual(cli.wait(timeout: 20), 0, cli.standardError)
        XCTAssertEqual(control.body.trimmingCharacters(in: .whitespacesAndNewlines), cli.lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertTrue(control.body.hasPrefix("<?xml") || control.body.hasPrefix("<svg"), String(control.body.prefix(80)))
        let items = try get("manager:\(password)", "cards/items")
        XCTAssertEqual(items.status, "409")
        XCTAssertTrue(items.body.contains("sync once"), items.body)
        XCTAssertEqual(try get("manager:\(password)", "cards/elsewhere").status, "404")
        // The same page in Chromium (credentials in the URL), for the screenshot.
        let out = Self.screenshots + "/manager"
        try? FileManager.default.removeItem(atPath: out)
        let withCredentials = url.replacingOccurrences(of: "http://", with: "http://manager:\(password)@")
        let shots = try drive(url: withCredentials, out: out, expect: ["ready"])
        XCTAssertTrue(shots.first?.text.contains("扫描器 · Scanners") ?? false, shots.first?.text ?? "")
    }
}

extension KioskPageTests {
    /// An open event stream must not hold up a stop: systemd gives 20 s, then SIGKILL.
    func testStoppingWithAPageOpenIsPromptAndClean() throws {
        let box = try TestBox(label: "kiosk-stop")
        let events = try box.events(named: "stop", scans: ["LIB-000001"])
        let child = try box.run(events: events)
        XCTAssertTrue(child.readLines(timeout: 30, count: 1) { $0.contains("\"type\":\"outcome\"") }, child.standardError)
        let url = try child.pageURL("kiosk page")
        let stream = try ChildProcess(["curl", "-s", "-N", url + "events"])
        XCTAssertTrue(stream.readLines(timeout: 10) { $0.contains("\"state\":\"returned\"") }, stream.standardError)
        let started = Date()
        XCTAssertEqual(child.stopChildren(timeout: 20), 0, child.standardError)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        // The page's stream ended with the daemon (curl exits at the end of the body).
        XCTAssertEqual(stream.wait(timeout: 10), 0)
    }
}
