import Foundation
import StationConfigFile
import StationCore
import StationProtocol
import StationSystem

/// The box's connection to its hub: where it is and the credential enrollment gave. Kept
/// in the state directory (`hub.json`, mode 0600); the hub keeps only the credential's hash.
public struct HubLink: Codable, Sendable, Equatable {
    public var url: String
    public var boxID: String
    public var siteID: String
    public var credential: String
    /// The CA file enrollment trusted the hub by (`stationctl enroll --ca-file`): sync
    /// trusts it by the same, unless the config names another (`[hub] ca_file`).
    public var caFile: String?
    /// The hub's public keys as enrollment gave them (the box seals to the hub's own key
    /// from its first scan on).
    public var keys: [Downlink.Key]?

    public static let fileName = "hub.json"

    public init(url: String, boxID: String, siteID: String, credential: String, caFile: String? = nil, keys: [Downlink.Key]? = nil) {
        self.url = url
        self.boxID = boxID
        self.siteID = siteID
        self.credential = credential
        self.caFile = caFile
        self.keys = keys
    }

    /// Plain HTTP only to a loopback hub, unless the config says `insecure = true`.
    public static func check(url: String, insecure: Bool) throws(HubRequestError) {
        guard let u = URL(string: url), let scheme = u.scheme, let host = u.host else {
            throw HubRequestError(status: nil, description: "\(url) is not a hub URL")
        }
        if scheme == "http" && !insecure && !["127.0.0.1", "localhost", "::1"].contains(host) {
            throw HubRequestError(status: nil, description: "plain HTTP to \(host) would send events in the clear: use https, or set insecure = true")
        }
    }

    public static func load(stateDirectory: String) -> HubLink? {
        guard let data = FileManager.default.contents(atPath: stateDirectory + "/" + fileName) else { return nil }
        return try? JSONDecoder().decode(HubLink.self, from: data)
    }

    /// Kept as a ``DurableFile``: after a power cut the box has the old link or the new
    /// one, never none; the credential is never readable by anyone but the daemon's user.
    public func save(stateDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        try DurableFile.write(try JSONEncoder().encode(self), to: stateDirectory + "/" + Self.fileName, mode: 0o600)
    }

    static func reason(_ data: Data) -> String {
        (try? JSONDecoder().decode(ErrorBody.self, from: data))?.error ?? String(decoding: data.prefix(200), as: UTF8.self)
    }
}

extension StationConfig {
    /// A config that leaves the box's identity to its enrollment card, with the identity
    /// the hub gave at enrollment (kept in hub.json); unchanged when it names the box or
    /// the box is not enrolled yet.
    public func withLinkIdentity() -> StationConfig {
        guard identityFromCard, let link = HubLink.load(stateDirectory: stateDirectory) else { return self }
        return adopting(boxID: link.boxID, siteID: link.siteID)
    }
}

/// A request to the hub that did not get the answer asked for: the hub's status (nil when
/// it was never reached) and what it, or the network, said.
public struct HubRequestError: Error, CustomStringConvertible, Sendable {
    public var status: Int?
    public var description: String
    /// Seconds the hub asked to wait (Retry-After).
    public var retryAfter: Double?

    public init(status: Int?, description: String, retryAfter: Double? = nil) {
        self.status = status
        self.description = description
        self.retryAfter = retryAfter
    }
}
