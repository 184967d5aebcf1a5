import Foundation
import StationTesting
import XCTest

/// The console in a real headless Chromium (`Tests/Pages/console_driver.py`) on a real
/// `stationhub serve` holding a year of a small union (`scripts/demo-union.py`, uploaded
/// through the API): each role signs in through the form and walks its pages at 1366x768
/// and 390x844. Screenshots are kept in `.build/screenshots/console/` for people to look
/// at; the test asserts what a person would check: the page answered, in Chinese, with
/// no error in the browser's console, nothing scrolling sideways on the phone, and the
/// scope: another scope's pages are "not found".
final class ConsolePageTests: XCTestCase {
    static let python = ProjectPaths.file(".build/venv-tests/bin/python")
    static let screenshots = ProjectPaths.file(".build/screenshots/console")

    struct Visit {
        var path: String
        var width: Int
        var status: Int
        var title: String
        var text: String
        var sideways: Bool
        var lang: String
        var errors: [String]
        /// A form's: the path it landed on.
        var landed: String?
    }

    /// `fill`: forms to fill in and send (the driver's --fill lines, on its standard input).
    func walk(
        _ hub: HubProcess, account: String, password: String, prefix: String, paths: [String], uploads: [String] = [], fill: [[String: Any]] = [], english: Bool = false
    ) throws -> [Visit] {
        let file = hub.directory.appendingPathComponent("\(prefix).password").path
        try password.write(toFile: file, atomically: true, encoding: .utf8)
        let forms = try fill.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) + "\n" }.joined()
        let driver = try ChildProcess(
            [
                Self.python, ProjectPaths.file("Tests/Pages/console_driver.py"), "--base", "http://127.0.0.1:\(hub.port)", "--name", account,
                "--password-file", file, "--out", Self.screenshots, "--prefix", prefix,
            ] + uploads.flatMap { ["--upload", $0] } + (fill.isEmpty ? [] : ["--fill"]) + (english ? ["--english"] : []) + paths, input: Data(forms.utf8))
        XCTAssertEqual(driver.wait(timeout: 300), 0, driver.lines.joined(separator: "\n") + driver.standardError)
        return driver.lines.compactMap { line in
            guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any], let path = o["path"] as? String else { return nil }
            return Visit(
                path: path, width: o["width"] as? Int ?? 0, status: o["status"] as? Int ?? 0, title: o["title"] as? String ?? "",
                text: o["text"] as? String ?? "", sideways: o["sideways"] as? Bool ?? true, lang: o["lang"] as? String ?? "",
                errors: o["errors"] as? [String] ?? ["(no errors field)"], landed: o["landed"] as? String)
        }
    }

    func testEachRoleSignsInAndWalksItsPagesInChinese() throws {
        let hub = try HubProcess(label: "console-pages", engine: .sqlite)
        let keys = hub.directory.appendingPathComponent("keys").path
        XCTAssertEqual(try ChildProcess([ProjectPaths.executable("stationhub"), "keygen", "--dir", keys]).wait(timeout: 30), 0)
        try hub.start(arguments: ["--keys", keys])
        defer { hub.stop() }
        let accounts = hub.directory.appendingPathComponent("console-accounts.txt").path
        let seed = try ChildProcess([
            "python3", ProjectPaths.file("scripts/demo-union.py"), ProjectPaths.executable("stationhub").replacingOccurrences(of: "/stationhub", with: ""),
            hub.database, "http://127.0.0.1:\(hub.port)", accounts,
        ])
        XCTAssertEqual(seed.wait(timeout: 600), 0, seed.standardError)
        let passwords = Dictionary(
            try String(contentsOfFile: accounts, encoding: .utf8).split(separator: "\n").map { line -> (String, String) in
                let f = line.split(separator: "\t").map(String.init)
                return (f[0], f[2])
            }, uniquingKeysWith: { a, _ in a })
        try? FileManager.default.removeItem(atPath: Self.screenshots)

        let reports = ["/console/reports", "/console/reports/lending", "/console/reports/drift", "/console/reports/visits", "/console/reports/most-borrowed", "/console/reports/sleeping",
            "/console/reports/moves", "/console/rotations"]
        let roles: [(account: String, prefix: String, pages: [String], elsewhere: [String], sees: [String], doesNotSee: [String])] = [
            (
                "union-ops", "union",
                ["/console/", "/console/sites", "/console/sites/kc-shelf-1", "/console/boxes/kc-hut-1-box", "/console/audit", "/console/quarantine", "/console/catalog",
                 "/console/privacy"] + reports
                    + ["/console/reports/overdue", "/console/reports/quiet-boxes", "/console/reports/also-borrowed"],
                [], ["江山快递小哥驿站", "衢江区职工书屋", "柯城区总工会职工书屋", "调书建议", "kecheng-loop"], []
            ),
            (
                "kecheng-ops", "region", ["/console/", "/console/sites", "/console/sites/kc-hut-1", "/console/boxes/kc-station-1-box", "/console/catalog"] + reports,
                ["/console/sites/qj-shelf-1", "/console/boxes/js-station-1-box", "/console/audit", "/console/privacy"], ["柯城区总工会职工书屋", "府山环卫工人驿站", "kecheng-loop"],
                ["衢江区", "江山"]
            ),
            (
                "kc-shelf-1-manager", "site",
                ["/console/", "/console/sites", "/console/sites/kc-shelf-1", "/console/boxes/kc-shelf-1-box", "/console/reports/lending", "/console/catalog",
                 "/console/reports/stocktake"],
                ["/console/sites/kc-shelf-2", "/console/boxes/kc-hut-1-box", "/console/audit", "/console/privacy"],
                // (Its stocktake: demo-union.py's; which copies it finds depends on the day.)
                ["柯城区总工会职工书屋", "盘点结果", "目录中没有", "label:LIB-199999"], ["荷花街道", "衢江区", "江山"]
            ),
        ]
        for role in roles {
            let password = try XCTUnwrap(passwords[role.account])
            let visits = try walk(hub, account: role.account, password: password, prefix: role.prefix, paths: role.pages + role.elsewhere)
            XCTAssertEqual(visits.count, 2 * (role.pages.count + role.elsewhere.count), role.account)
            for v in visits {
                let what = "\(role.account) \(v.path) at \(v.width)"
                XCTAssertEqual(v.status, role.elsewhere.contains(v.path) ? 404 : 200, what)
                XCTAssertEqual(v.lang, "zh-CN", what)
                XCTAssertNotNil(v.text.range(of: "\\p{Han}{2,}", options: .regularExpression), what)
                // The only message a page may leave is the browser's own note of a 404 document.
                XCTAssertEqual(v.errors, role.elsewhere.contains(v.path) ? ["Failed to load resource: the server responded with a status of 404 (Not Found)"] : [], what)
                if v.width == 390 { XCTAssertFalse(v.sideways, "\(what) scrolls sideways") }
                // Markup shown as text is markup escaped twice.
                XCTAssertNil(v.text.range(of: "</?[a-z]+[ >]", options: .regularExpression), "\(what) shows markup as text")
                if role.elsewhere.contains(v.path) { XCTAssertTrue(v.title.hasPrefix("未找到"), what) }
            }
            let everything = visits.filter { !role.elsewhere.contains($0.path) }.map(\.text).joined(separator: "\n")
            for name in role.sees { XCTAssertTrue(everything.contains(name), "\(role.account) should see \(name)") }
            for name in role.doesNotSee { XCTAssertFalse(everything.contains(name), "\(role.account) sees \(name), outside its scope") }
        }
        let shots = try FileManager.default.contentsOfDirectory(atPath: Self.screenshots).filter { $0.hasSuffix(".png") }
        XCTAssertEqual(shots.count, 2 * roles.reduce(0) { $0 + $1.pages.count + $1.elsewhere.count })
        try importThroughTheBrowser(hub, password: try XCTUnwrap(passwords["union-ops"]))
        try requestThroughTheBrowser(hub, password: try XCTUnwrap(passwords["kc-shelf-1-manager"]))
    }

    /// The union's operator picks a catalog file with a bad line (refused whole, the line
    /// named), then a good one (the bar, then the counts), as a person does in the browser.
    func importThroughTheBrowser(_ hub: HubProcess, password: String) throws {
        let bad = hub.directory.appendingPathComponent("书目-有错.csv").path, good = hub.directory.appendingPathComponent("书目.csv").path
        try "item_key,title,home_site\nlabel:KC-NEW-1,新书一,kc-shelf-1\n9787020002207,没有前缀,kc-shelf-1\n".write(toFile: bad, atomically: true, encoding: .utf8)
        try "item_key,title,home_site\nlabel:KC-NEW-1,新书一,kc-shelf-1\nlabel:KC-NEW-2,新书二,kc-shelf-1\n".write(toFile: good, atomically: true, encoding: .utf8)
        let action = "/console/catalog/import"
        let visits = try walk(hub, account: "union-ops", password: password, prefix: "import", paths: ["/console/catalog"], uploads: ["\(action)=\(bad)", "\(action)=\(good)"])
        let uploads = visits.filter { $0.path == "upload:\(action)" }
        XCTAssertEqual(uploads.count, 2)
        guard uploads.count == 2 else { return }
        XCTAssertEqual(uploads[0].status, 422)
        XCTAssertTrue(uploads[0].text.contains("未导入任何内容") && uploads[0].text.contains("9787020002207 缺少类型前缀"), uploads[0].text)
        XCTAssertEqual(uploads[1].status, 200)
        XCTAssertTrue(uploads[1].text.contains("导入完成：读取 2，新增或变更 2"), uploads[1].text)
        XCTAssertEqual(uploads[1].errors, [])
        let found = try ChildProcess([ProjectPaths.executable("stationhub"), "catalog", "find", "新书", "--database", hub.database])
        XCTAssertEqual(found.wait(timeout: 60), 0, found.standardError)
        XCTAssertEqual(found.lines.filter { $0.contains("label:KC-NEW-") }.count, 2, found.lines.joined(separator: "\n"))
    }
}
