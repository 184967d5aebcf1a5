import ArgumentParser
import Crypto
import Foundation
import Glibc
import Logging
import StationHub
import StationProtocol

@main
struct Stationhub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stationhub",
        abstract: "The central Station server: receives boxes' batches.",
        subcommands: [Serve.self, Import.self, SiteCommand.self, BoxCommand.self, Keygen.self])
}

struct DatabaseOption: ParsableArguments {
    @Option(help: "The hub's SQLite database.")
    var database = "/var/lib/stationhub/hub.sqlite"

    func open() throws -> HubStore {
        do { return try HubStore(path: database) } catch { throw Failure("cannot open \(database): \(error)") }
    }
}

/// A runtime error: `Error: ...`, exit 1, no usage text.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the sync API.")

    @OptionGroup var db: DatabaseOption

    @Option(help: "Address and port to listen on; port 0 picks a free one.")
    var listen = "127.0.0.1:8440"

    @Option(help: "The hub's key directory (from `stationhub keygen`): sealed credentials are opened and pseudonyms derived. Without it, sealed credentials are stored sealed.")
    var keys: String?

    func run() async throws {
        let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let port = Int(parts[1]), (0...65535).contains(port) else { throw ValidationError("--listen HOST:PORT") }
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .info
            return h
        }
        let store = try db.open()
        let logger = Logger(label: "stationhub")
        var hubKeys: HubKeys?
        if let keys {
            do { hubKeys = try HubKeys(directory: keys) } catch { throw Failure("\(error)") }
        } else {
            logger.warning("no --keys: sealed credentials are stored sealed and no pseudonyms are derived")
        }
        try await HubServer.serve(store: store, keys: hubKeys, host: String(parts[0]), port: port, logger: logger) { bound in
            // One line on stdout, for whoever started the hub (tests, scripts).
            print("listening on \(parts[0]):\(bound)")
            fflush(nil)
        }
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply a box's offline bundle (stationctl export --bundle) and write the acknowledgement file for it.")

    @OptionGroup var db: DatabaseOption
    @Argument(help: "The bundle file.") var file: String
    @Option(help: "The hub's key directory (pseudonyms), as for serve.") var keys: String?
    @Option(name: .customLong("ack"), help: "Where to write the acknowledgement (default: the bundle's name + .ack).") var ackPath: String?

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file), let bundle = try? JSONDecoder().decode(SyncBundle.self, from: data) else {
            throw Failure("\(file) is not a Station bundle")
        }
        let store = try db.open()
        let hubKeys = try keys.map { k in try HubKeys(directory: k) }
        let (result, ack) = try await store.importBundle(bundle, keys: hubKeys)
        let out = ackPath ?? file + ".ack"
        try JSONEncoder().encode(ack).write(to: URL(fileURLWithPath: out), options: .atomic)
        print("box \(bundle.boxID): \(result.applied) applied, \(result.duplicates) already here, \(result.quarantined.count) quarantined; acknowledged through \(result.ackedThrough); \(out) written")
    }
}

struct SiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "site", abstract: "Sites.", subcommands: [Add.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a site.")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "The site's id.") var id: String
        func run() throws {
            do { try db.open().addSite(id) } catch { throw Failure("\(error)") }
            print("site \(id) created")
        }
    }
}

struct BoxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "box", abstract: "Boxes.", subcommands: [Add.self, Revoke.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a box (or replace one) and print its one-time enrollment token.")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "The box's id.") var id: String
        @Option(help: "The site it stands at.") var site: String
        func run() throws {
            let token: String
            do { token = try db.open().addBox(id, site: site) } catch { throw Failure("\(error)") }
            print(token)
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a box: it keeps recording locally; its uploads are refused with the reason.")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "The box's id.") var id: String
        @Option(help: "Why, for the site manager.") var reason: String
        func run() throws {
            do { try db.open().revoke(id, reason: reason) } catch { throw Failure("\(error)") }
            print("box \(id) revoked")
        }
    }
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

/// Writes a secret file: mode 0600, never over an existing one, fsync'd.
func writeSecret(_ text: String, to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw ValidationError("cannot create \(path): \(String(cString: strerror(errno)))") }
    let bytes = Array((text + "\n").utf8)
    let ok = write(fd, bytes, bytes.count) == bytes.count && fsync(fd) == 0
    close(fd)
    guard ok else { throw ValidationError("cannot write \(path)") }
}
