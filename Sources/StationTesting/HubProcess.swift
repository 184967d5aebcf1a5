import Foundation

/// A real `stationhub serve` on 127.0.0.1 (a port of its own); requests go through curl.
/// Its database is a SQLite file in a test directory, or, when `STATION_TEST_HUB_DATABASE`
/// names a PostgreSQL server (`scripts/with-postgres`), a database of its own there.
public final class HubProcess {
    public let directory: URL
    /// The `--database` value.
    public let database: String
    /// The same database reached without the host's loopback (a hub in a network
    /// namespace): the SQLite file, or PostgreSQL through its socket.
    public let localDatabase: String
    public var isPostgres: Bool { database.hasPrefix("postgres") }
    public private(set) var port = 0
    private var child: ChildProcess?
    /// The running hub's process id.
    public var pid: pid_t? { child?.pid }

    public enum Engine: Sendable {
        /// PostgreSQL when `STATION_TEST_HUB_DATABASE` names a server, else SQLite.
        case fromEnvironment
        case sqlite
    }

    public init(label: String, engine: Engine = .fromEnvironment) throws {
        directory = try ProjectPaths.temporaryDirectory(label)
        let environment = ProcessInfo.processInfo.environment
        if engine == .fromEnvironment, let server = environment["STATION_TEST_HUB_DATABASE"], server.hasPrefix("postgres") {
            let name = "hub_" + String(label.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }.prefix(40)) + "_" + UUID().uuidString.prefix(8).lowercased()
            try Self.psql(server, "CREATE DATABASE \(name)")
            database = Self.replacingDatabase(server, with: name)
            if let socket = environment["STATION_TEST_PG_SOCKET"], let port = URLComponents(string: server)?.port {
                localDatabase = "postgres://postgres@localhost:\(port)/\(name)?host=\(socket)"
            } else {
                localDatabase = database
            }
        } else {
            database = directory.appendingPathComponent("hub.sqlite").path
            localDatabase = database
        }
        try admin(["init"])
    }

    /// A second instance on the database of `other` (PostgreSQL: several hubs, one database).
    public init(label: String, sharing other: HubProcess) throws {
        directory = try ProjectPaths.temporaryDirectory(label)
        database = other.database
        localDatabase = other.localDatabase
    }

    /// A PostgreSQL URL naming another database on the same server.
    public static func replacingDatabase(_ url: String, with name: String) -> String {
        guard var c = URLComponents(string: url) else { return url }
        c.path = "/" + name
        return c.string ?? url
    }

    @discardableResult
    static func psql(_ url: String, _ sql: String) throws -> [String] {
        let c = try ChildProcess(["psql", "-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        guard c.wait(timeout: 60) == 0 else { throw ChildProcess.ProcessError(description: "psql \(sql): \(c.standardError)") }
        return c.lines
    }

    /// Runs an admin command (`site add ...`, `box add ...`) and returns its stdout lines.
    @discardableResult
    public func admin(_ args: [String]) throws -> [String] {
        let c = try ChildProcess([ProjectPaths.executable("stationhub")] + args + ["--database", database])
        guard c.wait(timeout: 30) == 0 else { throw ChildProcess.ProcessError(description: "stationhub \(args): \(c.standardError)") }
        return c.lines
    }

    public func start(arguments: [String] = []) throws {
        let c = try ChildProcess([ProjectPaths.executable("stationhub"), "serve", "--database", database, "--listen", "127.0.0.1:0"] + arguments)
        guard c.readLines(timeout: 30, until: { $0.hasPrefix("listening on ") }), let line = c.lines.first(where: { $0.hasPrefix("listening on ") }),
            let p = Int(line.split(separator: ":").last ?? "")
        else { throw ChildProcess.ProcessError(description: "stationhub did not start: \(c.standardError)") }
        port = p
        child = c
    }

    /// Rows of the hub's database, columns joined by `|`, read independently of the hub
    /// (Python's sqlite3, or psql); a statement that changes rows is committed.
    @discardableResult
    public func query(_ sql: String) throws -> [String] {
        if isPostgres { return try Self.psql(database, sql) }
        let c = try ChildProcess([
            "python3", "-c",
            "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nrows=c.execute(sys.argv[2]).fetchall()\nc.commit()\nfor r in rows: print('|'.join('' if v is None else str(v) for v in r))",
            database, sql,
        ])
        guard c.wait(timeout: 30) == 0 else { throw ChildProcess.ProcessError(description: "query \(sql): \(c.standardError)") }
        return c.lines
    }

    /// Everything the database holds, as bytes: the SQLite files, or a `pg_dump`. What must
    /// never be stored must not be found here.
    public func rawContents() throws -> Data {
        if isPostgres {
            let c = try ChildProcess(["pg_dump", "--no-owner", "-d", database])
            guard c.wait(timeout: 60) == 0 else { throw ChildProcess.ProcessError(description: "pg_dump: \(c.standardError)") }
            return Data(c.lines.joined(separator: "\n").utf8)
        }
        var all = Data()
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasPrefix("hub.sqlite") {
            all.append(try Data(contentsOf: directory.appendingPathComponent(name)))
        }
        return all
    }

    /// Everything the hub printed (standard output, then error, of each run so far).
    public var output: String { pastOutput + (child.map(Self.printed) ?? "") }
    private var pastOutput = ""

    static func printed(_ c: ChildProcess) -> String {
        let errors = c.standardError  // (reads what is left of both pipes)
        return c.lines.joined(separator: "\n") + "\n" + errors
    }

    /// Kills the hub outright (SIGKILL): a crash, not a shutdown.
    public func kill9() {
        if let c = child {
            kill(c.pid, SIGKILL)
            _ = c.wait(timeout: 20)
            pastOutput += Self.printed(c)
        }
        child = nil
    }

    /// Starts the hub again on the same port (after ``stop()`` or ``kill9()``), with
    /// `environment` added to its own (``FakeClock/ahead(days:)``).
    public func restart(arguments: [String] = [], environment: [String: String] = [:]) throws {
        let c = try ChildProcess(
            [ProjectPaths.executable("stationhub"), "serve", "--database", database, "--listen", "127.0.0.1:\(port)"] + arguments, environment: environment)
        guard c.readLines(timeout: 30, until: { $0.hasPrefix("listening on ") }) else {
            let status = c.terminate()
            throw ChildProcess.ProcessError(description: "stationhub did not restart (exit \(status.map(String.init) ?? "-")): \(c.standardError)\(c.lines.joined(separator: "\n"))")
        }
        child = c
    }

    public func stop() {
        if let c = child {
            _ = c.terminate()
            pastOutput += Self.printed(c)
        }
        child = nil
    }

    deinit { stop() }

    public struct Reply {
        public var status: Int
        public var body: [String: Any]
        public var text: String
    }

    /// POSTs `body` (JSON text) to `path`, with a bearer credential when given.
    public func post(_ path: String, body: String, credential: String? = nil) throws -> Reply {
        let file = directory.appendingPathComponent("request-\(UUID().uuidString.prefix(8)).json").path
        try body.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try request("POST", path, bodyFile: file, credential: credential)
    }

    /// Any request: the body's bytes from a file, extra headers (`Content-Encoding: gzip`).
    public func request(_ method: String, _ path: String, bodyFile: String? = nil, headers: [String] = [], credential: String? = nil) throws -> Reply {
        var argv = ["curl", "-s", "-X", method, "-w", "\n%{http_code}\n", "--compressed"]
        if let bodyFile { argv += ["-H", "Content-Type: application/json", "--data-binary", "@\(bodyFile)"] }
        for h in headers { argv += ["-H", h] }
        if let credential { argv += ["-H", "Authorization: Bearer \(credential)"] }
        argv.append("http://127.0.0.1:\(port)\(path)")
        let c = try ChildProcess(argv)
        guard c.wait(timeout: 30) == 0, let status = Int(c.lines.last ?? "") else {
            throw ChildProcess.ProcessError(description: "curl \(method) \(path): \(c.standardError)")
        }
        let text = c.lines.dropLast().joined(separator: "\n")
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return Reply(status: status, body: object, text: text)
    }
}
