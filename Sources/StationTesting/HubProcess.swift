import Foundation

/// A real `stationhub serve` on 127.0.0.1 (a port of its own), with its database in a
/// test directory; requests go through curl.
public final class HubProcess {
    public let directory: URL
    public let database: String
    public private(set) var port = 0
    private var child: ChildProcess?

    public init(label: String) throws {
        directory = try ProjectPaths.temporaryDirectory(label)
        database = directory.appendingPathComponent("hub.sqlite").path
    }

    /// Runs an admin command (`site add ...`, `box add ...`) and returns its stdout lines.
    @discardableResult
    public func admin(_ args: [String]) throws -> [String] {
        let c = try ChildProcess([ProjectPaths.executable("stationhub")] + args + ["--database", database])
        guard c.wait(timeout: 30) == 0 else { throw ChildProcess.Failure(description: "stationhub \(args): \(c.standardError)") }
        return c.lines
    }

    public func start(arguments: [String] = []) throws {
        let c = try ChildProcess([ProjectPaths.executable("stationhub"), "serve", "--database", database, "--listen", "127.0.0.1:0"] + arguments)
        guard c.readLines(timeout: 30, until: { $0.hasPrefix("listening on ") }), let line = c.lines.first(where: { $0.hasPrefix("listening on ") }),
            let p = Int(line.split(separator: ":").last ?? "")
        else { throw ChildProcess.Failure(description: "stationhub did not start: \(c.standardError)") }
        port = p
        child = c
    }

    /// One value from the hub's database (read with Python's sqlite3, independently of the hub).
    public func query(_ sql: String) throws -> [String] {
        let c = try ChildProcess([
            "python3", "-c", "import sqlite3,sys\nfor r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print('|'.join('' if v is None else str(v) for v in r))",
            database, sql,
        ])
        guard c.wait(timeout: 30) == 0 else { throw ChildProcess.Failure(description: "query \(sql): \(c.standardError)") }
        return c.lines
    }

    /// Kills the hub outright (SIGKILL): a crash, not a shutdown.
    public func kill9() {
        if let c = child { kill(c.pid, SIGKILL); _ = c.wait(timeout: 20) }
        child = nil
    }

    /// Starts the hub again on the same port (after ``stop()`` or ``kill9()``).
    public func restart(arguments: [String] = []) throws {
        let c = try ChildProcess([ProjectPaths.executable("stationhub"), "serve", "--database", database, "--listen", "127.0.0.1:\(port)"] + arguments)
        guard c.readLines(timeout: 30, until: { $0.hasPrefix("listening on ") }) else {
            throw ChildProcess.Failure(description: "stationhub did not restart: \(c.standardError)")
        }
        child = c
    }

    public func stop() {
        _ = child?.terminate()
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
            throw ChildProcess.Failure(description: "curl \(method) \(path): \(c.standardError)")
        }
        let text = c.lines.dropLast().joined(separator: "\n")
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return Reply(status: status, body: object, text: text)
    }
}
