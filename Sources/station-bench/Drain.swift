import Foundation
import Logging
import StationDaemon
import StationStore
import StationTesting

/// `station-bench drain --events N [--batch EVENTS] [--json FILE]`: the time and the bytes on the wire to
/// drain an N-event backlog (written by `fill`, not timed) to a real `stationhub` on
/// loopback (with its keys: sealed credentials are opened), through a counting proxy.
/// Reports numbers; asserts nothing but that everything arrived.
enum Drain {
    static func run(_ arguments: [String]) async throws {
        var count = 100_000, jsonPath: String?, batch = 2000
        var args = arguments[...]
        while let a = args.popFirst() {
            switch a {
            case "--events": count = Int(args.popFirst() ?? "") ?? count
            case "--json": jsonPath = args.popFirst()
            case "--batch": batch = Int(args.popFirst() ?? "") ?? batch
            default: throw BenchError(description: "unknown argument \(a)")
            }
        }
        let dir = try ProjectPaths.temporaryDirectory("bench-drain")
        let hub = try HubProcess(label: "bench-drain-hub")
        let keys = dir.appendingPathComponent("keys").path
        let keygen = try ChildProcess([ProjectPaths.executable("stationhub"), "keygen", "--dir", keys])
        guard keygen.wait(timeout: 30) == 0, let line = keygen.lines.first, let publicKey = line.split(separator: "\"").dropFirst().first else {
            throw BenchError(description: "keygen: \(keygen.standardError)")
        }
        try hub.admin(["site", "add", "site-a"])
        let token = try hub.admin(["box", "add", "box-test-1", "--site", "site-a"])[0]
        try hub.start(arguments: ["--keys", keys])
        let state = dir.appendingPathComponent("state").path
        let fillStart = Date()
        try Fill.run(["--state-dir", state, "--events", String(count), "--hub-key", String(publicKey)])
        print(String(format: "(backlog of %d written in %.1f s, not timed)", count, Date().timeIntervalSince(fillStart)))
        let proxy = try ChildProcess(["python3", ProjectPaths.file("Tests/Faults/hub_proxy.py"), String(hub.port)])
        guard proxy.readLines(timeout: 20, until: { $0.hasPrefix("proxy on ") }), let port = proxy.lines.first?.split(separator: " ").last else {
            throw BenchError(description: "proxy: \(proxy.standardError)")
        }
        let url = "http://127.0.0.1:\(port)"
        let enrollClient = try HubClient(url: url, credential: nil, insecure: false, caFile: nil)
        let link = try await enrollClient.enroll(token: token)
        await enrollClient.shutdown()

        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let journal = try Journal(directory: state, boxID: "box-test-1", siteID: "site-a", logger: logger)
        let client = try HubClient(link: link, insecure: false, caFile: nil)
        var settings = BatchUploader.Settings()
        settings.maxEvents = batch
        let uploader = BatchUploader(journal: journal, link: link, client: client, logger: logger, settings: settings)
        let start = Date()
        try await uploader.round()
        let seconds = Date().timeIntervalSince(start)
        await client.shutdown()
        let left = try journal.pendingCount()
        try journal.close()
        kill(proxy.pid, SIGTERM)
        _ = proxy.wait(timeout: 20)
        let counts = (try? JSONSerialization.jsonObject(with: Data((proxy.lines.last ?? "").utf8))) as? [String: Int] ?? [:]
        let atHub = Int(try hub.query("SELECT count(*) FROM event").first ?? "") ?? -1
        hub.stop()
        guard left == 0, atHub == count else { throw BenchError(description: "drain incomplete: \(left) left on the box, \(atHub) at the hub") }
        let up = counts["bytes_up"] ?? 0, down = counts["bytes_down"] ?? 0
        let figures = [
            Figure(name: "drain time", value: seconds, unit: "s for \(count) events"),
            Figure(name: "drain rate", value: Double(count) / seconds, unit: "events/s (box to hub, applied)"),
            Figure(name: "wire bytes/event", value: Double(up + down) / Double(count), unit: "B (HTTP, both ways, gzip bodies)"),
            Figure(name: "requests", value: Double(counts["requests"] ?? 0), unit: "HTTP requests"),
            Figure(name: "hub time", value: Double(counts["hub_ms"] ?? 0) / 1000, unit: "s answering (the rest is the box)"),
            Figure(name: "hub ingest", value: Double(count) * 1000 / Double(max(1, counts["hub_ms"] ?? 0)), unit: "events/s while answering (SQLite)"),
        ]
        printFigures(figures)
        if let jsonPath { try writeFigures(figures, to: jsonPath) }
    }
}
