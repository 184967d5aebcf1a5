/// An enrollment card: a QR code `station-enroll:<hub URL>#<one-time token>` printed by
/// `stationhub box add --card`. A screenless box scans it to enroll itself. The token is
/// a secret until used: it is never printed in full.
public struct EnrollmentCard: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public static let prefix = "station-enroll:"
    public let hubURL: String
    public let token: String

    public init(hubURL: String, token: String) {
        self.hubURL = hubURL
        self.token = token
    }

    /// What the QR code holds.
    public var payload: String { Self.prefix + hubURL + "#" + token }

    public var description: String { "enrollment card for \(hubURL) (token \(token.prefix(4))…)" }
    public var debugDescription: String { description }

    /// nil when `text` is not an enrollment card at all; a reason when it is a damaged one.
    public static func parse(_ text: String) -> Result<EnrollmentCard, EnrollmentCardProblem>? {
        guard text.hasPrefix(prefix) else { return nil }
        let rest = text.dropFirst(prefix.count)
        guard let hash = rest.lastIndex(of: "#") else { return .failure(.init(reason: "no token after the hub URL")) }
        let url = String(rest[..<hash]), token = String(rest[rest.index(after: hash)...])
        guard url.hasPrefix("https://") || url.hasPrefix("http://"), url.count > 8, !url.contains(" ") else {
            return .failure(.init(reason: "the hub URL is not an http(s) URL"))
        }
        guard token.count == 64, token.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            return .failure(.init(reason: "the token is not 64 lowercase hex digits"))
        }
        return .success(EnrollmentCard(hubURL: url, token: token))
    }
}

public struct EnrollmentCardProblem: Error, Sendable, Equatable {
    public var reason: String
}
