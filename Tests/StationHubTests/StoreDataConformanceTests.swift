import Crypto
import Foundation
import StationCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// What goes down to boxes, device logs, reports, retention and erasure, sealed
/// credentials, and the schema's own history, on both engines.
final class StoreDataConformanceTests: XCTestCase {
    func testTheDownlinkSendsEachChangeOnceInRevisionOrderAndOnlyTheSitesOwnSettings() async throws {
        let log = try await Engines.agree("downlink") { _, store in
            try await Events.union(store)
            var log: [String] = []
            let titles = (1...3).map { Downlink.Title(itemKey: "label:T\($0)", title: "Title \($0)", homeSite: "shelf-a") }
            log.append("import \(try await store.importCatalog(titles))")
            log.append("again \(try await store.importCatalog(titles))")
            log.append("changed \(try await store.importCatalog([.init(itemKey: "label:T2", title: "Title 2, revised", homeSite: "shelf-b"), titles[0]]))")
            log.append("twice \(try await store.importCatalog([.init(itemKey: "label:T9", title: "first", homeSite: nil), .init(itemKey: "label:T9", title: "last", homeSite: nil)]))")
            log.append("members \(try await store.importMembers([.init(cardUID: "04A1", member: "p1:aa"), .init(cardUID: "04A2", member: "p1:bb")]))")
            log.append("members again \(try await store.importMembers([.init(cardUID: "04A1", member: "p1:aa")]))")
            log.append(await StoreConformanceTests.attempt("bad setting") { try await store.setSiteSetting(site: "shelf-a", key: "nonsense", value: "1"); return "ok" })
            log.append(await StoreConformanceTests.attempt("no site") { try await store.setSiteSetting(site: "nowhere", key: "max_loans", value: "3"); return "ok" })
            try await store.setSiteSetting(site: "shelf-a", key: "max_loans", value: "3")
            try await store.setSiteSetting(site: "shelf-a", key: "max_loans", value: "3")
            try await store.setSiteSetting(site: "shelf-b", key: "max_loans", value: "9")
            try await store.publishKeys(purpose: "credential", [1: "K1", 2: "K2"])
            try await store.publishKeys(purpose: "credential", [1: "K1", 2: "K2"])
            let all = try await store.downlink(box: "box-a", site: "shelf-a", since: 0)
            log.append("revision \(all.revision)")
            log += all.catalog.map { "title \($0.itemKey) \($0.title ?? "-") \($0.homeSite ?? "-")" }
            log += all.members.map { "member \($0.cardUID) \($0.member)" } + all.keys.map { "key \($0.version) \($0.material)" }
            log += all.siteConfig.sorted { $0.key < $1.key }.map { "setting \($0.key)=\($0.value)" }
            // Paged: two rows at a time, each page continuing where the last stopped.
            var since: Int64 = 0, pages: [String] = []
            while true {
                let page = try await store.downlink(box: "box-a", site: "shelf-a", since: since, limit: 2)
                if page.revision == since { break }
                pages.append("\(page.catalog.count + page.members.count + page.keys.count + page.siteConfig.count)@\(page.revision)")
                since = page.revision
            }
            log.append("pages " + pages.joined(separator: " "))
            log.append("nothing new \(try await store.downlink(box: "box-a", site: "shelf-a", since: all.revision).revision)")
            return log
        }
        XCTAssertEqual(
            log,
            [
                "import 3", "again 0", "changed 1", "twice 1", "members 2", "members again 0", "bad setting: invalid", "no site: notFound",
                "revision 11",
                "title label:T1 Title 1 shelf-a", "title label:T3 Title 3 shelf-a", "title label:T2 Title 2, revised shelf-b", "title label:T9 last -",
                "member 04A1 p1:aa", "member 04A2 p1:bb", "key 1 K1", "key 2 K2", "setting max_loans=3",
                // Revision 9 (shelf-b's setting) is not shelf-a's: skipped; the last page ends at the head.
                "pages 2@3 2@5 2@7 2@10 1@11", "nothing new 11",
            ])
    }

    func testDeviceLogLinesAreKeptOnceInTheirOrder() async throws {
        let log = try await Engines.agree("devicelog") { _, store in
            try await Events.union(store)
            let lines = [DeviceLogLine(id: 2, atMillis: 20, level: "error", scannerID: "s1", message: "b"), DeviceLogLine(id: 1, atMillis: 10, level: "warning", scannerID: nil, message: "a")]
            _ = try await store.addDeviceLog(box: "box-a", lines)
            _ = try await store.addDeviceLog(box: "box-a", lines)
            return try await store.deviceLog(box: "box-a").map { "\($0.id) \($0.level) \($0.scannerID ?? "-") \($0.message)" }
        }
        XCTAssertEqual(log, ["1 warning - a", "2 error s1 b"])
    }

    /// A small union's morning; every report and recommendation computed by each engine.
    func testEveryReportGivesTheSameTableOnBothEngines() async throws {
        let tables = try await Engines.agree("reports") { _, store in
            try await Self.morning(store)
            var out: [String] = []
            for (name, _) in Reports.all {
                let table = try await store.report(name, .init(site: Reports.ofOneSite.contains(name) ? "shelf-b" : nil, nowMillis: Events.base + 40 * 86_400_000))
                out.append("\(name): " + table.csv.replacingOccurrences(of: "\r\n", with: " / "))
            }
            return out
        }
        XCTAssertEqual(tables.first { $0.hasPrefix("lending:") }, "lending: site,month,loans,borrowers,returns / shelf-a,2026-11,3,2,1 / shelf-b,2026-11,1,1,2 / ")
        XCTAssertEqual(tables.first { $0.hasPrefix("drift:") }, "drift: from_site,to_site,books / shelf-a,shelf-b,1 / ")
        XCTAssertEqual(tables.first { $0.hasPrefix("overdue:") }, "overdue: item_key,title,site,due_date,borrower / label:B2,Second Book,shelf-a,2026-11-20,\(Events.key("box-a", "w2")) / label:B3,,shelf-b,2026-11-21,\(Events.key("box-b", "w3")) / ")
        XCTAssertEqual(tables.count, Reports.all.count)
    }

    /// Loans, a drift, a voided loan, visits (one of them lactation).
    static func morning(_ store: HubStore) async throws {
        try await Events.union(store)
        _ = try await store.importCatalog([.init(itemKey: "label:B1", title: "First Book", homeSite: "shelf-a"), .init(itemKey: "label:B2", title: "Second Book", homeSite: "shelf-a")])
        let a = [
            Events.event("box-a", 1, site: "shelf-a", .checkout, at: 60, item: "label:B1", who: "w1", due: "2026-11-16"),
            Events.event("box-a", 2, site: "shelf-a", .checkout, at: 61, item: "label:B2", who: "w2", due: "2026-11-20"),
            Events.event("box-a", 3, site: "shelf-a", .checkout, at: 62, item: "label:B9", who: "w2", due: "2026-11-20"),
            Events.event("box-a", 4, site: "shelf-a", .void, at: 63, refersTo: 3),
            Events.event("box-a", 5, site: "shelf-a", .checkout, at: 64, item: "label:B1", who: "w1", due: "2026-11-30"),
            Events.event("box-a", 6, site: "shelf-a", .return, at: 70, item: "label:B5"),
        ]
        let b = [
            Events.event("box-b", 1, site: "shelf-b", .return, at: 120, item: "label:B1"),
            Events.event("box-b", 2, site: "shelf-b", .checkout, at: 121, item: "label:B3", who: "w3", due: "2026-11-21"),
            Events.event("box-b", 3, site: "shelf-b", .return, at: 122, item: "label:B4"),
        ]
        let c = (0..<6).flatMap { i -> [JournalEvent] in
            let service = i < 5 ? "lactation" : "rest"
            return [
                Events.event("box-c", Int64(2 * i + 1), site: "hut-c", .visitStart, at: Int64(200 + 30 * i), who: "m\(i)", service: service),
                Events.event("box-c", Int64(2 * i + 2), site: "hut-c", .visitEnd, at: Int64(220 + 30 * i), who: "m\(i)", service: service),
            ]
        }
        _ = try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming(a), keys: nil)
        _ = try await store.ingest(box: "box-b", site: "shelf-b", events: Events.incoming(b), keys: nil)
        _ = try await store.ingest(box: "box-c", site: "hut-c", events: Events.incoming(c), keys: nil)
    }

    func testRetentionAndErasureLeaveTheReportsAsTheyWereAndNameNoOne() async throws {
        let log = try await Engines.agree("privacy") { _, store in
            try await Self.morning(store)
            func lending() async throws -> String { try await store.report("lending", .init(nowMillis: Events.base)).csv }
            let before = try await lending()
            var log: [String] = []
            let erased = try await store.erase(worker: Events.key("box-b", "w3"), reference: "REQ-1", operator: "ops-li")
            log.append("erased \(erased.events) \(erased.books) \(erased.visits)")
            log.append(await StoreConformanceTests.attempt("erase a tag") { _ = try await store.erase(worker: "erased:x", reference: "R", operator: "o"); return "ok" })
            log += try await store.dump("SELECT reference, operator, events, books, visits FROM erasure_log")
            log += try await store.dump("SELECT count(*) FROM event WHERE worker_key = '\(Events.key("box-b", "w3"))' OR body LIKE '%\(Events.hash("w3"))%'")
            log += try await store.dump("SELECT count(*) FROM ledger_book WHERE holder LIKE 'erased:%'")
            log.append("lending unchanged \(try await lending() == before)")
            // A service no box recorded and no card chooses, no period at all: refused.
            for (key, days) in [("visit:nosuch", 1), ("nonsense", 1), ("checkout", -1), ("checkout", 0)] {
                log.append(await StoreConformanceTests.attempt("set \(key) \(days)") { try await store.setRetention(key, days: days); return "ok" })
            }
            try await store.setRetention("visit:lactation", days: 7)
            try await store.setRetention("checkout", days: 30)
            try await store.setRetention("checkout", days: 20)
            log += try await store.retentionPeriods().map { "\($0.key)=\($0.days)" }
            log += try await store.applyRetention(nowMillis: Events.base + 60 * 86_400_000).map { "\($0.key): \($0.changed)" }
            log += try await store.applyRetention(nowMillis: Events.base + 60 * 86_400_000).map { "again \($0.key): \($0.changed)" }
            log.append("lending unchanged \(try await lending() == before)")
            log += try await store.dump("SELECT kind, count(*) FROM event WHERE worker_key LIKE 'expired:%' GROUP BY kind ORDER BY kind")
            log += try await store.dump("SELECT count(*) FROM ledger_visit WHERE worker LIKE 'expired:%'")
            return log
        }
        XCTAssertEqual(
            log,
            [
                // w3's one loan and the book it holds now name no one; the log names w3 nowhere.
                "erased 1 1 0", "erase a tag: invalid", "REQ-1|ops-li|1|1|0", "0", "1", "lending unchanged true",
                "set visit:nosuch 1: invalid", "set nonsense 1: invalid", "set checkout -1: invalid", "set checkout 0: invalid", "checkout=20", "visit:lactation=7",
                // Four live check-outs (one voided) and five lactation visits, both ends.
                "checkout: 4", "visit:lactation: 10", "again checkout: 0", "again visit:lactation: 0",
                "lending unchanged true", "checkout|4", "visit-end|5", "visit-start|5", "5",
            ])
    }
}
