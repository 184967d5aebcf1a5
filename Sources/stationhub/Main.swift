import ArgumentParser
import Crypto
import Foundation
import Glibc
import Logging
import StationHub
import StationProtocol
import StationCore
import NIOSSL

@main
struct Stationhub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stationhub",
        abstract: "The central Station server: receives boxes' batches.",
        subcommands: [
            Serve.self, Import.self, SiteCommand.self, BoxCommand.self, CatalogCommand.self, MemberCommand.self, ReportCommand.self, RetentionCommand.self, Erase.self,
            Keygen.self,
        ])
}

struct DatabaseOption: ParsableArguments {
    @Option(
        help: """
            The hub's database: a SQLite file (the default), or PostgreSQL, which several hub \
            instances can share: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?host=/socket/dir&sslmode=disable|prefer|require].
            """)
    var database = "/var/lib/stationhub/hub.sqlite"

    @Option(help: "PostgreSQL: seconds a request waits for a database connection before it is answered 503 (busy or gone).")
    var databaseWait = 30

    /// Runs `body` with the store open and closes it after; the store's refusals become
    /// `Error: ...` lines.
    func with<T>(_ body: (any HubStore) async throws -> T) async throws -> T {
        let store: any HubStore
        guard databaseWait > 0 else { throw ValidationError("--database-wait: seconds, at least 1") }
        do { store = try await HubDatabase.open(database, waitSeconds: databaseWait) } catch { throw Failure("cannot open \(HubDatabase.describe(database)): \(error)") }
        do {
            let value = try await body(store)
            await store.close()
            return value
        } catch let failure as HubFailure {
            await store.close()
            throw Failure(failure.description)
        } catch {
            await store.close()
            throw error
        }
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

    @Option(help: "PEM certificate chain: serve HTTPS only (with --tls-key).")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(help: "Apply the retention periods (`stationhub retention`) this often, in seconds; 0: never (run `retention apply` instead).")
    var retentionEvery = 3600

    @Option(help: "A file holding the operators' secret (32+ characters): GET /v1/reports answers whoever bears it. Without it, reports are off over HTTP.")
    var operatorTokenFile: String?

    func run() async throws {
        let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let port = Int(parts[1]), (0...65535).contains(port) else { throw ValidationError("--listen HOST:PORT") }
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .info
            return h
        }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        var tls: TLSConfiguration?
        if let tlsCert, let tlsKey {
            do { tls = try HubServer.tlsConfiguration(certificate: tlsCert, key: tlsKey) } catch { throw Failure("cannot load the TLS certificate or key: \(error)") }
        }
        var operatorToken: String?
        if let operatorTokenFile {
            guard let text = try? String(contentsOfFile: operatorTokenFile, encoding: .utf8) else { throw Failure("cannot read \(operatorTokenFile)") }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.count >= 32 else { throw Failure("\(operatorTokenFile): the operator token must be 32 characters or more") }
            operatorToken = token
        }
        let logger = Logger(label: "stationhub")
        var hubKeys: HubKeys?
        if let keys {
            do { hubKeys = try HubKeys(directory: keys) } catch { throw Failure("\(error)") }
        } else {
            logger.warning("no --keys: sealed credentials are stored sealed and no pseudonyms are derived")
        }
        try await db.with { store in
            // Retention in the background: records past their period lose their link to
            // a person (several instances may each run it: it changes nothing twice).
            let retention = Task {
                guard retentionEvery > 0 else { return }
                while !Task.isCancelled {
                    do {
                        for (key, changed) in try await store.applyRetention(nowMillis: Int64(Date().timeIntervalSince1970 * 1000)) where changed > 0 {
                            logger.notice("retention \(key): \(changed) records past their period de-identified")
                        }
                    } catch {
                        logger.error("retention: \(error)")
                    }
                    try? await Task.sleep(for: .seconds(retentionEvery))
                }
            }
            defer { retention.cancel() }
            try await HubServer.serve(store: store, keys: hubKeys, operatorToken: operatorToken, host: String(parts[0]), port: port, tls: tls, logger: logger) { bound in
                // One line on stdout, for whoever started the hub (tests, scripts).
                print("listening on \(parts[0]):\(bound)")
                fflush(nil)
            }
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
        let hubKeys = try keys.map { k in try HubKeys(directory: k) }
        let (result, ack) = try await db.with { try await $0.importBundle(bundle, keys: hubKeys) }
        let out = ackPath ?? file + ".ack"
        try OutputFile.write(try JSONEncoder().encode(ack), to: out)
        print("box \(bundle.boxID): \(result.applied) applied, \(result.duplicates) already here, \(result.quarantined.count) quarantined; acknowledged through \(result.ackedThrough); \(out) written")
    }
}

struct SiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "site", abstract: "Sites.", subcommands: [Add.self, Set.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set what the site's boxes use (sent down with their next sync): \(KioskSettings.hubSettings.keys.sorted().joined(separator: ", ")).")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "The site's id.") var id: String
        @Argument(help: "KEY=VALUE pairs.") var settings: [String]
        func run() async throws {
            let pairs = try settings.map { pair in
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { throw ValidationError("\(pair): expected KEY=VALUE") }
                return kv
            }
            try await db.with { store in
                for kv in pairs {
                    try await store.setSiteSetting(site: id, key: kv[0], value: kv[1])
                    print("site \(id): \(kv[0]) = \(kv[1])")
                }
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a site.")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "The site's id.") var id: String
        @Option(help: "The region it is in (reports rank titles per region).") var region: String?
        func run() async throws {
            try await db.with { try await $0.addSite(id, region: region) }
            print("site \(id) created")
        }
    }
}

struct BoxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "box", abstract: "Boxes.", subcommands: [Add.self, Revoke.self, Log.self])

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The warnings and errors a box uploaded from its device log.")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "The box's id.") var id: String
        @Flag(help: "One JSON object per line.") var json = false
        func run() async throws {
            let lines = try await db.with { try await $0.deviceLog(box: id) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            for l in lines {
                if json {
                    print(String(decoding: try encoder.encode(l), as: UTF8.self))
                } else {
                    let at = Date(timeIntervalSince1970: Double(l.atMillis) / 1000).formatted(.iso8601)
                    print("\(at) \(l.level) \(l.scannerID ?? "-") \(l.message)")
                }
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a box (or replace one) and print its one-time enrollment token.")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "The box's id.") var id: String
        @Option(help: "The site it stands at.") var site: String
        @Option(help: "Also write a printable enrollment card (SVG) here: a QR code the box scans to enroll itself.") var card: String?
        @Option(help: "The hub's URL as boxes reach it (for --card).") var url: String?

        func validate() throws {
            if card != nil && url == nil { throw ValidationError("--card needs --url (the hub's address as boxes reach it)") }
        }

        func run() async throws {
            let token = try await db.with { try await $0.addBox(id, site: site) }
            print(token)
            if let card, let url {
                let enrollment = EnrollmentCard(hubURL: url, token: token)
                guard case .success? = EnrollmentCard.parse(enrollment.payload) else { throw Failure("\(url) is not an http(s) URL a box can reach") }
                let svg = try EnrollmentCardPrint.svg(enrollment, boxID: id, siteID: site)
                do { try OutputFile.write(Data(svg.utf8), to: card) } catch { throw Failure("cannot write \(card): \(error)") }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a box: it keeps recording locally; its uploads are refused with the reason.")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "The box's id.") var id: String
        @Option(help: "Why, for the site manager.") var reason: String
        func run() async throws {
            try await db.with { try await $0.revoke(id, reason: reason) }
            print("box \(id) revoked")
        }
    }
}

struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "catalog", abstract: "The union's catalog, sent down to boxes.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load titles from CSV: item_key,title,home_site (item_key as boxes record it: `label:...` or `isbn:...`).")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "The CSV file.") var file: String
        func run() async throws {
            let rows = try readCSV(file, columns: 3, header: "item_key")
            for r in rows where r.fields[0].isEmpty { throw Failure("\(file): line \(r.line): the item_key is empty") }
            let titles = rows.map { Downlink.Title(itemKey: $0.fields[0], title: $0.fields[1].isEmpty ? nil : $0.fields[1], homeSite: $0.fields[2].isEmpty ? nil : $0.fields[2]) }
            let changed = try await db.with { try await $0.importCatalog(titles) }
            print("\(titles.count) titles read, \(changed) new or changed")
        }
    }
}

struct MemberCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "member", abstract: "Members' card UIDs, sent down to boxes.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load card UIDs from CSV: card_uid,member_card. The member card number becomes the member's pseudonym and is not stored.")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "The hub's key directory (pseudonyms).") var keys: String
        func run() async throws {
            let hubKeys: HubKeys
            do { hubKeys = try HubKeys(directory: keys) } catch { throw Failure("\(error)") }
            let rows = try readCSV(file, columns: 2, header: "card_uid")
            var members: [Downlink.Member] = []
            for r in rows {
                let uid = r.fields[0].uppercased()
                guard !uid.isEmpty, uid.allSatisfy(\.isHexDigit) else { throw Failure("\(file): line \(r.line): a card UID is hex digits") }
                guard !r.fields[1].isEmpty else { throw Failure("\(file): line \(r.line): the member card number is empty") }
                members.append(.init(cardUID: uid, member: hubKeys.pseudonym(RawCredential(kind: .memberCard, secret: r.fields[1]))))
            }
            let changed = try await db.with { try await $0.importMembers(members) }
            print("\(members.count) cards read, \(changed) new or changed")
        }
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Operators' reports and recommendations, computed in the hub's database.",
        discussion: Reports.all.map { "\($0.name): \($0.summary)" }.joined(separator: "\n"))

    @OptionGroup var db: DatabaseOption
    @Argument(help: "The report: \(Reports.all.map(\.name).joined(separator: ", ")).") var name: String
    @Option(help: "First day (UTC), YYYY-MM-DD.") var from: String?
    @Option(help: "Day after the last (UTC), YYYY-MM-DD.") var to: String?
    @Option(help: "One site (restock needs it).") var site: String?
    @Option(help: "One region (most-borrowed).") var region: String?
    @Option(help: "also-borrowed: one title, or an item key of it.") var item: String?
    @Option(help: "Most rows (per region or per title where ranked).") var limit = 20
    @Option(help: "text (aligned columns), csv or json.") var format = "text"
    @Option(help: "Write to this file instead of standard output.") var out: String?

    func validate() throws {
        guard Reports.all.contains(where: { $0.name == name }) else {
            throw ValidationError("no report \(name): \(Reports.all.map(\.name).joined(separator: ", "))")
        }
        guard ["text", "csv", "json"].contains(format) else { throw ValidationError("--format text, csv or json") }
    }

    func run() async throws {
        let parameters = Reports.Parameters(
            from: from, to: to, site: site, region: region, item: item, limit: limit, nowMillis: Int64(Date().timeIntervalSince1970 * 1000))
        let table = try await db.with { try await $0.report(name, parameters) }
        let text: String
        switch format {
        case "csv": text = table.csv
        case "json": text = String(decoding: table.json(report: name), as: UTF8.self) + "\n"
        default: text = table.aligned
        }
        if let out {
            do { try OutputFile.write(Data(text.utf8), to: out) } catch { throw Failure("cannot write \(out): \(error)") }
        } else {
            print(text, terminator: "")
        }
    }
}

struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "How long records keep their link to a person; past it, they count in reports but name no one.",
        subcommands: [Set.self, Show.self, Apply.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a retention period: KEY is checkout, renewal, return, void, visit, visit:SERVICE (e.g. visit:lactation, shorter) or quarantine.")
        @OptionGroup var db: DatabaseOption
        @Argument(help: "What the period is for.") var key: String
        @Argument(help: "Days.") var days: Int
        func run() async throws {
            try await db.with { try await $0.setRetention(key, days: days) }
            print("retention \(key): \(days) days")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The retention periods set.")
        @OptionGroup var db: DatabaseOption
        func run() async throws {
            for (key, days) in try await db.with({ try await $0.retentionPeriods() }) { print("\(key)\t\(days) days") }
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "De-identify what has outlived its period now (serve also does, hourly).")
        @OptionGroup var db: DatabaseOption
        @Option(help: "As of this day (UTC, YYYY-MM-DD) instead of now.") var now: String?
        func run() async throws {
            var at = Int64(Date().timeIntervalSince1970 * 1000)
            if let now {
                guard let day = (try? Reports.millis(now, "now")) ?? nil else { throw ValidationError("--now \(now): YYYY-MM-DD") }
                at = day
            }
            for (key, changed) in try await db.with({ try await $0.applyRetention(nowMillis: at) }) {
                print("retention \(key): \(changed) records \(key == "quarantine" ? "deleted" : "de-identified")")
            }
        }
    }
}

struct Erase: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase one worker's link to their records (a person's request): their events, loans and visits still count in reports but name no one. Logged with the reference, never with the pseudonym.")
    @OptionGroup var db: DatabaseOption
    @Argument(help: "The worker as reports name them: the pseudonym (p1:...), or a box-local key (BOX/v1:...) from a hub without keys.") var worker: String
    @Option(help: "The request's reference (ticket, letter), kept in the erasure log.") var reference: String
    @Option(name: .customLong("operator"), help: "Who carries it out, kept in the erasure log.") var operatorName: String
    func run() async throws {
        let (events, books, visits) = try await db.with { try await $0.erase(worker: worker, reference: reference, operator: operatorName) }
        print("erased (\(reference), by \(operatorName)): \(events) events, \(books) book records, \(visits) visits no longer name this worker")
    }
}

func readCSV(_ file: String, columns: Int, header: String) throws -> [CSVTable.Row] {
    guard let data = FileManager.default.contents(atPath: file) else { throw Failure("cannot read \(file)") }
    do {
        return try CSVTable(parsing: String(decoding: data, as: UTF8.self)).records(columns: columns, headerFirstField: header)
    } catch {
        throw Failure("\(file): \(error)")
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
