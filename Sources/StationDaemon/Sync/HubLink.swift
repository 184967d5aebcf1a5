import Foundation
import StationCore
import StationProtocol

/// The box's connection to its hub: where it is and the credential enrollment gave. Kept
/// in the state directory (`hub.json`, mode 0600); the hub keeps only the credential's hash.
public struct HubLink: Codable, Sendable, Equatable {
    public var url: String
    public var boxID: String
    public var siteID: String
    public var credential: String

    public static let fileName = "hub.json"

    public init(url: String, boxID: String, siteID: String, credential: String) {
        self.url = url
        self.boxID = boxID
        self.siteID = siteID
        self.credential = credential
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var status: Int?
        public var description: String
        /// Seconds the hub asked to wait (Retry-After).
        public var retryAfter: Double?
    }

    /// Plain HTTP only to a loopback hub, unless the config says `insecure = true`.
    public static func check(url: String, insecure: Bool) throws(Failure) {
        guard let u = URL(string: url), let scheme = u.scheme, let host = u.host else {
            throw Failure(status: nil, description: "\(url) is not a hub URL")
        }
        if scheme == "http" && !insecure && !["127.0.0.1", "localhost", "::1"].contains(host) {
            throw Failure(status: nil, description: "plain HTTP to \(host) would send events in the clear: use https, or set insecure = true")
        }
    }

    public static func load(stateDirectory: String) -> HubLink? {
        guard let data = FileManager.default.contents(atPath: stateDirectory + "/" + fileName) else { return nil }
        return try? JSONDecoder().decode(HubLink.self, from: data)
    }

    public func save(stateDirectory: String) throws {
        let path = stateDirectory + "/" + Self.fileName
        let tmp = path + ".tmp"
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        try JSONEncoder().encode(self).write(to: URL(fileURLWithPath: tmp), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tmp)
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: tmp, toPath: path)
    }

    static func reason(_ data: Data) -> String {
        (try? JSONDecoder().decode(ErrorBody.self, from: data))?.error ?? String(decoding: data.prefix(200), as: UTF8.self)
    }
}
