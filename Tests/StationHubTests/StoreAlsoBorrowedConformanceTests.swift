import Foundation
import StationCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// `also-borrowed` on both engines: over every title (one statement) and for one title
/// (`--item`, another), on generated unions with voided loans, copies of one title, copies
/// the catalog does not name or names without a title, loans outside the period, the site
/// or the region asked about, each against the co-borrowing counted here from the loans
/// planted.
final class StoreAlsoBorrowedConformanceTests: XCTestCase {
    struct Loan {
        var box: String
        var seq: Int64
        var who: String
        var item: String
        var minutes: Int64
        var voided: Bool
        var site: String { Self.sites[box]! }
        /// shelf-a and shelf-b are in the east, shelf-d in the west.
        static let sites = ["box-a": "shelf-a", "box-b": "shelf-b", "box-d": "shelf-d"]
        /// The hub's key of a worker a box knows only by its hash: one per box.
        var reader: String { "\(box)/\(who)" }
    }

    static let catalog: [String: String] = ["label:A1": "甲", "label:A2": "甲", "label:B1": "Beta", "label:B2": "Beta", "label:C1": "丙"]
    /// Items the catalog does not name, or names without a title: a report calls them by
    /// their key.
    static let unnamed = ["label:X1", "label:Y1", "label:Z1"]
    static let untitled = Downlink.Title(itemKey: "label:Z1", title: nil, homeSite: "shelf-b")

    static func generate(seed: UInt64) -> [Loan] {
        var rng = SeededRandom(seed: seed)
        var seqs = ["box-a": Int64(0), "box-b": Int64(0), "box-d": Int64(0)]
        let items = catalog.keys.sorted() + unnamed
        return (0..<Int(rng.next(in: 30...50))).map { _ in
            let box = ["box-a", "box-b", "box-d"][Int(rng.next(in: 0...2))]
            seqs[box]! += 2  // the seq after a loan is its void's, if any
            return Loan(
                box: box, seq: seqs[box]! - 1, who: "w\(rng.next(in: 0...6))", item: items[Int(rng.next(in: 0...(items.count - 1)))],
                minutes: Int64(rng.next(in: 0...(60 * 1440))), voided: rng.next(in: 0...6) == 0)
        }
    }

    /// The report's rows (`title|rank|also|readers`) counted from the loans: a reader counts
    /// once for a pair of different titles when one of their loans of the first was in the
    /// period and scope, and they borrowed the second at any time.
    static func expected(_ loans: [Loan], from: Int64, to: Int64, sites: Set<String>?, limit: Int) -> [String] {
        var reads: [String: [String: Bool]] = [:]
        for l in loans where !l.voided {
            let at = Events.base + l.minutes * Events.minute
            let asked = at >= from && at < to && (sites?.contains(l.site) ?? true)
            let title = catalog[l.item] ?? l.item
            reads[l.reader, default: [:]][title] = (reads[l.reader]?[title] ?? false) || asked
        }
        var pairs: [String: [String: Int]] = [:]
        for titles in reads.values {
            for (a, asked) in titles where asked {
                for b in titles.keys where b != a { pairs[a, default: [:]][b, default: 0] += 1 }
            }
        }
        func bytewise(_ x: String, _ y: String) -> Bool { x.utf8.lexicographicallyPrecedes(y.utf8) }
        return pairs.keys.sorted(by: bytewise).flatMap { a in
            pairs[a]!.sorted { x, y in x.value != y.value ? x.value > y.value : bytewise(x.key, y.key) }.prefix(limit).enumerated().map { i, p in "\(a)|\(i + 1)|\(p.key)|\(p.value)" }
        }
    }

    func testEveryTitleAndOneTitleAgreeWithTheLoans() async throws {
        let november = (from: Events.base - 86_400_000, to: Events.base + 29 * 86_400_000)
        for seed: UInt64 in [3, 17, 2026] {
            let loans = Self.generate(seed: seed)
            let out = try await Engines.agree("also-borrowed-\(seed)") { engine, store in
                try await Events.union(store)
                try await store.addSite("shelf-d", region: "west")
                _ = try await store.addBox("box-d", site: "shelf-d")
                _ = try await store.importCatalog(Self.catalog.map { Downlink.Title(itemKey: $0.key, title: $0.value, homeSite: "shelf-a") } + [Self.untitled])
                for (box, site) in Loan.sites {
                    let events = loans.filter { $0.box == box }.flatMap { l in
                        [Events.event(box, l.seq, site: l.site, .checkout, at: l.minutes, item: l.item, who: l.who, due: "2027-02-01")]
                            + (l.voided ? [Events.event(box, l.seq + 1, site: l.site, .void, at: l.minutes + 1, refersTo: l.seq)] : [])
                    }
                    _ = try await store.ingest(box: box, site: site, events: Events.incoming(events), keys: nil)
                }
                func rows(_ p: Reports.Parameters) async throws -> [String] {
                    try await store.report("also-borrowed", p).rows.map { $0.map(\.csv).joined(separator: "|") }
                }
                var lines: [String] = []
                let asks: [(String, Reports.Parameters, Int64, Int64, Set<String>?)] = [
                    ("all time", Reports.Parameters(limit: 3, nowMillis: Events.base), 0, Int64.max / 2, nil),
                    ("november", Reports.Parameters(from: "2026-11-01", to: "2026-12-01", limit: 3, nowMillis: Events.base), november.from, november.to, nil),
                    ("shelf-b", Reports.Parameters(site: "shelf-b", limit: 10, nowMillis: Events.base), 0, Int64.max / 2, ["shelf-b"]),
                    ("region east", Reports.Parameters(region: "east", limit: 2, nowMillis: Events.base), 0, Int64.max / 2, ["shelf-a", "shelf-b"]),
                ]
                for (name, p, from, to, sites) in asks {
                    let want = Self.expected(loans, from: from, to: to, sites: sites, limit: p.limit)
                    let every = try await rows(p)
                    XCTAssertEqual(every, want, "\(engine) seed \(seed), every title, \(name)")
                    lines += every
                    // One title at a time, asked by its title (an unnamed copy's is its key), and a
                    // named title by the key of its last copy too.
                    for title in Set(Self.catalog.values).sorted() + Self.unnamed {
                        let one = want.filter { $0.hasPrefix("\(title)|") }
                        var q = p
                        q.item = title
                        let byTitle = try await rows(q)
                        XCTAssertEqual(byTitle, one, "\(engine) seed \(seed), \(title), \(name)")
                        guard let copy = Self.catalog.filter({ $0.value == title }).keys.sorted().last else { continue }
                        q.item = copy
                        let byCopy = try await rows(q)
                        XCTAssertEqual(byCopy, one, "\(engine) seed \(seed), \(copy), \(name)")
                    }
                }
                return lines
            }
            XCTAssertGreaterThan(out.count, 10, "seed \(seed): pairs to compare")
        }
    }
}
