import Crypto
import Foundation
import StationCore
import StationProtocol
import StationTesting
import XCTest

@testable import StationHub

/// Requests on both engines: a copy chosen and promised once, pulled, trapped, on its way,
/// on the hold shelf, collected by its worker only; a holding box that did not know;
/// holds that expire; cancellations and limits; two hub instances deciding at once.
final class StoreRequestConformanceTests: XCTestCase {
    /// A few minutes before now: holds run from real time at ingest.
    static let t0 = HubIngest.nowMillis() - 3_600_000

    static func event(_ box: String, _ seq: Int64, _ site: String, _ kind: EventKind, at minutes: Int64, item: String, who: String? = nil, request: String? = nil, to: String? = nil) -> JournalEvent {
        var e = Events.event(box, seq, site: site, kind, at: 0, item: item, who: who, due: kind == .checkout ? "2026-12-31" : nil)
        e.time.wallMillis = t0 + minutes * Events.minute
        (e.draft.request, e.draft.destination) = (request, to)
        return e
    }

    static func titles() -> [Downlink.Title] {
        [
            .init(itemKey: "label:T1", title: "三体", homeSite: "shelf-a"), .init(itemKey: "label:T2", title: "三体", homeSite: "hut-c"),
            .init(itemKey: "label:T3", title: "三体", homeSite: "shelf-a"), .init(itemKey: "label:U1", title: "活着", homeSite: "shelf-b"),
            .init(itemKey: "isbn:9787530216781", title: "平凡的世界", homeSite: "shelf-a"),
        ]
    }

    static func lists(_ store: HubStore, _ site: String, now: Int64 = HubIngest.nowMillis()) async throws -> String {
        let (pulls, holds) = try await store.siteRequests(site: site, nowMillis: now)
        return "\(site) pulls [\(pulls.map { "\($0.request.prefix(1))…:\($0.itemKey)→\($0.destination)" }.joined(separator: ", "))] holds [\(holds.map { "\($0.itemKey) \($0.untilMillis == nil ? "expected" : "ready")" }.joined(separator: ", "))]"
    }

    func testARequestRunsFromPlacementToCollectionAndOnlyItsWorkerMatchesTheHold() async throws {
        let (hub, box) = try StoreSchemaTests.keys()
        var ids = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        let (requester, other) = (ids.valid(), ids.valid())
        let log = try await Engines.agree("request-life") { _, store in
            var log: [String] = []
            func step(_ what: String, _ op: () async throws -> String) async { log.append(await StoreConformanceTests.attempt(what, op)) }
            try await Events.union(store)
            _ = try await store.importCatalog(Self.titles())
            _ = try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming([Self.event("box-a", 1, "shelf-a", .checkout, at: -50, item: "label:T1", who: "w1")]), keys: hub)
            let placed = try await store.placeRequest(RequestAsk(title: "三体", pickupSite: "shelf-b", number: requester), keys: hub, client: "cli", by: .process, nowMillis: Self.t0)
            let id = placed.id
            log.append("placed \(placed.itemKey) \(placed.state.rawValue) to \(placed.pickupSite) \(placed.title ?? "-")")
            await step("again") { try await store.placeRequest(RequestAsk(title: "三体", pickupSite: "shelf-b", number: requester), keys: hub, client: "cli", by: .process).state.rawValue }
            await step("unlabelled") { try await store.placeRequest(RequestAsk(itemKey: "isbn:9787530216781", pickupSite: "shelf-b", number: other), keys: hub, client: "cli", by: .process).state.rawValue }
            await step("unknown") { try await store.placeRequest(RequestAsk(title: "不存在", pickupSite: "shelf-b", number: other), keys: hub, client: "cli", by: .process).state.rawValue }
            await step("no site") { try await store.placeRequest(RequestAsk(title: "三体", pickupSite: "nowhere", number: other), keys: hub, client: "cli", by: .process).state.rawValue }
            for site in ["shelf-a", "shelf-b", "hut-c"] { log.append(try await Self.lists(store, site)) }
            // Trapped at shelf-a, on its way; then on shelf-b's hold shelf.
            _ = try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming([Self.event("box-a", 2, "shelf-a", .transferOut, at: 1, item: "label:T3", request: id, to: "shelf-b")]), keys: hub)
            let moving = try await store.request(id)
            log.append("then \(moving.state.rawValue) from \(moving.site ?? "-") since +\((moving.sinceMillis - Self.t0) / Events.minute) min")
            log += try await store.catalog(query: "label:T3").map { "T3 \($0.standing) \($0.transitFrom ?? "-")→\($0.transitTo ?? "-")" }
            for site in ["shelf-a", "shelf-b"] { log.append(try await Self.lists(store, site)) }
            _ = try await store.ingest(box: "box-b", site: "shelf-b", events: Events.incoming([Self.event("box-b", 1, "shelf-b", .transferIn, at: 5, item: "label:T3", request: id)]), keys: hub)
            let ready = try await store.request(id)
            log.append("then \(ready.state.rawValue) at \(ready.site ?? "-") for \(((ready.untilMillis ?? 0) - ready.sinceMillis) / Requests.dayMillis) days")
            log += try await store.catalog(query: "label:T3").map { "T3 \($0.standing) at \($0.holdSite ?? "-")" }
            log.append(try await Self.lists(store, "shelf-b"))
            // The box knows the requester by the hold's own key, and no one else.
            let holds = try await store.siteRequests(site: "shelf-b").holds
            let hold = try XCTUnwrap(holds.first)
            log.append("shown as \(hold.masked)")
            let key = SymmetricKey(data: try XCTUnwrap(Hex.decode(hold.key)))
            for (who, number) in [("requester", requester), ("other", other)] {
                log.append("\(who) matches: \(CredentialProtector.localHash(RawCredential(kind: .residentID, secret: number), key: key, version: 1) == hold.verifier)")
            }
            // Collected: the requester borrows it at shelf-b.
            var collect = Self.event("box-b", 2, "shelf-b", .checkout, at: 9, item: "label:T3")
            collect.draft.worker = WorkerRef(try CredentialProtector.protect(RawCredential(kind: .residentID, secret: requester), keys: box))
            _ = try await store.ingest(box: "box-b", site: "shelf-b", events: Events.incoming([collect]), keys: hub)
            log.append("then \(try await store.request(id).state.rawValue)")
            log += try await store.dump("SELECT state, masked, hold_key, verifier, active FROM request WHERE id = ?", [.text(id)])
            log.append(try await Self.lists(store, "shelf-b"))
            await step("cancel collected") { try await store.cancelRequest(id, client: nil, by: .process).state.rawValue }
            return log
        }
        XCTAssertEqual(
            log,
            [
                "placed label:T3 placed to shelf-b 三体", "again: conflict", "unlabelled: invalid", "unknown: notFound", "no site: notFound",
                "shelf-a pulls [r…:label:T3→shelf-b] holds []", "shelf-b pulls [] holds [label:T3 expected]", "hut-c pulls [] holds []",
                "then in-transit from shelf-a since +1 min", "T3 in-transit shelf-a→shelf-b",
                "shelf-a pulls [] holds []", "shelf-b pulls [] holds [label:T3 expected]",
                "then ready at shelf-b for 7 days", "T3 on-hold at shelf-b",
                "shelf-b pulls [] holds [label:T3 ready]", "shown as \(RawCredential.mask(requester, kind: .residentID))",
                "requester matches: true", "other matches: false",
                "then collected", "collected|-|-|-|-", "shelf-b pulls [] holds []",
                "cancel collected: conflict",
            ])
        // The number itself is nowhere in the log.
        XCTAssertFalse(log.joined().contains(requester))
    }
}

extension StoreRequestConformanceTests {
    /// The holding box did not know: the copy was lent and returned elsewhere, and is
    /// pulled from there; a hold not collected expires; a request is cancelled; a worker at
    /// the site's limit is refused.
    func testAnUnawareBoxAHoldThatExpiresACancellationAndTheLimit() async throws {
        let (hub, _) = try StoreSchemaTests.keys()
        var ids = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        let (first, second, third, fourth) = (ids.valid(), ids.valid(), ids.valid(), ids.valid())
        let log = try await Engines.agree("request-unaware") { _, store in
            var log: [String] = []
            func step(_ what: String, _ op: () async throws -> String) async {
                do { log.append("\(what): \(try await op())") } catch let error as HubError { log.append("\(what): \(error.code)") } catch { log.append("\(what): \(error)") }
            }
            try await Events.union(store)
            _ = try await store.importCatalog(Self.titles())
            let r = try await store.placeRequest(RequestAsk(itemKey: "label:U1", pickupSite: "shelf-a", number: first), keys: hub, client: "cli", by: .process, nowMillis: Self.t0)
            log.append("placed \(r.itemKey)")
            log.append(try await Self.lists(store, "shelf-b"))
            // box-b, offline, lent it and it came back at shelf-a: pulled there now, for its own hold shelf.
            _ = try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming([Self.event("box-a", 1, "shelf-a", .return, at: 20, item: "label:U1")]), keys: hub)
            _ = try await store.ingest(box: "box-b", site: "shelf-b", events: Events.incoming([Self.event("box-b", 1, "shelf-b", .checkout, at: 2, item: "label:U1", who: "w5")]), keys: hub)
            log.append("then \(try await store.request(r.id).state.rawValue)")
            for site in ["shelf-a", "shelf-b"] { log.append(try await Self.lists(store, site)) }
            _ = try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming([Self.event("box-a", 2, "shelf-a", .transferIn, at: 25, item: "label:U1", request: r.id)]), keys: hub)
            let ready = try await store.request(r.id)
            log.append("then \(ready.state.rawValue) at \(ready.site ?? "-")")
            // A week later: expired, back in circulation, and the box's lists say so.
            let later = (ready.untilMillis ?? 0) + 1
            log.append("read later: \(try await store.request(r.id, nowMillis: later).state.rawValue)")
            log.append("holds at once: \(try await store.siteRequests(site: "shelf-a", nowMillis: later).holds.count)")
            log.append("expired \(try await store.expireHolds(nowMillis: later))")
            log += try await store.dump("SELECT state, masked, verifier, active FROM request WHERE id = ?", [.text(r.id)])
            log += try await store.catalog(query: "label:U1").map { "U1 \($0.standing)" }
            // Cancelled before it left: its copy is free again.
            let c = try await store.placeRequest(RequestAsk(title: "三体", pickupSite: "hut-c", number: second), keys: hub, client: "cli", by: .process, nowMillis: Self.t0)
            log.append("placed \(c.itemKey) for hut-c")
            log.append("cancelled: \(try await store.cancelRequest(c.id, client: nil, by: .process).state.rawValue)")
            await step("cancel again") { try await store.cancelRequest(c.id, client: nil, by: .process).state.rawValue }
            await step("another client's") { try await store.cancelRequest(r.id, client: "app", by: .process).state.rawValue }
            // The limit of the pickup site.
            try await store.updateSite("shelf-b", settings: [("max_requests", "1")])
            log.append("placed \(try await store.placeRequest(RequestAsk(title: "三体", pickupSite: "shelf-b", number: third), keys: hub, client: "cli", by: .process).itemKey)")
            await step("over the limit") { try await store.placeRequest(RequestAsk(itemKey: "label:U1", pickupSite: "shelf-b", number: third), keys: hub, client: "cli", by: .process).itemKey }
            await step("another worker") { try await store.placeRequest(RequestAsk(title: "三体", pickupSite: "shelf-b", number: first), keys: hub, client: "cli", by: .process).itemKey }
            await step("the last copy") { try await store.placeRequest(RequestAsk(title: "三体", pickupSite: "shelf-b", number: second), keys: hub, client: "cli", by: .process).itemKey }
            await step("none left") { try await store.placeRequest(RequestAsk(title: "三体", pickupSite: "shelf-b", number: fourth), keys: hub, client: "cli", by: .process).itemKey }
            // A worker erased: their open request ends and forgets them; its copy is free.
            _ = try await store.erase(worker: hub.pseudonym(RawCredential(kind: .residentID, secret: third)), reference: "ERASE-1", operator: "dpo")
            log += try await store.dump("SELECT state, substr(worker, 1, 7), masked, verifier, active FROM request WHERE item_key = 'label:T1'")
            await step("after the erasure") { try await store.placeRequest(RequestAsk(title: "三体", pickupSite: "shelf-b", number: fourth), keys: hub, client: "cli", by: .process).itemKey }
            return log
        }
        XCTAssertEqual(
            log,
            [
                "placed label:U1", "shelf-b pulls [r…:label:U1→shelf-a] holds []",
                "then placed", "shelf-a pulls [r…:label:U1→shelf-a] holds [label:U1 expected]", "shelf-b pulls [] holds []",
                "then ready at shelf-a", "read later: expired", "holds at once: 0", "expired 1", "expired|-|-|-", "U1 on-shelf",
                "placed label:T2 for hut-c", "cancelled: cancelled", "cancel again: request-closed", "another client's: no-request",
                "placed label:T1", "over the limit: request-limit", "another worker: label:T3", "the last copy: label:T2", "none left: no-copy",
                "cancelled|erased:|-|-|-", "after the erasure: label:T1",
            ])
    }

    /// Eight requests for the last copy at once, on two stores over one database (two hub
    /// instances on PostgreSQL; SQLite's one writer on its own): exactly one gets it.
    func testConcurrentRequestsForTheLastCopyPromiseItOnce() async throws {
        let (hub, _) = try StoreSchemaTests.keys()
        var ids = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        let numbers = (0..<8).map { _ in ids.valid() }
        let outcome = try await Engines.agree("request-race") { name, store in
            try await Events.union(store)
            _ = try await store.importCatalog([.init(itemKey: "label:L1", title: "最后一本", homeSite: "shelf-a")])
            @Sendable func race(_ stores: [HubStore]) async throws -> [String] {
                try await withThrowingTaskGroup(of: String.self) { group in
                    for (i, number) in numbers.enumerated() {
                        group.addTask {
                            await StoreConformanceTests.attempt("ask") {
                                try await stores[i % stores.count].placeRequest(RequestAsk(title: "最后一本", pickupSite: "shelf-b", number: number), keys: hub, client: "cli", by: .process).itemKey
                            }
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }.sorted()
                }
            }
            guard name == .postgres, let url = (store.engine as? PostgresEngine)?.url else { return try await race([store]) }
            return try await HubDatabase.with(url) { second in try await race([store, second]) }
        }
        XCTAssertEqual(outcome, ["ask: conflict"] + Array(repeating: "ask: conflict", count: 6) + ["ask: label:L1"])
    }
}

extension StoreRequestConformanceTests {
    /// The requests report and lost-in-transit on a union whose figures are worked out here.
    func testTheRequestsAndLostInTransitReports() async throws {
        let hour: Int64 = 3_600_000, day = Requests.dayMillis
        let tables = try await Engines.agree("request-reports") { _, store in
            try await Events.union(store)
            func ask(_ id: String, _ site: String, at: Int64) -> Requests.Request {
                Requests.Request(id: id, itemKey: "label:\(id)", pickupSite: site, worker: "w", placedMillis: Events.base + at, holdDays: 7)
            }
            try await store.insertRequests([ask("q1", "shelf-b", at: 0), ask("q2", "shelf-b", at: hour), ask("q3", "shelf-b", at: 2 * hour), ask("q4", "shelf-b", at: 3 * hour), ask("q5", "shelf-a", at: 0)])
            try await store.engine.transaction { s in
                for (id, state, since) in [("q1", "collected", 10 * hour), ("q2", "collected", hour + 30 * hour), ("q3", "expired", 9 * day), ("q5", "cancelled", hour)] {
                    try await s.execute("UPDATE request SET state = ?, since_ms = ?, active = NULL WHERE id = ?", [.text(state), .int(Events.base + since), .text(id)])
                }
            }
            var out = Events.event("box-a", 1, site: "shelf-a", .transferOut, at: 0, item: "label:X")
            (out.draft.request, out.draft.destination) = ("q9", "shelf-b")
            _ = try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming([out]), keys: nil)
            // Another copy sent from shelf-a arrives at shelf-b: a move in the drift report.
            var (sent, came) = (Events.event("box-a", 2, site: "shelf-a", .transferOut, at: 5, item: "label:Y"), Events.event("box-b", 1, site: "shelf-b", .transferIn, at: 60, item: "label:Y"))
            (sent.draft.request, sent.draft.destination, came.draft.request) = ("q8", "shelf-b", "q8")
            _ = try await store.ingest(box: "box-b", site: "shelf-b", events: Events.incoming([came]), keys: nil)
            _ = try await store.ingest(box: "box-a", site: "shelf-a", events: Events.incoming([sent]), keys: nil)
            var p = Reports.Parameters(nowMillis: Events.base + 40 * day)
            var lines = [try await store.report("requests", p).csv, try await store.report("lost-in-transit", p).csv]
            p.lostAfterDays = 45
            lines.append(try await store.report("lost-in-transit", p).csv)
            lines.append(try await store.report("drift", Reports.Parameters(from: "2026-11-01", to: "2026-12-01", nowMillis: Events.base)).csv)
            p = Reports.Parameters(site: "shelf-a", nowMillis: Events.base + 40 * day)
            lines.append(try await store.report("requests", p).csv)
            return lines.map { $0.replacingOccurrences(of: "\r\n", with: " / ") }
        }
        XCTAssertEqual(
            tables,
            [
                "site,month,placed,collected,expired,cancelled,open,median_fill_hours,p90_fill_hours / shelf-a,2026-11,1,0,0,1,0,, / shelf-b,2026-11,4,2,1,0,1,10.0,30.0 / ",
                "item_key,title,from_site,to_site,since_ms,days,request / label:X,,shelf-a,shelf-b,\(Events.base),40,q9 / ",
                "item_key,title,from_site,to_site,since_ms,days,request / ",
                "from_site,to_site,books / shelf-a,shelf-b,1 / ",
                "site,month,placed,collected,expired,cancelled,open,median_fill_hours,p90_fill_hours / shelf-a,2026-11,1,0,0,1,0,, / ",
            ])
    }
}
