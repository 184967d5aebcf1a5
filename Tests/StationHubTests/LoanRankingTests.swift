import XCTest

@testable import StationHub

/// ``LoanRanking`` as values: random loans at sites of several regions (a site without a
/// region, a site the sites do not name, copies of one title, books the catalog does not
/// name, ties, titles that sort differently by bytes than by characters) against loans
/// summed and ranked the slow way, per region or over every site, some titles left out.
final class LoanRankingTests: XCTestCase {
    static let regions = ["s1": "east", "s2": "east", "s3": "west", "s4": "", "s5": "Ouest"]
    static let catalog = ["label:A1": "甲", "label:A2": "甲", "label:B1": "Beta", "label:C1": "beta", "label:D1": "Éclat", "label:E1": "Zed"]
    static let items = catalog.keys.sorted() + ["label:X1", "label:Y1"]

    static func slowly(_ loans: [LoanRanking.Loans], byRegion: Bool, excluding: Set<String>, limit: Int) -> [String] {
        func bytewise(_ x: String, _ y: String) -> Bool { x.utf8.lexicographicallyPrecedes(y.utf8) }
        var lines: [String] = []
        for region in byRegion ? Set(regions.values).sorted(by: bytewise) : [""] {
            var sums: [String: Int64] = [:], sites: [String: Set<String>] = [:]
            for l in loans where !byRegion || regions[l.site] == region {
                let title = catalog[l.item] ?? l.item
                guard !excluding.contains(title) else { continue }
                sums[title, default: 0] += l.loans
                sites[title, default: []].insert(l.site)
            }
            let best = sums.sorted { x, y in x.value != y.value ? x.value > y.value : bytewise(x.key, y.key) }.prefix(limit)
            lines += best.enumerated().map { "\(region)|\($0.offset + 1)|\($0.element.key)|\($0.element.value)|\(sites[$0.element.key]!.count)" }
        }
        return lines
    }

    func testRandomLoansRankAsSummedOneRegionAtATime() {
        var rng = SeededRandom(seed: 1207)
        let sites = Self.regions.keys.sorted() + ["s9"]
        for round in 0..<300 {
            let loans = (0..<rng.next(in: 0...40)).map { _ in
                LoanRanking.Loans(site: sites[rng.next(in: 0...(sites.count - 1))], item: Self.items[rng.next(in: 0...(Self.items.count - 1))], loans: Int64(rng.next(in: 1...3)))
            }
            let limit = rng.next(in: 1...5), byRegion = round % 2 == 0
            let excluding: Set<String> = byRegion ? [] : Set(["甲", "label:X1", "Zed"].filter { _ in rng.next(in: 0...1) == 1 })
            let got = LoanRanking.ranked(loans, regions: byRegion ? Self.regions : nil, titles: Self.catalog, excluding: excluding, limit: limit).map {
                "\($0.region)|\($0.rank)|\($0.title)|\($0.loans)|\($0.sites)"
            }
            XCTAssertEqual(got, Self.slowly(loans, byRegion: byRegion, excluding: excluding, limit: limit), "round \(round)")
        }
    }

    func testCopiesOfATitleAddUpAndASiteNobodyNamedCountsNowhere() {
        let loans = [
            LoanRanking.Loans(site: "s1", item: "label:A1", loans: 1), LoanRanking.Loans(site: "s2", item: "label:A2", loans: 1),
            LoanRanking.Loans(site: "s1", item: "label:B1", loans: 1), LoanRanking.Loans(site: "s9", item: "label:B1", loans: 5),
        ]
        let got = LoanRanking.ranked(loans, regions: Self.regions, titles: Self.catalog, limit: 5).map { "\($0.region)|\($0.rank)|\($0.title)|\($0.loans)|\($0.sites)" }
        XCTAssertEqual(got, ["east|1|甲|2|2", "east|2|Beta|1|1"])
    }
}
