/// How a site's kiosk behaves: the workflow's configuration.
public struct KioskSettings: Sendable, Equatable {
    public enum SiteKind: String, Sendable, Equatable, CaseIterable {
        /// A workers' bookshelf: credentials open sessions, books are lent and returned.
        case bookshelf
        /// A love mother hut: credentials start and end visits.
        case hut
        /// An outdoor-worker service station: visits, with a service chosen by card.
        case station
    }

    public enum LimitPolicy: String, Sendable, Equatable, CaseIterable {
        /// Record the loan, tell the worker the limit is reached.
        case warn
        /// Do not record; tell the worker.
        case refuse
    }

    public var siteID: String
    public var siteKind: SiteKind
    public var sessionTimeoutMillis: Int64
    /// The same code from the same scanner within this window is one scan.
    public var doubleReadWindowMillis: Int64
    public var maxLoans: Int
    public var overLimit: LimitPolicy
    public var loanDays: Int
    /// Visits left open longer are closed automatically, marked so.
    public var visitMaxMinutes: Int
    /// Services offered; the first is the default at huts and stations.
    public var services: [String]

    public init(
        siteID: String, siteKind: SiteKind, sessionTimeoutMillis: Int64 = 60_000, doubleReadWindowMillis: Int64 = 1_500,
        maxLoans: Int = 5, overLimit: LimitPolicy = .warn, loanDays: Int = 30, visitMaxMinutes: Int = 120, services: [String] = []
    ) {
        self.siteID = siteID
        self.siteKind = siteKind
        self.sessionTimeoutMillis = sessionTimeoutMillis
        self.doubleReadWindowMillis = doubleReadWindowMillis
        self.maxLoans = maxLoans
        self.overLimit = overLimit
        self.loanDays = loanDays
        self.visitMaxMinutes = visitMaxMinutes
        self.services = services
    }

    public var defaultService: String? {
        services.first ?? (siteKind == .hut ? "lactation" : siteKind == .station ? "rest" : nil)
    }
}

/// Site-local calendar dates, `YYYY-MM-DD`, with day arithmetic. Pure.
public struct LocalDate: Sendable, Equatable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Days since 1970-01-01 (H. Hinnant's days-from-civil).
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(daysSinceEpoch z0: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }

    public func adding(days: Int) -> LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch + days) }

    public var description: String {
        func pad(_ n: Int, _ w: Int) -> String { String(repeating: "0", count: max(0, w - String(n).count)) + String(n) }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }
}

extension KioskSettings {
    /// The site settings the hub sent down, over the config file's: each known key with a
    /// valid value replaces the file's; anything else is listed in `ignored`.
    public func applying(hub: [String: String]) -> (settings: KioskSettings, ignored: [String]) {
        var s = self
        var ignored: [String] = []
        for (key, value) in hub.sorted(by: { $0.key < $1.key }) {
            let number = Int(value)
            switch key {
            case "loan_days" where number.map((1...365).contains) == true: s.loanDays = number!
            case "max_loans" where number.map((1...100).contains) == true: s.maxLoans = number!
            case "session_timeout_seconds" where number.map((5...600).contains) == true: s.sessionTimeoutMillis = Int64(number!) * 1000
            case "visit_max_minutes" where number.map((1...1440).contains) == true: s.visitMaxMinutes = number!
            case "over_limit" where LimitPolicy(rawValue: value) != nil: s.overLimit = LimitPolicy(rawValue: value)!
            default: ignored.append("\(key) = \(value)")
            }
        }
        return (s, ignored)
    }
}
