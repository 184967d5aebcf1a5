import Foundation

/// Who made a change, and from where: the audit log keeps it beside the change.
public struct Actor: Sendable, Equatable {
    public var name: String
    public var origin: String

    public init(name: String, origin: String) {
        self.name = name
        self.origin = origin
    }

    /// The person running this process (`stationhub` on the command line): the login
    /// behind sudo, or the user, on this machine.
    public static var process: Actor {
        let env = ProcessInfo.processInfo.environment
        let name = env["SUDO_USER"] ?? env["USER"] ?? env["LOGNAME"] ?? "uid \(getuid())"
        return Actor(name: name, origin: "cli@\(ProcessInfo.processInfo.hostName)")
    }
}

/// A site as operators see it: its name, kind and region, its boxes, and the settings the
/// hub sends its boxes.
public struct SiteRecord: Sendable, Equatable, Codable {
    public var id: String
    public var name: String?
    public var kind: String?
    public var region: String?
    public var boxes: Int
    public var settings: [String: String]
}

/// What the hub knows of a box.
public struct BoxRecord: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable {
        /// Holds a credential and may sync.
        case enrolled
        /// Created (a token issued) but never enrolled.
        case waiting = "not-enrolled"
        case revoked
    }

    public var id: String
    public var site: String
    public var state: State
    public var revokedReason: String?
    public var enrolledMillis: Int64?
    public var revokedMillis: Int64?
    /// When it last authenticated, and when its last batch was applied.
    public var lastSeenMillis: Int64?
    public var lastBatchMillis: Int64?
    /// Through which seq the hub holds its events, and how many it said it still had to send.
    public var ackedThrough: Int64
    public var backlog: Int64?
    public var software: String?
    /// Its newest clock correction: how far off its clock was (true minus box), and when.
    public var clockOffsetMillis: Int64?
    public var clockCorrectedMillis: Int64?
    /// Sites it stood at before a move (its older events name them).
    public var formerSites: [String]
}

/// A catalog title with where the ledger says its copy is now.
public struct CatalogRecord: Sendable, Equatable, Codable {
    public var itemKey: String
    public var title: String?
    public var homeSite: String?
    /// The site it was last seen at (the ledger), who holds it (a pseudonym) and until when.
    public var site: String?
    public var holder: String?
    public var dueDate: String?
    /// On its way to a request's pickup site: from, to, since.
    public var transitFrom: String?
    public var transitTo: String?
    public var transitSinceMillis: Int64?
    /// On a hold shelf (the site) for a request still open.
    public var holdSite: String?
    /// The open request that holds it, and its state.
    public var request: String?
    public var requestState: Requests.State?

    public init(
        itemKey: String, title: String?, homeSite: String?, site: String?, holder: String?, dueDate: String?, transitFrom: String? = nil,
        transitTo: String? = nil, transitSinceMillis: Int64? = nil, holdSite: String? = nil, request: String? = nil, requestState: Requests.State? = nil
    ) {
        (self.itemKey, self.title, self.homeSite, self.site, self.holder, self.dueDate) = (itemKey, title, homeSite, site, holder, dueDate)
        (self.transitFrom, self.transitTo, self.transitSinceMillis, self.holdSite, self.request, self.requestState) =
            (transitFrom, transitTo, transitSinceMillis, holdSite, request, requestState)
    }

    /// Where it stands: `on-loan`, `in-transit`, `on-hold`, `requested` (promised, still on
    /// its shelf) or `on-shelf`.
    public var standing: String {
        if holder != nil { return "on-loan" }
        if transitTo != nil { return "in-transit" }
        if holdSite != nil { return "on-hold" }
        return request != nil ? "requested" : "on-shelf"
    }
}

/// An event set aside, with why.
public struct QuarantineRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var box: String
    public var seq: Int64
    public var reason: String
    public var receivedMillis: Int64
    /// The event as it came (with a number that is not one withheld); only in `show`.
    public var body: String?
}

/// One line of the audit log.
public struct AuditRecord: Sendable, Equatable, Codable {
    public var atMillis: Int64
    public var actor: String
    public var origin: String
    public var action: String
    public var subject: String
    public var detail: String
}

/// One erasure, as the erasure log keeps it (never the pseudonym).
public struct ErasureRecord: Sendable, Equatable, Codable {
    public var atMillis: Int64
    public var reference: String
    public var operatorName: String
    public var events: Int64
    public var books: Int64
    public var visits: Int64
}
