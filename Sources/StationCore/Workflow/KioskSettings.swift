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

    /// The day a wall-clock time falls on `zoneOffsetMillis` ahead of UTC (China's, unless said).
    public init(wallMillis: Int64, zoneOffsetMillis: Int64 = 8 * 3_600_000) {
        let shifted = wallMillis + zoneOffsetMillis
        self.init(daysSinceEpoch: Int(shifted >= 0 ? shifted / 86_400_000 : (shifted - 86_399_999) / 86_400_000))
    }

    public var description: String {
        func pad(_ n: Int, _ w: Int) -> String { String(repeating: "0", count: max(0, w - String(n).count)) + String(n) }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }
}

extension KioskSettings {
    /// The settings a hub may set for its sites' boxes, and what each accepts. The hub
    /// refuses anything else; a box ignores (and logs) anything else it receives.
    public static let hubSettings: [String: String] = [
        "loan_days": "a whole number of days, 1 to 365",
        "max_loans": "a whole number, 1 to 100",
        "over_limit": "\"warn\" or \"refuse\"",
        "session_timeout_seconds": "a whole number of seconds, 5 to 600",
        "visit_max_minutes": "a whole number of minutes, 1 to 1440",
        "hold_days": "a whole number of days, 1 to 60",
        "max_requests": "a whole number, 1 to 50",
        "sleeping_months": "a whole number of months, 1 to 36",
    ]

    /// These settings with one hub setting applied, or why it cannot be.
    public func applying(_ key: String, _ value: String) -> Result<KioskSettings, HubSettingProblem> {
        var s = self
        func number(_ range: ClosedRange<Int>) -> Int? { Int(value).flatMap { range.contains($0) ? $0 : nil } }
        switch key {
        case "loan_days": if let n = number(1...365) { s.loanDays = n; return .success(s) }
        case "max_loans": if let n = number(1...100) { s.maxLoans = n; return .success(s) }
        case "session_timeout_seconds": if let n = number(5...600) { s.sessionTimeoutMillis = Int64(n) * 1000; return .success(s) }
        case "visit_max_minutes": if let n = number(1...1440) { s.visitMaxMinutes = n; return .success(s) }
        case "over_limit": if let p = LimitPolicy(rawValue: value) { s.overLimit = p; return .success(s) }
        // The hub's own (how long a requested copy waits at this site, how many open
        // requests one worker may have): checked here, used by the hub.
        case "hold_days": if number(1...60) != nil { return .success(s) }
        case "max_requests": if number(1...50) != nil { return .success(s) }
        // (And after how long unborrowed a copy on this site's shelf is sleeping.)
        case "sleeping_months": if number(1...36) != nil { return .success(s) }
        default:
            return .failure(HubSettingProblem(description: "\(key) is not a site setting (known: \(Self.hubSettings.keys.sorted().joined(separator: ", ")))"))
        }
        return .failure(HubSettingProblem(description: "\(key) = \(value): expected \(Self.hubSettings[key] ?? "another value")"))
    }

    /// The site settings the hub sent down, over the config file's: each known key with a
    /// valid value replaces the file's; anything else is listed in `ignored`.
    public func applying(hub: [String: String]) -> (settings: KioskSettings, ignored: [String]) {
        var s = self
        var ignored: [String] = []
        for (key, value) in hub.sorted(by: { $0.key < $1.key }) {
            switch s.applying(key, value) {
            case .success(let next): s = next
            case .failure: ignored.append("\(key) = \(value)")
            }
        }
        return (s, ignored)
    }
}

public struct HubSettingProblem: Error, CustomStringConvertible, Sendable {
    public var description: String
}
