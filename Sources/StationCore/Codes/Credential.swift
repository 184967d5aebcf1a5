/// What kind of worker credential was scanned.
public enum CredentialKind: String, Sendable, Equatable, CaseIterable, Codable {
    case residentID = "resident-id"
    case memberCard = "member-card"
    case cardUID = "card-uid"
    case eCard = "e-card"
}

/// A credential as scanned, held only long enough to protect it. It never prints its
/// number: `description`, `debugDescription` and reflection all show the masked form,
/// so an interpolation into a log line cannot leak it.
public struct RawCredential: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let kind: CredentialKind
    /// The normalised number (uppercase `X`, hex UID in uppercase, e-card subject).
    public let secret: String
    /// For an e-card, when it stops being valid (seconds since 1970).
    public let expiresAt: Int64?

    public init(kind: CredentialKind, secret: String, expiresAt: Int64? = nil) {
        self.kind = kind
        self.secret = secret
        self.expiresAt = expiresAt
    }

    /// For display: `3604**********0071` for an identity number; last four otherwise.
    public var masked: String { Self.mask(secret, kind: kind) }

    public static func mask(_ secret: String, kind: CredentialKind) -> String {
        let chars = Array(secret)
        switch kind {
        case .residentID where chars.count == 18:
            return String(chars.prefix(4)) + String(repeating: "*", count: 10) + String(chars.suffix(4))
        default:
            guard chars.count > 4 else { return String(repeating: "*", count: chars.count) }
            return String(repeating: "*", count: chars.count - 4) + String(chars.suffix(4))
        }
    }

    public var description: String { "\(kind.rawValue) \(masked)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["kind": kind, "masked": masked]) }
}
