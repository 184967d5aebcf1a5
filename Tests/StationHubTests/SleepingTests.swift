import StationCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// Sleeping books: as values, and on both engines over a small union whose figures are
/// worked out here by hand.
final class SleepingTests: XCTestCase {
    func testMonthsAsleepAndTheOrderOfWhatIsWantedElsewhere() {
        XCTAssertEqual(Sleeping.monthsBetween("2025-11", "2026-02"), 3)
        XCTAssertEqual(Sleeping.monthsBetween("2026-02", "2026-02"), 0)
        let copies = [
            Sleeping.Copy(itemKey: "k1", title: "A", site: "s", lastLoanMonth: "2026-01", months: 6),  // 5 months: awake
            Sleeping.Copy(itemKey: "k2", title: "A", site: "s", lastLoanMonth: "2025-12", months: 6),  // 6: asleep
            Sleeping.Copy(itemKey: "k3", title: "B", site: "s", lastLoanMonth: nil, months: 6),  // never lent
            Sleeping.Copy(itemKey: "k4", title: "C", site: "t", lastLoanMonth: "2026-03", months: 3),  // t says 3
        ]
        let rows = Sleeping.rows(copies: copies, nowMonth: "2026-06", loans: ["A": ["s": 9, "u": 2], "B": ["u": 2]], requests: ["B": 1])
        XCTAssertEqual(rows.map { "\($0.copy.itemKey) \($0.monthsAsleep.map(String.init) ?? "never") \($0.loansElsewhere) \($0.openRequests)" }, ["k3 never 2 1", "k2 6 2 0", "k4 3 0 0"])
    }

    func testTheReportOnBothEngines() async throws {
        let day: Int64 = 1440
        let tables = try await Engines.agree("sleeping") { _, store in
            try await Events.union(store)
            try await store.setSiteSetting(site: "shelf-b", key: "sleeping_months", value: "3")
            _ = try await store.importCatalog(
                [("A1", "甲", "shelf-a"), ("A2", "甲", "shelf-b"), ("B1", "乙", "shelf-a"), ("B2", "乙", "shelf-b"), ("C1", "丙", "shelf-a"), ("D1", "丁", "shelf-b"), ("E1", "戊", "shelf-b"), ("F1", "己", "shelf-b"), ("G1", "庚", "shelf-a"),
                    ("H1", "辛", "shelf-a"),
                ].map {
                    Downlink.Title(itemKey: "label:\($0.0)", title: $0.1, homeSite: $0.2)
                })
            func loan(_ box: String, _ seq: Int64, _ site: String, _ item: String, at: Int64, back: Int64?) -> [JournalEvent] {
                [Events.event(box, seq, site: site, .checkout, at: at * day, item: "label:\(item)", who: "w\(seq)", due: "2026-12-30")]
                    + (back.map { [Events.event(box, seq + 1, site: site, .return, at: $0 * day, item: "label:\(item)")] } ?? [])
            }
            // A1 lent 8 months ago at shelf-a; A2 twice last month at shelf-b; B2 out now at
            // shelf-b; C1 lent 40 days ago; D1 5 months ago (shelf-b sleeps after 3); B1 never.
            // On the edge: G1 and H1 6 and 5 months ago at shelf-a, E1 and F1 3 and 2 at shelf-b.
            let a = loan("box-a", 1, "shelf-a", "A1", at: -240, back: -230) + loan("box-a", 3, "shelf-a", "C1", at: -40, back: -35)
                + loan("box-a", 5, "shelf-a", "G1", at: -170, back: -165) + loan("box-a", 7, "shelf-a", "H1", at: -140, back: -135)
            let b = loan("box-b", 1, "shelf-b", "A2", at: -20, back: -18) + loan("box-b", 3, "shelf-b", "A2", at: -15, back: -12)
                + loan("box-b", 5, "shelf-b", "B2", at: -5, back: nil) + loan("box-b", 6, "shelf-b", "D1", at: -150, back: -140)
                + loan("box-b", 8, "shelf-b", "E1", at: -80, back: -75) + loan("box-b", 10, "shelf-b", "F1", at: -60, back: -55)
            _ = try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming(a), keys: nil)
            _ = try await store.ingest(box: "box-b", site: "shelf-b", events: Events.incoming(b), keys: nil)
            try await store.insertRequests([Requests.Request(id: "r1", itemKey: "label:B1", pickupSite: "shelf-b", worker: "p1:w9", placedMillis: Events.base, holdDays: 7)])
            let now = Events.base + 10 * day * Events.minute
            var out: [String] = []
            for site in [nil, "shelf-b"] {
                let table = try await store.report("sleeping", Reports.Parameters(site: site, nowMillis: now))
                out.append(table.csv.replacingOccurrences(of: "\r\n", with: " / "))
            }
            return out
        }
        XCTAssertEqual(
            tables,
            [
                "site,item_key,title,last_loan_month,months_asleep,loans_elsewhere,open_requests / shelf-a,label:A1,甲,2026-03,8,2,0 / shelf-a,label:B1,乙,,,1,1 / "
                    + "shelf-a,label:G1,庚,2026-05,6,0,0 / shelf-b,label:D1,丁,2026-06,5,0,0 / shelf-b,label:E1,戊,2026-08,3,0,0 / ",
                "site,item_key,title,last_loan_month,months_asleep,loans_elsewhere,open_requests / shelf-b,label:D1,丁,2026-06,5,0,0 / shelf-b,label:E1,戊,2026-08,3,0,0 / ",
            ])
    }
}
