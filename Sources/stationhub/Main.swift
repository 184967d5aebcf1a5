import ArgumentParser
import Crypto
import Foundation
import Glibc

@main
struct Stationhub: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stationhub",
        abstract: "The central Station server (sync ingest comes next; today: its keys).",
        subcommands: [Keygen.self])
}

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
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ValidationError("cannot create \(path): \(String(cString: strerror(errno)))") }
        let bytes = Array((key.rawRepresentation.base64EncodedString() + "\n").utf8)
        let ok = write(fd, bytes, bytes.count) == bytes.count && fsync(fd) == 0
        close(fd)
        guard ok else { throw ValidationError("cannot write \(path)") }
        print("public_key = \"\(key.publicKey.rawRepresentation.base64EncodedString())\"")
        print("key_version = \(version)")
    }
}
