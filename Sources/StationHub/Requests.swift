import StationCore
import StationProtocol

/// Requests ("borrow from another shelf", 一键借阅), as values: which copy a request
/// gets, and where a request stands. Pure.
///
/// A request's state is a function of the request's own row (its copy, pickup site,
/// worker, when it was placed and cancelled) and its copy's events, in the ledger's order
/// (corrected time, box, seq): the same whatever order the boxes' batches arrived in.
/// Which copy a request gets is decided once, when it is placed, and kept.
public enum Requests {
    public enum State: String, Sendable, Codable, CaseIterable, Comparable {
        /// A copy is promised; it waits on its shelf (or with its borrower) to be pulled.
        case placed
        /// Trapped at the holding site, on its way to the pickup site.
        case inTransit = "in-transit"
        /// On the pickup site's hold shelf until `until`.
        case ready
        /// Borrowed by the worker who asked for it.
        case collected
        /// A move's or a rotation's copy reached its destination (a transfer-in naming it,
        /// or any check-out or return there): back on a shelf, there.
        case arrived
        /// Not collected before the hold ended: back in circulation.
        case expired
        case cancelled

        /// Whether the request still holds its copy.
        public var isOpen: Bool { self == .placed || self == .inTransit || self == .ready }

        public static func < (a: State, b: State) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
    }

    /// Why a copy travels: a worker asked for it, an operator accepted a suggested move,
    /// or a rotation's stage changed. Moves and rotations have no worker and no hold: they
    /// end when the copy is at their destination (`pickupSite`).
    public enum Purpose: String, Sendable, Codable {
        case request
        case move
        case rotation
    }

    /// What a request's state is computed from.
    public struct Request: Sendable, Equatable {
        public var id: String
        public var itemKey: String
        public var pickupSite: String
        /// The worker as the ledger names them (the pseudonym); empty for a move.
        public var worker: String
        public var placedMillis: Int64
        public var holdDays: Int
        public var cancelledMillis: Int64?
        public var purpose: Purpose

        public init(
            id: String, itemKey: String, pickupSite: String, worker: String, placedMillis: Int64, holdDays: Int, cancelledMillis: Int64? = nil,
            purpose: Purpose = .request
        ) {
            (self.id, self.itemKey, self.pickupSite, self.worker) = (id, itemKey, pickupSite, worker)
            (self.placedMillis, self.holdDays, self.cancelledMillis, self.purpose) = (placedMillis, holdDays, cancelledMillis, purpose)
        }
    }

    /// Where a request stands.
    public struct Status: Sendable, Equatable {
        public var state: State
        public var sinceMillis: Int64
        /// Ready: when the hold ends.
        public var untilMillis: Int64?
        /// In transit: the site it left; ready: the pickup site.
        public var site: String?

        public init(state: State, sinceMillis: Int64, untilMillis: Int64? = nil, site: String? = nil) {
            (self.state, self.sinceMillis, self.untilMillis, self.site) = (state, sinceMillis, untilMillis, site)
        }
    }

    static let dayMillis: Int64 = 86_400_000

    /// The request's state from its copy's events (voided ones already left out), at
    /// `nowMillis`. Transfers count when they name this request; a checkout counts from
    /// the time the request was placed:
    /// - a `transfer-out` puts it in transit, a `transfer-in` at the pickup site makes it
    ///   ready for `holdDays`;
    /// - the requester's checkout of the copy collects it (anywhere: they have it), before
    ///   the hold ends;
    /// - anyone else's checkout takes the copy out of the chain: the request is placed
    ///   again and the copy pulled wherever it is next returned; so does a return while it
    ///   was in transit or on the hold shelf (a box that did not know shelved it);
    /// - a cancellation ends it at its time; a hold not collected in time expires.
    public static func status(_ r: Request, entries: [Ledger.Entry], nowMillis: Int64) -> Status {
        if r.purpose != .request { return moveStatus(r, entries: entries, nowMillis: nowMillis) }
        var status = Status(state: .placed, sinceMillis: r.placedMillis)
        let relevant = entries.filter { e in
            switch e.kind {
            case .transferOut, .transferIn: e.request == r.id
            case .checkout, .renewal, .return: e.atMillis >= r.placedMillis
            default: false
            }
        }
        for e in Ledger.ordered(relevant) {
            if let cancelled = r.cancelledMillis, cancelled <= e.atMillis { break }
            if let until = status.untilMillis, status.state == .ready, e.atMillis >= until { break }
            switch e.kind {
            case .transferOut where status.state == .placed || status.state == .inTransit:
                status = Status(state: .inTransit, sinceMillis: e.atMillis, site: e.siteID)
            case .transferIn where e.siteID == r.pickupSite:
                status = Status(state: .ready, sinceMillis: e.atMillis, untilMillis: e.atMillis + Int64(r.holdDays) * dayMillis, site: e.siteID)
            case .checkout where e.worker == r.worker:
                return Status(state: .collected, sinceMillis: e.atMillis, site: e.siteID)
            case .checkout:
                status = Status(state: .placed, sinceMillis: e.atMillis)
            case .return where status.state == .inTransit || status.state == .ready:
                // Seen on a shelf by a box that did not know: pulled again from there (or,
                // at the pickup site, trapped there when next scanned).
                status = Status(state: .placed, sinceMillis: e.atMillis)
            default:
                break
            }
        }
        if status.state == .ready, let until = status.untilMillis, until <= min(nowMillis, r.cancelledMillis ?? .max) {
            return Status(state: .expired, sinceMillis: until, site: status.site)
        }
        if let cancelled = r.cancelledMillis, cancelled <= nowMillis { return Status(state: .cancelled, sinceMillis: cancelled, site: status.site) }
        return status
    }

    /// A move's (or a rotation's) state: placed until its holding site traps it
    /// (`transfer-out` naming it: in transit); arrived when the copy is at its destination:
    /// a `transfer-in` naming it, or a check-out or return there (a box that was not told
    /// shelved or lent it: it is there all the same). A copy lent or returned elsewhere
    /// while in transit is pulled again from there; one lent before it was trapped is
    /// trapped when it comes back (the pull list follows the copy). Cancelled at its time.
    /// A move still open whose copy the ledger has at the destination, not in transit
    /// (events from before it that arrived late, a stocktake's sighting, a clock behind
    /// the hub's) has arrived.
    static func moveStatus(_ r: Request, entries: [Ledger.Entry], nowMillis: Int64) -> Status {
        var status = Status(state: .placed, sinceMillis: r.placedMillis)
        let relevant = entries.filter { e in
            switch e.kind {
            case .transferOut, .transferIn: e.request == r.id
            case .checkout, .return: e.atMillis >= r.placedMillis
            default: false
            }
        }
        for e in Ledger.ordered(relevant) {
            if let cancelled = r.cancelledMillis, cancelled <= e.atMillis { break }
            switch e.kind {
            case .transferOut where status.state != .arrived:
                status = Status(state: .inTransit, sinceMillis: e.atMillis, site: e.siteID)
            case .transferIn where e.siteID == r.pickupSite, .checkout where e.siteID == r.pickupSite, .return where e.siteID == r.pickupSite:
                return Status(state: .arrived, sinceMillis: e.atMillis, site: e.siteID)
            case .checkout where status.state == .inTransit, .return where status.state == .inTransit:
                status = Status(state: .placed, sinceMillis: e.atMillis)
            default:
                break
            }
        }
        if let cancelled = r.cancelledMillis, cancelled <= nowMillis { return Status(state: .cancelled, sinceMillis: cancelled, site: status.site) }
        // Already there by the ledger (a batch from before the move came late, a stocktake
        // saw it there, a destination box whose clock is behind the hub's shelved it):
        // nothing is left to send.
        if status.state == .placed || status.state == .inTransit, let last = Ledger.ordered(entries).last {
            let book = Ledger.book(r.itemKey, entries: entries)
            if book.site == r.pickupSite && book.transit == nil { return Status(state: .arrived, sinceMillis: max(r.placedMillis, last.atMillis), site: r.pickupSite) }
        }
        return status
    }

    /// A copy as allocation sees it.
    public struct Copy: Sendable, Equatable {
        public var itemKey: String
        /// Where the ledger has it (else its home).
        public var site: String?
        public var region: String?
        /// Not on loan, not in transit, not on a hold shelf for a request still open.
        public var onShelf: Bool
        /// An open request holds it.
        public var promised: Bool
        /// Its newest loan (nil: never lent): the longer it slept, the sooner it travels.
        public var lastLoanMillis: Int64?

        public init(itemKey: String, site: String?, region: String?, onShelf: Bool, promised: Bool, lastLoanMillis: Int64?) {
            (self.itemKey, self.site, self.region, self.onShelf, self.promised, self.lastLoanMillis) = (itemKey, site, region, onShelf, promised, lastLoanMillis)
        }
    }

    /// The copy a request to `pickupSite` gets: one on a shelf that no open request holds,
    /// nearest first (the pickup site, then its region, then anywhere), among equals the
    /// one that slept longest (never lent first), then by item key. Nil when none is free.
    public static func choose(_ copies: [Copy], pickupSite: String, pickupRegion: String?) -> Copy? {
        func distance(_ c: Copy) -> Int {
            if c.site == pickupSite { return 0 }
            if let region = pickupRegion, c.region == region { return 1 }
            return 2
        }
        return copies.filter { $0.onShelf && !$0.promised && $0.site != nil }.min { a, b in
            (distance(a), a.lastLoanMillis ?? .min, a.itemKey) < (distance(b), b.lastLoanMillis ?? .min, b.itemKey)
        }
    }

    /// The pull list of `site`: requests placed (not yet sent) whose copy the ledger has
    /// at this site and not in transit (on its shelf, or on loan from here: trapped when it
    /// comes back); `destination` is the pickup site, this one when the copy is to go on
    /// this site's own hold shelf. Ordered by request id.
    public static func pulls(site: String, requests: [(request: Request, status: Status)], books: [String: Ledger.Book]) -> [Downlink.Pull] {
        requests.compactMap { r, status -> Downlink.Pull? in
            guard status.state == .placed, let book = books[r.itemKey], book.transit == nil, book.site == site else { return nil }
            return Downlink.Pull(
                request: r.id, itemKey: r.itemKey, destination: r.pickupSite, sinceMillis: status.sinceMillis, purpose: r.purpose == .request ? nil : r.purpose.rawValue)
        }.sorted { $0.request < $1.request }
    }

    /// Days a hold waits when the pickup site sets none (`hold_days`).
    public static let defaultHoldDays = 7
    /// Open requests one worker may have when the site sets none (`max_requests`).
    public static let defaultMaxRequests = 5
    /// A copy in transit longer than this is reported lost (`stationhub report … --lost-after-days`).
    public static let defaultLostAfterDays = 30
}
