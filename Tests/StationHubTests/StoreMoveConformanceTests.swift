import Foundation
import StationCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// Suggested moves and rotations on both engines: the moves of a generated union match
/// what the test planted; accepted ones land on the holding site's pull list and end where
/// they were sent; a rotation takes a collection through three sites over simulated time.
final class StoreMoveConformanceTests: XCTestCase {
    static let day: Int64 = 1440  // minutes

    /// What the generator planted for one title: a copy at `sleeper` last lent `asleepDays`
    /// ago (asleep after 6 months), and at each wanting site a copy lent `loans` times in
    /// the last five months, out now unless `stocked`.
    struct Planted: Sendable {
        var title: String
        var sleeper: String
        var asleepDays: Int64
        var wants: [(site: String, loans: Int, stocked: Bool)]
    }

    static let sites = ["shelf-a", "shelf-b", "hut-c", "shelf-d", "shelf-e"]

    static func generate(seed: UInt64) -> [Planted] {
        var rng = SeededRandom(seed: seed)
        return (0..<Int(rng.next(in: 8...14))).map { i in
            var others = sites.shuffled(using: &rng)
            let sleeper = others.removeFirst()
            let asleep = rng.next(in: 0...3) == 0 ? rng.next(in: 20...120) : rng.next(in: 215...400)  // a quarter awake
            let wants = (0..<Int(rng.next(in: 1...2))).map { _ in (site: others.removeFirst(), loans: Int(rng.next(in: 1...4)), stocked: rng.next(in: 0...3) == 0) }
            return Planted(title: "书\(i)", sleeper: sleeper, asleepDays: Int64(asleep), wants: wants)
        }
    }

    /// The moves the planted union should give, worked out from what was planted: a title
    /// whose copy sleeps goes to the wanting site (none on its shelf) with the most loans,
    /// then the first by id; strongest wants first.
    static func expected(_ planted: [Planted], now: Int64) -> [String] {
        var moves: [(loans: Int, title: String, line: String)] = []
        for p in planted {
            let month = { (millis: Int64) in ReportAggregates.month(millis) }
            let asleep = Sleeping.monthsBetween(month(Events.base - p.asleepDays * day * Events.minute), month(now))!
            guard asleep >= Sleeping.defaultMonths else { continue }
            guard let best = p.wants.filter({ !$0.stocked }).min(by: { ($1.loans, $0.site) < ($0.loans, $1.site) }) else { continue }
            moves.append((best.loans, p.title, "label:\(p.title)-S,\(p.title),\(p.sleeper),\(best.site),\(asleep),\(best.loans),0,borrowed"))
        }
        return moves.sorted { ($1.loans, $0.title) < ($0.loans, $1.title) }.map(\.line)
    }

    static func plant(_ store: HubStore, _ planted: [Planted]) async throws {
        try await Events.union(store)
        for site in ["shelf-d", "shelf-e"] {
            try await store.addSite(site, region: site == "shelf-d" ? "east" : "west")
            _ = try await store.addBox("box-\(site)", site: site)
        }
        var titles: [Downlink.Title] = []
        var events: [String: [JournalEvent]] = [:]
        func add(_ site: String, _ kind: EventKind, item: String, daysAgo: Int64, who: String? = nil) {
            let box = ["shelf-a": "box-a", "shelf-b": "box-b", "hut-c": "box-c"][site] ?? "box-\(site)"
            let seq = Int64(events[box, default: []].count + 1)
            events[box, default: []].append(
                Events.event(box, seq, site: site, kind, at: -daysAgo * day, item: item, who: who, due: kind == .checkout ? "2027-01-30" : nil))
        }
        for p in planted {
            titles.append(Downlink.Title(itemKey: "label:\(p.title)-S", title: p.title, homeSite: p.sleeper))
            add(p.sleeper, .checkout, item: "label:\(p.title)-S", daysAgo: p.asleepDays, who: "w1")
            add(p.sleeper, .return, item: "label:\(p.title)-S", daysAgo: p.asleepDays - 3)
            for w in p.wants {
                let key = "label:\(p.title)-\(w.site)"
                titles.append(Downlink.Title(itemKey: key, title: p.title, homeSite: w.site))
                for n in 0..<w.loans {
                    let at = Int64(140 - 30 * n)
                    add(w.site, .checkout, item: key, daysAgo: at, who: "w\(n)")
                    if n < w.loans - 1 || w.stocked { add(w.site, .return, item: key, daysAgo: at - 10) }
                }
            }
        }
        _ = try await store.importCatalog(titles)
        for (box, list) in events.sorted(by: { $0.key < $1.key }) {
            _ = try await store.ingest(box: box, site: list[0].siteID, events: Events.incoming(list.sorted { $0.time.wallMillis < $1.time.wallMillis }.enumerated().map { n, e in
                var e = e
                e.seq = Int64(n + 1)
                return e
            }), keys: nil)
        }
    }

    func testSuggestedMovesOfAGeneratedUnionAreWhatWasPlantedAndAcceptedOnesTravel() async throws {
        let seed = UInt64.random(in: 0..<(1 << 32))
        let planted = Self.generate(seed: seed)
        let now = Events.base
        let expected = Self.expected(planted, now: now)
        let answers = try await Engines.agree("moves") { _, store in
            try await Self.plant(store, planted)
            var log: [String] = []
            let table = try await store.report("moves", Reports.Parameters(limit: 100, nowMillis: now))
            log.append(table.csv.replacingOccurrences(of: "\r\n", with: "\n"))
            log.append(try await store.report("moves", Reports.Parameters(region: "west", limit: 100, nowMillis: now)).rows.map { "\($0[2].text!)→\($0[3].text!)" }.joined(separator: " "))
            // One title's moves do not depend on another's: the plan of some titles is the
            // union's plan for them (what an accept checks inside its transaction).
            let some = planted.map(\.title).filter { _ in Bool.random() }
            var only = Reports.Parameters(limit: 100, nowMillis: now)
            only.titles = some
            let theirs = try await store.report("moves", only).rows.map { $0.map { $0.text ?? "-" } }
            log.append(theirs == table.rows.filter { some.contains($0[1].text ?? "") }.map { $0.map { $0.text ?? "-" } } ? "per title: same" : "per title: \(theirs)")
            // Something never proposed is refused by name, and nothing is written.
            log.append(await StoreConformanceTests.attempt("stranger") { try await store.acceptMoves(items: ["label:nothing"], by: .process, nowMillis: now).map(\.id).joined() })
            let accepted = try await store.acceptMoves(limit: 100, by: .process, nowMillis: now)
            log.append("accepted \(accepted.count): " + accepted.map { "\($0.itemKey)→\($0.pickupSite) \($0.state.rawValue) \($0.purpose?.rawValue ?? "-")" }.joined(separator: ", "))
            log.append("proposed after: \(try await store.report("moves", Reports.Parameters(limit: 100, nowMillis: now)).rows.count)")
            // Each on its holding site's pull list; trapped there, shelved at its destination.
            var seqs: [String: Int64] = [:]
            for m in accepted {
                guard let from = table.rows.first(where: { $0[0].text == m.itemKey })?[2].text else { continue }
                let pulls = try await store.siteRequests(site: from, nowMillis: now).pulls
                log.append("\(from) pulls \(m.itemKey): \(pulls.contains { $0.request == m.id && $0.itemKey == m.itemKey && $0.destination == m.pickupSite && $0.purpose == "move" })")
                let (out, into) = (Self.box(from), Self.box(m.pickupSite))
                seqs[out, default: 100] += 1
                var trap = Events.event(out, seqs[out]!, site: from, .transferOut, at: 10, item: m.itemKey)
                (trap.draft.request, trap.draft.destination) = (m.id, m.pickupSite)
                _ = try await store.ingest(box: out, site: from, events: Events.incoming([trap]), keys: nil)
                seqs[into, default: 100] += 1
                _ = try await store.ingest(box: into, site: m.pickupSite, events: Events.incoming([Events.event(into, seqs[into]!, site: m.pickupSite, .return, at: 20, item: m.itemKey)]), keys: nil)
                let after = try await store.request(m.id, nowMillis: now)
                let book = try await store.dump("SELECT site_id, flags FROM ledger_book WHERE item_key = ?", [.text(m.itemKey)])
                log.append("\(m.itemKey) \(after.state.rawValue) at \(after.site ?? "-") \(book.joined()) == \(m.pickupSite)")
            }
            return log
        }
        let lines = expected.map { "\($0)\n" }.joined()
        XCTAssertEqual(answers[0], "item_key,title,from_site,to_site,months_asleep,loans_there,requests_there,why\n" + lines, "seed \(seed)")
        let regions = ["shelf-a": "east", "shelf-b": "east", "shelf-d": "east", "hut-c": "west", "shelf-e": "west"]
        let west = expected.map { $0.split(separator: ",").map(String.init) }.filter { regions[$0[2]] == "west" || regions[$0[3]] == "west" }.map { "\($0[2])→\($0[3])" }
        XCTAssertEqual(answers[1], west.joined(separator: " "), "a region sees the moves from or to it; seed \(seed)")
        XCTAssertEqual(answers[2], "per title: same", "seed \(seed)")
        XCTAssertEqual(answers[3], "stranger: conflict")
        XCTAssertTrue(answers[4].hasPrefix("accepted \(expected.count)"), answers[4])
        XCTAssertFalse(answers[4].contains(" arrived") || answers[4].contains("request"), "placed moves, no worker: \(answers[4])")
        XCTAssertEqual(answers[5], "proposed after: 0", "an accepted move's copy is held")
        for line in answers.dropFirst(6) {
            if line.contains(" pulls ") { XCTAssertTrue(line.hasSuffix(": true"), line) } else {
                let parts = line.components(separatedBy: " == ")
                XCTAssertTrue(parts[0].contains(" arrived at \(parts[1]) \(parts[1])|drifted") || parts[0].hasSuffix(" arrived at \(parts[1]) \(parts[1])|"), line)
            }
        }
        XCTAssertGreaterThan(expected.count, 0, "seed \(seed) planted no sleeping copy anyone wants")
    }

    /// Three copies through shelf-a → shelf-b → hut-c, ten days each: one on loan follows
    /// when it comes back, one a worker requested follows once the request ends, and each
    /// stage cancels what the last one had not delivered.
    func testARotationTakesItsCollectionThroughThreeSitesOverSimulatedTime() async throws {
        let dayMillis = Requests.dayMillis
        let t0 = Events.base
        let log = try await Engines.agree("rotation") { _, store in
            try await Events.union(store)
            _ = try await store.importCatalog(["R1", "R2", "R3"].map { Downlink.Title(itemKey: "label:\($0)", title: "流动书箱", homeSite: "shelf-a") })
            var seqs: [String: Int64] = [:]
            func scan(_ site: String, _ kind: EventKind, _ item: String, at millis: Int64, who: String? = nil, request: String? = nil, to: String? = nil) async throws {
                let box = Self.box(site)
                seqs[box, default: 0] += 1
                var e = Events.event(box, seqs[box]!, site: site, kind, at: 0, item: "label:\(item)", who: who, due: kind == .checkout ? "2027-01-30" : nil)
                e.time.wallMillis = millis
                (e.draft.request, e.draft.destination) = (request, to)
                _ = try await store.ingest(box: box, site: site, events: Events.incoming([e]), keys: nil)
            }
            var log: [String] = []
            func look(_ label: String, at now: Int64) async throws {
                let r = try await store.rotation("box-1", nowMillis: now)
                var line = "\(label): stage \(r.stage + 1) at \(r.site), \(r.arrived)/\(r.copies) there, \(r.moving) moving"
                for site in ["shelf-a", "shelf-b", "hut-c"] {
                    let pulls = try await store.siteRequests(site: site, nowMillis: now).pulls
                    if !pulls.isEmpty { line += "; \(site) pulls " + pulls.map { "\($0.itemKey.dropFirst(6))→\($0.destination)\($0.purpose == "rotation" ? "" : " (\($0.purpose ?? "request"))")" }.sorted().joined(separator: " ") }
                }
                log.append(line)
            }
            func pull(_ item: String, at site: String, now: Int64) async throws -> Downlink.Pull {
                let pulls = try await store.siteRequests(site: site, nowMillis: now).pulls
                return try XCTUnwrap(pulls.first { $0.itemKey == "label:\(item)" })
            }
            // R2 is out with a reader at shelf-a; R3 is requested by a worker at shelf-a.
            try await scan("shelf-a", .checkout, "R2", at: t0 - 60_000, who: "w1")
            try await store.insertRequests([Requests.Request(id: "r-worker", itemKey: "label:R3", pickupSite: "shelf-a", worker: "p1:w2", placedMillis: t0 - 30_000, holdDays: 7)])
            let added = try await store.addRotation("box-1", sites: ["shelf-a", "shelf-b", "hut-c"], stageDays: 10, cyclic: false, title: "流动书箱", by: .process, nowMillis: t0)
            log.append("added: \(added.copies) copies, next stage in \(((added.nextMillis ?? 0) - t0) / dayMillis) days")
            try await look("day 0", at: t0)
            // Day 10: shelf-b's stage. R1 is pulled; R2 will be when it comes back; R3 stays.
            let d10 = t0 + 10 * dayMillis
            log.append("advanced: \(try await store.advanceRotations(nowMillis: d10))")
            try await look("day 10", at: d10)
            let r1 = try await pull("R1", at: "shelf-a", now: d10)
            try await scan("shelf-a", .transferOut, "R1", at: d10 + 3_600_000, request: r1.request, to: "shelf-b")
            try await scan("shelf-b", .return, "R1", at: d10 + 86_400_000)
            log.append("R1: \(try await store.request(r1.request, nowMillis: d10).state.rawValue)")
            // Day 12: the worker's request ends; R3 follows the rotation.
            let d12 = t0 + 12 * dayMillis
            _ = try await store.cancelRequest("r-worker", client: nil, by: .process, nowMillis: d12)
            log.append("advanced: \(try await store.advanceRotations(nowMillis: d12))")
            try await look("day 12", at: d12)
            // Day 20: hut-c's stage. R1 leaves shelf-b; R2 (still out) and R3 (never sent)
            // are sent to hut-c instead: their shelf-b moves are cancelled.
            let d20 = t0 + 20 * dayMillis
            log.append("advanced: \(try await store.advanceRotations(nowMillis: d20))")
            try await look("day 20", at: d20)
            for (item, from) in [("R1", "shelf-b"), ("R3", "shelf-a")] {
                let p = try await pull(item, at: from, now: d20)
                try await scan(from, .transferOut, item, at: d20 + 3_600_000, request: p.request, to: "hut-c")
                try await scan("hut-c", .return, item, at: d20 + 2 * 86_400_000)
            }
            // R2 comes back at shelf-a: its box traps it (returned by the transfer) for hut-c.
            let p2 = try await pull("R2", at: "shelf-a", now: d20)
            try await scan("shelf-a", .transferOut, "R2", at: d20 + 5 * 86_400_000, request: p2.request, to: "hut-c")
            try await scan("hut-c", .return, "R2", at: d20 + 7 * 86_400_000)
            let d30 = t0 + 30 * dayMillis
            log.append("advanced: \(try await store.advanceRotations(nowMillis: d30))")
            try await look("day 30", at: d30)
            log += try await store.dump("SELECT item_key, site_id, holder FROM ledger_book WHERE item_key LIKE 'label:R%' ORDER BY item_key")
            log += try await store.dump("SELECT item_key, pickup_site, state FROM request WHERE rotation = 'box-1' ORDER BY item_key, placed_ms, pickup_site")
            let ended = try await store.endRotation("box-1", by: .process, nowMillis: d30)
            log.append("ended: \(ended.endedMillis == d30) \(ended.moving) moving")
            return log
        }
        XCTAssertEqual(
            log,
            [
                "added: 3 copies, next stage in 10 days",
                // (The worker's request: R3 to be fetched to shelf-a's own hold shelf.)
                "day 0: stage 1 at shelf-a, 3/3 there, 0 moving; shelf-a pulls R3→shelf-a (request)",
                "advanced: 2",
                "day 10: stage 2 at shelf-b, 0/3 there, 2 moving; shelf-a pulls R1→shelf-b R2→shelf-b R3→shelf-a (request)",
                "R1: arrived",
                "advanced: 1",
                "day 12: stage 2 at shelf-b, 1/3 there, 2 moving; shelf-a pulls R2→shelf-b R3→shelf-b",
                "advanced: 5",
                "day 20: stage 3 at hut-c, 0/3 there, 3 moving; shelf-a pulls R2→hut-c R3→hut-c; shelf-b pulls R1→hut-c",
                "advanced: 0",
                "day 30: stage 3 at hut-c, 3/3 there, 0 moving",
                "label:R1|hut-c|-", "label:R2|hut-c|-", "label:R3|hut-c|-",
                "label:R1|shelf-b|arrived", "label:R1|hut-c|arrived", "label:R2|shelf-b|cancelled", "label:R2|hut-c|arrived",
                "label:R3|shelf-b|cancelled", "label:R3|hut-c|arrived",
                "ended: true 0 moving",
            ])
    }

    static func box(_ site: String) -> String { ["shelf-a": "box-a", "shelf-b": "box-b", "hut-c": "box-c"][site] ?? "box-\(site)" }
}

/// A small deterministic generator (splitmix64) for planted unions.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(in range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
}
