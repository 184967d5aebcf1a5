import ArgumentParser
import Crypto
import Foundation
import StationCore
import StationHub
import StationProtocol
import StationSystem

/// Creates the hub's credential key pair: boxes seal identity numbers to the public key;
/// only the hub, holding the private key, can open them. The pseudonym key is made once,
/// with the first credential key, and never rotated: one worker stays one pseudonym.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a versioned X25519 key pair for sealed credentials (and, the first time, the pseudonym key); print the public key.",
        discussion: """
            Rotating: `stationhub keygen --dir DIR --version N+1` adds a credential key; a running \
            `stationhub serve` on DIR takes it within 30 seconds and boxes seal to it after \
            their next sync. Older credential keys stay (boxes may still send what they sealed \
            before). The pseudonym key is not rotated, so a worker keeps one pseudonym.
            """)

    @Option(help: "Directory for the private keys (created, mode 0700).")
    var dir: String

    @Option(help: "The key's version; boxes record it with every sealed credential.")
    var version = 1

    func run() throws {
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CommandError("cannot create \(dir): \(error)")
        }
        let path = "\(dir)/credential-key-v\(version).x25519"
        guard !FileManager.default.fileExists(atPath: path) else {
            throw CommandError("\(path) exists: a key is never overwritten (choose another --version)")
        }
        let key = Curve25519.KeyAgreement.PrivateKey()
        try writeSecret(key.rawRepresentation.base64EncodedString(), to: path)
        // The pseudonym key, once: boxes never see it, and a second one would split every
        // worker in two (p1:... and p2:... for the same person).
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        if !names.contains(where: { $0.hasPrefix("pseudonym-key-v") && $0.hasSuffix(".hmac") }) {
            try writeSecret(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString(), to: "\(dir)/pseudonym-key-v1.hmac")
        }
        print("public_key = \"\(key.publicKey.rawRepresentation.base64EncodedString())\"")
        print("key_version = \(version)")
    }
}

/// Writes a secret file: mode 0600, never over an existing one, durable.
func writeSecret(_ text: String, to path: String) throws {
    do { try DurableFile.write(Data((text + "\n").utf8), to: path, mode: 0o600, replacing: false) } catch { throw CommandError("cannot create \(path): \(error)") }
}

/// `stationhub pseudonymize`: credentials a hub without keys stored sealed, opened.
struct Pseudonymize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the sealed credentials the hub stored while it had no keys (`serve` or `import` without --keys): each worker gets their pseudonym, and their records join the rest of theirs.")
    @OptionGroup var hub: HubOptions
    @Option(help: "The hub's key directory (default: the settings file's [keys] dir).") var keys: String?
    func run() async throws {
        let hubKeys = try hub.hubKeys(keys, neededFor: "opening sealed credentials")!
        let (opened, unopened) = try await hub.with { try await $0.openSealed(keys: hubKeys) }
        print("\(opened) sealed credentials opened" + (unopened > 0 ? "; \(unopened) do not open with these keys" : ""))
    }
}
