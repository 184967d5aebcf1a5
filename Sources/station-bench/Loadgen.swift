import AsyncHTTPClient
import Foundation
import NIOCore
import StationHub
import StationProtocol
import StationTesting

/// `station-bench loadgen`: thousands of simulated boxes uploading at once to one or more
/// `stationhub` instances. The boxes are provisioned in the hub's database (`--database`,
/// through the hub's own store), enrolled through the API, then each uploads its events
/// in order, batch after batch, while up to `--concurrency` boxes upload at a time. Every
/// answer is checked (each batch applied whole and acknowledged to its last seq); the
/// figures are the ingest rate and the batch latencies. Numbers, not assertions: it fails
/// only when the hub lost or refused something.
enum Loadgen {
    struct Options {
        var hubs: [String] = []
        var database = ""
        var boxes = 2000
        var events = 1_000_000
        var batch = 500
        var concurrency = 64
        var sites = 400
        var prefix = "lg"
        var seed: UInt64 = 1
        var json: String?
        /// Copies in the union's catalog (0: none, as before the moves' report).
        var catalog = 60_000
    }

    static func parse(_ arguments: [String]) throws -> Options {
        var o = Options()
        var args = arguments[...]
        func int(_ name: String) throws -> Int {
            guard let v = args.popFirst().flatMap({ Int($0) }), v > 0 else { throw BenchError(description: "\(name) takes a positive whole number") }
            return v
        }
        while let a = args.popFirst() {
            switch a {
            case "--hub": o.hubs += (args.popFirst() ?? "").split(separator: ",").map(String.init)
            case "--database": o.database = args.popFirst() ?? ""
            case "--boxes": o.boxes = try int(a)
            case "--events": o.events = try int(a)
            case "--batch": o.batch = try int(a)
            case "--concurrency": o.concurrency = try int(a)
            case "--sites": o.sites = try int(a)
            case "--prefix": o.prefix = args.popFirst() ?? o.prefix
            case "--seed": o.seed = UInt64(try int(a))
            case "--json": o.json = args.popFirst()
            case "--catalog": o.catalog = Int(args.popFirst() ?? "") ?? -1
                guard o.catalog >= 0 else { throw BenchError(description: "--catalog takes a whole number of copies") }
            default: throw BenchError(description: "unknown argument \(a)")
            }
        }
        guard !o.hubs.isEmpty, !o.database.isEmpty else { throw BenchError(description: "loadgen needs --hub URL[,URL...] and --database (the hub's)") }
        return o
    }

    /// A small deterministic generator (splitmix64): the same seed, the same load.
    struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    /// One box's events as JSON, in seq order: a shelf lends and takes back books (from a
    /// union-wide stock, to its own hundred regular readers: with no hub keys a worker is
    /// known per box), a hut (every tenth site) records visits of its fifty regulars.
    static func events(box: String, site: String, hut: Bool, count: Int, prefix: String, random: inout Random) -> [String] {
        var out: [String] = []
        out.reserveCapacity(count)
        var at: Int64 = 1_790_000_000_000 + Int64(random.next(86_400_000))
        var open: [String] = []  // items on loan from this shelf
        for seq in 1...count {
            at += Int64(30_000 + random.next(600_000))
            let time = #""time":{"wallMillis":\#(at),"synchronized":true,"bootID":"boot-1","monotonicMicros":\#(seq)}"#
            var draft: String
            if hut {
                let worker = TestWorkers.localHash("\(prefix)-m\(random.next(50))")
                let kind = seq % 2 == 1 ? "visit-start" : "visit-end"
                draft = #"{"kind":"\#(kind)","worker":{"kind":"member-card","localHash":"\#(worker)","masked":"****"},"service":"\#(random.next(4) == 0 ? "childcare" : "lactation")","flags":[]}"#
            } else if !open.isEmpty, random.next(3) == 0 {
                let item = open.remove(at: random.next(open.count))
                draft = #"{"kind":"return","item":{"key":"\#(item)"},"flags":[]}"#
            } else {
                let item = "label:\(prefix)-\(random.next(60_000))"
                let worker = TestWorkers.localHash("\(prefix)-w\(random.next(100))")
                open.append(item)
                draft = #"{"kind":"checkout","item":{"key":"\#(item)"},"worker":{"kind":"member-card","localHash":"\#(worker)","masked":"****"},"dueDate":"2026-12-31","flags":[]}"#
            }
            out.append(#"{"boxID":"\#(box)","seq":\#(seq),"siteID":"\#(site)","epoch":0,\#(time),"draft":\#(draft)}"#)
        }
        return out
    }

    final class Latencies: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Double] = []
        private var failures: [String] = []
        func add(_ seconds: Double) {
            lock.lock()
            values.append(seconds)
            lock.unlock()
        }
        func fail(_ why: String) {
            lock.lock()
            failures.append(why)
            lock.unlock()
        }
        var sorted: [Double] {
            lock.lock()
            defer { lock.unlock() }
            return values.sorted()
        }
        var problems: [String] {
            lock.lock()
            defer { lock.unlock() }
            return failures
        }
    }

    static func run(_ arguments: [String]) async throws {
        let o = try parse(arguments)
        let provisionStart = Date()
        try await HubDatabase.with(o.database) { store in try await provisionAndLoad(o, store: store, provisionStart: provisionStart) }
    }

    static func provisionAndLoad(_ o: Options, store: HubStore, provisionStart: Date) async throws {
        let sites = (0..<min(o.sites, o.boxes)).map { "\(o.prefix)-site-\($0)" }
        for (i, site) in sites.enumerated() { try await store.addSite(site, region: "\(o.prefix)-region-\(i % 10)") }
        var boxes: [(id: String, site: String, hut: Bool, token: String)] = []
        for b in 0..<o.boxes {
            let s = b % sites.count
            let id = "\(o.prefix)-box-\(b)"
            boxes.append((id, sites[s], s % 10 == 9, try await store.addBox(id, site: sites[s])))
        }
        // The union's catalog (`--catalog`): the 60,000 copies the boxes lend, three of each
        // of 20,000 titles, and 2,000 copies of those titles nobody has lent yet (sleeping books for
        // the moves' report), each at home at a site.
        let idle = o.catalog == 0 ? 0 : 2_000
        let catalog = (0..<min(o.catalog, 60_000)).map { Downlink.Title(itemKey: "label:\(o.prefix)-\($0)", title: "\(o.prefix) title \($0 % 20_000)", homeSite: sites[$0 % sites.count]) }
            + (0..<idle).map { Downlink.Title(itemKey: "label:\(o.prefix)-idle-\($0)", title: "\(o.prefix) title \($0 * 7 % 20_000)", homeSite: sites[($0 * 13) % sites.count]) }
        _ = try await store.importCatalog(catalog)
        print(String(format: "(%d sites, %d boxes and %d catalog copies provisioned in %.1f s, not timed)", sites.count, boxes.count, catalog.count, Date().timeIntervalSince(provisionStart)))
        var config = HTTPClient.Configuration()
        config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: o.concurrency)
        config.timeout = .init(connect: .seconds(10), read: .seconds(120))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        do {
            try await load(o, store: store, boxes: boxes, client: client)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    typealias Box = (id: String, site: String, hut: Bool, token: String)

    static func post(_ client: HTTPClient, _ url: String, _ body: String, credential: String?) async throws -> (Int, [String: Any]) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let credential { request.headers.add(name: "Authorization", value: "Bearer \(credential)") }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] ?? [:])
    }

    static func load(_ o: Options, store: HubStore, boxes: [Box], client: HTTPClient) async throws {
        let credentials = try await enroll(o, boxes: boxes, client: client)
        print(String(format: "(%d boxes enrolled, not timed)", boxes.count))
        let start = Date()
        let latencies = try await upload(o, boxes: boxes, credentials: credentials, client: client)
        let seconds = Date().timeIntervalSince(start)
        let held = try await store.engine.read(SQLStatement("SELECT count(*) FROM event WHERE box_id LIKE ?", [.text("\(o.prefix)-box-%")])).first?.first
        let sorted = latencies.sorted
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000 }
        let figures = [
            Figure(name: "ingest rate", value: Double(o.events) / seconds, unit: "events/s (\(o.events) events from \(o.boxes) boxes, \(o.hubs.count) hub instance(s))"),
            Figure(name: "ingest time", value: seconds, unit: "s"),
            Figure(name: "batches", value: Double(sorted.count), unit: "of up to \(o.batch) events, \(o.concurrency) boxes at a time"),
            Figure(name: "batch p50", value: percentile(0.50), unit: "ms"),
            Figure(name: "batch p99", value: percentile(0.99), unit: "ms"),
            Figure(name: "batch max", value: (sorted.last ?? 0) * 1000, unit: "ms"),
        ]
        printFigures(figures)
        if let json = o.json { try writeFigures(figures, to: json) }
        let problems = latencies.problems
        guard problems.isEmpty, held == .int(Int64(o.events)) else {
            throw BenchError(description: "the hub holds \(String(describing: held)) of \(o.events) events; \(problems.count) batches answered wrong: \(problems.prefix(3))")
        }
    }

    /// Every box enrolled through the API, `concurrency` at a time; their credentials.
    static func enroll(_ o: Options, boxes: [Box], client: HTTPClient) async throws -> [String] {
        // Enrolled through the API, `concurrency` at a time.
        var credentials = [String](repeating: "", count: boxes.count)
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var next = 0
            func add() {
                let i = next, box = boxes[i], hub = o.hubs[i % o.hubs.count]
                next += 1
                group.addTask {
                    let (status, body) = try await post(client, "\(hub)/v1/enroll", #"{"token":"\#(box.token)"}"#, credential: nil)
                    guard status == 200, let credential = body["credential"] as? String else { throw BenchError(description: "enroll \(box.id): \(status)") }
                    return (i, credential)
                }
            }
            while next < min(o.concurrency, boxes.count) { add() }
            while let (i, credential) = try await group.next() {
                credentials[i] = credential
                if next < boxes.count { add() }
            }
        }
        return credentials
    }

    /// Each box uploads its events in order, `concurrency` boxes at once; every answer checked.
    static func upload(_ o: Options, boxes: [Box], credentials: [String], client: HTTPClient) async throws -> Latencies {
        let latencies = Latencies()
        let perBox = o.events / o.boxes, extra = o.events % o.boxes
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                let i = next, box = boxes[i], credential = credentials[i], hub = o.hubs[i % o.hubs.count]
                next += 1
                group.addTask {
                    var random = Random(state: o.seed &+ UInt64(i) &* 0x1_0000_0001)
                    let all = events(box: box.id, site: box.site, hut: box.hut, count: perBox + (i < extra ? 1 : 0), prefix: o.prefix, random: &random)
                    for first in stride(from: 0, to: all.count, by: o.batch) {
                        let slice = all[first..<min(first + o.batch, all.count)]
                        let body = #"{"box_id":"\#(box.id)","events":[\#(slice.joined(separator: ","))]}"#
                        let sent = Date()
                        let (status, answer) = try await post(client, "\(hub)/v1/batches", body, credential: credential)
                        latencies.add(Date().timeIntervalSince(sent))
                        let acked = (answer["acked_through"] as? Int) ?? -1, applied = (answer["applied"] as? Int) ?? -1
                        let duplicates = (answer["duplicates"] as? Int) ?? -1
                        if status != 200 || acked != first + slice.count || applied + duplicates != slice.count {
                            latencies.fail("\(box.id) batch from seq \(first + 1): \(status) \(answer)")
                        }
                    }
                }
            }
            while next < min(o.concurrency, boxes.count) { add() }
            while try await group.next() != nil {
                if next < boxes.count { add() }
            }
        }
        return latencies
    }
}
