import StationCore

/// The union-wide ledger, derived from every event by the rules table in DESIGN.md, in the
/// order of (time, box, seq): the same rows whatever order batches arrived in. Pure.
public enum Ledger {
    /// Where one book stands.
    public struct Book: Sendable, Equatable {
        public var itemKey: String
        public var holder: String?
        public var loanedAtMillis: Int64?
        public var dueDate: String?
        /// The site the book is at (it lives where it was last returned); in transit, the
        /// site it left.
        public var site: String?
        public var flags: [String]
        /// On its way to a request's pickup site.
        public var transit: Transit?
        /// On a site's hold shelf for a request (until the request's hold ends: the
        /// request says when).
        public var hold: Hold?

        public init(
            itemKey: String, holder: String? = nil, loanedAtMillis: Int64? = nil, dueDate: String? = nil, site: String? = nil, flags: [String] = [],
            transit: Transit? = nil, hold: Hold? = nil
        ) {
            (self.itemKey, self.holder, self.loanedAtMillis, self.dueDate, self.site, self.flags) = (itemKey, holder, loanedAtMillis, dueDate, site, flags)
            (self.transit, self.hold) = (transit, hold)
        }
    }

    /// A copy trapped for a request and not yet seen at its destination.
    public struct Transit: Sendable, Equatable {
        public var from: String
        public var to: String
        public var sinceMillis: Int64
        public var request: String
    }

    /// A copy that arrived for a request.
    public struct Hold: Sendable, Equatable {
        public var site: String
        public var request: String
        public var sinceMillis: Int64
    }

    /// One visit, open or closed.
    public struct Visit: Sendable, Equatable {
        public var boxID: String
        public var startSeq: Int64?
        public var endSeq: Int64?
        public var worker: String
        public var site: String
        public var service: String?
        public var startMillis: Int64?
        public var endMillis: Int64?
        public var flags: [String]
    }

    /// What the ledger reads of an event: the hub keeps these as columns, so the ledger is
    /// recomputed without decoding event bodies.
    public struct Entry: Sendable, Equatable {
        public var boxID: String
        public var seq: Int64
        public var siteID: String
        public var kind: EventKind
        /// ``Ledger/worker(_:)``.
        public var worker: String?
        /// Corrected time.
        public var atMillis: Int64
        public var dueDate: String?
        public var service: String?
        public var autoClosed: Bool
        /// A transfer's request and a `transfer-out`'s destination.
        public var request: String?
        public var destination: String?

        public init(
            boxID: String, seq: Int64, siteID: String, kind: EventKind, worker: String?, atMillis: Int64, dueDate: String?, service: String?, autoClosed: Bool,
            request: String? = nil, destination: String? = nil
        ) {
            self.request = request
            self.destination = destination
            self.boxID = boxID
            self.seq = seq
            self.siteID = siteID
            self.kind = kind
            self.worker = worker
            self.atMillis = atMillis
            self.dueDate = dueDate
            self.service = service
            self.autoClosed = autoClosed
        }

        public init(_ e: JournalEvent) {
            self.init(
                boxID: e.boxID, seq: e.seq, siteID: e.siteID, kind: e.draft.kind, worker: Ledger.worker(e), atMillis: e.time.wallMillis,
                dueDate: e.draft.dueDate, service: e.draft.service, autoClosed: e.draft.flags.contains("auto-closed"),
                request: e.draft.request, destination: e.draft.destination)
        }
    }

    /// One worker's visits at one site: they pair among themselves only, so a batch
    /// recomputes the pairs it touched.
    struct VisitKey: Hashable {
        var site: String
        var worker: String
    }

    /// Visits open longer than this are closed at the hub (flagged).
    static let maxVisitMillis: Int64 = 12 * 3_600_000

    /// A worker as the ledger knows them: the union-wide pseudonym, else the box-local hash
    /// (matching within one box only).
    static func worker(_ e: JournalEvent) -> String? {
        guard let w = e.draft.worker else { return nil }
        return w.pseudonym ?? "\(e.boxID)/\(w.localHash)"
    }

    static func ordered(_ entries: [Entry]) -> [Entry] {
        entries.sorted { ($0.atMillis, $0.boxID, $0.seq) < ($1.atMillis, $1.boxID, $1.seq) }
    }

    public static func book(_ itemKey: String, events: [JournalEvent], homeSite: String? = nil) -> Book {
        book(itemKey, entries: events.map(Entry.init), homeSite: homeSite)
    }

    public static func visits(_ events: [JournalEvent], maxMillis: Int64, nowMillis: Int64) -> [Visit] {
        visits(entries: events.map(Entry.init), maxMillis: maxMillis, nowMillis: nowMillis)
    }

    /// One book's state from all its events (voided ones already left out). A book the
    /// catalog gives a home site lives there until it is returned elsewhere. Transfers:
    /// a `transfer-out` ends any loan and puts the copy in transit; a `transfer-in` puts it
    /// on that site's hold shelf; a checkout or a return anywhere ends both (a return means
    /// it was seen on a shelf, flagged when it was in transit).
    public static func book(_ itemKey: String, entries: [Entry], homeSite: String? = nil) -> Book {
        book(Book(itemKey: itemKey, site: homeSite), continuedWith: entries)
    }

    /// A book's state `b` carried on through `entries`, each of which comes after every
    /// entry `b` was made from (``LedgerFold``): the same as ``book(_:entries:homeSite:)``
    /// over all of them.
    static func book(_ start: Book, continuedWith entries: [Entry]) -> Book {
        var b = start
        func flag(_ f: String) { if !b.flags.contains(f) { b.flags.append(f) } }
        func endLoan() { (b.holder, b.loanedAtMillis, b.dueDate) = (nil, nil, nil) }
        for e in ordered(entries) {
            let who = e.worker
            switch e.kind {
            case .checkout, .renewal:
                if let holder = b.holder, holder != who, e.kind == .checkout {
                    flag("implied-return")  // on loan to someone else: their loan ends here
                }
                if b.holder == who && b.holder != nil {
                    b.dueDate = e.dueDate  // the same worker again: a renewal
                } else {
                    b.holder = who
                    b.loanedAtMillis = e.atMillis
                    b.dueDate = e.dueDate
                }
                if b.transit != nil { flag("lent-in-transit") }
                b.site = e.siteID
                (b.transit, b.hold) = (nil, nil)
            case .return:
                // (A copy on its way here, shelved by a box that was not told: it arrived.)
                if b.holder == nil && b.transit?.to != e.siteID { flag("returned-without-loan") }
                if let site = b.site, site != e.siteID { flag("drifted") }
                if let t = b.transit, t.to != e.siteID { flag("returned-in-transit") }
                endLoan()
                b.site = e.siteID
                (b.transit, b.hold) = (nil, nil)
            case .transferOut where b.hold?.request == e.request && e.request != nil:
                break  // its arrival came first (a slow clock at the pickup box): it is there
            case .transferOut:
                endLoan()
                b.site = e.siteID
                b.hold = nil
                b.transit = Transit(from: e.siteID, to: e.destination ?? e.siteID, sinceMillis: e.atMillis, request: e.request ?? "")
            case .transferIn:
                endLoan()
                b.site = e.siteID
                b.transit = nil
                b.hold = Hold(site: e.siteID, request: e.request ?? "", sinceMillis: e.atMillis)
            case .seen where b.holder == nil && b.transit == nil && b.hold == nil:
                // Found on a shelf in a stocktake: it is here. (On loan, on its way or on
                // a hold shelf, the ledger stands; the stocktake report asks an operator.)
                if let site = b.site, site != e.siteID { flag("drifted") }
                b.site = e.siteID
            case .seen, .stocktakeStart, .stocktakeEnd, .visitStart, .visitEnd, .void:
                break
            }
        }
        return b
    }

    /// Visits: each worker's starts and ends at a site paired in time order; an end
    /// without a start and a start never ended (past `maxMillis` by `nowMillis`) are kept
    /// and flagged.
    public static func visits(entries: [Entry], maxMillis: Int64, nowMillis: Int64) -> [Visit] {
        var out: [Visit] = []
        var open: [String: Int] = [:]  // site|worker -> index in out
        for e in ordered(entries) where e.kind == .visitStart || e.kind == .visitEnd {
            guard let who = e.worker else { continue }
            let key = "\(e.siteID)|\(who)"
            if e.kind == .visitStart {
                if let i = open[key] {
                    out[i].flags.append("never-ended")
                    out[i].endMillis = min(e.atMillis, (out[i].startMillis ?? e.atMillis) + maxMillis)
                }
                open[key] = out.count
                out.append(Visit(boxID: e.boxID, startSeq: e.seq, endSeq: nil, worker: who, site: e.siteID, service: e.service,
                                 startMillis: e.atMillis, endMillis: nil, flags: []))
            } else if let i = open.removeValue(forKey: key) {
                out[i].endSeq = e.seq
                out[i].endMillis = e.atMillis
                if e.autoClosed { out[i].flags.append("auto-closed") }
            } else {
                out.append(Visit(boxID: e.boxID, startSeq: nil, endSeq: e.seq, worker: who, site: e.siteID, service: e.service,
                                 startMillis: nil, endMillis: e.atMillis, flags: ["end-without-start"]))
            }
        }
        for (_, i) in open {
            if let start = out[i].startMillis, nowMillis - start >= maxMillis {
                out[i].endMillis = start + maxMillis
                out[i].flags.append("closed-by-hub")
            }
        }
        return out
    }
}
