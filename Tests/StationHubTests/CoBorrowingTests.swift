import XCTest

@testable import StationHub

/// ``CoBorrowing`` as values: random check-outs (a reader's title borrowed again, through
/// the same copy or another, asked or not; readers of one title; ties; books the catalog
/// does not name; titles that sort differently by bytes than by characters) against the
/// pairs counted by brute force over every reader and title.
final class CoBorrowingTests: XCTestCase {
    static let catalog = [
        "label:A1": "甲", "label:A2": "甲", "label:B1": "乙", "label:C1": "Beta", "label:C2": "Beta", "label:D1": "beta", "label:E1": "Éclat",
        "label:F1": "Zed", "label:G1": "a", "label:H1": "ab", "label:I1": "丙",
    ]
    static let items = catalog.keys.sorted() + ["label:X1", "label:Y1"]

    /// Every (title, other title, readers) counted the slow way, ranked as the report ranks.
    static func bruteForce(_ reads: [CoBorrowing.Read], limit: Int) -> [String] {
        struct Read { var reader: String, title: String, asked: Bool }
        let reads = reads.map { Read(reader: $0.reader, title: catalog[$0.item] ?? $0.item, asked: $0.asked) }
        let readers = Set(reads.map(\.reader))
        let titles = Set(reads.map(\.title))
        func bytewise(_ x: String, _ y: String) -> Bool { x.utf8.lexicographicallyPrecedes(y.utf8) }
        var lines: [String] = []
        for a in titles.sorted(by: bytewise) {
            var also: [(String, Int)] = []
            for b in titles where b != a {
                let n = readers.filter { r in
                    reads.contains { $0.reader == r && $0.title == a && $0.asked } && reads.contains { $0.reader == r && $0.title == b }
                }.count
                if n > 0 { also.append((b, n)) }
            }
            also.sort { x, y in x.1 != y.1 ? x.1 > y.1 : bytewise(x.0, y.0) }
            lines += also.prefix(limit).enumerated().map { "\(a)|\($0.offset + 1)|\($0.element.0)|\($0.element.1)" }
        }
        return lines
    }

    func testRandomCheckOutsRankAsCountedOneReaderAtATime() {
        var rng = SeededRandom(seed: 20_261_207)
        for round in 0..<200 {
            let reads = (0..<rng.next(in: 0...60)).map { _ in
                CoBorrowing.Read(reader: "r\(rng.next(in: 0...12))", item: Self.items[rng.next(in: 0...(Self.items.count - 1))], asked: rng.next(in: 0...2) > 0)
            }
            let limit = rng.next(in: 1...6)
            let got = CoBorrowing.ranked(reads, titles: Self.catalog, limit: limit).map { "\($0.title)|\($0.rank)|\($0.also)|\($0.readers)" }
            XCTAssertEqual(got, Self.bruteForce(reads, limit: limit), "round \(round)")
        }
    }

    func testAReaderCountsOncePerPairAndOnlyFromATitleAskedAbout() {
        let reads = [
            CoBorrowing.Read(reader: "r1", item: "label:A1", asked: true), CoBorrowing.Read(reader: "r1", item: "label:A2", asked: true),
            CoBorrowing.Read(reader: "r1", item: "label:C1", asked: false), CoBorrowing.Read(reader: "r1", item: "label:C1", asked: false),
            CoBorrowing.Read(reader: "r2", item: "label:A1", asked: false), CoBorrowing.Read(reader: "r2", item: "label:C2", asked: true),
            CoBorrowing.Read(reader: "r3", item: "label:A2", asked: true),
        ]
        let got = CoBorrowing.ranked(reads, titles: Self.catalog, limit: 5).map { "\($0.title)|\($0.rank)|\($0.also)|\($0.readers)" }
        // 甲's pair is r1's, counted once for two copies of 甲 and two check-outs of Beta (r2's 甲 was not asked
        // about); Beta's is r2's (r1's Beta was not asked about); r3 borrowed nothing else.
        XCTAssertEqual(got, ["Beta|1|甲|1", "甲|1|Beta|1"])
    }
}
