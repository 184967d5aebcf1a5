import ArgumentParser
import Crypto
import Foundation
import StationSystem
import StationCore
import StationHub
import StationProtocol

/// Creates the hub's credential key pair: boxes seal identity numbers to the public key;
/// only the hub, holding the private key, can open them.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a versioned X25519 key pair for sealed credentials; print the public key.")

    @Option(help: "Directory for the private key (created, mode 0700).")
    var dir: String

    @Option(help: "The key's version; boxes record it with every sealed credential.")
    var version = 1

    func run() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = "\(dir)/credential-key-v\(version).x25519"
        guard !FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("\(path) exists: a key is never overwritten (choose another --version)")
        }
        let key = Curve25519.KeyAgreement.PrivateKey()
        try writeSecret(key.rawRepresentation.base64EncodedString(), to: path)
        // The pseudonym key of the same version, unless it exists: boxes never see it.
        let pseudonymPath = "\(dir)/pseudonym-key-v\(version).hmac"
        if !FileManager.default.fileExists(atPath: pseudonymPath) {
            try writeSecret(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString(), to: pseudonymPath)
        }
        print("public_key = \"\(key.publicKey.rawRepresentation.base64EncodedString())\"")
        print("key_version = \(version)")
    }
}

/// Writes a secret file: mode 0600, never over an existing one, durable.
func writeSecret(_ text: String, to path: String) throws {
    do { try DurableFile.write(Data((text + "\n").utf8), to: path, mode: 0o600, replacing: false) } catch { throw CommandError("cannot create \(path): \(error)") }
}
