import ArgumentParser
import Foundation
import Glibc
import Logging
import NIOSSL
import ServiceLifecycle
import StationHub
import StationProtocol

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the sync API.")

    @OptionGroup var db: DatabaseOption

    @Option(help: "Address and port to listen on; port 0 picks a free one.")
    var listen = "127.0.0.1:8440"

    @Option(help: "The hub's key directory (from `stationhub keygen`): sealed credentials are opened and pseudonyms derived. Without it, sealed credentials are stored sealed.")
    var keys: String?

    @Option(help: "PEM certificate chain: serve HTTPS only (with --tls-key).")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(help: "Apply the retention periods (`stationhub retention`) this often, in seconds; 0: never (run `retention apply` instead).")
    var retentionEvery = 3600

    @Option(help: "A file holding the operators' secret (32+ characters): GET /v1/reports answers whoever bears it. Without it, reports are off over HTTP.")
    var operatorTokenFile: String?

    func validate() throws {
        guard address != nil else { throw ValidationError("--listen HOST:PORT") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    var address: (host: String, port: Int)? {
        let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let port = Int(parts[1]), (0...65535).contains(port) else { return nil }
        return (String(parts[0]), port)
    }

    /// One ServiceGroup: the database engine's own work (PostgreSQL's pool), the API and
    /// the retention loop; SIGTERM and SIGINT shut them down in reverse order.
    func run() async throws {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .info
            return h
        }
        let logger = Logger(label: "stationhub")
        let (tls, operatorToken, hubKeys) = try loadSecrets(logger)
        let engine: any SQLEngine
        do { engine = try HubDatabase.engine(db.database, waitSeconds: db.databaseWait) } catch { throw CommandError("\(error)") }
        let store = HubStore(engine: engine)
        let host = address!.host
        var services: [any Service] = HubDatabase.service(of: engine).map { [$0] } ?? []
        services.append(
            HubServer.API(store: store, keys: hubKeys, operatorToken: operatorToken, host: host, port: address!.port, tls: tls, logger: logger) { bound in
                // One line on stdout, for whoever started the hub (tests, scripts).
                print("listening on \(host):\(bound)")
                fflush(nil)
            })
        if retentionEvery > 0 { services.append(RetentionService(store: store, every: .seconds(retentionEvery), logger: logger)) }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch let error as HubError {
            await store.close()
            throw CommandError(error.message)
        }
        await store.close()
    }

    func loadSecrets(_ logger: Logger) throws -> (TLSConfiguration?, String?, HubKeys?) {
        var tls: TLSConfiguration?
        if let tlsCert, let tlsKey {
            do { tls = try HubServer.tlsConfiguration(certificate: tlsCert, key: tlsKey) } catch { throw CommandError("cannot load the TLS certificate or key: \(error)") }
        }
        var operatorToken: String?
        if let operatorTokenFile {
            guard let text = try? String(contentsOfFile: operatorTokenFile, encoding: .utf8) else { throw CommandError("cannot read \(operatorTokenFile)") }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.count >= 32 else { throw CommandError("\(operatorTokenFile): the operator token must be 32 characters or more") }
            operatorToken = token
        }
        var hubKeys: HubKeys?
        if let keys {
            do { hubKeys = try HubKeys(directory: keys) } catch { throw CommandError("\(error)") }
        } else {
            logger.warning("no --keys: sealed credentials are stored sealed and no pseudonyms are derived")
        }
        return (tls, operatorToken, hubKeys)
    }
}
