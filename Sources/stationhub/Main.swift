import ArgumentParser
import Foundation
import StationConfigFile
import StationHub
import StationProtocol

@main
struct Stationhub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stationhub",
        abstract: "The central Station server: receives boxes' batches, keeps the union's ledger, answers operators.",
        discussion: """
            Every command finds the hub's database, keys and listener in one place: its flags, \
            then STATIONHUB_DATABASE, then the settings file (--config, STATIONHUB_CONFIG, or \
            /etc/stationhub/stationhub.toml where it exists).
            """,
        subcommands: [
            Initialize.self, Serve.self, SiteCommand.self, BoxCommand.self, CatalogCommand.self, MemberCommand.self, QuarantineCommand.self,
            ReportCommand.self, WorkerCommand.self, Erase.self, ErasureLog.self, RetentionCommand.self, AuditCommand.self, Import.self, Pseudonymize.self,
            Keygen.self, OperatorCommand.self, RequestCommand.self, ClientCommand.self, StocktakeCommand.self, MovesCommand.self, RotationCommand.self,
        ])
}

/// Where a command finds the hub: `--config`, `--database`, and what they default to.
struct HubOptions: ParsableArguments {
    @Option(help: "The hub's settings file (default: $STATIONHUB_CONFIG, or \(HubConfig.defaultPath) where it exists).")
    var config: String?

    @Option(
        help: """
            The hub's database: a SQLite file, or PostgreSQL, which several hub instances can \
            share: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?host=/socket/dir&sslmode=disable|prefer|require]. \
            Default: $STATIONHUB_DATABASE, the settings file's [database] url, or /var/lib/stationhub/hub.sqlite.
            """)
    var database: String?

    @Option(help: "PostgreSQL: seconds a request waits for a database connection before it is answered 503 (busy or gone; default 30).")
    var databaseWait: Int?

    func validate() throws {
        if let databaseWait, databaseWait < 1 { throw ValidationError("--database-wait: seconds, at least 1") }
    }

    /// The settings file in force (empty settings when there is none).
    var settings: HubConfig {
        get throws {
            let env = ProcessInfo.processInfo.environment
            let path = config ?? env["STATIONHUB_CONFIG"] ?? (FileManager.default.fileExists(atPath: HubConfig.defaultPath) ? HubConfig.defaultPath : nil)
            guard let path else { return HubConfig() }
            switch HubConfig.load(path: path) {
            case .success(let c): return c
            case .failure(let problems): throw CommandError("the hub's settings file has problems:\n\(problems)")
            }
        }
    }

    var databaseURL: String {
        get throws {
            try database ?? ProcessInfo.processInfo.environment["STATIONHUB_DATABASE"] ?? settings.database ?? "/var/lib/stationhub/hub.sqlite"
        }
    }

    /// The key directory: the command's flag, else the settings file's.
    func keys(_ flag: String?) throws -> String? { try flag ?? settings.keysDirectory }

    /// The hub's keys from that directory; nil without one, unless `neededFor` says what
    /// they are needed for (then their absence is the refusal).
    func hubKeys(_ flag: String?, neededFor: String? = nil) throws -> HubKeys? {
        guard let directory = try keys(flag) else {
            if let neededFor { throw CommandError("\(neededFor) needs the hub's keys: give --keys DIR (or [keys] dir in the settings file)") }
            return nil
        }
        do { return try HubKeys(directory: directory) } catch { throw CommandError("\(error)") }
    }

    /// Where operators read times.
    var timeZone: TimeZone {
        get throws { try settings.timeZone.flatMap(TimeZone.init(identifier:)) ?? HumanTime.defaultZone }
    }

    /// Runs `body` with the store open and closes it after; only `stationhub init` creates
    /// a hub where there is none. The store's refusals become `Error: ...` lines.
    func with<T: Sendable>(creating: Bool = false, _ body: @escaping @Sendable (HubStore) async throws -> T) async throws -> T {
        let url = try databaseURL
        let wait = try databaseWait ?? settings.databaseWaitSeconds ?? 30
        do {
            return try await HubDatabase.with(url, waitSeconds: wait, creating: creating, body)
        } catch let error as HubError {
            let place = HubDatabase.describe(url)
            throw CommandError(error.code == "no-hub-database" && !error.message.hasPrefix("/") ? "\(place) \(error.message)" : error.message)
        }
    }
}

/// `--json` or aligned columns, for the commands that list things.
struct ListFormat: ParsableArguments {
    @Flag(help: "One JSON object per line (times in milliseconds), for scripts.") var json = false

    /// Prints `items` as JSON lines, or as a table of `columns` with `row(item)`.
    func print<T: Encodable>(_ items: [T], columns: [String], row: (T) -> [String?]) {
        if json {
            let e = JSONEncoder()
            e.outputFormatting = .sortedKeys
            for item in items { Swift.print(String(decoding: (try? e.encode(item)) ?? Data(), as: UTF8.self)) }
            return
        }
        let table = Reports.Table(columns: columns, rows: items.map { row($0).map { $0.map { .text($0) } ?? .text("-") } })
        Swift.print(table.aligned, terminator: "")
    }
}

func readCSV(_ file: String, columns: Int, header: String) throws -> [CSVTable.Row] {
    guard let data = FileManager.default.contents(atPath: file) else { throw CommandError("cannot read \(file)") }
    do {
        return try CSVTable.records(data, columns: columns, headerFirstField: header)
    } catch {
        throw CommandError("\(file): \(error)")
    }
}

/// A one-time secret read from a file or standard input (`-`), never from the command
/// line (shell history, `ps`).
func readSecret(_ source: String, what: String) throws -> String {
    let data = source == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: source)
    guard let data, let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
        throw CommandError("no \(what) in \(source == "-" ? "standard input" : source)")
    }
    return text
}

/// A day (`YYYY-MM-DD`, UTC midnight) as milliseconds, or the refusal for a flag.
func dayMillis(_ day: String, flag: String) throws -> Int64 {
    guard let millis = (try? Reports.millis(day, flag)) ?? nil else { throw CommandError("--\(flag) \(day): a date, YYYY-MM-DD") }
    return millis
}
