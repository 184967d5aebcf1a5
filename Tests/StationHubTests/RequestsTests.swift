import StationCore
import StationProtocol
import XCTest

@testable import StationHub

/// The rules of requests and transfers as values: which copy is chosen, what a copy's
/// events make of a request, what the ledger says of a copy on its way.
final class RequestsTests: XCTestCase {
    static let day = Requests.dayMillis

    static func entry(_ kind: EventKind, at: Int64, site: String, who: String? = nil, request: String? = nil, to: String? = nil, seq: Int64 = 1) -> Ledger.Entry {
        Ledger.Entry(boxID: "box-\(site)", seq: seq, siteID: site, kind: kind, worker: who, atMillis: at, dueDate: nil, service: nil, autoClosed: false, request: request, destination: to)
    }

    static let r = Requests.Request(id: "r1", itemKey: "label:A", pickupSite: "b", worker: "w1", placedMillis: 100, holdDays: 7)

    func testTheNearestFreeCopyThatSleptLongestIsChosen() {
        func copy(_ key: String, _ site: String?, _ region: String?, shelf: Bool = true, promised: Bool = false, lent: Int64? = nil) -> Requests.Copy {
            Requests.Copy(itemKey: key, site: site, region: region, onShelf: shelf, promised: promised, lastLoanMillis: lent)
        }
        let far = copy("label:F", "x", "west"), near = copy("label:N", "a", "east", lent: 500), nearer = copy("label:M", "a", "east", lent: 100)
        XCTAssertEqual(Requests.choose([far, near, nearer], pickupSite: "b", pickupRegion: "east")?.itemKey, "label:M", "same region, slept longer")
        XCTAssertEqual(Requests.choose([far, near, copy("label:Z", "b", "east", lent: 900)], pickupSite: "b", pickupRegion: "east")?.itemKey, "label:Z", "at the pickup site first")
        XCTAssertEqual(Requests.choose([near, copy("label:Q", "a", "east")], pickupSite: "b", pickupRegion: "east")?.itemKey, "label:Q", "never lent before lent")
        XCTAssertEqual(Requests.choose([far, copy("label:N", "a", "east", promised: true), copy("label:L", "a", "east", shelf: false)], pickupSite: "b", pickupRegion: "east")?.itemKey, "label:F")
        XCTAssertNil(Requests.choose([copy("label:N", "a", "east", promised: true), copy("label:U", nil, nil)], pickupSite: "b", pickupRegion: "east"))
        XCTAssertEqual(Requests.choose([far, near], pickupSite: "b", pickupRegion: nil)?.itemKey, "label:F", "no region: other sites are equal, the sleeping one goes")
    }

    func testARequestFollowsItsCopysEvents() {
        let out = Self.entry(.transferOut, at: 200, site: "a", request: "r1", to: "b"), arrive = Self.entry(.transferIn, at: 300, site: "b", request: "r1", seq: 2)
        func state(_ entries: [Ledger.Entry], now: Int64 = 1000, cancelled: Int64? = nil) -> Requests.Status {
            var r = Self.r
            r.cancelledMillis = cancelled
            return Requests.status(r, entries: entries, nowMillis: now)
        }
        XCTAssertEqual(state([]), Requests.Status(state: .placed, sinceMillis: 100))
        XCTAssertEqual(state([out]), Requests.Status(state: .inTransit, sinceMillis: 200, site: "a"))
        XCTAssertEqual(state([arrive, out]), Requests.Status(state: .ready, sinceMillis: 300, untilMillis: 300 + 7 * Self.day, site: "b"), "any arrival order")
        XCTAssertEqual(state([out, arrive, Self.entry(.checkout, at: 400, site: "b", who: "w1", seq: 3)]).state, .collected)
        XCTAssertEqual(state([out, arrive, Self.entry(.checkout, at: 400, site: "b", who: "w2", seq: 3)]), Requests.Status(state: .placed, sinceMillis: 400), "lent to another: pulled again")
        XCTAssertEqual(state([out, arrive], now: 300 + 7 * Self.day), Requests.Status(state: .expired, sinceMillis: 300 + 7 * Self.day, site: "b"))
        XCTAssertEqual(state([out, arrive, Self.entry(.checkout, at: 300 + 8 * Self.day, site: "b", who: "w1", seq: 3)], now: 400 + 8 * Self.day).state, .expired, "collected too late")
        XCTAssertEqual(state([out, arrive], cancelled: 250), Requests.Status(state: .cancelled, sinceMillis: 250, site: "a"), "events after a cancellation change nothing")
        XCTAssertEqual(state([out], cancelled: 5000), Requests.Status(state: .inTransit, sinceMillis: 200, site: "a"), "a cancellation to come")
        XCTAssertEqual(state([Self.entry(.checkout, at: 50, site: "a", who: "w1")]).state, .placed, "a loan before the request is not its collection")
        XCTAssertEqual(state([Self.entry(.transferIn, at: 300, site: "c", request: "r1")]).state, .placed, "an arrival elsewhere is no arrival")
        XCTAssertEqual(state([Self.entry(.transferOut, at: 200, site: "a", request: "r9", to: "b")]).state, .placed, "another request's transfer")
        // Shelved by a box that did not know, on the way or on the hold shelf: placed again, pulled from there.
        XCTAssertEqual(state([out, Self.entry(.return, at: 250, site: "c", seq: 3)]), Requests.Status(state: .placed, sinceMillis: 250))
        XCTAssertEqual(state([out, arrive, Self.entry(.return, at: 350, site: "b", seq: 3)]), Requests.Status(state: .placed, sinceMillis: 350))
        XCTAssertEqual(state([Self.entry(.return, at: 150, site: "a")]).state, .placed, "a return before it left changes nothing")
    }

    func testTheLedgerFollowsACopyOnItsWay() {
        let lent = Self.entry(.checkout, at: 10, site: "a", who: "w9")
        let out = Self.entry(.transferOut, at: 20, site: "a", request: "r1", to: "b", seq: 2)
        var b = Ledger.book("label:A", entries: [lent, out], homeSite: "a")
        XCTAssertNil(b.holder, "a trap ends the loan")
        XCTAssertEqual(b.transit, Ledger.Transit(from: "a", to: "b", sinceMillis: 20, request: "r1"))
        b = Ledger.book("label:A", entries: [out, Self.entry(.transferIn, at: 30, site: "b", request: "r1", seq: 3)], homeSite: "a")
        XCTAssertEqual(b, Ledger.Book(itemKey: "label:A", site: "b", hold: Ledger.Hold(site: "b", request: "r1", sinceMillis: 30)))
        b = Ledger.book("label:A", entries: [out, Self.entry(.return, at: 30, site: "c", seq: 3)], homeSite: "a")
        XCTAssertEqual(b, Ledger.Book(itemKey: "label:A", site: "c", flags: ["returned-without-loan", "drifted", "returned-in-transit"]))
        // A slow clock at the pickup box puts the arrival first: it is there all the same.
        b = Ledger.book("label:A", entries: [Self.entry(.transferOut, at: 40, site: "a", request: "r1", to: "b", seq: 2), Self.entry(.transferIn, at: 30, site: "b", request: "r1", seq: 3)], homeSite: "a")
        XCTAssertEqual(b, Ledger.Book(itemKey: "label:A", site: "b", hold: Ledger.Hold(site: "b", request: "r1", sinceMillis: 30)))
        b = Ledger.book("label:A", entries: [out, Self.entry(.checkout, at: 30, site: "b", who: "w1", seq: 3)], homeSite: "a")
        XCTAssertEqual(b, Ledger.Book(itemKey: "label:A", holder: "w1", loanedAtMillis: 30, site: "b", flags: ["lent-in-transit"]))
    }

    func testThePullListOfASite() {
        let requests: [(request: Requests.Request, status: Requests.Status)] = [
            (Requests.Request(id: "r2", itemKey: "label:B", pickupSite: "b", worker: "", placedMillis: 0, holdDays: 7), Requests.Status(state: .placed, sinceMillis: 0)),
            (Requests.Request(id: "r1", itemKey: "label:A", pickupSite: "c", worker: "", placedMillis: 0, holdDays: 7), Requests.Status(state: .placed, sinceMillis: 0)),
            (Requests.Request(id: "r3", itemKey: "label:C", pickupSite: "b", worker: "", placedMillis: 0, holdDays: 7), Requests.Status(state: .inTransit, sinceMillis: 0)),
            (Requests.Request(id: "r4", itemKey: "label:D", pickupSite: "a", worker: "", placedMillis: 0, holdDays: 7), Requests.Status(state: .ready, sinceMillis: 0)),
        ]
        let books = [
            "label:A": Ledger.Book(itemKey: "label:A", holder: "w9", site: "a"),
            "label:B": Ledger.Book(itemKey: "label:B", site: "a"),
            "label:C": Ledger.Book(itemKey: "label:C", site: "a", transit: Ledger.Transit(from: "a", to: "b", sinceMillis: 0, request: "r3")),
            "label:D": Ledger.Book(itemKey: "label:D", site: "a"),
        ]
        XCTAssertEqual(
            Requests.pulls(site: "a", requests: requests, books: books),
            [Downlink.Pull(request: "r1", itemKey: "label:A", destination: "c", sinceMillis: 0), Downlink.Pull(request: "r2", itemKey: "label:B", destination: "b", sinceMillis: 0)],
            "on its shelf or on loan from here; not on its way, not ready")
        XCTAssertEqual(Requests.pulls(site: "b", requests: requests, books: books), [], "on its way here: on the hold list, not pulled")
        let here = [(Requests.Request(id: "r5", itemKey: "label:E", pickupSite: "a", worker: "", placedMillis: 0, holdDays: 7), Requests.Status(state: .placed, sinceMillis: 9))]
        XCTAssertEqual(
            Requests.pulls(site: "a", requests: here, books: ["label:E": Ledger.Book(itemKey: "label:E", site: "a")]),
            [Downlink.Pull(request: "r5", itemKey: "label:E", destination: "a", sinceMillis: 9)], "on this shelf for this site's hold shelf: fetched")
    }
}
