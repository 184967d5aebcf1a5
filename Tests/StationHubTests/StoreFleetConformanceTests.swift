import Crypto
import Foundation
import StationCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// What operators do to a fleet, on both engines: sites and boxes (bulk, moved, revoked
/// and back), the catalog and member list kept true, what a hub refuses to become, and
/// every change in the audit log.
final class StoreFleetConformanceTests: XCTestCase {
    static let actor = Actor(name: "ops-wang", origin: "test")

    func testSitesAndBoxesAsOperatorsRunThem() async throws {
        let log = try await Engines.agree("fleet") { _, store in
            var log: [String] = []
            let a = Self.actor
            try await store.addSite("shelf-a", region: "east", name: "东区书屋", kind: "bookshelf", by: a)
            try await store.addSite("hut-c", region: "west", by: a)
            log.append(await StoreConformanceTests.attempt("kind") { try await store.addSite("x", region: nil, kind: "castle", by: a); return "ok" })
            log.append(await StoreConformanceTests.attempt("id") { try await store.addSite("a b", region: nil, by: a); return "ok" })
            try await store.updateSite("hut-c", name: "爱心妈妈小屋", kind: "hut", region: "", by: a)
            try await store.setSiteSetting(site: "hut-c", key: "visit_max_minutes", value: "90", by: a)
            log += try await store.sites().map { "\($0.id)|\($0.name ?? "-")|\($0.kind ?? "-")|\($0.region ?? "-")|\($0.boxes)|\($0.settings)" }
            // Bulk: one unknown site or one existing box, and nothing is created.
            log.append(await StoreConformanceTests.attempt("bulk unknown site") { _ = try await store.addBoxes([("b1", "shelf-a"), ("b2", "nowhere")], by: a); return "ok" })
            let tokens = try await store.addBoxes([("b1", "shelf-a"), ("b2", "shelf-a"), ("b3", "hut-c")], by: a)
            log.append("tokens \(tokens.count) \(Set(tokens).count)")
            log.append(await StoreConformanceTests.attempt("bulk again") { _ = try await store.addBoxes([("b4", "shelf-a"), ("b1", "shelf-a")], by: a); return "ok" })
            log.append(await StoreConformanceTests.attempt("elsewhere") { _ = try await store.addBox("b1", site: "hut-c", by: a); return "ok" })
            let enrolled = try await store.enroll(token: tokens[0])
            log.append("enrolled \(enrolled.boxID) keys \(enrolled.keys?.count ?? -1)")
            try await store.revoke("b2", reason: "lost", by: a)
            log += try await store.boxes().map { "\($0.id)|\($0.site)|\($0.state.rawValue)|\($0.revokedReason ?? "-")|\($0.enrolledMillis != nil)" }
            log.append(await StoreConformanceTests.attempt("unrevoke b1") { try await store.unrevoke("b1", by: a); return "ok" })
            try await store.unrevoke("b2", by: a)
            // A batch says what the box still holds and what it runs.
            let e = Events.event("b1", 1, site: "shelf-a", .return, at: 1, item: "label:L1")
            _ = try await store.ingest(box: "b1", site: "shelf-a", events: Events.incoming([e]), keys: nil, report: BatchReport(backlog: 41, software: "stationd 0.2.0"))
            // Moved: events from before the move (the old site) are taken; another site's are not.
            try await store.moveBox("b1", to: "hut-c", by: a)
            let old = Events.event("b1", 2, site: "shelf-a", .return, at: 2, item: "label:L2")
            log.append(Events.summary(try await store.ingest(box: "b1", site: "hut-c", events: Events.incoming([old]), keys: nil)))
            log.append(await StoreConformanceTests.attempt("other site") {
                Events.summary(try await store.ingest(box: "b1", site: "hut-c", events: Events.incoming([Events.event("b1", 3, site: "nowhere", .return, at: 3, item: "label:L3")]), keys: nil))
            })
            let b1 = try await store.box("b1")
            log.append("b1|\(b1.site)|\(b1.backlog ?? -1)|\(b1.software ?? "-")|\(b1.formerSites)|\(b1.ackedThrough)|\(b1.lastBatchMillis != nil)")
            log += try await store.auditLog(limit: 100).reversed().map { "\($0.actor)|\($0.origin)|\($0.action)|\($0.subject)|\($0.detail)" }
            return log
        }
        XCTAssertEqual(
            log,
            [
                "kind: invalid", "id: invalid",
                "hut-c|爱心妈妈小屋|hut|-|0|[\"visit_max_minutes\": \"90\"]", "shelf-a|东区书屋|bookshelf|east|0|[:]",
                "bulk unknown site: notFound", "tokens 3 3", "bulk again: conflict", "elsewhere: conflict", "enrolled b1 keys 0",
                "b1|shelf-a|enrolled|-|true", "b2|shelf-a|revoked|lost|false", "b3|hut-c|not-enrolled|-|false",
                "unrevoke b1: conflict",
                "acked 2 applied 1 dup 0 q [] resume - conflict false", "other site: forbidden",
                "b1|hut-c|41|stationd 0.2.0|[\"shelf-a\"]|2|true",
                "ops-wang|test|site.add|shelf-a|region=east name=东区书屋 kind=bookshelf", "ops-wang|test|site.add|hut-c|region=west",
                "ops-wang|test|site.set|hut-c|name=爱心妈妈小屋 kind=hut region=", "ops-wang|test|site.setting|hut-c|visit_max_minutes=90",
                "ops-wang|test|box.add|b1|site=shelf-a", "ops-wang|test|box.add|b2|site=shelf-a", "ops-wang|test|box.add|b3|site=hut-c",
                "ops-wang|test|box.revoke|b2|lost", "ops-wang|test|box.unrevoke|b2|", "ops-wang|test|box.move|b1|from=shelf-a to=hut-c",
            ])
    }

    func testTheCatalogAndTheMemberListAreKeptTrueAndBoxesForgetWhatLeavesThem() async throws {
        let log = try await Engines.agree("catalog") { _, store in
            var log: [String] = []
            try await Events.union(store)
            let a = Self.actor
            // An unknown home site: nothing imported.
            log.append(await StoreConformanceTests.attempt("unknown home") {
                String(try await store.importCatalog([.init(itemKey: "label:T1", title: "One", homeSite: "shelf-a"), .init(itemKey: "label:T2", title: "Two", homeSite: "shelf-z")], by: a))
            })
            log += try await store.dump("SELECT count(*) FROM catalog_title")
            log.append("import \(try await store.importCatalog([.init(itemKey: "label:T1", title: "平凡的世界", homeSite: "shelf-a"), .init(itemKey: "isbn:9787020002207", title: "Red Sorghum", homeSite: "shelf-b")], by: a))")
            // Where a copy is now follows the ledger: T1 lent at shelf-b.
            let loan = Events.event("box-b", 1, site: "shelf-b", .checkout, at: 1, item: "label:T1", who: "w1", due: "2026-12-31")
            _ = try await store.ingest(box: "box-b", site: "shelf-b", events: Events.incoming([loan]), keys: nil)
            func show(_ r: [CatalogRecord]) -> [String] { r.map { "\($0.itemKey)|\($0.title ?? "-")|\($0.homeSite ?? "-")|\($0.site ?? "-")|\($0.dueDate ?? "-")" } }
            log += show(try await store.catalog())
            log += show(try await store.catalog(query: "SORGHUM"))
            log += show(try await store.catalog(query: "平凡"))
            log += show(try await store.catalog(site: "shelf-b"))
            let before = try await store.downlink(box: "box-a", site: "shelf-a", since: 0).revision
            log.append(await StoreConformanceTests.attempt("remove unknown") { String(try await store.removeCatalog(["label:T1", "label:NOPE"], by: a)) })
            log.append("removed \(try await store.removeCatalog(["label:T1"], by: a))")
            log += show(try await store.catalog())
            try await store.importMembers([.init(cardUID: "04A1", member: "p1:aa"), .init(cardUID: "04A2", member: "p1:bb")], by: a)
            log.append("members removed \(try await store.removeMembers(["04a2"], by: a))")
            log += try await store.members().map { "\($0.cardUID)|\($0.member)" }
            let down = try await store.downlink(box: "box-a", site: "shelf-a", since: before)
            log += down.catalog.map { "down title \($0.itemKey) \($0.removed ?? false)" } + down.members.map { "down member \($0.cardUID) \($0.member) \($0.removed ?? false)" }
            log.append("down site \(down.siteID ?? "-")")
            return log
        }
        XCTAssertEqual(
            log,
            [
                "unknown home: notFound", "0", "import 2",
                "isbn:9787020002207|Red Sorghum|shelf-b|-|-", "label:T1|平凡的世界|shelf-a|shelf-b|2026-12-31",
                "isbn:9787020002207|Red Sorghum|shelf-b|-|-", "label:T1|平凡的世界|shelf-a|shelf-b|2026-12-31",
                "isbn:9787020002207|Red Sorghum|shelf-b|-|-", "label:T1|平凡的世界|shelf-a|shelf-b|2026-12-31",
                "remove unknown: notFound", "removed 1", "isbn:9787020002207|Red Sorghum|shelf-b|-|-",
                "members removed 1", "04A1|p1:aa",
                "down title label:T1 true", "down member 04A1 p1:aa false", "down member 04A2 removed:04A2 true", "down site shelf-a",
            ])
    }

    func testACommandFindsAHubOrIsToldThereIsNone() async throws {
        let directory = try ProjectPaths.temporaryDirectory("no-hub")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("mistyped.sqlite").path
        do {
            _ = try await HubDatabase.with(path, creating: false) { try await $0.sites() }
            XCTFail("a missing database was opened")
        } catch let error as HubError {
            XCTAssertEqual(error.code, "no-hub-database")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing is created")
        // A file that is no hub's (another program's database) is not made one either.
        let other = directory.appendingPathComponent("other.sqlite").path
        try Data().write(to: URL(fileURLWithPath: other))
        do {
            _ = try await HubDatabase.with(other, creating: false) { try await $0.sites() }
            XCTFail("a database without a hub was taken")
        } catch let error as HubError {
            XCTAssertEqual(error.code, "no-hub-database")
        }
        _ = try await HubDatabase.with(path, creating: true) { try await $0.sites() }
        let sites = try await HubDatabase.with(path, creating: false) { try await $0.sites() }
        XCTAssertEqual(sites, [])
        if let server = Engines.server {
            let empty = try await Engines.freshDatabase(server, label: "no-hub")
            do {
                _ = try await HubDatabase.with(empty, creating: false) { try await $0.sites() }
                XCTFail("an empty PostgreSQL database was taken for a hub")
            } catch let error as HubError {
                XCTAssertEqual(error.code, "no-hub-database")
            }
        }
    }
}
