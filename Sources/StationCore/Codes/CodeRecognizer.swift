import Crypto

/// A pattern for codes a deployment defines itself (item labels, member cards).
public struct CodePattern: Sendable {
    public let name: String
    public let source: String
    // Regex is an immutable value whose lazily compiled program is published atomically;
    // it is not marked Sendable, so the checker is told here.
    nonisolated(unsafe) let regex: Regex<AnyRegexOutput>
    /// Member cards only: the number's last digit is a Luhn check digit.
    public let luhn: Bool

    public init(name: String, pattern: String, luhn: Bool = false) throws {
        self.name = name
        source = pattern
        regex = try Regex(pattern)
        self.luhn = luhn
    }

    func matches(_ text: String) -> Bool { (try? regex.wholeMatch(in: text)) != nil }
}

/// Turns a framed scan into a ``Recognition``, in the order DESIGN.md gives ("Which kind
/// of code wins"): control card; the AIM symbology when the scanner sent one; site item
/// labels; the resident identity number; the EAN/ISBN family; member cards; else misread.
/// Pure: the time comes in as a parameter.
public struct CodeRecognizer: Sendable {
    public var controlCards: ControlCardTable
    public var itemLabels: [CodePattern]
    public var memberCards: [CodePattern]
    /// The hub's e-card signing keys, by key id.
    public var eCardKeys: [String: Curve25519.Signing.PublicKey]

    public init(
        controlCards: ControlCardTable = .standard, itemLabels: [CodePattern] = [], memberCards: [CodePattern] = [],
        eCardKeys: [String: Curve25519.Signing.PublicKey] = [:]
    ) {
        self.controlCards = controlCards
        self.itemLabels = itemLabels
        self.memberCards = memberCards
        self.eCardKeys = eCardKeys
    }

    /// When the scan happened: seconds since 1970 (e-card expiry) and the calendar date in
    /// the site's time zone (birth dates must be in the past).
    public struct Moment: Sendable {
        public var unixSeconds: Int64
        public var today: (year: Int, month: Int, day: Int)
        public init(unixSeconds: Int64, today: (year: Int, month: Int, day: Int)) {
            self.unixSeconds = unixSeconds
            self.today = today
        }
    }

    /// Families of codes, for narrowing by AIM symbology and device role.
    struct Families: OptionSet {
        let rawValue: Int
        static let eCard = Families(rawValue: 1)
        static let itemLabel = Families(rawValue: 2)
        static let residentID = Families(rawValue: 4)
        static let ean = Families(rawValue: 8)
        static let memberCard = Families(rawValue: 16)
        static let cardUID = Families(rawValue: 32)
        static let all: Families = [.eCard, .itemLabel, .residentID, .ean, .memberCard]
        static let credentials: Families = [.eCard, .residentID, .memberCard, .cardUID]
    }

    public func recognize(_ text: String, aim: String? = nil, role: DeviceRole = .scanner, at moment: Moment) -> Recognition {
        guard !text.isEmpty else { return .misread(kind: "unknown", reason: "empty scan") }
        if let action = controlCards.actions[text] { return .control(action) }
        switch EnrollmentCard.parse(text) {
        case .success(let card)?: return .enrollment(card)
        case .failure(let problem)?: return .misread(kind: "enrollment-card", reason: problem.reason)
        case nil: break
        }

        let (families, symbology) = Self.families(role: role, aim: aim)

        // The first family that claims the text decides; a family whose shape matched but
        // whose check failed leaves its reason in case nothing else claims the text.
        var failure: (kind: String, reason: String)?
        func fail(_ kind: String, _ reason: String) { if failure == nil { failure = (kind, reason) } }

        if families.contains(.eCard), text.hasPrefix(ECard.prefix) { return eCard(text, at: moment) }
        let sub = Substring(text)
        if families.contains(.itemLabel), itemLabels.contains(where: { $0.matches(text) }) {
            // A site pattern broad enough to match an identity number must not record one
            // in the clear as a book label.
            if case .valid = ResidentIdentity.check(sub, today: moment.today) {
                return .misread(kind: "item-label", reason: "an item-label pattern also matches an identity number: narrow the site's pattern")
            }
            return .book(BookCode(kind: .itemLabel, normalized: text))
        }
        if families.contains(.residentID) {
            switch ResidentIdentity.check(sub, today: moment.today) {
            case .valid(let n): return .credential(RawCredential(kind: .residentID, secret: n))
            case .invalid(let reason):
                // 18 digits starting 97 are an ISBN with a 5-digit add-on, not a person.
                if ResidentIdentity.provinceCodes.contains(String(text.prefix(2))) { fail(CredentialKind.residentID.rawValue, reason) }
            case .notShaped: break
            }
        }
        if families.contains(.ean) {
            switch BookCodes.check(sub) {
            case .book(let b): return .book(b)
            case .notABook(let kind, let normalized, let reason): return .unusable(kind: kind, normalized: normalized, reason: reason)
            case .invalid(let reason): fail(Self.bookKind(sub), reason)
            case .notShaped:
                if symbology?.dropFirst().first == "E" { fail("ean-13", "the scanner says EAN/UPC (\(symbology!)) but the text is not one") }
            }
        }
        if families.contains(.memberCard) {
            switch memberCard(text) {
            case .some(.success(let raw)): return .credential(raw)
            case .some(.failure): fail(CredentialKind.memberCard.rawValue, "member card number fails its check digit (a misread digit?)")
            case nil: break
            }
        }
        // An identity number that failed its checks stays a misread: it is no card UID.
        if families.contains(.cardUID), failure == nil, !ResidentIdentity.isFirstGeneration(sub), let uid = Self.cardUID(text) {
            return .credential(RawCredential(kind: .cardUID, secret: uid))
        }
        // 15 digits that are no valid EAN-13 with add-on but an old identity number's shape.
        if families.contains(.residentID), ResidentIdentity.isFirstGeneration(sub) {
            return .misread(
                kind: CredentialKind.residentID.rawValue,
                reason: "a 15-digit first-generation identity number is no longer valid; use the 18-digit number")
        }
        if let failure { return .misread(kind: failure.kind, reason: failure.reason) }
        if role == .idReader { return .misread(kind: "unknown", reason: "an ID reader sent something that is no credential this station knows") }
        return .misread(kind: "unknown", reason: "not a code this station knows (\(text.count) characters)")
    }

    /// Which families may claim a scan: an ID reader sends credentials only; an AIM
    /// symbology identifier narrows the rest.
    static func families(role: DeviceRole, aim: String?) -> (Families, symbology: String?) {
        var families = role == .idReader ? Families.credentials : Families.all
        guard let aim, aim.count == 3 else { return (families, nil) }
        switch aim.dropFirst().first! {
        case "E": families.formIntersection([.ean])  // EAN/UPC: only the book family
        case "Q", "d": families.subtract([.ean])  // QR, Data Matrix
        case "C", "A", "F", "G", "I": families.subtract([.ean, .eCard])  // linear symbologies
        default: break
        }
        return (families, aim)
    }

    func eCard(_ text: String, at moment: Moment) -> Recognition {
        switch ECard.verify(text, keys: eCardKeys, now: moment.unixSeconds) {
        case .valid(let p): return .credential(RawCredential(kind: .eCard, secret: p.sub, expiresAt: p.exp))
        case .expired(let p):
            return .unusable(kind: CredentialKind.eCard.rawValue, normalized: RawCredential.mask(p.sub, kind: .eCard), reason: "e-card expired; issue a new one")
        case .invalid(let reason): return .misread(kind: CredentialKind.eCard.rawValue, reason: reason)
        }
    }

    /// A member card by the deployment's patterns; a failure when a pattern matched but
    /// its check digit did not; nil when no pattern matched.
    func memberCard(_ text: String) -> Result<RawCredential, CheckDigitError>? {
        var luhnFailed = false
        for pattern in memberCards where pattern.matches(text) {
            if pattern.luhn && !CheckDigits.luhn(Substring(text)) {
                luhnFailed = true
                continue
            }
            return .success(RawCredential(kind: .memberCard, secret: text))
        }
        return luhnFailed ? .failure(CheckDigitError()) : nil
    }

    struct CheckDigitError: Error {}

    static func bookKind(_ text: Substring) -> String {
        let digits = text.filter { $0 != "-" && $0 != " " }
        switch digits.count {
        case 10: return BookCode.Kind.isbn10.rawValue
        case 12: return BookCode.Kind.upcA.rawValue
        default: return digits.hasPrefix("978") || digits.hasPrefix("979") ? BookCode.Kind.isbn13.rawValue : "ean-13"
        }
    }

    /// A card UID typed by an NFC/IC reader: decimal (as most 125 kHz and Mifare readers
    /// type the UID by default) or hex of a 4-, 7- or 10-byte UID; normalised to uppercase
    /// hex of the UID's length.
    static func cardUID(_ text: String) -> String? {
        let u = text.utf8
        if u.allSatisfy({ (48...57).contains($0) }), (6...20).contains(u.count), let value = UInt64(text) {
            let hex = String(value, radix: 16, uppercase: true)
            let width = value <= 0xFFFF_FFFF ? 8 : 14
            guard hex.count <= width else { return String(hex) }
            return String(repeating: "0", count: width - hex.count) + hex
        }
        if [8, 14, 20].contains(u.count), text.allSatisfy(\.isHexDigit) { return text.uppercased() }
        return nil
    }
}
