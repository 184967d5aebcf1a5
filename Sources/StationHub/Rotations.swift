/// Rotations, as values: a named collection of copies that moves through a route of sites,
/// a stage of `stageDays` at each, once or round and round. Pure.
///
/// The stage is a function of the time: stage `k` runs from `started + k × stageDays`; a
/// route that is not cyclic ends at its last site and stays there. At every stage each
/// copy that is not at the stage's site gets a move there (a request row of purpose
/// `rotation`), which its holding box's pull list carries: a copy on loan is trapped when
/// it comes back (it stays with its reader until returned); a copy a worker's request or
/// an operator's move holds stays where that takes it, and follows the rotation once it
/// is free. A move of an earlier stage that has not arrived is cancelled for the new one.
public enum Rotations {
    public struct Route: Sendable, Equatable {
        public var sites: [String]
        public var stageDays: Int
        public var cyclic: Bool
        public var startedMillis: Int64

        public init(sites: [String], stageDays: Int, cyclic: Bool, startedMillis: Int64) {
            (self.sites, self.stageDays, self.cyclic, self.startedMillis) = (sites, stageDays, cyclic, startedMillis)
        }

        /// The stage running at `nowMillis` (0 before the start), counted from the first:
        /// past the route's end it keeps counting when cyclic, else stays at the last.
        public func stage(at nowMillis: Int64) -> Int {
            let n = Int(max(0, nowMillis - startedMillis) / (Int64(stageDays) * Requests.dayMillis))
            return cyclic ? n : min(n, sites.count - 1)
        }

        /// Where the collection is to be during `stage`.
        public func site(ofStage stage: Int) -> String { sites[stage % sites.count] }

        /// When `stage` began.
        public func start(ofStage stage: Int) -> Int64 { startedMillis + Int64(stage) * Int64(stageDays) * Requests.dayMillis }
    }

    /// What holds one of the rotation's copies now.
    public enum Holder: Sendable, Equatable {
        case free
        /// A worker's request or an operator's move: the copy goes where that takes it first.
        case other
        /// This rotation's own move (its id), to `to`.
        case rotation(id: String, to: String)
    }

    public struct Copy: Sendable, Equatable {
        public var itemKey: String
        /// Where the ledger has it (its home when it never moved); in transit, the site it
        /// left; nil when no pull list can carry it (removed from the catalog, nowhere known).
        public var site: String?
        public var holder: Holder

        public init(itemKey: String, site: String?, holder: Holder) { (self.itemKey, self.site, self.holder) = (itemKey, site, holder) }
    }

    public enum Action: Sendable, Equatable {
        /// A move of this copy to the stage's site.
        case place(itemKey: String, to: String)
        /// This rotation's move of an earlier stage, cancelled.
        case cancel(request: String)
    }

    /// What fills the pull lists for the stage whose site is `target`: cancellations first
    /// (a copy is held by one open request at a time), then new moves, each by item key.
    public static func plan(target: String, copies: [Copy]) -> [Action] {
        var cancels: [Action] = [], places: [Action] = []
        for c in copies.sorted(by: { $0.itemKey < $1.itemKey }) {
            if c.site == nil {
                // Nowhere to send it from: its stage's move, if any, is cancelled.
                if case .rotation(let id, _) = c.holder { cancels.append(.cancel(request: id)) }
                continue
            }
            switch c.holder {
            case .other:
                continue
            case .rotation(_, let to) where to == target:
                continue
            case .rotation(let id, _):
                cancels.append(.cancel(request: id))
                if c.site != target { places.append(.place(itemKey: c.itemKey, to: target)) }
            case .free:
                if c.site != target { places.append(.place(itemKey: c.itemKey, to: target)) }
            }
        }
        return cancels + places
    }

    /// A route as an operator writes it: 2 to 20 known sites that lend books (`kinds`: each
    /// site's kind; a hut's or a station's box refuses books), none following itself (nor,
    /// round and round, the last the first), a stage of 1 to 365 days. Nil when it is
    /// fine, else why not.
    public static func problem(sites: [String], stageDays: Int, cyclic: Bool, kinds: [String: String?]) -> String? {
        if sites.count < 2 || sites.count > 20 { return "a route names 2 to 20 sites (\(sites.count) given)" }
        if let unknown = sites.first(where: { kinds[$0] == nil }) { return "no site \(unknown)" }
        if let other = sites.first(where: { kinds[$0] == .some("hut") || kinds[$0] == .some("station") }) {
            return "\(other) is a \((kinds[other] ?? nil) ?? "") and its box lends no books: a route goes through bookshelves"
        }
        let pairs = Array(zip(sites, sites.dropFirst())) + (cyclic ? [(sites[sites.count - 1], sites[0])] : [])
        if let same = pairs.first(where: { $0.0 == $0.1 }) { return "\(same.0) follows itself in the route" }
        if !(1...365).contains(stageDays) { return "a stage lasts 1 to 365 days (\(stageDays) given)" }
        return nil
    }
}
