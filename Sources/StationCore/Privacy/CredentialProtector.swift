import Crypto
import Foundation

/// A credential as the box keeps it: never the number itself.
public struct ProtectedCredential: Sendable, Equatable, Codable {
    public var kind: CredentialKind
    /// Box-local keyed hash (HMAC-SHA256 under a key that never leaves this box), for
    /// local matching: the same worker's renewals, a visit's end. `v<version>:<hex>`.
    public var localHash: String
    /// For display: `3604**********0071`.
    public var masked: String
    /// The number sealed to the hub's public key, for the hub alone to derive the
    /// union-wide pseudonym from.
    public var sealed: SealedCredential

    public init(kind: CredentialKind, localHash: String, masked: String, sealed: SealedCredential) {
        self.kind = kind
        self.localHash = localHash
        self.masked = masked
        self.sealed = sealed
    }
}

/// HPKE (RFC 9180, X25519 / HKDF-SHA256 / ChaCha20-Poly1305) ciphertext of a credential.
public struct SealedCredential: Sendable, Equatable, Codable {
    /// Which hub key it was sealed to.
    public var keyVersion: Int
    public var encapsulatedKey: String
    public var ciphertext: String

    public init(keyVersion: Int, encapsulatedKey: String, ciphertext: String) {
        self.keyVersion = keyVersion
        self.encapsulatedKey = encapsulatedKey
        self.ciphertext = ciphertext
    }
}

/// The keys a box protects credentials with. Both carry a version so they can be rotated:
/// a new local key starts new local hashes; a new hub key is announced by the hub.
public struct CredentialKeys: Sendable {
    public var localKey: SymmetricKey
    public var localVersion: Int
    /// The hub's key credentials are sealed to; nil until the box learns it (enrollment):
    /// a box that cannot seal a number does not record it.
    public var hubKey: Curve25519.KeyAgreement.PublicKey?
    public var hubVersion: Int

    public init(localKey: SymmetricKey, localVersion: Int, hubKey: Curve25519.KeyAgreement.PublicKey?, hubVersion: Int) {
        self.localKey = localKey
        self.localVersion = localVersion
        self.hubKey = hubKey
        self.hubVersion = hubVersion
    }
}

public enum CredentialProtector {
    static let ciphersuite = HPKE.Ciphersuite.Curve25519_SHA256_ChachaPoly
    static let info = Data("station credential v1".utf8)

    /// Protects a raw credential: local hash, mask, seal. The raw number goes nowhere else.
    /// `reuse` may hand back the seal made earlier for the same local hash: a seal to the
    /// current hub key version is kept instead of sealing again (it tells the hub nothing
    /// the local hash does not already link, and repeats compress to almost nothing).
    public static func protect(
        _ raw: RawCredential, keys: CredentialKeys, reuse: (String) -> SealedCredential? = { _ in nil }
    ) throws -> ProtectedCredential {
        let hash = localHash(raw, key: keys.localKey, version: keys.localVersion)
        if let kept = reuse(hash), kept.keyVersion == keys.hubVersion {
            return ProtectedCredential(kind: raw.kind, localHash: hash, masked: raw.masked, sealed: kept)
        }
        guard let hubKey = keys.hubKey else { throw ProtectError.noHubKey }
        var sender = try HPKE.Sender(recipientKey: hubKey, ciphersuite: ciphersuite, info: info)
        let plaintext = Data("\(raw.kind.rawValue):\(raw.secret)".utf8)
        let ciphertext = try sender.seal(plaintext, authenticating: Data(raw.kind.rawValue.utf8))
        return ProtectedCredential(
            kind: raw.kind, localHash: hash, masked: raw.masked,
            sealed: SealedCredential(
                keyVersion: keys.hubVersion, encapsulatedKey: sender.encapsulatedKey.base64EncodedString(),
                ciphertext: ciphertext.base64EncodedString()))
    }

    /// The local matching key of a credential: equal for the same worker at this box.
    public static func localHash(_ raw: RawCredential, key: SymmetricKey, version: Int) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(raw.kind.rawValue):\(raw.secret)".utf8), using: key)
        return "v\(version):" + Hex.encode(mac)
    }

    /// Why a credential was not protected.
    public enum ProtectError: Error, CustomStringConvertible, Equatable {
        /// The box does not know the hub's key yet: it has not enrolled.
        case noHubKey
        public var description: String { "this box does not know its hub's key yet: enroll it first" }
    }

    public enum OpenError: Error, CustomStringConvertible {
        case unknownKeyVersion(Int)
        case malformed
        case kindMismatch
        public var description: String {
            switch self {
            case .unknownKeyVersion(let v): "sealed with hub key version \(v), which this hub does not hold"
            case .malformed: "sealed credential is malformed"
            case .kindMismatch: "sealed credential's kind does not match its label"
            }
        }
    }

    /// Opens a sealed credential (the hub's side): the raw credential, to derive the
    /// pseudonym from and then discard.
    public static func open(
        _ sealed: SealedCredential, kind: CredentialKind, hubKeys: [Int: Curve25519.KeyAgreement.PrivateKey]
    ) throws -> RawCredential {
        guard let key = hubKeys[sealed.keyVersion] else { throw OpenError.unknownKeyVersion(sealed.keyVersion) }
        guard let enc = Data(base64Encoded: sealed.encapsulatedKey), let ct = Data(base64Encoded: sealed.ciphertext) else {
            throw OpenError.malformed
        }
        var recipient = try HPKE.Recipient(privateKey: key, ciphersuite: ciphersuite, info: info, encapsulatedKey: enc)
        let plain = try recipient.open(ct, authenticating: Data(kind.rawValue.utf8))
        guard let text = String(data: plain, encoding: .utf8), text.hasPrefix(kind.rawValue + ":") else { throw OpenError.kindMismatch }
        return RawCredential(kind: kind, secret: String(text.dropFirst(kind.rawValue.count + 1)))
    }

    /// The union-wide pseudonym (the hub's side), under a versioned key boxes never hold.
    public static func pseudonym(_ raw: RawCredential, key: SymmetricKey, version: Int) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(raw.kind.rawValue):\(raw.secret)".utf8), using: key)
        return "p\(version):" + Hex.encode(mac.prefix(16))
    }
}
