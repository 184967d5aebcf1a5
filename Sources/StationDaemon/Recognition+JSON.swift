import Foundation
import StationCore

extension Recognition {
    /// The `stationctl parse --json` object: kind, valid, normalized, reason. Credentials
    /// appear masked.
    public var jsonLine: JSONLine {
        let s = summary
        return JSONLine([
            ("kind", .string(s.kind)), ("valid", .bool(s.valid)),
            ("normalized", s.normalized.map { .string($0) } ?? .null), ("reason", s.reason.map { .string($0) } ?? .null),
        ])
    }
}

extension CodeRecognizer.Moment {
    /// Now, with the calendar date in the site's time zone (Asia/Shanghai by default).
    public static func now(timeZone: String = "Asia/Shanghai") -> CodeRecognizer.Moment {
        let date = Date()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(secondsFromGMT: 8 * 3600)!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return CodeRecognizer.Moment(unixSeconds: Int64(date.timeIntervalSince1970), today: (c.year!, c.month!, c.day!))
    }
}

/// Hides credential-shaped scan text wherever a scan is shown without being recognised
/// (`stationd listen`): 18-character identity-number shapes, 15-digit first-generation
/// shapes, and anything an ID reader sends.
public enum CredentialShape {
    public static func mask(_ text: String, role: DeviceRole) -> String? {
        let sub = Substring(text)
        if ResidentIdentity.isShaped(sub) { return RawCredential.mask(text.uppercased(), kind: .residentID) }
        if text.count == 15, text.allSatisfy({ $0.isASCII && $0.isNumber }) { return RawCredential.mask(text, kind: .residentID) }
        if role == .idReader { return RawCredential.mask(text, kind: .cardUID) }
        return nil
    }
}
