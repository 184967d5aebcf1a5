import AsyncHTTPClient
import Foundation
import NIOCore
import StationHub

/// `station-bench pages`: how long each console page takes to answer on a loaded hub (the
/// union of `loadgen`). One account per role is made in the hub's database, each signs in
/// through the form, then every page is asked for one after another: `--requests` times,
/// or as many as fit in `--budget` seconds (at least once). Numbers, not assertions.
enum Pages {
    struct Options {
        var hub = ""
        var database = ""
        var requests = 20
        var budget = 20.0
        var prefix = "lg"
        var json: String?
    }

    static func parse(_ arguments: [String]) throws -> Options {
        var o = Options()
        var args = arguments[...]
        while let a = args.popFirst() {
            switch a {
            case "--hub": o.hub = args.popFirst() ?? ""
            case "--database": o.database = args.popFirst() ?? ""
            case "--requests": o.requests = Int(args.popFirst() ?? "") ?? 0
            case "--budget": o.budget = Double(args.popFirst() ?? "") ?? 0
            case "--prefix": o.prefix = args.popFirst() ?? o.prefix
            case "--json": o.json = args.popFirst()
            default: throw BenchError(description: "unknown argument \(a)")
            }
        }
        guard !o.hub.isEmpty, !o.database.isEmpty, o.requests > 0, o.budget > 0 else {
            throw BenchError(description: "pages needs --hub URL and --database (the hub's); --requests and --budget are positive")
        }
        return o
    }

    static let password = "bench pages password"

    static func run(_ arguments: [String]) async throws {
        let o = try parse(arguments)
        let accounts: [(String, ConsoleRole)] = [
            ("bench-union", .union), ("bench-region", .region("\(o.prefix)-region-0")), ("bench-site", .site("\(o.prefix)-site-0")),
        ]
        try await HubDatabase.with(o.database, creating: false) { store in
            let existing = Set(try await store.operators().map(\.name))
            for (name, role) in accounts where !existing.contains(name) { try await store.addOperator(name, role: role, password: password, cost: 4) }
        }
        var config = HTTPClient.Configuration()
        config.redirectConfiguration = .disallow  // a sign-in's 303 carries the cookie
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        do {
            try await measure(o, accounts: accounts, client: client)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    static func measure(_ o: Options, accounts: [(String, ConsoleRole)], client: HTTPClient) async throws {
        let site = "\(o.prefix)-site-0", box = "\(o.prefix)-box-0"
        let reports = ["lending", "drift", "most-borrowed", "visits", "overdue", "also-borrowed", "restock", "quiet-boxes", "quarantine"]
        let pages: [(account: String, path: String)] =
            [
                "/console/", "/console/sites", "/console/sites/\(site)", "/console/boxes/\(box)", "/console/quarantine", "/console/catalog",
                "/console/catalog?q=title", "/console/requests", "/console/audit", "/console/reports",
            ].map { ("bench-union", $0) } + reports.map { ("bench-union", "/console/reports/\($0)") }
            + [("bench-union", "/console/reports/also-borrowed?item=label%3A\(o.prefix)-0")]
            + ["/console/", "/console/sites", "/console/reports/lending", "/console/reports/visits"].map { ("bench-region", $0) }
            + ["/console/", "/console/sites/\(site)", "/console/reports/lending", "/console/catalog", "/console/requests"].map { ("bench-site", $0) }
        var cookies: [String: String] = [:]
        for (name, _) in accounts { cookies[name] = try await signIn(client, o.hub, name) }
        var figures: [Figure] = []
        func row(_ cells: [String]) -> String {
            zip(cells, [-14, -36, 6, 9, 9, 9]).map { c, w in
                let pad = String(repeating: " ", count: max(0, abs(w) - c.count))
                return w < 0 ? c + pad : pad + c
            }.joined(separator: " ")
        }
        print(row(["account", "page", "n", "p50 ms", "p95 ms", "max ms"]))
        for (account, path) in pages {
            var times: [Double] = []
            let started = Date()
            var failure: String?
            repeat {
                let t0 = ContinuousClock.now
                do {
                    let status = try await get(client, o.hub + path, cookie: cookies[account]!)
                    if status != 200 { failure = "answered \(status)" }
                } catch { failure = "\(error)" }
                let d = ContinuousClock.now - t0
                times.append(Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
            } while failure == nil && times.count < o.requests && Date().timeIntervalSince(started) < o.budget
            if let failure {
                // A page that fails is reported as such, and the others are still timed.
                print(row([account, path, "-", "failed", failure, ""]))
                figures.append(Figure(name: "\(account) \(path) failed", value: 0, unit: failure))
                continue
            }
            let sorted = times.sorted()
            func p(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] }
            print(row([account, path, String(sorted.count)] + [p(0.5), p(0.95), sorted.last ?? 0].map { String(format: "%.1f", $0) }))
            figures.append(Figure(name: "\(account) \(path) p95", value: p(0.95), unit: "ms (\(sorted.count) requests)"))
        }
        if let json = o.json { try writeFigures(figures, to: json) }
    }

    /// Signs in through the form as a browser does; answers the session cookie.
    static func signIn(_ client: HTTPClient, _ hub: String, _ name: String) async throws -> String {
        let form = try await client.execute(HTTPClientRequest(url: hub + "/console/login"), timeout: .seconds(30))
        let page = String(buffer: try await form.body.collect(upTo: 1 << 20))
        guard let loginCookie = form.headers["set-cookie"].first?.split(separator: ";").first,
            let r = page.range(of: "name=\"token\" value=\"")
        else { throw BenchError(description: "no sign-in form at \(hub)") }
        let token = page[r.upperBound...].prefix { $0 != "\"" }
        var post = HTTPClientRequest(url: hub + "/console/login")
        post.method = .POST
        post.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        post.headers.add(name: "Cookie", value: String(loginCookie))
        post.body = .bytes(ByteBuffer(string: "token=\(token)&name=\(name)&password=\(password.replacingOccurrences(of: " ", with: "+"))"))
        let answer = try await client.execute(post, timeout: .seconds(30))
        guard let session = answer.headers["set-cookie"].first(where: { $0.hasPrefix("station_session=") })?.split(separator: ";").first else {
            throw BenchError(description: "\(name) could not sign in (\(answer.status.code))")
        }
        return String(session)
    }

    static func get(_ client: HTTPClient, _ url: String, cookie: String) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Cookie", value: cookie)
        let response = try await client.execute(request, timeout: .seconds(600))
        _ = try await response.body.collect(upTo: 64 << 20)
        return Int(response.status.code)
    }
}
