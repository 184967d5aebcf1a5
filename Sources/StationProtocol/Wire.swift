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

    public init(boxID: String, siteID: String, credential: String) {
        self.boxID = boxID
        self.siteID = siteID
        self.credential = credential
    }

    enum CodingKeys: String, CodingKey {
        case boxID = "box_id", siteID = "site_id", credential
    }
}

/// `POST /v1/batches`: events from the outbox, oldest first.
public struct BatchUpload: Codable, Sendable, Equatable {
    public var boxID: String
    public var events: [JournalEvent]

    public init(boxID: String, events: [JournalEvent]) {
        self.boxID = boxID
        self.events = events
    }

    enum CodingKeys: String, CodingKey {
        case boxID = "box_id", events
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
    public var error: String
    public init(error: String) { self.error = error }
}
