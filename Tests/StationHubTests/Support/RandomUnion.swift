import Foundation
import StationCore
import StationProtocol
import StationTesting

@testable import StationHub

/// A random morning of a small union (three boxes, six books, a hut's visits, voids, a box
/// whose clock was 90 s slow and unsynchronised until NTP said so), the orders its batches
/// could reach the hub in, and the ledger DESIGN's rules make of it, worked out without a
/// database.
struct RandomUnion {
    static let boxes = [("box-a", "shelf-a"), ("box-b", "shelf-b"), ("box-c", "hut-c")]
    static let offset: Int64 = 90_000
    var events: [JournalEvent] = []
    let correction = ClockCorrection(bootID: "u", offsetMillis: RandomUnion.offset, source: .ntp, recordedWallMillis: Events.base, monotonicMicros: 1)

    enum Delivery {
        case batch(box: String, site: String, [JournalEvent])
        case correction(box: String, ClockCorrection)
    }

    init(seed: UInt64) {
        var rng = TestIdentities(seed: seed)
        func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        var seqs = [String: Int64](), clocks = [String: Int64]()
        for _ in 0..<80 {
            let (box, site) = Self.boxes[pick(3)]
            let seq = (seqs[box] ?? 0) + 1
            seqs[box] = seq
            let at = (clocks[box] ?? 0) + Int64(1 + pick(20))
            clocks[box] = at
            let synced = box != "box-c", boot = synced ? "b" : "u"
            let who = "w\(1 + pick(4))"
            var event: JournalEvent
            switch pick(10) {
            case 0 where seq > 1:
                event = Events.event(box, seq, site: site, .void, at: at, flags: ["reported-as-storage-error"], refersTo: Int64(1 + pick(Int(seq - 1))), synced: synced, boot: boot)
            case 4 where box != "box-c", 5 where box != "box-c":
                // A transfer for one of the requests (its copy), out to another shelf or in here.
                let k = 1 + pick(3)
                let out = pick(2) == 0
                event = Events.event(box, seq, site: site, out ? .transferOut : .transferIn, at: at, item: "label:R\(k)", synced: synced, boot: boot)
                event.draft.request = "rq\(k)"
                if out { event.draft.destination = site == "shelf-a" ? "shelf-b" : "shelf-a" }
            case 1...3 where box == "box-c":
                event = Events.event(box, seq, site: site, pick(2) == 0 ? .visitStart : .visitEnd, at: at, who: who, service: pick(2) == 0 ? "rest" : "lactation", synced: synced, boot: boot)
            default:
                let kind: EventKind = [.checkout, .checkout, .renewal, .return][pick(4)]
                event = Events.event(
                    box, seq, site: site, kind, at: at, item: "label:R\(1 + pick(6))", who: kind == .return ? nil : who,
                    due: kind == .return ? nil : "2026-11-\(20 + pick(9))", synced: synced, boot: boot)
            }
            events.append(event)
        }
    }

    /// One order of arrival: each box's events shuffled into batches of 1 to 8, the boxes'
    /// batches interleaved, one batch sent twice, the clock correction somewhere among them.
    func deliveries(_ rng: inout TestIdentities) -> [Delivery] {
        var out: [Delivery] = []
        for (box, site) in Self.boxes {
            var mine = events.filter { $0.boxID == box }
            for i in mine.indices.reversed() { mine.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            var start = 0
            while start < mine.count {
                let n = min(mine.count - start, 1 + Int(rng.next() % 8))
                out.append(.batch(box: box, site: site, Array(mine[start..<start + n])))
                start += n
            }
        }
        for i in out.indices.reversed() { out.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        out.append(out[Int(rng.next() % UInt64(out.count))])
        out.insert(.correction(box: "box-c", correction), at: Int(rng.next() % UInt64(out.count + 1)))
        return out
    }

    /// Requests for three of the books, placed before the morning began: rq1 to shelf-b for
    /// w1 (as box-b knows them), rq2 to shelf-a for w2, rq3 to shelf-b for w3, cancelled
    /// half an hour in.
    static let requests = [
        Requests.Request(id: "rq1", itemKey: "label:R1", pickupSite: "shelf-b", worker: Events.key("box-b", "w1"), placedMillis: Events.base - 60_000, holdDays: 60),
        Requests.Request(id: "rq2", itemKey: "label:R2", pickupSite: "shelf-a", worker: Events.key("box-a", "w2"), placedMillis: Events.base - 60_000, holdDays: 60),
        Requests.Request(
            id: "rq3", itemKey: "label:R3", pickupSite: "shelf-b", worker: Events.key("box-b", "w3"), placedMillis: Events.base - 60_000, holdDays: 60,
            cancelledMillis: Events.base + 30 * Events.minute),
    ]

    /// The entries the ledger reads: every event at its corrected time, voided ones left out.
    func entries() -> [(item: String?, entry: Ledger.Entry)] {
        let voided = Set(events.filter { $0.draft.kind == .void }.compactMap { e in e.draft.refersTo.map { "\(e.boxID)#\($0)" } })
        return events.filter { $0.draft.kind != .void && !voided.contains("\($0.boxID)#\($0.seq)") }.map { e in
            var entry = Ledger.Entry(e)
            if !e.time.synchronized { entry.atMillis += Self.offset }
            return (e.draft.item?.key, entry)
        }
    }

    /// Transits, holds and the requests' states (as ``HubStore/transfersDump()`` prints them).
    func expectedTransfers(nowMillis: Int64) -> [String] {
        func cell(_ v: Any?) -> String { v.map { "\($0)" } ?? "-" }
        let all = entries()
        let items = Set(events.compactMap { $0.draft.item?.key }).sorted()
        let books = items.map { key -> String in
            let b = Ledger.book(key, entries: all.filter { $0.item == key }.map(\.entry))
            return [key, cell(b.transit?.from), cell(b.transit?.to), cell(b.transit?.sinceMillis), cell(b.transit?.request), cell(b.hold?.site), cell(b.hold?.request),
                    cell(b.hold?.sinceMillis)].joined(separator: "|")
        }
        let requests = Self.requests.map { r -> String in
            let st = Requests.status(r, entries: all.filter { $0.item == r.itemKey }.map(\.entry), nowMillis: nowMillis)
            return [r.id, st.state.rawValue, "\(st.sinceMillis)", cell(st.untilMillis), cell(st.site), st.state.isOpen ? "1" : "-"].joined(separator: "|")
        }
        return books + requests
    }

    /// The ledger's rows (as ``HubStore/ledgerDump()`` prints them) from every event at its
    /// corrected time, voided ones left out.
    func expectedLedger() -> [String] {
        let voided = Set(events.filter { $0.draft.kind == .void }.compactMap { e in e.draft.refersTo.map { "\(e.boxID)#\($0)" } })
        let entries = events.filter { $0.draft.kind != .void && !voided.contains("\($0.boxID)#\($0.seq)") }.map { e -> Ledger.Entry in
            var entry = Ledger.Entry(e)
            if !e.time.synchronized { entry.atMillis += Self.offset }
            return entry
        }
        func cell(_ v: Any?) -> String { v.map { "\($0)" } ?? "-" }
        let items = Set(events.compactMap { $0.draft.item?.key }).sorted()
        let books = items.map { key -> String in
            let b = Ledger.book(key, entries: entries.filter { e in events.contains { $0.boxID == e.boxID && $0.seq == e.seq && $0.draft.item?.key == key } })
            return [key, cell(b.holder), cell(b.loanedAtMillis), cell(b.dueDate), cell(b.site), b.flags.joined(separator: ",")].joined(separator: "|")
        }
        let now = HubIngest.nowMillis()
        let visits = Dictionary(grouping: entries.filter { $0.kind == .visitStart || $0.kind == .visitEnd }) { "\($0.siteID)|\($0.worker ?? "")" }.values
            .flatMap { Ledger.visits(entries: $0, maxMillis: Ledger.maxVisitMillis, nowMillis: now) }
            .sorted { ($0.site, $0.worker, $0.boxID, $0.startSeq ?? -1, $0.endSeq ?? -1) < ($1.site, $1.worker, $1.boxID, $1.startSeq ?? -1, $1.endSeq ?? -1) }
            .map { v in
                [v.site, v.boxID, cell(v.startSeq), cell(v.endSeq), v.worker, cell(v.service), cell(v.startMillis), cell(v.endMillis), v.flags.joined(separator: ",")]
                    .joined(separator: "|")
            }
        return books + visits
    }
}
