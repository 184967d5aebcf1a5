import Crypto
import Foundation
import StationConfigFile
import StationCore
import StationStore
import StationSystem

/// The box-local matching key (`local.key` in the state directory, created on first start,
/// mode 0600, never sent anywhere) and the hub's public key from the config, if it names
/// one (a box learns the hub's own at enrollment).
public enum BoxKeys {
    public static func load(stateDirectory: String, config: StationConfig) throws -> CredentialKeys {
        let path = (stateDirectory as NSString).appendingPathComponent("local.key")
        let local: SymmetricKey
        if let data = FileManager.default.contents(atPath: path) {
            guard let raw = Data(base64Encoded: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 32 else {
                throw BoxKeyError("\(path) is damaged; local matching (renewals, visit ends) depends on it")
            }
            local = SymmetricKey(data: raw)
        } else {
            local = SymmetricKey(size: .bits256)
            let text = local.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
            do { try DurableFile.write(Data(text.utf8), to: path, mode: 0o600, replacing: false) } catch { throw BoxKeyError("cannot write \(path): \(error)") }
        }
        // Without a key in the config, the hub's (learnt at enrollment, then from the
        // downlink) is taken over it: see `Daemon.refreshFromCaches`.
        var key: Curve25519.KeyAgreement.PublicKey?
        if let hub = config.hubPublicKey {
            guard let raw = Data(base64Encoded: hub), let parsed = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw) else {
                throw BoxKeyError("hub.public_key is not a base64 X25519 public key")
            }
            key = parsed
        }
        return CredentialKeys(localKey: local, localVersion: 1, hubKey: key, hubVersion: config.hubPublicKey == nil ? 0 : config.hubKeyVersion)
    }
}

/// The box's keys cannot be used: the local key file is damaged or cannot be written, or
/// the config's hub key is missing or malformed.
public struct BoxKeyError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension BoxKeys {
    /// The hub's newest credential key as this box learnt it: from the journal's cache
    /// (the downlink), else from the hub link (enrollment). For `check-config`.
    public static func published(stateDirectory: String) -> (version: Int, material: String)? {
        if let reader = try? JournalReader(directory: stateDirectory), let key = try? reader.newestHubKey(purpose: "credential") { return key }
        return HubLink.load(stateDirectory: stateDirectory)?.keys?.filter { $0.purpose == "credential" }.max { $0.version < $1.version }.map { ($0.version, $0.material) }
    }
}
