import Foundation
import StationCore
import StationTesting
import XCTest

@testable import StationHub

/// A book carried forward, as values: from any point of its history, the rest of its
/// entries carried onto its row and mark give what the whole history gives; an entry not
/// after the mark is refused. And the pieces it stands on: months without a calendar,
/// and a derived table's rows written as a difference.
final class LedgerFoldTests: XCTestCase {
    /// A random history of one book at three sites: every kind the ledger reads, times that
    /// tie across boxes, corrections among them.
    func history(_ rng: inout TestIdentities) -> [Ledger.Entry] {
        func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        let sites = ["site-a", "site-b", "site-c"]
        let kinds: [EventKind] = [.checkout, .checkout, .renewal, .return, .return, .transferOut, .transferIn, .seen, .stocktakeStart]
        var seqs: [String: Int64] = [:]
        return (0..<(1 + pick(30))).map { _ in
            let box = ["box-1", "box-2", "box-3", HubStore.correctionsBox][pick(4)]
            let seq = (seqs[box] ?? 0) + 1
            seqs[box] = seq
            let kind = box == HubStore.correctionsBox ? .return : kinds[pick(kinds.count)]
            return Ledger.Entry(
                boxID: box, seq: seq, siteID: sites[pick(3)], kind: kind, worker: kind == .checkout || kind == .renewal ? "w\(pick(3))" : nil,
                atMillis: Events.base + Int64(pick(40)) * 86_400_000 / 7 - (pick(20) == 0 ? Events.base + 5000 : 0), dueDate: "2026-12-\(10 + pick(9))",
                service: nil, autoClosed: false, request: kind == .transferOut || kind == .transferIn ? "rq\(pick(2))" : nil,
                destination: kind == .transferOut ? sites[pick(3)] : nil)
        }
    }

    /// `book_month`'s and `book_move`'s rows of a whole history (corrections are no events).
    func aggregates(_ entries: [Ledger.Entry]) -> (loans: [ReportAggregates.SiteMonth: Int64], moves: [LedgerFold.Move]) {
        let w = LedgerFold.whole(entries)
        return (w.loans, w.moves)
    }

    func testABookCarriedForwardFromAnyPointIsWhatItsWholeHistoryMakes() {
        let seed = UInt64.random(in: 0..<(1 << 32))
        var rng = TestIdentities(seed: seed)
        var carried = 0
        for round in 0..<300 {
            let all = Ledger.ordered(history(&rng))
            let home = round % 2 == 0 ? "site-c" : nil
            let whole = Ledger.book("label:B", entries: all, homeSite: home)
            let k = Int(rng.next() % UInt64(all.count + 1))
            // The first k are held; the rest come in one batch, in any order.
            let held = Array(all[..<k]), batch = Array(all[k...]).shuffled()
            let start = Ledger.book("label:B", entries: held, homeSite: home)
            let mark = LedgerFold.whole(held).mark
            // Corrections are written by operators, never by a batch.
            guard !batch.contains(where: { $0.boxID == HubStore.correctionsBox }) else { continue }
            guard let step = LedgerFold.step(start, mark: mark, with: batch) else {
                XCTFail("seed \(seed) round \(round): a batch after the mark was refused")
                continue
            }
            carried += 1
            XCTAssertEqual(step.book, whole, "seed \(seed) round \(round)")
            XCTAssertEqual(step.mark, LedgerFold.whole(all).mark, "seed \(seed) round \(round)")
            let before = aggregates(held), after = aggregates(all)
            XCTAssertEqual(before.loans.merging(step.loans, uniquingKeysWith: +), after.loans, "seed \(seed) round \(round)")
            XCTAssertEqual(before.moves + step.moves, after.moves, "seed \(seed) round \(round)")
            // An entry that does not come after the mark: the book is recomputed instead.
            if let last = mark.last, let first = batch.first {
                var early = first
                (early.atMillis, early.boxID, early.seq) = (last.atMillis, last.boxID, last.seq)
                XCTAssertNil(LedgerFold.step(start, mark: mark, with: batch + [early]), "seed \(seed) round \(round): a tie with the mark")
                early.atMillis -= 1
                early.seq += 1
                XCTAssertNil(LedgerFold.step(start, mark: mark, with: [early] + batch), "seed \(seed) round \(round): an earlier entry")
            }
        }
        XCTAssertGreaterThan(carried, 30, "seed \(seed): not vacuous")
    }

    func testAMoveIsAnArrivalAtAnotherSiteThanTheLastMoveAndCorrectionsAreNone() {
        func entry(_ box: String, _ seq: Int64, _ at: Int64, _ kind: EventKind, _ site: String) -> Ledger.Entry {
            Ledger.Entry(boxID: box, seq: seq, siteID: site, kind: kind, worker: "w", atMillis: at, dueDate: nil, service: nil, autoClosed: false)
        }
        let entries = [
            entry("box-1", 1, 10, .checkout, "a"), entry("box-2", 1, 20, .seen, "b"), entry("box-2", 2, 30, .return, "b"),
            entry(HubStore.correctionsBox, 1, 35, .return, "c"), entry("box-3", 1, 40, .transferIn, "c"), entry("box-3", 2, 50, .return, "c"),
        ]
        XCTAssertEqual(aggregates(entries).moves.map { "\($0.from)>\($0.to)" }, ["a>b", "b>c"], "a sighting and a correction move nothing")
        XCTAssertEqual(LedgerFold.whole(entries).mark, LedgerFold.Mark(last: .init(atMillis: 50, boxID: "box-3", seq: 2), moveSite: "c"))
        XCTAssertEqual(LedgerFold.whole([entries[3]]).mark.moveSite, nil, "a correction is no move")
        XCTAssertEqual(aggregates([entry("box-1", 1, -5, .checkout, "a")]).loans, [:], "a check-out without a time counts in no month")
    }

    func testMonthsAreCountedAsTheCalendarCountsThem() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var rng = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        // 1900 to 2200, and the edges of months.
        var samples = (0..<5000).map { _ in Int64(rng.next() % 9_467_280_000_000) - 2_208_988_800_000 }
        samples += [0, -1, -1000, -1001, 951_782_400_000 - 1, 951_782_400_000, 951_868_800_000, 4_107_542_400_000 - 1, 4_107_542_400_000]
        for ms in samples {
            let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
            let c = calendar.dateComponents([.year, .month], from: Date(timeIntervalSince1970: Double(seconds)))
            XCTAssertEqual(ReportAggregates.month(ms), String(format: "%04d-%02d", c.year!, c.month!), "\(ms)")
        }
    }

    func testARowDiffWritesWhatChangedAndDeletesWhatIsGone() {
        let held: [SQLRow] = [[.text("a"), .int(1), .int(5)], [.text("a"), .int(2), .int(6)], [.text("b"), .int(1), .int(7)]]
        let recomputed: [SQLRow] = [[.text("a"), .int(1), .int(5)], [.text("a"), .int(2), .int(9)], [.text("c"), .int(1), .int(1)]]
        let diff = RowDiff(held: held, recomputed: recomputed, keyWidth: 2)
        XCTAssertEqual(diff.writes, [[.text("a"), .int(2), .int(9)], [.text("c"), .int(1), .int(1)]])
        XCTAssertEqual(diff.deletes, [[.text("b"), .int(1)]])
        XCTAssertTrue(RowDiff(held: held, recomputed: held.reversed(), keyWidth: 2).isEmpty)
    }
}
