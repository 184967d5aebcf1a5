import Foundation

/// What a console account may see and change: the whole union, one region's sites, or one
/// site. The scope is applied in the store's queries (``condition(_:)``), never by hiding
/// rows after they were read; an id outside it is answered as if it did not exist.
public enum ConsoleRole: Sendable, Equatable, Hashable {
    /// The union's operators: every site, the audit log.
    case union
    /// A region's organiser: the sites whose region is this one.
    case region(String)
    /// A site's manager: this site only.
    case site(String)

    /// `union`, `region:R` or `site:S`, as `stationhub operator add --role` takes it.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first, parts.count) {
        case ("union", 1): self = .union
        case ("region", 2) where !parts[1].isEmpty: self = .region(parts[1])
        case ("site", 2) where !parts[1].isEmpty: self = .site(parts[1])
        default: throw HubError(.invalid, "role \(text): union, region:REGION or site:SITE", code: "invalid-role")
        }
    }

    /// As stored (`role`, `scope`) and read back.
    init?(kind: String, scope: String?) {
        switch (kind, scope) {
        case ("union", _): self = .union
        case ("region", let r?): self = .region(r)
        case ("site", let s?): self = .site(s)
        default: return nil
        }
    }

    public var kind: String {
        switch self {
        case .union: "union"
        case .region: "region"
        case .site: "site"
        }
    }

    public var scope: String? {
        switch self {
        case .union: nil
        case .region(let r): r
        case .site(let s): s
        }
    }

    public var text: String { scope.map { "\(kind):\($0)" } ?? kind }

    /// Whether a site (its id and region) is in scope.
    public func sees(site: String, region: String?) -> Bool {
        switch self {
        case .union: true
        case .region(let r): region == r
        case .site(let s): site == s
        }
    }

    /// The SQL condition that keeps the rows of a column holding a site id in scope, and
    /// its arguments: every console query that names sites, boxes, events or logs takes it.
    public func condition(_ siteColumn: String) -> (sql: String, arguments: [SQLValue]) {
        switch self {
        case .union: ("1 = 1", [])
        case .region(let r): ("\(siteColumn) IN (SELECT id FROM site WHERE region = ?)", [.text(r)])
        case .site(let s): ("\(siteColumn) = ?", [.text(s)])
        }
    }

    /// A report's parameters narrowed to this scope: a region operator's reports are of
    /// their region, a site manager's of their site; asking for a site or region outside
    /// the scope is refused as not found.
    public func narrow(_ p: Reports.Parameters, regionOf: (String) -> String??) throws -> Reports.Parameters {
        var p = p
        switch self {
        case .union: return p
        case .region(let r):
            if let asked = p.region, asked != r { throw Self.outOfScope("region \(asked)") }
            if let site = p.site, regionOf(site) != .some(r) { throw Self.outOfScope("site \(site)") }
            p.region = r
        case .site(let s):
            if let site = p.site, site != s { throw Self.outOfScope("site \(site)") }
            if p.region != nil { throw Self.outOfScope("region \(p.region!)") }
            p.site = s
        }
        return p
    }

    /// Whether this is a site manager's account (their own site only).
    var isSiteManager: Bool {
        if case .site = self { true } else { false }
    }

    /// What the role may change, each within its scope: a site's fields and boxes are the
    /// region's and the union's; every role may revoke a box it sees (a site manager's
    /// stolen box cannot wait for the region). Only the union reads the audit log.
    public var mayEditSites: Bool { !isSiteManager }
    public var mayAddBoxes: Bool { !isSiteManager }
    public var readsAuditLog: Bool { self == .union }
    /// Titles are imported by the union, and by a region into its own sites; the member
    /// list (a card names who borrows at every site) by the union only.
    public var mayImportCatalog: Bool { !isSiteManager }
    public var mayImportMembers: Bool { self == .union }

    static func outOfScope(_ what: String) -> HubError {
        HubError(.notFound, "no \(what)", code: "not-found")
    }
}
