/// A site's stocktake as values: which of its boxes' counts make one stocktake, and what
/// it found against the ledger. Pure.
public enum Stocktakes {
    /// One box's start or end, as the hub has it (corrected time).
    public struct Mark: Sendable, Equatable {
        public var box: String
        public var start: Bool
        public var atMillis: Int64

        public init(box: String, start: Bool, atMillis: Int64) { (self.box, self.start, self.atMillis) = (box, start, atMillis) }
    }

    /// From the first start to the last end of counts that overlap (several boxes of one
    /// site sweeping its shelves at once); `to` nil while a box still counts.
    public struct Run: Sendable, Equatable {
        public var from: Int64
        public var to: Int64?
    }

    /// Nobody counts one shelf for longer: a count not ended by then ended then (a box
    /// replaced or lost mid-count does not hold every later stocktake of its site open).
    public static let longestCountMillis: Int64 = 86_400_000

    /// The site's stocktakes, oldest first: each box's start paired with its next end, or
    /// ended by its next start (as the box itself sees it); one without either runs on
    /// unless it began more than ``longestCountMillis`` before `nowMillis`; overlapping
    /// counts merged into one.
    public static func runs(_ marks: [Mark], nowMillis: Int64) -> [Run] {
        var spans: [(from: Int64, to: Int64?)] = [], open: [String: Int64] = [:]
        for m in marks.sorted(by: { ($0.atMillis, $0.box, $0.start ? 0 : 1) < ($1.atMillis, $1.box, $1.start ? 0 : 1) }) {
            if m.start {
                if let from = open[m.box] { spans.append((from, m.atMillis)) }
                open[m.box] = m.atMillis
            } else if let from = open.removeValue(forKey: m.box) {
                spans.append((from, m.atMillis))
            }
        }
        spans += open.values.map { from in (from, nowMillis - from > longestCountMillis ? from + longestCountMillis : nil) }
        var runs: [Run] = []
        for s in spans.sorted(by: { $0.from < $1.from }) {
            if let last = runs.last, last.to.map({ s.from <= $0 }) ?? true {
                runs[runs.count - 1].to = last.to.flatMap { end in s.to.map { max(end, $0) } }
            } else {
                runs.append(Run(from: s.from, to: s.to))
            }
        }
        return runs
    }

    /// A copy seen in the stocktake: first when, and by which box.
    public struct Sighting: Sendable, Equatable {
        public var itemKey: String
        public var box: String
        public var atMillis: Int64

        public init(itemKey: String, box: String, atMillis: Int64) { (self.itemKey, self.box, self.atMillis) = (itemKey, box, atMillis) }
    }

    /// A catalog copy as the ledger has it now.
    public struct Copy: Sendable, Equatable {
        public var itemKey: String
        public var title: String?
        public var homeSite: String?
        /// Where the ledger has it (else its home).
        public var site: String?
        public var onLoanSince: Int64?
        public var inTransit: Bool
        /// On the hold shelf of this site (for a request: it belongs here now).
        public var heldHere: Bool
        /// Its newest event other than a sighting: something happened to it then.
        public var lastMillis: Int64?

        public init(
            itemKey: String, title: String?, homeSite: String?, site: String?, onLoanSince: Int64?, inTransit: Bool, heldHere: Bool = false, lastMillis: Int64?
        ) {
            (self.itemKey, self.title, self.homeSite, self.site) = (itemKey, title, homeSite, site)
            (self.onLoanSince, self.inTransit, self.heldHere, self.lastMillis) = (onLoanSince, inTransit, heldHere, lastMillis)
        }
    }

    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// The ledger has it on this site's shelf; no box saw it, and nothing happened to it
        /// since the stocktake began.
        case missing
        /// Seen on the shelf, but the ledger has it on a loan that began before: it came
        /// back without a return (an operator may accept the implied return).
        case impliedReturn = "implied-return"
        /// Seen here, at home elsewhere: put on the wrong shelf, or drifted.
        case misplaced
        /// Seen, but the catalog does not know it.
        case unknown
    }

    public struct Finding: Sendable, Equatable {
        public var kind: Kind
        public var itemKey: String
        public var title: String?
        public var homeSite: String?
        public var seen: Sighting?
    }

    /// What `run` at `site` found: every copy in one finding at most, by kind then key.
    public static func findings(site: String, run: Run, sightings: [Sighting], copies: [Copy]) -> [Finding] {
        var first: [String: Sighting] = [:]
        for s in sightings where s.atMillis >= run.from && run.to.map({ s.atMillis <= $0 }) ?? true {
            if let seen = first[s.itemKey], (seen.atMillis, seen.box) <= (s.atMillis, s.box) { continue }
            first[s.itemKey] = s
        }
        var out: [Finding] = []
        let known = Dictionary(copies.map { ($0.itemKey, $0) }, uniquingKeysWith: { a, _ in a })
        for (key, seen) in first where known[key] == nil { out.append(Finding(kind: .unknown, itemKey: key, seen: seen)) }
        for c in copies {
            let finding = { (kind: Kind) in Finding(kind: kind, itemKey: c.itemKey, title: c.title, homeSite: c.homeSite, seen: first[c.itemKey]) }
            if let seen = first[c.itemKey] {
                if let since = c.onLoanSince, since < seen.atMillis {
                    out.append(finding(.impliedReturn))
                } else if let home = c.homeSite, home != site, !c.heldHere {
                    out.append(finding(.misplaced))
                }
            } else if c.site == site, c.onLoanSince == nil, !c.inTransit, (c.lastMillis ?? .min) < run.from {
                out.append(finding(.missing))
            }
        }
        let order = Dictionary(uniqueKeysWithValues: Kind.allCases.enumerated().map { ($0.element, $0.offset) })
        return out.sorted { (order[$0.kind]!, $0.itemKey) < (order[$1.kind]!, $1.itemKey) }
    }
}
