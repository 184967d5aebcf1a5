import Foundation
import StationTesting
import XCTest

extension ConsolePageTests {
    /// A site's manager asks, in the browser, for a copy on another shelf for a worker at
    /// their desk: from the catalog's link, the worker's number typed into the form; the
    /// request's page, then the list, in Chinese and in English, at both sizes. The number
    /// is on no page.
    func requestThroughTheBrowser(_ hub: HubProcess, password: String) throws {
        let manager = "kc-shelf-1-manager"
        let free = try hub.query(
            """
            SELECT c.item_key, c.title FROM catalog_title c LEFT JOIN ledger_book b ON b.item_key = c.item_key
            WHERE c.item_key LIKE 'label:%' AND b.holder IS NULL AND coalesce(b.site_id, c.home_site) <> 'kc-shelf-1' ORDER BY c.item_key LIMIT 1
            """)
        let copy = try XCTUnwrap(free.first).split(separator: "|").map(String.init)
        var identities = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        let number = identities.valid()
        let link = "/console/requests?item=\(copy[0].addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"

        let placed = try walk(
            hub, account: manager, password: password, prefix: "request", paths: ["/console/catalog"],
            fill: [["page": link, "action": "/console/requests", "fields": ["number": number]]])
        XCTAssertTrue(placed.contains { $0.path == "/console/catalog" && $0.text.contains("预约") }, "the catalog offers requests")
        let form = try XCTUnwrap(placed.first { $0.path == "form:/console/requests" }, placed.map(\.path).joined(separator: ", "))
        let landed = try XCTUnwrap(form.landed)
        XCTAssertEqual(form.status, 200, form.text)
        XCTAssertTrue(landed.hasPrefix("/console/requests/r"), landed)
        XCTAssertTrue(form.text.contains("待寄出") && form.text.contains(copy[1]) && form.text.contains("柯城区总工会职工书屋"), form.text)
        XCTAssertEqual(form.errors, [])
        let id = String(landed.dropFirst("/console/requests/".count))
        let shown = try XCTUnwrap(try hub.admin(["request", "show", id, "--json"]).first)
        let record = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any])
        XCTAssertEqual([record["state"] as? String, record["pickup_site"] as? String, record["item_key"] as? String], ["placed", "kc-shelf-1", copy[0]])

        var visits = placed
        for (english, prefix) in [(false, "requests-zh"), (true, "requests-en")] {
            let walked = try walk(hub, account: manager, password: password, prefix: prefix, paths: ["/console/requests", landed], english: english)
            XCTAssertEqual(walked.count, 4, prefix)
            for v in walked {
                let what = "\(prefix) \(v.path) at \(v.width)"
                XCTAssertEqual([v.status, v.errors.count], [200, 0], "\(what): \(v.errors)")
                XCTAssertEqual(v.lang, english ? "en" : "zh-CN", what)
                XCTAssertTrue(v.text.contains(id), what)
                XCTAssertTrue(v.text.contains(english ? "Placed, to be sent" : "待寄出"), what)
                if v.width == 390 { XCTAssertFalse(v.sideways, "\(what) scrolls sideways") }
            }
            visits += walked
        }
        XCTAssertFalse(visits.contains { $0.text.contains(number) }, "a worker's number on a page")
    }
}
