import Foundation

/// Times as operators read them: ISO 8601 in a time zone (the union's, Asia/Shanghai by
/// default), with its offset, to the second. Machines get milliseconds (JSON).
public enum HumanTime {
    public static let defaultZone = TimeZone(identifier: "Asia/Shanghai")!

    public static func text(_ millis: Int64, _ zone: TimeZone = defaultZone) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = zone
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    /// How long ago, roughly (`3 min`, `2 h`, `5 d`), for lists.
    public static func ago(_ millis: Int64, now: Int64) -> String {
        let s = max(0, (now - millis) / 1000)
        switch s {
        case ..<90: return "\(s) s"
        case ..<5400: return "\(s / 60) min"
        case ..<172_800: return "\(s / 3600) h"
        default: return "\(s / 86_400) d"
        }
    }
}
