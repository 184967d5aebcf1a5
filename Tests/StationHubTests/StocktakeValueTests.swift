import XCTest

@testable import StationHub

/// A site's stocktake as values: which counts make one stocktake, and what it finds.
final class StocktakeValueTests: XCTestCase {
    typealias M = Stocktakes.Mark

    func testOverlappingCountsOfOneSiteAreOneStocktake() {
        // box-a 10–50 and box-b 40–70 overlap: one; box-a again at 100, still counting: another.
        let marks = [M(box: "a", start: true, atMillis: 10), M(box: "b", start: true, atMillis: 40), M(box: "a", start: false, atMillis: 50),
                     M(box: "b", start: false, atMillis: 70), M(box: "a", start: true, atMillis: 100)]
        XCTAssertEqual(Stocktakes.runs(marks.shuffled(), nowMillis: 200), [.init(from: 10, to: 70), .init(from: 100, to: nil)])
        // An end without its start is nothing; a second start of a box still counting is the same count.
        XCTAssertEqual(Stocktakes.runs([M(box: "a", start: false, atMillis: 5), M(box: "a", start: true, atMillis: 10), M(box: "a", start: true, atMillis: 20),
                                        M(box: "a", start: false, atMillis: 30)], nowMillis: 200), [.init(from: 10, to: 30)])
        // Touching counts join; one inside another does not stretch it.
        XCTAssertEqual(Stocktakes.runs([M(box: "a", start: true, atMillis: 0), M(box: "a", start: false, atMillis: 100), M(box: "b", start: true, atMillis: 20),
                                        M(box: "b", start: false, atMillis: 30), M(box: "c", start: true, atMillis: 100), M(box: "c", start: false, atMillis: 120)], nowMillis: 200),
                       [.init(from: 0, to: 120)])
        XCTAssertEqual(Stocktakes.runs([], nowMillis: 0), [])
        // A box that never ended its count (replaced, its journal lost) does not hold the
        // site's later stocktakes open: a day after it began, it ended.
        let day = Stocktakes.longestCountMillis
        let lost = [M(box: "old", start: true, atMillis: 0), M(box: "new", start: true, atMillis: 3 * day), M(box: "new", start: false, atMillis: 3 * day + 50)]
        XCTAssertEqual(Stocktakes.runs(lost, nowMillis: 4 * day), [.init(from: 0, to: day), .init(from: 3 * day, to: 3 * day + 50)])
        XCTAssertEqual(Stocktakes.runs([M(box: "a", start: true, atMillis: 0)], nowMillis: day - 1), [.init(from: 0, to: nil)], "still counting")
    }

    func testFindingsNameEachCopyOnceAndOnlyWhatTheStocktakeCanTell() {
        let run = Stocktakes.Run(from: 1_000, to: 2_000)
        func seen(_ key: String, _ at: Int64, box: String = "a") -> Stocktakes.Sighting { .init(itemKey: key, box: box, atMillis: at) }
        func copy(
            _ key: String, home: String = "s", site: String? = "s", loan: Int64? = nil, transit: Bool = false, held: Bool = false, last: Int64? = nil
        ) -> Stocktakes.Copy {
            .init(itemKey: key, title: "T \(key)", homeSite: home, site: site, onLoanSince: loan, inTransit: transit, heldHere: held, lastMillis: last)
        }
        let copies = [
            copy("ok"), copy("gone"), copy("lent-before", loan: 500), copy("lent-after", loan: 1_600), copy("stranger", home: "t"),
            copy("moved-since", last: 1_500), copy("on-its-way", transit: true), copy("elsewhere", home: "t", site: "t"), copy("on-loan-not-seen", loan: 10),
            copy("seen-before-the-count"), copy("held-here", home: "t", held: true),
        ]
        let sightings = [
            seen("ok", 1_100), seen("ok", 1_050, box: "b"), seen("lent-before", 1_200), seen("lent-after", 1_500), seen("stranger", 1_300), seen("mystery", 1_400),
            seen("seen-before-the-count", 900), seen("mystery", 2_500), seen("held-here", 1_700),
        ]
        let found = Stocktakes.findings(site: "s", run: run, sightings: sightings.shuffled(), copies: copies.shuffled())
        XCTAssertEqual(
            found.map { "\($0.kind.rawValue) \($0.itemKey) \($0.seen.map { "\($0.box)@\($0.atMillis)" } ?? "-")" },
            [
                "missing gone -", "missing seen-before-the-count -", "implied-return lent-before a@1200", "misplaced stranger a@1300", "unknown mystery a@1400",
            ])
        XCTAssertEqual(found.first { $0.kind == .impliedReturn }?.title, "T lent-before")
    }
}
