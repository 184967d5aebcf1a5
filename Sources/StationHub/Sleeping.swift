/// Sleeping books as values: copies on a shelf that nobody borrowed for a site's
/// `sleeping_months` (6 unless it says otherwise), with the demand for their title
/// elsewhere beside them. Pure.
public enum Sleeping {
    public static let defaultMonths = 6
    /// The window the demand elsewhere is counted over.
    public static let demandMonths = 12

    /// A copy on a shelf (not on loan, not on its way), as the report reads it.
    public struct Copy: Sendable, Equatable {
        public var itemKey: String
        /// The catalog's title (its key when it has none): copies of one title are one demand.
        public var title: String
        public var site: String
        /// The last month it was lent (`YYYY-MM`), nil: never.
        public var lastLoanMonth: String?
        /// The site's `sleeping_months`.
        public var months: Int

        public init(itemKey: String, title: String, site: String, lastLoanMonth: String?, months: Int) {
            (self.itemKey, self.title, self.site, self.lastLoanMonth, self.months) = (itemKey, title, site, lastLoanMonth, months)
        }
    }

    public struct Row: Sendable, Equatable {
        public var copy: Copy
        /// Whole months since its last loan; nil: never lent.
        public var monthsAsleep: Int?
        /// Loans of its title at other sites in the last ``demandMonths``.
        public var loansElsewhere: Int64
        /// Open requests for its title anywhere.
        public var openRequests: Int64
    }

    /// Months from `a` to `b`, both `YYYY-MM`.
    public static func monthsBetween(_ a: String, _ b: String) -> Int? {
        guard let ia = monthNumber(a), let ib = monthNumber(b) else { return nil }
        return ib - ia
    }

    /// A `YYYY-MM` month as a count of months (year times 12 plus month): the same number
    /// ``Reports`` computes in SQL to leave awake copies' titles out of its statements.
    public static func monthNumber(_ m: String) -> Int? {
        let p = m.split(separator: "-")
        guard p.count == 2, let y = Int(p[0]), let mo = Int(p[1]) else { return nil }
        return y * 12 + mo
    }

    /// The sleeping copies, most wanted elsewhere first (loans elsewhere, then open
    /// requests, then the longest asleep, never lent first), then by item key.
    /// `loans[title][site]`: loans in the demand window; `requests[title]`: open ones.
    public static func rows(copies: [Copy], nowMonth: String, loans: [String: [String: Int64]], requests: [String: Int64]) -> [Row] {
        copies.compactMap { c -> Row? in
            let asleep = c.lastLoanMonth.flatMap { monthsBetween($0, nowMonth) }
            if let asleep, asleep < c.months { return nil }
            let elsewhere = (loans[c.title] ?? [:]).filter { $0.key != c.site }.values.reduce(0, +)
            return Row(copy: c, monthsAsleep: asleep, loansElsewhere: elsewhere, openRequests: requests[c.title] ?? 0)
        }.sorted { a, b in
            (-a.loansElsewhere, -a.openRequests, -(a.monthsAsleep ?? .max), a.copy.itemKey) < (-b.loansElsewhere, -b.openRequests, -(b.monthsAsleep ?? .max), b.copy.itemKey)
        }
    }
}
