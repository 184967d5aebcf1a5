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
        /// The site the book is at (it lives where it was last returned).
        public var site: String?
        public var flags: [String]
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

    /// A worker as the ledger knows them: the union-wide pseudonym, else the box-local hash
    /// (matching within one box only).
    static func worker(_ e: JournalEvent) -> String? {
        guard let w = e.draft.worker else { return nil }
        return w.pseudonym ?? "\(e.boxID)/\(w.localHash)"
    }

    static func ordered(_ events: [JournalEvent]) -> [JournalEvent] {
        events.sorted { ($0.time.wallMillis, $0.boxID, $0.seq) < ($1.time.wallMillis, $1.boxID, $1.seq) }
    }

    /// One book's state from all its events (voided ones already left out).
    public static func book(_ itemKey: String, events: [JournalEvent]) -> Book {
        var b = Book(itemKey: itemKey, holder: nil, loanedAtMillis: nil, dueDate: nil, site: nil, flags: [])
        func flag(_ f: String) { if !b.flags.contains(f) { b.flags.append(f) } }
        for e in ordered(events) {
            let who = worker(e)
            switch e.draft.kind {
            case .checkout, .renewal:
                if let holder = b.holder, holder != who, e.draft.kind == .checkout {
                    flag("implied-return")  // on loan to someone else: their loan ends here
                }
                if b.holder == who && b.holder != nil {
                    b.dueDate = e.draft.dueDate  // the same worker again: a renewal
                } else {
                    b.holder = who
                    b.loanedAtMillis = e.time.wallMillis
                    b.dueDate = e.draft.dueDate
                }
                b.site = e.siteID
            case .return:
                if b.holder == nil { flag("returned-without-loan") }
                if let site = b.site, site != e.siteID { flag("drifted") }
                b.holder = nil
                b.loanedAtMillis = nil
                b.dueDate = nil
                b.site = e.siteID
            default:
                break
            }
        }
        return b
    }

    /// Visits: each worker's starts and ends at a site paired in time order; an end
    /// without a start and a start never ended (past `maxMillis` by `nowMillis`) are kept
    /// and flagged.
    public static func visits(_ events: [JournalEvent], maxMillis: Int64, nowMillis: Int64) -> [Visit] {
        var out: [Visit] = []
        var open: [String: Int] = [:]  // site|worker -> index in out
        for e in ordered(events) where e.draft.kind == .visitStart || e.draft.kind == .visitEnd {
            guard let who = worker(e) else { continue }
            let key = "\(e.siteID)|\(who)"
            if e.draft.kind == .visitStart {
                if let i = open[key] {
                    out[i].flags.append("never-ended")
                    out[i].endMillis = min(e.time.wallMillis, (out[i].startMillis ?? e.time.wallMillis) + maxMillis)
                }
                open[key] = out.count
                out.append(Visit(boxID: e.boxID, startSeq: e.seq, endSeq: nil, worker: who, site: e.siteID, service: e.draft.service,
                                 startMillis: e.time.wallMillis, endMillis: nil, flags: []))
            } else if let i = open.removeValue(forKey: key) {
                out[i].endSeq = e.seq
                out[i].endMillis = e.time.wallMillis
                out[i].flags += e.draft.flags.filter { $0 == "auto-closed" }
            } else {
                out.append(Visit(boxID: e.boxID, startSeq: nil, endSeq: e.seq, worker: who, site: e.siteID, service: e.draft.service,
                                 startMillis: nil, endMillis: e.time.wallMillis, flags: ["end-without-start"]))
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
