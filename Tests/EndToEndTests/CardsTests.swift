import Foundation
import StationCore
import StationTesting
import XCTest

/// The sheets `stationctl cards` prints scan back as exactly the codes the box acts on:
/// each page rendered to pixels (librsvg, 300 dpi) and read by zbar, independently of
/// the encoder. Item labels come from the catalog a real hub sent down to a real daemon.
final class CardsTests: XCTestCase {
    /// Every Code 128 symbol zbar finds on the page, in any order.
    func decode(_ svgFile: String) throws -> [String] {
        let png = svgFile + ".png"
        let render = try ChildProcess(["rsvg-convert", "--dpi-x", "300", "--dpi-y", "300", "-b", "white", "-o", png, svgFile])
        XCTAssertEqual(render.wait(timeout: 60), 0, render.standardError)
        // Code 128 only: what the sheets carry; other decoders could claim part of a symbol.
        let zbar = try ChildProcess(["zbarimg", "--raw", "-q", "-Sdisable", "-Scode128.enable", png])
        XCTAssertEqual(zbar.wait(timeout: 60), 0, zbar.standardError)
        return zbar.lines
    }

    /// Runs stationctl to its end: the process (its output) and its exit status.
    func stationctl(_ arguments: [String]) throws -> (run: ChildProcess, status: Int32?) {
        let child = try ChildProcess([ProjectPaths.executable("stationctl")] + arguments)
        return (child, child.wait(timeout: 60))
    }

    func testControlCardsScanAsTheCodesTheSiteActsOn() throws {
        let shelf = try TestBox(label: "cards-shelf")
        let sheet = shelf.directory.appendingPathComponent("control.svg").path
        let written = try stationctl(["cards", "control", "--config", shelf.configPath, "--out", sheet])
        XCTAssertEqual(written.status, 0, written.run.standardError)
        let expected = ["STN-MODE-CHECKOUT", "STN-MODE-RETURN", "STN-MODE-RENEW", "STN-DONE", "STN-CANCEL", "STN-STOCKTAKE-START", "STN-STOCKTAKE-END"]
        let read = try decode(sheet)
        XCTAssertEqual(read.sorted(), expected.sorted(), "each card once, nothing else")
        let svg = try String(contentsOfFile: sheet, encoding: .utf8)
        XCTAssertTrue(svg.contains("借书 Check out") && svg.contains("控制卡"), "captions in Chinese")
        XCTAssertTrue(svg.contains("管理员专用 · 盘点开始 Stocktake<"), "the manager's cards are marked")

        // A station: the services it offers; a service without a card is said, not printed.
        let station = try TestBox(label: "cards-station", site: "kind = \"station\"\nservices = [\"water\", \"charging\", \"shower\"]")
        let (out, status) = try stationctl(["cards", "control", "--config", station.configPath])
        XCTAssertEqual(status, 0, out.standardError)
        XCTAssertTrue(out.standardError.contains("service shower is offered at this site"), out.standardError)
        let stdoutSheet = station.directory.appendingPathComponent("stdout.svg").path
        try (out.lines.joined(separator: "\n") + "\n").write(toFile: stdoutSheet, atomically: true, encoding: .utf8)
        XCTAssertEqual(try decode(stdoutSheet).sorted(), ["STN-CANCEL", "STN-DONE", "STN-SVC-CHARGING", "STN-SVC-WATER"])
    }

    func testItemLabelsComeFromTheCatalogTheHubSentDown() throws {
        let hub = try HubProcess(label: "cards-hub")
        try hub.admin(["site", "add", "site-a"])
        try hub.admin(["site", "add", "site-b"])
        let catalog = hub.directory.appendingPathComponent("catalog.csv").path
        try """
            item_key,title,home_site
            label:LIB-000123,Tom & Jerry <1>,site-a
            label:00012345,资本论,site-a
            label:1234567,毛泽东选集 第一卷,site-a
            label:Lib-x/12345678,Mixed case and digits,site-a
            isbn:9787111213826,Known by its ISBN only,site-a
            label:LIB-000999,Lives elsewhere,site-b

            """.write(toFile: catalog, atomically: true, encoding: .utf8)
        try hub.admin(["catalog", "import", catalog])
        try hub.start()

        let box = try TestBox(label: "cards-box")
        // Digits-only labels are this site's too; the mixed one matches no pattern.
        let config = try String(contentsOfFile: box.configPath, encoding: .utf8)
            .replacingOccurrences(of: #"item_label_patterns = ["LIB-[0-9]{6}"]"#, with: #"item_label_patterns = ["LIB-[0-9]{6}", "[0-9]{7,8}"]"#)
        XCTAssertTrue(config.contains("[0-9]{7,8}"), "TestBox's item-label patterns changed: \(config)")
        try config.write(toFile: box.configPath, atomically: true, encoding: .utf8)
        let sheet = box.directory.appendingPathComponent("items.svg").path
        let items = ["cards", "items", "--config", box.configPath, "--out", sheet]

        let before = try stationctl(items)
        XCTAssertEqual(before.status, 1)
        XCTAssertTrue(before.run.standardError.contains("start stationd and let it sync once"), before.run.standardError)

        let token = try XCTUnwrap(try hub.admin(["box", "add", "box-test-1", "--site", "site-a"]).first)
        let enroll = try stationctl(["enroll", "http://127.0.0.1:\(hub.port)", try box.tokenFile(token), "--state-dir", box.stateDirectory])
        XCTAssertEqual(enroll.status, 0, enroll.run.standardError)
        // The daemon's first sync round, at its start, brings the catalog down.
        let daemon = try box.run(events: try box.events(named: "idle", scans: [], leadIn: 500))
        var last: ChildProcess?
        XCTAssertTrue(try waitUntil(60, interval: 0.5) {
            let attempt = try stationctl(items)
            last = attempt.run
            return attempt.status == 0
        }, "no item labels after the first sync: \(last?.standardError ?? "") \(daemon.standardError)")
        XCTAssertEqual(daemon.stopChildren(), 0, daemon.standardError)

        let read = try decode(sheet)
        XCTAssertEqual(
            read.sorted(), ["00012345", "1234567", "LIB-000123", "Lib-x/12345678"],
            "this site's labelled copies: not the ISBN-only title, not site-b's book")
        XCTAssertTrue(last?.standardError.contains("label Lib-x/12345678 is read by this box as unknown") ?? false, last?.standardError ?? "")
        XCTAssertEqual(try Code128("00012345").startSet, .c, "a digits-only label on the sheet is Code C")
        let svg = try String(contentsOfFile: sheet, encoding: .utf8)
        XCTAssertTrue(svg.contains("Tom &amp; Jerry &lt;1&gt;") && svg.contains("资本论") && svg.contains("毛泽东选集 第一卷"))
        XCTAssertFalse(svg.contains("LIB-000999") || svg.contains("9787111213826"))

        // Another site's config on the same journal: nothing of its own in the cache.
        let other = box.directory.appendingPathComponent("site-c.toml").path
        let otherConfig = config.replacingOccurrences(of: #"site = "site-a""#, with: #"site = "site-c""#)
        XCTAssertNotEqual(otherConfig, config)
        try otherConfig.write(toFile: other, atomically: true, encoding: .utf8)
        let none = try stationctl(["cards", "items", "--config", other])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.run.standardError.contains("no books of site site-c in the catalog cache yet: sync once"), none.run.standardError)
    }

    /// Every value's bar pattern is right, not only those of the codes above: digit pairs
    /// 00–99 in Code C, and the start codes, CODE A/B/C and SHIFT, read back by zbar.
    func testEverySymbolPatternReadsBack() throws {
        let pairs = (0..<100).map { String(format: "%02d", $0) }
        var codes = stride(from: 0, to: 100, by: 10).map { pairs[$0..<$0 + 10].joined() }
        codes += ["12345", "AB1234", "\t\ta", "ab\t\tAB"]
        let symbols = try codes.map { try Code128($0).symbols }
        let used = Set(symbols.flatMap { $0 })
        XCTAssertTrue(used.isSuperset(of: Set(0...101).union([103, 104, 105]).subtracting([102])), "values missing: \(Set(0...105).subtracting(used).sorted())")
        let dir = try ProjectPaths.temporaryDirectory("cards-patterns")
        let pages = try LabelSheet.pages(heading: "patterns", labels: codes.map { PrintedLabel(code: $0, caption: "") })
        XCTAssertEqual(pages.count, 1)
        let file = dir.appendingPathComponent("patterns.svg").path
        try pages[0].write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try decode(file).sorted(), codes.sorted())
    }

    /// The site manager prints the box's enrollment card from the URL and token the hub
    /// operator gave; the QR code on it reads back as the payload the box enrolls with.
    func testTheEnrollmentCardCarriesTheHubAndTheToken() throws {
        let box = try TestBox(label: "cards-enrollment")
        let token = (0..<64).map { _ in "0123456789abcdef".randomElement()! }.map(String.init).joined()
        let tokenFile = box.directory.appendingPathComponent("token").path
        try (token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let card = box.directory.appendingPathComponent("enroll.svg").path
        let made = try stationctl(["cards", "enrollment", "--config", box.configPath, "--url", "https://hub.example.org", "--token-file", tokenFile, "--out", card])
        XCTAssertEqual(made.status, 0, made.run.standardError)
        XCTAssertFalse(made.run.standardError.contains(token), "the token reached the output")
        let png = card + ".png"
        let render = try ChildProcess(["rsvg-convert", "--dpi-x", "300", "--dpi-y", "300", "-b", "white", "-o", png, card])
        XCTAssertEqual(render.wait(timeout: 60), 0, render.standardError)
        let zbar = try ChildProcess(["zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", png])
        XCTAssertEqual(zbar.wait(timeout: 60), 0, zbar.standardError)
        XCTAssertEqual(zbar.lines, ["station-enroll:https://hub.example.org#\(token)"])
        // A URL a box could not use makes no card.
        let bad = try stationctl(["cards", "enrollment", "--config", box.configPath, "--url", "ftp://hub", "--token-file", tokenFile])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.run.standardError.contains("would not enroll") || bad.run.standardError.contains("not an http(s) URL"), bad.run.standardError)
    }
}
