import Crypto
import Foundation
import StationCore

/// Sync for sites without a network: the box writes its unacknowledged events to a file
/// (a USB stick), the hub imports it with the same idempotency as an upload and writes an
/// acknowledgement file back. Both are signed with HMAC-SHA256 under a key both sides can
/// derive from the box credential (the hub keeps only the credential's SHA-256).
public struct SyncBundle: Codable, Sendable, Equatable {
    public var boxID: String
    public var events: [JournalEvent]
    public var signature: String

    enum CodingKeys: String, CodingKey {
        case boxID = "box_id", events, signature
    }

    /// The key: SHA-256 of the credential, hex (what the hub stores).
    public static func key(credentialHash: String) -> SymmetricKey { SymmetricKey(data: Data(credentialHash.utf8)) }

    public static func credentialHash(_ credential: String) -> String {
        Hex.encode(SHA256.hash(data: Data(credential.utf8)))
    }

    static func canonical(_ value: some Encodable) -> Data {
        (try? Canonical.encoder.encode(value)) ?? Data()
    }

    static func sign(_ data: Data, key: SymmetricKey) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: data, using: key))
    }

    public init(boxID: String, events: [JournalEvent], credential: String) {
        self.boxID = boxID
        self.events = events
        signature = Self.sign(Self.canonical(Content(boxID: boxID, events: events)), key: Self.key(credentialHash: Self.credentialHash(credential)))
    }

    struct Content: Encodable {
        var boxID: String
        var events: [JournalEvent]
    }

    /// Whether the bundle was signed with the credential whose hash is given.
    public func verify(credentialHash: String) -> Bool {
        Self.sign(Self.canonical(Content(boxID: boxID, events: events)), key: Self.key(credentialHash: credentialHash)) == signature
    }
}

/// The hub's answer to an imported bundle, for the box to acknowledge its outbox.
public struct BundleAcknowledgement: Codable, Sendable, Equatable {
    public var boxID: String
    public var ackedThrough: Int64
    public var signature: String

    enum CodingKeys: String, CodingKey {
        case boxID = "box_id", ackedThrough = "acked_through", signature
    }

    struct Content: Encodable {
        var boxID: String
        var ackedThrough: Int64
    }

    public init(boxID: String, ackedThrough: Int64, credentialHash: String) {
        self.boxID = boxID
        self.ackedThrough = ackedThrough
        signature = SyncBundle.sign(SyncBundle.canonical(Content(boxID: boxID, ackedThrough: ackedThrough)), key: SyncBundle.key(credentialHash: credentialHash))
    }

    public func verify(credential: String) -> Bool {
        let hash = SyncBundle.credentialHash(credential)
        return SyncBundle.sign(SyncBundle.canonical(Content(boxID: boxID, ackedThrough: ackedThrough)), key: SyncBundle.key(credentialHash: hash)) == signature
    }
}
