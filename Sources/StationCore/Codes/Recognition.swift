/// What a framed scan turned out to be.
public enum Recognition: Sendable, Equatable {
    case book(BookCode)
    case credential(RawCredential)
    case control(ControlAction)
    /// A box enrollment card (hub URL and one-time token).
    case enrollment(EnrollmentCard)
    /// A code read correctly that Station will not use: a product EAN-13, an expired e-card.
    case unusable(kind: String, normalized: String?, reason: String)
    /// Not a valid code: it failed a check or matched nothing. The reason never quotes a
    /// credential's digits.
    case misread(kind: String, reason: String)

    /// The verdict as `stationctl parse` prints it. A credential's `normalized` is its
    /// masked form: the number itself is never printed.
    public var summary: (kind: String, valid: Bool, normalized: String?, reason: String?) {
        switch self {
        case .book(let b): (b.kind.rawValue, true, b.normalized, nil)
        case .credential(let c): (c.kind.rawValue, true, c.masked, nil)
        case .control(let a): ("control", true, a.name, nil)
        case .enrollment(let card): ("enrollment-card", true, "\(card.hubURL) #\(card.token.prefix(4))…", nil)
        case .unusable(let kind, let normalized, let reason): (kind, false, normalized, reason)
        case .misread(let kind, let reason): (kind, false, nil, reason)
        }
    }
}
