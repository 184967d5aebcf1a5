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
        var argv = ["curl", "-s", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "@\(file)", "-w", "\n%{http_code}\n"]
        if let credential { argv += ["-H", "Authorization: Bearer \(credential)"] }
        argv.append("http://127.0.0.1:\(port)\(path)")
        let c = try ChildProcess(argv)
        guard c.wait(timeout: 30) == 0, let status = Int(c.lines.last ?? "") else {
            throw ChildProcess.Failure(description: "curl \(path): \(c.standardError)")
        }
        let text = c.lines.dropLast().joined(separator: "\n")
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return Reply(status: status, body: object, text: text)
    }
}
