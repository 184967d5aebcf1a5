import CompressNIO
import Crypto
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import StationCore
import StationProtocol

/// The hub's HTTP API (Hummingbird 2): enrollment, batch upload, clock corrections, the
/// device log, the downlink, health; reports and metrics for operators.
/// `docs/api/openapi.yaml` is the contract. Refusals are ``HubError``s, which build their
/// own answers.
public enum HubServer {
    /// Largest request body accepted on the wire, its most inflated size, and most events
    /// (or lines, or corrections) in one request.
    public static let maxBodyBytes = 4 << 20
    public static let maxInflatedBytes = BodyIntake.maxInflatedBytes
    public static let maxBatchEvents = BodyIntake.maxBatchEvents
    /// Longest URL and most header bytes a route is given; NIO's parser stops a request
    /// line or headers at ``maxParsedHeaderBytes``.
    public static let maxURLBytes = 8 << 10
    public static let maxHeaderBytes = 16 << 10
    public static let maxParsedHeaderBytes = 64 << 10

    /// The HTTP/1 server: NIO's parser limits, and what it refuses answered with a body.
    static func http1(metrics: HubMetrics) -> HTTPServerBuilder {
        .http1(
            configuration: .init(
                additionalChannelHandlers: [ParserRefusalHandler(metrics: metrics)],
                httpDecoderConfiguration: .init(maxHeaderFieldSize: maxParsedHeaderBytes, maxHeaderListSize: maxParsedHeaderBytes, maxHeaderFieldCount: 200)))
    }

    public static func router(
        store: HubStore, keys: HubKeys?, operatorToken: String? = nil, metrics: HubMetrics = HubMetrics(), console: ConsoleOptions = ConsoleOptions()
    ) -> Router<HubRequestContext> {
        router(store: store, ring: KeyRing(keys), operatorToken: operatorToken, metrics: metrics, console: console)
    }

    public static func router(
        store: HubStore, ring: KeyRing, operatorToken: String? = nil, metrics: HubMetrics = HubMetrics(), console: ConsoleOptions = ConsoleOptions()
    ) -> Router<HubRequestContext> {
        let router = Router(context: HubRequestContext.self)
        router.add(middleware: RefusalMiddleware(metrics: metrics))
        router.get("v1/health") { _, _ -> Response in json(.ok, ["status": "ok"]) }
        addBoxRoutes(router, store: store, ring: ring, metrics: metrics)
        addOperatorRoutes(router, store: store, operatorToken: operatorToken, metrics: metrics, timeZone: console.timeZone)
        addRequestRoutes(router, store: store, ring: ring, operatorToken: operatorToken)
        addConsoleRoutes(router, store: store, ring: ring, options: console)
        return router
    }

    /// What boxes call: enrollment, batches, clock corrections, the device log, the downlink.
    static func addBoxRoutes(_ router: Router<HubRequestContext>, store: HubStore, ring: KeyRing, metrics: HubMetrics) {
        router.post("v1/enroll") { request, _ -> Response in
            let enroll = try decode(EnrollRequest.self, try await body(request, limit: 64 * 1024), expected: "{\"token\": \"...\"}")
            return json(.ok, try await store.enroll(token: enroll.token))
        }
        router.post("v1/batches") { request, _ -> Response in
            let started = ContinuousClock.now
            var site: String?, oldest: Int64?, outcome: BatchResult?, conflict = false
            defer {
                metrics.batch(
                    result: outcome == nil ? "refused" : conflict ? "conflict" : "applied", outcome, site: site, oldestSynchronizedMillis: oldest,
                    duration: ContinuousClock.now - started)
            }
            let owner = try await authenticate(request, store)
            site = owner.site
            let batch = try decodeBatch(try await body(request), box: owner.box)
            oldest = batch.events.compactMap { if case .event(let e, _) = $0, e.time.synchronized { e.time.wallMillis } else { nil } }.min()
            let (result, isConflict) = try await store.ingest(
                box: owner.box, site: owner.site, events: batch.events, keys: ring.current, report: BatchReport(backlog: batch.backlog, software: batch.software))
            (outcome, conflict) = (result, isConflict)
            return json(isConflict ? .conflict : .ok, result)
        }
        router.post("v1/clock-corrections") { request, _ -> Response in
            try await accept(request, store, ClockCorrectionUpload.self, expected: "{\"corrections\": [...]}", what: "corrections", count: \.corrections.count) {
                let limit = HubIngest.maxMillis.magnitude
                guard $1.corrections.allSatisfy({ $0.offsetMillis.magnitude <= limit && $0.recordedWallMillis.magnitude <= limit }) else {
                    throw HubError(.invalid, "a clock offset or wall time beyond ±\(HubIngest.maxMillis) ms")
                }
                return try await store.addClockCorrections(box: $0, $1.corrections)
            }
        }
        router.post("v1/device-log") { request, _ -> Response in
            try await accept(request, store, DeviceLogUpload.self, expected: "{\"lines\": [...]}", what: "lines", count: \.lines.count) {
                try await store.addDeviceLog(box: $0, $1.lines)
            }
        }
        router.get("v1/downlink") { request, _ -> Response in
            let owner = try await authenticate(request, store)
            let sinceText = request.uri.queryParameters.get("since") ?? "0"
            guard let since = Int64(sinceText), since >= 0 else {
                throw HubError(.invalid, "since must be a revision (a whole number ≥ 0)", code: "invalid-parameter")
            }
            let down = try await store.downlink(box: owner.box, site: owner.site, since: since)
            return json(.ok, down, gzip: request.headers[.acceptEncoding]?.contains("gzip") ?? false)
        }
    }

    /// What operators call with the operator token: metrics and reports.
    static func addOperatorRoutes(_ router: Router<HubRequestContext>, store: HubStore, operatorToken: String?, metrics: HubMetrics, timeZone: TimeZone) {
        let operatorDigest = operatorToken.map { SHA256.hash(data: Data($0.utf8)) }
        /// Reports are for operators: the bearer must be the operator token.
        @Sendable func authorizeOperator(_ request: Request) throws {
            guard let operatorDigest else { throw HubError(.forbidden, "reports are off: start the hub with --operator-token-file") }
            guard let auth = request.headers[.authorization], auth.hasPrefix("Bearer "),
                SHA256.hash(data: Data(auth.dropFirst("Bearer ".count).utf8)) == operatorDigest  // digests compare in constant time
            else { throw HubError(.unauthorized, "the operator token is required (Authorization: Bearer ...)") }
        }
        router.get("metrics") { request, _ -> Response in
            try authorizeOperator(request)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: try await metrics.scrape(store))))
        }
        router.get("v1/reports") { request, _ -> Response in
            try authorizeOperator(request)
            return json(.ok, ReportList(reports: Reports.all.map { .init(name: $0.name, summary: $0.summary) }))
        }
        router.get("v1/reports/:name") { request, context -> Response in
            try authorizeOperator(request)
            let name = context.parameters.get("name") ?? ""
            guard Reports.all.contains(where: { $0.name == name }) else {
                throw HubError(.notFound, "no such report; the reports are \(Reports.all.map(\.name).joined(separator: ", "))", code: "no-such-report")
            }
            let query = request.uri.queryParameters
            let limitText = query.get("limit") ?? "20"
            guard let limit = Int(limitText) else { throw HubError(.invalid, "limit must be a whole number", code: "invalid-parameter") }
            var parameters = Reports.Parameters(
                from: query.get("from"), to: query.get("to"), site: query.get("site"), region: query.get("region"), item: query.get("item"),
                limit: limit, nowMillis: HubIngest.nowMillis())
            parameters.zoneOffsetMillis = Reports.zoneOffset(timeZone, at: parameters.nowMillis)
            if let days = query.get("lost_after_days") {
                guard let n = Int(days), (1...3650).contains(n) else { throw HubError(.invalid, "lost_after_days is 1 to 3650", code: "invalid-parameter") }
                parameters.lostAfterDays = n
            }
            let format = query.get("format") ?? "json"
            guard ["json", "csv"].contains(format) else { throw HubError(.invalid, "format is json or csv", code: "invalid-parameter") }
            let table = try await store.report(name, parameters)
            if format == "csv" {
                return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: table.csv)))
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: table.json(report: name))))
        }
    }

    struct ReportList: Encodable {
        struct Entry: Encodable {
            var name: String
            var summary: String
        }
        var reports: [Entry]
    }

    /// A box's upload of records it keeps once each (clock corrections, device-log lines):
    /// authenticated, decoded, bounded, stored by `store(box, upload)`; answers how many.
    static func accept<Upload: Decodable>(
        _ request: Request, _ hub: HubStore, _ type: Upload.Type, expected: String, what: String, count: (Upload) -> Int,
        store: (String, Upload) async throws -> Int
    ) async throws -> Response {
        let owner = try await authenticate(request, hub)
        let upload = try decode(type, try await body(request), expected: expected)
        guard count(upload) <= maxBatchEvents else { throw HubError(.tooLarge, "at most \(maxBatchEvents) \(what) per request") }
        return json(.ok, Accepted(accepted: try await store(owner.box, upload)))
    }

    static func authenticate(_ request: Request, _ store: HubStore) async throws -> (box: String, site: String) {
        guard let auth = request.headers[.authorization], auth.hasPrefix("Bearer ") else {
            throw HubError(.unauthorized, "a box credential is required (Authorization: Bearer ...)")
        }
        return try await store.authenticate(String(auth.dropFirst("Bearer ".count)))
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable, gzip: Bool = false) -> Response {
        var buffer = ByteBuffer(bytes: (try? Canonical.encoder.encode(value)) ?? Data("{}".utf8))
        var headers: HTTPFields = [.contentType: "application/json"]
        if gzip, buffer.readableBytes > 1024, let compressed = try? buffer.compress(with: .gzip()) {
            buffer = compressed
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }

    /// TLS from PEM files: the hub's certificate chain and private key.
    public static func tlsConfiguration(certificate: String, key: String) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
    }

    /// The API as a service for the hub's ServiceGroup: it prepares the store (the
    /// schema), publishes the public keys, then serves until the group shuts down;
    /// `onListening` gets the bound port (port 0 picks one). With `tls`, HTTPS only.
    public struct API: Service {
        public var store: HubStore
        public var ring: KeyRing
        public var operatorToken: String?
        public var host: String
        public var port: Int
        public var tls: TLSConfiguration?
        public var console: ConsoleOptions
        public var logger: Logger
        public var onListening: @Sendable (Int) -> Void

        public init(
            store: HubStore, ring: KeyRing, operatorToken: String?, host: String, port: Int, tls: TLSConfiguration?, console: ConsoleOptions = ConsoleOptions(),
            logger: Logger, onListening: @escaping @Sendable (Int) -> Void
        ) {
            (self.store, self.ring, self.operatorToken, self.host, self.port, self.tls, self.logger, self.onListening) =
                (store, ring, operatorToken, host, port, tls, logger, onListening)
            self.console = console
            // Under TLS the console's cookies travel over it only.
            if tls != nil { self.console.secureCookies = true }
        }

        public func run() async throws {
            try await store.prepare()
            if let keys = ring.current { try await store.publishKeys(purpose: "credential", keys.publicCredentialKeys) }
            let (port, onListening) = (self.port, self.onListening)
            let metrics = HubMetrics()
            let http1 = HubServer.http1(metrics: metrics)
            let app = Application(
                router: HubServer.router(store: store, ring: ring, operatorToken: operatorToken, metrics: metrics, console: console),
                server: try tls.map { try .tls(http1, tlsConfiguration: $0) } ?? http1,
                configuration: .init(address: .hostname(host, port: port), serverName: "stationhub"),
                onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
                logger: logger)
            try await app.run()
        }
    }
}
