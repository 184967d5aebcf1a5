import ArgumentParser
import Foundation
import Glibc
import Logging
import NIOSSL
import ServiceLifecycle
import StationHub
import StationProtocol

/// `stationhub init`: the one command that makes a hub where there is none.
struct Initialize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create the hub's database (or bring an existing one to this release's schema); every other command refuses a database that holds no hub.")

    @OptionGroup var hub: HubOptions

    func run() async throws {
        let url = try hub.databaseURL
        let sites = try await hub.with(creating: true) { try await $0.sites().count }
        print("hub database ready: \(HubDatabase.describe(url)) (\(sites) sites)")
        if try hub.keys(nil) == nil {
            print("next: `stationhub keygen --dir DIR`, and name DIR in the settings file ([keys] dir) or give --keys to serve")
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the sync API, the console at /console/ (accounts from `stationhub operator add`), and reports and metrics for the operator token.")

    @OptionGroup var hub: HubOptions

    @Option(help: "Address and port to listen on; port 0 picks a free one (default: the settings file's [serve] listen, or 127.0.0.1:8440).")
    var listen: String?

    @Option(help: "The hub's key directory (from `stationhub keygen`): sealed credentials are opened and pseudonyms derived; a key version added to it is taken without a restart. Default: the settings file's [keys] dir. Without keys, sealed credentials are stored sealed.")
    var keys: String?

    @Option(help: "PEM certificate chain: serve HTTPS only (with --tls-key; default: the settings file's [serve] tls_cert).")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(help: "Apply the retention periods (`stationhub retention`) this often, in seconds; 0: never (run `retention apply` instead). Default 3600.")
    var retentionEvery: Int?

    @Option(help: "A file holding the operators' secret (32+ characters): reports and metrics answer whoever bears it. Without it, they are off over HTTP.")
    var operatorTokenFile: String?

    @Option(help: "How often the key directory is read for a new key version, in seconds.")
    var keysEvery = 30

    @Option(help: "The hub's URL as boxes reach it: the console then prints enrollment cards for the boxes it adds.")
    var publicURL: String?

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .info
            return h
        }
        let logger = Logger(label: "stationhub")
        let settings = try hub.settings
        let listening = listen ?? settings.listen ?? "127.0.0.1:8440"
        guard let address = Self.address(listening) else { throw CommandError("listen \(listening): HOST:PORT") }
        let certificate = try tlsCert ?? settings.tlsCertificate.map(Self.credential), privateKey = try tlsKey ?? settings.tlsKey.map(Self.credential)
        guard (certificate == nil) == (privateKey == nil) else { throw CommandError("--tls-cert and --tls-key go together") }
        let every = retentionEvery ?? settings.retentionEverySeconds ?? 3600
        let keyDirectory = try hub.keys(keys)
        let (tls, operatorToken, hubKeys) = try Self.loadSecrets(
            certificate: certificate, key: privateKey, tokenFile: try operatorTokenFile ?? settings.operatorTokenFile.map(Self.credential), keys: keyDirectory, logger)
        if let publicURL { try BoxCommand.checkURL(publicURL) }
        let console = ConsoleOptions(publicURL: publicURL, timeZone: try hub.timeZone)
        let url = try hub.databaseURL
        let engine: any SQLEngine
        do { engine = try HubDatabase.engine(url, waitSeconds: try hub.databaseWait ?? settings.databaseWaitSeconds ?? 30, creating: false) } catch {
            throw CommandError("\(error)")
        }
        let store = HubStore(engine: engine, creating: false)
        let ring = KeyRing(hubKeys)
        var services: [any Service] = HubDatabase.service(of: engine).map { [$0] } ?? []
        services.append(
            HubServer.API(store: store, ring: ring, operatorToken: operatorToken, host: address.host, port: address.port, tls: tls, console: console, logger: logger) { bound in
                // One line on stdout, for whoever started the hub (tests, scripts).
                print("listening on \(address.host):\(bound)")
                fflush(nil)
            })
        if every > 0 { services.append(RetentionService(store: store, every: .seconds(every), logger: logger)) }
        services.append(RequestNotifier(store: store, logger: logger))
        if let keyDirectory { services.append(KeyWatch(directory: keyDirectory, ring: ring, store: store, every: .seconds(max(1, keysEvery)), logger: logger)) }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch let error as HubError {
            await store.close()
            throw CommandError(error.code == "no-hub-database" ? "\(HubDatabase.describe(url)) \(error.message)" : error.message)
        }
        await store.close()
    }

    /// A path of the settings file under `$CREDENTIALS_DIRECTORY` (systemd's LoadCredential=:
    /// secrets the service reads without owning the files).
    static func credential(_ path: String) throws -> String {
        let prefix = "$CREDENTIALS_DIRECTORY"
        guard path.hasPrefix(prefix) else { return path }
        guard let directory = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"] else {
            throw CommandError("\(path): CREDENTIALS_DIRECTORY is set by systemd's LoadCredential= (stationhub.service); outside it give the file with its flag")
        }
        return directory + path.dropFirst(prefix.count)
    }

    static func address(_ listen: String) -> (host: String, port: Int)? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        return (String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port)
    }

    static func loadSecrets(certificate: String?, key: String?, tokenFile: String?, keys: String?, _ logger: Logger) throws -> (TLSConfiguration?, String?, HubKeys?) {
        var tls: TLSConfiguration?
        if let certificate, let key {
            do { tls = try HubServer.tlsConfiguration(certificate: certificate, key: key) } catch { throw CommandError("cannot load the TLS certificate or key: \(error)") }
        }
        var operatorToken: String?
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else { throw CommandError("cannot read \(tokenFile)") }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.count >= 32 else { throw CommandError("\(tokenFile): the operator token must be 32 characters or more") }
            operatorToken = token
        }
        var hubKeys: HubKeys?
        if let keys {
            do { hubKeys = try HubKeys(directory: keys) } catch { throw CommandError("\(error)") }
        } else {
            logger.warning("no keys: sealed credentials are stored sealed and no pseudonyms are derived (give --keys, or [keys] dir in the settings file)")
        }
        return (tls, operatorToken, hubKeys)
    }
}
