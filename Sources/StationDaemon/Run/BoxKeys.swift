import Crypto
import Foundation
import StationConfigFile
import StationCore
import StationSystem

/// The box-local matching key (`local.key` in the state directory, created on first start,
/// mode 0600, never sent anywhere) and the hub's public key from the config.
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
        guard let hub = config.hubPublicKey else {
            throw BoxKeyError("no hub public key: set hub.public_key in the config (enrollment fills it in)")
        }
        guard let raw = Data(base64Encoded: hub), let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw) else {
            throw BoxKeyError("hub.public_key is not a base64 X25519 public key")
        }
        return CredentialKeys(localKey: local, localVersion: 1, hubKey: key, hubVersion: config.hubKeyVersion)
    }
}

/// The box's keys cannot be used: the local key file is damaged or cannot be written, or
/// the config's hub key is missing or malformed.
public struct BoxKeyError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
