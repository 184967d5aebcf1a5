import StationCore

/// The sync protocol's wire types, shared by stationd and stationhub. JSON, snake_case
/// keys; events travel as the journal holds them.

/// `POST /v1/enroll`: a one-time token (from an enrollment card or `stationctl enroll`)
/// for a box credential.
public struct EnrollRequest: Codable, Sendable, Equatable {
    public var token: String
    public init(token: String) { self.token = token }
}

public struct EnrollResponse: Codable, Sendable, Equatable {
    public var boxID: String
    public var siteID: String
    /// The box's bearer credential for every later request. The hub keeps only its hash.
    public var credential: String
    /// The hub's public keys (as the downlink sends them): the box seals to the hub's own
    /// credential key from its first scan on. Absent from hubs older than this field.
    public var keys: [Downlink.Key]?

    public init(boxID: String, siteID: String, credential: String, keys: [Downlink.Key]? = nil) {
        self.boxID = boxID
        self.siteID = siteID
        self.credential = credential
        self.keys = keys
    }

    enum CodingKeys: String, CodingKey {
        case boxID = "box_id", siteID = "site_id", credential, keys
    }
}

/// `POST /v1/batches`: events from the outbox, oldest first.
public struct BatchUpload: Codable, Sendable, Equatable {
    public var boxID: String
    public var events: [JournalEvent]
    /// How many events the box still holds to send after these (what operators see as its
    /// backlog), and the software it runs. Absent from boxes older than these fields.
    public var backlog: Int64?
    public var software: String?

    public init(boxID: String, events: [JournalEvent], backlog: Int64? = nil, software: String? = nil) {
        self.boxID = boxID
        self.events = events
        self.backlog = backlog
        self.software = software
    }

    enum CodingKeys: String, CodingKey {
        case boxID = "box_id", events, backlog, software
    }
}

/// What the hub durably applied. The box deletes from its outbox everything at or below
/// `ackedThrough`; `resumeFrom` asks for events from there again (a gap the box did not
/// declare).
public struct BatchResult: Codable, Sendable, Equatable {
    public var ackedThrough: Int64
    public var applied: Int
    public var duplicates: Int
    public var quarantined: [Quarantined]
    public var resumeFrom: Int64?

    public init(ackedThrough: Int64, applied: Int, duplicates: Int, quarantined: [Quarantined], resumeFrom: Int64?) {
        self.ackedThrough = ackedThrough
        self.applied = applied
        self.duplicates = duplicates
        self.quarantined = quarantined
        self.resumeFrom = resumeFrom
    }

    enum CodingKeys: String, CodingKey {
        case ackedThrough = "acked_through", applied, duplicates, quarantined, resumeFrom = "resume_from"
    }
}

/// An event the hub stored aside for an operator, acknowledged so it blocks nothing.
public struct Quarantined: Codable, Sendable, Equatable {
    public var seq: Int64
    public var reason: String

    public init(seq: Int64, reason: String) {
        self.seq = seq
        self.reason = reason
    }
}

/// An error answer: a reason a person can act on.
public struct ErrorBody: Codable, Sendable, Equatable {
    /// For people: what was refused and why.
    public var error: String
    /// For programs: stable, one of the codes in `docs/api/openapi.yaml` (absent from hubs
    /// older than the codes).
    public var code: String?
    public init(error: String, code: String? = nil) {
        self.error = error
        self.code = code
    }
}

/// A box's wall clock was off by `offsetMillis` (true minus box time) during boot
/// `bootID`: learnt when NTP synchronised it, or from the hub's `Date` header. The hub
/// corrects the times of that boot's unsynchronised events from it; events are never
/// rewritten.
public struct ClockCorrection: Codable, Sendable, Equatable, Hashable {
    public enum Source: String, Codable, Sendable { case ntp, hubDate = "hub-date", manual }
    public var bootID: String
    public var offsetMillis: Int64
    public var source: Source
    /// When it was learnt, on the box's wall clock and on CLOCK_MONOTONIC.
    public var recordedWallMillis: Int64
    public var monotonicMicros: Int64

    public init(bootID: String, offsetMillis: Int64, source: Source, recordedWallMillis: Int64, monotonicMicros: Int64) {
        self.bootID = bootID
        self.offsetMillis = offsetMillis
        self.source = source
        self.recordedWallMillis = recordedWallMillis
        self.monotonicMicros = monotonicMicros
    }

    enum CodingKeys: String, CodingKey {
        case bootID = "boot_id", offsetMillis = "offset_ms", source, recordedWallMillis = "recorded_wall_ms", monotonicMicros = "mono_us"
    }
}

/// `POST /v1/clock-corrections`.
public struct ClockCorrectionUpload: Codable, Sendable, Equatable {
    public var corrections: [ClockCorrection]
    public init(corrections: [ClockCorrection]) { self.corrections = corrections }
}

/// One warning or error of a box's device log, for the site manager's central view. The
/// box numbers its lines; the hub keeps each (box, id) once.
public struct DeviceLogLine: Codable, Sendable, Equatable {
    public var id: Int64
    public var atMillis: Int64
    public var level: String
    public var scannerID: String?
    public var message: String

    public init(id: Int64, atMillis: Int64, level: String, scannerID: String?, message: String) {
        self.id = id
        self.atMillis = atMillis
        self.level = level
        self.scannerID = scannerID
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case id, atMillis = "at_ms", level, scannerID = "scanner_id", message
    }
}

/// `POST /v1/device-log`.
public struct DeviceLogUpload: Codable, Sendable, Equatable {
    public var lines: [DeviceLogLine]
    public init(lines: [DeviceLogLine]) { self.lines = lines }
}

/// How many lines or corrections the hub now holds from this upload (new ones plus
/// those it had already): the box marks them sent.
public struct Accepted: Codable, Sendable, Equatable {
    public var accepted: Int
    public init(accepted: Int) { self.accepted = accepted }
}

/// `GET /v1/downlink?since=N`: what changed at the hub for this box's site since revision
/// `N` (0: everything). The box applies it to its caches and asks from `revision` next.
public struct Downlink: Codable, Sendable, Equatable {
    /// A title the hub knows: where it belongs (drift is a return elsewhere).
    public struct Title: Codable, Sendable, Equatable {
        public var itemKey: String
        public var title: String?
        public var homeSite: String?
        /// Taken out of the catalog: the box forgets it.
        public var removed: Bool?
        public init(itemKey: String, title: String?, homeSite: String?, removed: Bool? = nil) {
            self.itemKey = itemKey
            self.title = title
            self.homeSite = homeSite
            self.removed = removed
        }
        enum CodingKeys: String, CodingKey { case itemKey = "item_key", title, homeSite = "home_site", removed }
    }

    /// A card UID of a member, and the member as the union knows them (the pseudonym).
    public struct Member: Codable, Sendable, Equatable {
        public var cardUID: String
        public var member: String
        /// Taken off the member list: the box forgets the card (older boxes see a member of
        /// its own, `removed:UID`, that no one else is).
        public var removed: Bool?
        public init(cardUID: String, member: String, removed: Bool? = nil) {
            self.cardUID = cardUID
            self.member = member
            self.removed = removed
        }
        enum CodingKeys: String, CodingKey { case cardUID = "card_uid", member, removed }
    }

    /// A public key: `credential` (X25519, boxes seal to it) or `ecard` (Ed25519, e-cards
    /// are signed with it); base64 of the raw key.
    public struct Key: Codable, Sendable, Equatable {
        public var purpose: String
        public var version: Int
        public var material: String
        public init(purpose: String, version: Int, material: String) {
            self.purpose = purpose
            self.version = version
            self.material = material
        }
    }

    public var revision: Int64
    public var catalog: [Title]
    public var members: [Member]
    public var keys: [Key]
    /// Settings of the site the hub holds (`loan_days`, `max_loans`, ...), as strings.
    public var siteConfig: [String: String]
    /// The site the hub has the box at (after `stationhub box move`, its new one).
    public var siteID: String?
    /// Seqs of this box's events whose worker was erased at the hub: the box deletes its
    /// copies (those it no longer has to send).
    public var forget: [Int64]?
    /// The site's pull list and hold shelf, complete in every answer (nil from a hub
    /// without requests): the box replaces what it held.
    public var pulls: [Pull]?
    public var holds: [Hold]?

    public init(
        revision: Int64, catalog: [Title], members: [Member], keys: [Key], siteConfig: [String: String], siteID: String? = nil, forget: [Int64]? = nil
    ) {
        self.revision = revision
        self.catalog = catalog
        self.members = members
        self.keys = keys
        self.siteConfig = siteConfig
        self.siteID = siteID
        self.forget = forget
    }

    enum CodingKeys: String, CodingKey { case revision, catalog, members, keys, siteConfig = "site_config", siteID = "site_id", forget, pulls, holds }
}

extension Downlink {
    /// A requested copy the box's site holds: when it is scanned (in any mode, also when it
    /// comes back from a loan) the box traps it and sends it on to `destination`
    /// (`transfer-out`).
    public struct Pull: Codable, Sendable, Equatable {
        public var request: String
        public var itemKey: String
        public var destination: String
        /// Since when the request is what it is (placed again after the copy went
        /// elsewhere): a trap the box made before that is not this pull's.
        public var sinceMillis: Int64?
        /// `move` or `rotation`: the copy goes to `destination`'s shelf, for no worker
        /// (absent: a worker's request).
        public var purpose: String?
        public init(request: String, itemKey: String, destination: String, sinceMillis: Int64? = nil, purpose: String? = nil) {
            (self.request, self.itemKey, self.destination, self.sinceMillis, self.purpose) = (request, itemKey, destination, sinceMillis, purpose)
        }
        enum CodingKeys: String, CodingKey { case request, itemKey = "item_key", destination, sinceMillis = "since_ms", purpose }
    }

    /// A request to be collected at the box's site: expected (`untilMillis` nil: its copy
    /// is trapped as `transfer-in` when it is scanned here) or on the hold shelf until
    /// `untilMillis`. Only its worker may borrow the copy meanwhile, and the box knows them
    /// offline without learning who they are: `verifier` is the worker's credential under
    /// `key` (hex), a key of this request's own (``CredentialProtector/localHash(_:key:version:)``),
    /// so it matches nothing at any other box or for any other request; `member`, when they
    /// were named by a card the member list knows, matches their card UIDs. `masked` is
    /// what the box may show; `holdDays` how long an arrival waits.
    public struct Hold: Codable, Sendable, Equatable {
        public var request: String
        public var itemKey: String
        public var masked: String
        public var key: String
        public var verifier: String
        public var member: String?
        public var holdDays: Int
        public var untilMillis: Int64?
        /// Since when the request is what it is: an arrival the box recorded before that
        /// is not this hold's.
        public var sinceMillis: Int64?
        public init(
            request: String, itemKey: String, masked: String, key: String, verifier: String, member: String?, holdDays: Int, untilMillis: Int64?,
            sinceMillis: Int64? = nil
        ) {
            (self.request, self.itemKey, self.masked, self.key, self.verifier, self.member) = (request, itemKey, masked, key, verifier, member)
            (self.holdDays, self.untilMillis, self.sinceMillis) = (holdDays, untilMillis, sinceMillis)
        }
        enum CodingKeys: String, CodingKey {
            case request, itemKey = "item_key", masked, key, verifier, member, holdDays = "hold_days", untilMillis = "until_ms", sinceMillis = "since_ms"
        }
    }
}
