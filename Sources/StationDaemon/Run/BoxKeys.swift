import Crypto
import Foundation
import Glibc
import StationCore

/// The box-local matching key (`local.key` in the state directory, created on first start,
/// mode 0600, never sent anywhere) and the hub's public key from the config.
public enum BoxKeys {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func load(stateDirectory: String, config: StationConfig) throws -> CredentialKeys {
        let path = (stateDirectory as NSString).appendingPathComponent("local.key")
        let local: SymmetricKey
        if let data = FileManager.default.contents(atPath: path) {
            guard let raw = Data(base64Encoded: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 32 else {
                throw Failure(description: "\(path) is damaged; local matching (renewals, visit ends) depends on it")
            }
            local = SymmetricKey(data: raw)
        } else {
            local = SymmetricKey(size: .bits256)
            let text = local.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
            let tmp = path + ".tmp"
            unlink(tmp)  // left over from a start that died half-way
            let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw Failure(description: "cannot create \(tmp): \(String(cString: strerror(errno)))") }
            let bytes = Array(text.utf8)
            let ok = write(fd, bytes, bytes.count) == bytes.count && fsync(fd) == 0
            close(fd)
            guard ok, rename(tmp, path) == 0 else { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
        }
        guard let hub = config.hubPublicKey else {
            throw Failure(description: "no hub public key: set hub.public_key in the config (enrollment fills it in)")
        }
        guard let raw = Data(base64Encoded: hub), let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw) else {
            throw Failure(description: "hub.public_key is not a base64 X25519 public key")
        }
        return CredentialKeys(localKey: local, localVersion: 1, hubKey: key, hubVersion: config.hubKeyVersion)
    }
}
