import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StationCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// The console's CSV imports through its routes, on both engines: a file is checked whole
/// (every bad line shown, nothing written), then written in one transaction with its
/// progress on the page; each role imports only what is its own.
extension ConsoleRouterTests {
    /// A browser's file upload: the form's token and one CSV file.
    static func upload(
        _ browser: inout Browser, _ client: any TestClientProtocol, _ path: String, _ csv: String, csrf: String? = nil
    ) async throws -> (status: HTTPResponse.Status, page: String) {
        let boundary = "----StationForm\(UInt32.random(in: 0...UInt32.max))"
        let body =
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n\(csrf ?? browser.csrf)\r\n"
            + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list; 1.csv\"\r\nContent-Type: text/csv\r\n\r\n\(csv)\r\n--\(boundary)--\r\n"
        var h = browser.header
        h[.contentType] = "multipart/form-data; boundary=\(boundary)"
        let r = try await client.execute(uri: path, method: .post, headers: h, body: ByteBuffer(string: body))
        return (r.status, String(buffer: r.body))
    }

    static func titles(_ store: HubStore) async throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try await store.catalog(limit: 100).map { ($0.itemKey, "\($0.title ?? "")@\($0.homeSite ?? "-")") })
    }

    func testCatalogImportIsCheckedWholeThenWrittenWithItsProgress() async throws {
        try await withConsole("console-import") { engine, client, store in
            _ = try await store.importCatalog([Downlink.Title(itemKey: "label:C1", title: "活着", homeSite: "hut-c")])
            // A book already lent at shelf-a: its home decides drift, so the import recomputes it.
            _ = try await store.ingest(
                box: "box-a", site: "shelf-a",
                events: Events.incoming([Events.event("box-a", 1, site: "shelf-a", .checkout, at: 1, item: "label:A1", who: "w1", due: "2026-12-30")]), keys: nil)
            var wang = Browser(), li = Browser(), zhao = Browser()
            _ = try await wang.signIn(client, "wang")
            _ = try await li.signIn(client, "li")
            _ = try await zhao.signIn(client, "zhao")
            let before = try await Self.titles(store)

            // One bad line among good ones: every problem named with its line, nothing written.
            let bad = try await Self.upload(
                &wang, client, "/console/catalog/import", "item_key,title,home_site\nlabel:A1,平凡的世界,shelf-a\n9787020002207,x,\nlabel:A1,again,\nlabel:B1,y,nowhere\n")
            XCTAssertEqual(bad.status, .unprocessableContent, "\(engine)")
            for expected in ["<td class=\"num\">3</td><td>9787020002207 缺少类型前缀：请写作 isbn:9787020002207", "<td class=\"num\">4</td><td>label:A1 与第 2 行重复",
                "<td class=\"num\">5</td><td>您负责的站点中没有 nowhere", "list; 1.csv"] {
                XCTAssertTrue(bad.page.contains(expected), "\(engine): \(expected)")
            }
            var titles = try await Self.titles(store)
            XCTAssertEqual(titles, before, "\(engine)")

            // A good file: the page shows the bar and the outcome; the titles are in, the lent book homed.
            let good = try await Self.upload(&wang, client, "/console/catalog/import", "label:A1,平凡的世界,shelf-a\r\nisbn:9787020002207,围城,shelf-b\r\n")
            XCTAssertEqual(good.status, .ok, "\(engine)")
            XCTAssertTrue(good.page.contains("<progress max=\"100\" value=\"100\">") && good.page.contains("导入完成：读取 2，新增或变更 2"), "\(engine): \(good.page)")
            XCTAssertTrue(good.page.hasSuffix("</html>\n") || good.page.hasSuffix("</html>"), "\(engine): the page is whole")
            titles = try await Self.titles(store)
            XCTAssertEqual(titles["label:A1"], "平凡的世界@shelf-a", "\(engine)")
            XCTAssertEqual(titles["isbn:9787020002207"], "围城@shelf-b", "\(engine)")
            let audit = try await store.auditLog(limit: 5).map(\.action)
            XCTAssertTrue(audit.contains("catalog.import"), "\(engine)")

            // A region imports into its own sites only, and does not take another region's title.
            let west = try await Self.upload(&li, client, "/console/catalog/import", "label:E1,x,hut-c\nlabel:E2,y,\n")
            XCTAssertEqual(west.status, .unprocessableContent, "\(engine)")
            XCTAssertTrue(west.page.contains("您负责的站点中没有 hut-c") && west.page.contains("label:E2 没有填写 home_site"), "\(engine)")
            let taken = try await Self.upload(&li, client, "/console/catalog/import", "label:E1,x,shelf-a\nlabel:C1,活着,shelf-b\n")
            XCTAssertTrue(taken.page.contains("label:C1 belong to sites outside your region: nothing was imported"), "\(engine): \(taken.page)")
            let own = try await Self.upload(&li, client, "/console/catalog/import", "label:E1,x,shelf-a\n")
            XCTAssertTrue(own.page.contains("新增或变更 1"), "\(engine)")
            titles = try await Self.titles(store)
            XCTAssertEqual(titles["label:C1"], "活着@hut-c", "\(engine)")
            XCTAssertEqual(titles["label:E1"], "x@shelf-a", "\(engine)")

            // A site's manager has no import form and is refused; a stale token and a form
            // that is not an upload are refused before anything is read.
            let siteCatalog = String(buffer: try await zhao.get(client, "/console/catalog").body)
            XCTAssertFalse(siteCatalog.contains("multipart/form-data"), "\(engine)")
            let site = try await Self.upload(&zhao, client, "/console/catalog/import", "label:Z1,z,shelf-a\n")
            XCTAssertEqual(site.status, .forbidden, "\(engine)")
            let stale = try await Self.upload(&wang, client, "/console/catalog/import", "label:Z1,z,shelf-a\n", csrf: "stale")
            XCTAssertEqual(stale.status, .forbidden, "\(engine)")
            let plain = try await wang.post(client, "/console/catalog/import", ["file": "label:Z1,z,shelf-a"])
            XCTAssertEqual(plain.status, .badRequest, "\(engine)")
            titles = try await Self.titles(store)
            XCTAssertNil(titles["label:Z1"], "\(engine)")
        }
    }

    func testMembersAreImportedByTheUnionAsPseudonymsOnly() async throws {
        let (keys, _) = try StoreSchemaTests.keys()
        try await withConsole("console-members", keys: keys) { engine, client, store in
            var wang = Browser(), li = Browser()
            _ = try await wang.signIn(client, "wang")
            _ = try await li.signIn(client, "li")
            let (unionCatalog, regionCatalog) = (String(buffer: try await wang.get(client, "/console/catalog").body), String(buffer: try await li.get(client, "/console/catalog").body))
            XCTAssertTrue(unionCatalog.contains("会员卡 0"), "\(engine)")
            XCTAssertFalse(regionCatalog.contains("/console/members/import"), "\(engine)")
            let region = try await Self.upload(&li, client, "/console/members/import", "04A1B2C3,M20261206\n")
            XCTAssertEqual(region.status, .forbidden, "\(engine)")

            let bad = try await Self.upload(&wang, client, "/console/members/import", "card_uid,member_card\n04a1b2c3,M20261206\nnot-hex,M20261207\n04A1B2C3,M20261208\n")
            XCTAssertEqual(bad.status, .unprocessableContent, "\(engine)")
            XCTAssertTrue(bad.page.contains("<td class=\"num\">3</td>") && bad.page.contains("卡 04A1B2C3 与第 2 行重复"), "\(engine)")
            XCTAssertFalse(bad.page.contains("M2026120"), "\(engine): a member card number is never shown")
            let none = try await store.memberCount()
            XCTAssertEqual(none, 0, "\(engine)")

            let good = try await Self.upload(&wang, client, "/console/members/import", "card_uid,member_card\n04a1b2c3,M20261206\n")
            XCTAssertTrue(good.page.contains("导入完成：读取 1，新增或变更 1") && !good.page.contains("M20261206"), "\(engine)")
            let members = try await store.members()
            XCTAssertEqual(members, [Downlink.Member(cardUID: "04A1B2C3", member: keys.pseudonym(RawCredential(kind: .memberCard, secret: "M20261206")))], "\(engine)")
        }
    }
}
