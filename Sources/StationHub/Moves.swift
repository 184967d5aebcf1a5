/// Suggested moves, as values: sleeping copies sent where their title is wanted and none
/// is on the shelf. Pure and deterministic: the same copies and demand, the same moves in
/// the same order.
///
/// - A site **wants** a title when it lent it (``Sleeping/demandMonths``, from the
///   aggregates) or its workers asked for it (requests placed for pickup there in the same
///   window), and no copy of it stands on its shelf now (its own copies are all out).
/// - A copy **may move** when it sleeps (``Sleeping``: not lent for its site's
///   `sleeping_months`), no open request or move holds it, and no rotation carries it.
/// - Wants are served strongest first (requests there, then loans there, then title and
///   site), each by one copy at most: a sleeping copy of the title from another site, the
///   same region as the wanting site first (a shorter trip), then the longest asleep
///   (never lent first), then by item key. A copy moves once.
public enum Moves {
    /// Why a copy is proposed: workers there asked for its title, or borrowed it.
    public enum Why: String, Sendable {
        case requested
        case borrowed
    }

    /// A sleeping copy that may move.
    public struct Copy: Sendable, Equatable {
        public var itemKey: String
        public var title: String
        public var site: String
        public var region: String?
        /// Whole months since its last loan; nil: never lent.
        public var monthsAsleep: Int?

        public init(itemKey: String, title: String, site: String, region: String?, monthsAsleep: Int?) {
            (self.itemKey, self.title, self.site, self.region, self.monthsAsleep) = (itemKey, title, site, region, monthsAsleep)
        }
    }

    /// A title's demand at one site over the window.
    public struct Want: Sendable, Equatable {
        public var title: String
        public var site: String
        public var region: String?
        public var loans: Int64
        public var requests: Int64

        public init(title: String, site: String, region: String?, loans: Int64, requests: Int64) {
            (self.title, self.site, self.region, self.loans, self.requests) = (title, site, region, loans, requests)
        }
    }

    public struct Move: Sendable, Equatable {
        public var copy: Copy
        public var to: String
        public var toRegion: String?
        public var loansThere: Int64
        public var requestsThere: Int64
        public var why: Why
    }

    /// `stocked`: the (title, site) pairs with a copy on the shelf now.
    public static func propose(copies: [Copy], wants: [Want], stocked: Set<TitleSite>) -> [Move] {
        var pool: [String: [Copy]] = [:]
        for c in copies { pool[c.title, default: []].append(c) }
        let open = wants.filter { w in (w.loans > 0 || w.requests > 0) && !stocked.contains(TitleSite(title: w.title, site: w.site)) }
            .sorted { a, b in (-a.requests, -a.loans, a.title, a.site) < (-b.requests, -b.loans, b.title, b.site) }
        var moves: [Move] = []
        for w in open {
            guard let candidates = pool[w.title] else { continue }
            func rank(_ c: Copy) -> (Int, Int, String) {
                (w.region != nil && c.region == w.region ? 0 : 1, -(c.monthsAsleep ?? .max), c.itemKey)
            }
            guard let best = candidates.indices.filter({ candidates[$0].site != w.site }).min(by: { rank(candidates[$0]) < rank(candidates[$1]) }) else { continue }
            let copy = pool[w.title]!.remove(at: best)
            moves.append(Move(copy: copy, to: w.site, toRegion: w.region, loansThere: w.loans, requestsThere: w.requests, why: w.requests > 0 ? .requested : .borrowed))
        }
        return moves
    }

    public struct TitleSite: Hashable, Sendable {
        public var title: String
        public var site: String
        public init(title: String, site: String) { (self.title, self.site) = (title, site) }
    }
}
