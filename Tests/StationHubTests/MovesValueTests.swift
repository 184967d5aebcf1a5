import StationCore
import XCTest

@testable import StationHub

/// Suggested moves, moves' states and rotations as values.
final class MovesValueTests: XCTestCase {
    func copy(_ key: String, _ title: String, _ site: String, _ region: String?, asleep: Int?) -> Moves.Copy {
        Moves.Copy(itemKey: key, title: title, site: site, region: region, monthsAsleep: asleep)
    }

    func want(_ title: String, _ site: String, _ region: String?, loans: Int64, requests: Int64 = 0) -> Moves.Want {
        Moves.Want(title: title, site: site, region: region, loans: loans, requests: requests)
    }

    /// Requests outweigh loans; the wanting site's region first, then the longest asleep;
    /// a site with a copy on its shelf wants nothing; a copy moves once.
    func testWantsAreServedStrongestFirstFromTheNearestLongestSleepingCopy() {
        let copies = [
            copy("a1", "甲", "s1", "east", asleep: 9), copy("a2", "甲", "s2", "west", asleep: nil), copy("a3", "甲", "s3", "east", asleep: 12),
            copy("b1", "乙", "s1", "east", asleep: 7),
        ]
        let wants = [
            want("甲", "s4", "east", loans: 5), want("甲", "s5", "west", loans: 1, requests: 1), want("甲", "s6", "west", loans: 9),
            want("乙", "s2", "west", loans: 3), want("乙", "s7", "east", loans: 2), want("甲", "s1", "east", loans: 4),
        ]
        let stocked: Set = [Moves.TitleSite(title: "乙", site: "s2"), Moves.TitleSite(title: "甲", site: "s1")]
        let moves = Moves.propose(copies: copies, wants: wants, stocked: stocked)
        XCTAssertEqual(
            moves.map { "\($0.copy.itemKey)→\($0.to) \($0.why.rawValue)" },
            // s5's request first (west: a2, never lent), then s6 (9 loans: no west copy
            // left, the longest asleep, a3), then s4 (5 loans: a1); s1 holds 甲; s2 holds
            // 乙, so b1 goes to s7.
            ["a2→s5 requested", "a3→s6 borrowed", "a1→s4 borrowed", "b1→s7 borrowed"])
        XCTAssertEqual(Moves.propose(copies: copies.reversed(), wants: wants.reversed(), stocked: stocked), moves, "the same data, the same plan")
        XCTAssertEqual(Moves.propose(copies: copies, wants: [want("甲", "s1", "east", loans: 3)], stocked: []).map(\.copy.itemKey), ["a3"], "never a copy's own site")
    }

    func e(_ kind: EventKind, _ site: String, at: Int64, request: String? = nil) -> Ledger.Entry {
        Ledger.Entry(boxID: "box-\(site)", seq: at, siteID: site, kind: kind, worker: kind == .checkout ? "p1:w" : nil, atMillis: at, dueDate: nil, service: nil, autoClosed: false,
                     request: request, destination: kind == .transferOut ? "b" : nil)
    }

    /// A move arrives by any check-out or return at its destination (a box that was not
    /// told), is pulled again from where it was shelved elsewhere, and ignores what came
    /// before it was placed.
    func testAMoveArrivesWhereverItsDestinationSeesTheCopy() {
        let move = Requests.Request(id: "m1", itemKey: "k", pickupSite: "b", worker: "", placedMillis: 100, holdDays: 0, purpose: .move)
        func state(_ entries: [Ledger.Entry], cancelled: Int64? = nil) -> String {
            var m = move
            m.cancelledMillis = cancelled
            let s = Requests.status(m, entries: entries, nowMillis: 10_000)
            return "\(s.state.rawValue)@\(s.sinceMillis)"
        }
        XCTAssertEqual(state([e(.checkout, "a", at: 50)]), "placed@100", "before it was placed: not at its destination")
        XCTAssertEqual(state([e(.return, "a", at: 40), e(.return, "b", at: 50)]), "arrived@100", "the ledger has it there already (a late batch)")
        XCTAssertEqual(state([e(.seen, "b", at: 150)]), "arrived@150", "seen there in a stocktake")
        XCTAssertEqual(state([e(.transferOut, "a", at: 60, request: "m1"), e(.return, "b", at: 70)]), "arrived@100", "trapped and shelved by boxes whose clocks are behind")
        XCTAssertEqual(state([e(.transferOut, "a", at: 200, request: "m1")]), "in-transit@200")
        XCTAssertEqual(state([e(.transferOut, "a", at: 200, request: "m1"), e(.return, "b", at: 300)]), "arrived@300")
        XCTAssertEqual(state([e(.transferOut, "a", at: 200, request: "m1"), e(.checkout, "b", at: 300)]), "arrived@300", "lent at once there")
        XCTAssertEqual(state([e(.transferOut, "a", at: 200, request: "m1"), e(.return, "c", at: 300)]), "placed@300", "shelved elsewhere: pulled from there")
        XCTAssertEqual(state([e(.checkout, "a", at: 150)]), "placed@100", "lent before it was trapped: sent when it comes back")
        XCTAssertEqual(state([e(.transferOut, "a", at: 200, request: "m1"), e(.return, "b", at: 300)], cancelled: 250), "cancelled@250")
        XCTAssertEqual(state([e(.transferOut, "a", at: 200, request: "x")]), "placed@100", "another request's transfer")
        // The ledger: a copy on its way shelved at its destination returned no loan.
        let book = Ledger.book("k", entries: [e(.transferOut, "a", at: 200, request: "m1"), e(.return, "b", at: 300)])
        XCTAssertEqual([book.site, book.flags.joined()], ["b", "drifted"])
    }

    func testARotationsStageIsAFunctionOfTime() {
        let day = Requests.dayMillis
        let route = Rotations.Route(sites: ["a", "b", "c"], stageDays: 10, cyclic: false, startedMillis: 1000)
        XCTAssertEqual([0, 1000, 1000 + 10 * day - 1, 1000 + 10 * day, 1000 + 25 * day, 1000 + 300 * day].map { route.stage(at: $0) }, [0, 0, 0, 1, 2, 2])
        var round = route
        round.cyclic = true
        XCTAssertEqual([1000 + 30 * day, 1000 + 41 * day].map { round.site(ofStage: round.stage(at: $0)) }, ["a", "b"])
        XCTAssertEqual(route.start(ofStage: 2), 1000 + 20 * day)
    }

    /// Copies not at the stage's site get a move; a worker's request or an operator's move
    /// keeps its copy; the rotation's own move of an earlier stage is cancelled first.
    func testAStagePlansMovesAndCancelsTheLastStagesFirst() {
        let copies = [
            Rotations.Copy(itemKey: "k4", site: "a", holder: .rotation(id: "m4", to: "b")), Rotations.Copy(itemKey: "k1", site: "a", holder: .free),
            Rotations.Copy(itemKey: "k2", site: "c", holder: .free), Rotations.Copy(itemKey: "k3", site: "a", holder: .other),
            Rotations.Copy(itemKey: "k5", site: "a", holder: .rotation(id: "m5", to: "c")), Rotations.Copy(itemKey: "k6", site: "c", holder: .rotation(id: "m6", to: "b")),
        ]
        XCTAssertEqual(
            Rotations.plan(target: "c", copies: copies),
            [.cancel(request: "m4"), .cancel(request: "m6"), .place(itemKey: "k1", to: "c"), .place(itemKey: "k4", to: "c")])
        let kinds: [String: String?] = ["a": "bookshelf", "b": nil, "c": "bookshelf", "h": "hut", "s": "station"]
        XCTAssertNil(Rotations.problem(sites: ["a", "b", "c"], stageDays: 30, cyclic: true, kinds: kinds))
        XCTAssertEqual(Rotations.problem(sites: ["a"], stageDays: 30, cyclic: false, kinds: kinds), "a route names 2 to 20 sites (1 given)")
        XCTAssertEqual(Rotations.problem(sites: ["a", "b", "a"], stageDays: 30, cyclic: true, kinds: kinds), "a follows itself in the route")
        XCTAssertNil(Rotations.problem(sites: ["a", "b", "a"], stageDays: 30, cyclic: false, kinds: kinds))
        XCTAssertEqual(Rotations.problem(sites: ["a", "x"], stageDays: 30, cyclic: false, kinds: kinds), "no site x")
        XCTAssertEqual(Rotations.problem(sites: ["a", "s"], stageDays: 30, cyclic: false, kinds: kinds), "s is a station and its box lends no books: a route goes through bookshelves")
        XCTAssertEqual(Rotations.problem(sites: ["h", "a"], stageDays: 30, cyclic: false, kinds: kinds), "h is a hut and its box lends no books: a route goes through bookshelves")
        XCTAssertEqual(Rotations.problem(sites: ["a", "b"], stageDays: 0, cyclic: false, kinds: kinds), "a stage lasts 1 to 365 days (0 given)")
        // A copy no pull list can carry (removed from the catalog): its stage's move is cancelled, none placed.
        XCTAssertEqual(
            Rotations.plan(target: "c", copies: [Rotations.Copy(itemKey: "k7", site: nil, holder: .rotation(id: "m7", to: "b")), Rotations.Copy(itemKey: "k8", site: nil, holder: .free)]),
            [.cancel(request: "m7")])
    }
}
