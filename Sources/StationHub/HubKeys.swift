import Crypto
import Foundation
import StationCore

/// The hub's secrets, by version, from its key directory: the X25519 private keys boxes
/// seal credentials to (`credential-key-vN.x25519`) and the HMAC keys pseudonyms are
/// derived with (`pseudonym-key-vN.hmac`). Boxes hold neither.
public struct HubKeys: Sendable {
    public var credentialKeys: [Int: Curve25519.KeyAgreement.PrivateKey]
    public var pseudonymKeys: [Int: SymmetricKey]

    public init(directory: String) throws {
        credentialKeys = [:]
        pseudonymKeys = [:]
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        for name in names {
            let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            func version(_ prefix: String, _ suffix: String) -> Int? {
                guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
                return Int(name.dropFirst(prefix.count).dropLast(suffix.count))
            }
            if let v = version("credential-key-v", ".x25519") {
                guard let raw = Data(base64Encoded: text), let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw) else {
                    throw HubKeyError("\(name) is not a base64 X25519 private key")
                }
                credentialKeys[v] = key
            } else if let v = version("pseudonym-key-v", ".hmac") {
                guard let raw = Data(base64Encoded: text), raw.count == 32 else { throw HubKeyError("\(name) is not a base64 32-byte key") }
                pseudonymKeys[v] = SymmetricKey(data: raw)
            }
        }
        guard !credentialKeys.isEmpty, !pseudonymKeys.isEmpty else {
            throw HubKeyError("\(directory) holds no credential-key-vN.x25519 and pseudonym-key-vN.hmac: run `stationhub keygen --dir \(directory)`")
        }
    }

    /// The newest pseudonym key: new pseudonyms are derived with it.
    var currentPseudonym: (version: Int, key: SymmetricKey) {
        let v = pseudonymKeys.keys.max()!
        return (v, pseudonymKeys[v]!)
    }

    /// Opens a sealed credential. The number itself exists only in the value returned,
    /// which ``pseudonymized(_:raw:member:)`` turns into a pseudonym at once.
    func open(_ worker: WorkerRef) throws -> RawCredential {
        guard let sealed = worker.sealed else { throw HubKeyError("nothing sealed") }
        return try CredentialProtector.open(sealed, kind: worker.kind, hubKeys: credentialKeys)
    }

    /// Why a sealed credential did not open, in words (this goes back to the box and
    /// into the quarantine): the hub's own reasons as they are, a cryptographic failure as
    /// what it means, never the library's error.
    static func plainReason(_ error: any Error, _ worker: WorkerRef?) -> String {
        if let e = error as? CredentialProtector.OpenError { return e.description }
        if let e = error as? HubKeyError { return e.description }
        let version = worker?.sealed.map { " \($0.keyVersion)" } ?? ""
        return "it does not open with hub key version\(version): sealed to another key, or damaged"
    }

    /// The worker without the sealed number, with the pseudonym: a card UID the hub's
    /// member list knows (`member`) is that member; any other credential gets its own.
    func pseudonymized(_ worker: WorkerRef, raw: RawCredential, member: String?) -> WorkerRef {
        var out = worker
        out.sealed = nil
        out.pseudonym = raw.kind == .cardUID ? (member ?? pseudonym(raw)) : pseudonym(raw)
        return out
    }

    /// The union-wide pseudonym of a credential, with the newest pseudonym key.
    public func pseudonym(_ raw: RawCredential) -> String {
        let (version, key) = currentPseudonym
        return CredentialProtector.pseudonym(raw, key: key, version: version)
    }

    /// The public halves of the credential keys, base64, by version: what boxes seal to.
    public var publicCredentialKeys: [Int: String] {
        credentialKeys.mapValues { $0.publicKey.rawRepresentation.base64EncodedString() }
    }
}

/// A key directory that cannot be used, or a sealed credential these keys cannot open.
public struct HubKeyError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
