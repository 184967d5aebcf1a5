import ArgumentParser
import Foundation
import StationHub
import StationProtocol

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

    func validate() throws {
        guard databaseWait > 0 else { throw ValidationError("--database-wait: seconds, at least 1") }
    }

    /// Runs `body` with the store open and closes it after; the store's refusals become
    /// `Error: ...` lines.
    func with<T: Sendable>(_ body: @escaping @Sendable (HubStore) async throws -> T) async throws -> T {
        do {
            return try await HubDatabase.with(database, waitSeconds: databaseWait, body)
        } catch let error as HubError {
            throw CommandError(error.message)
        }
    }
}

func readCSV(_ file: String, columns: Int, header: String) throws -> [CSVTable.Row] {
    guard let data = FileManager.default.contents(atPath: file) else { throw CommandError("cannot read \(file)") }
    do {
        return try CSVTable(parsing: String(decoding: data, as: UTF8.self)).records(columns: columns, headerFirstField: header)
    } catch {
        throw CommandError("\(file): \(error)")
    }
}
