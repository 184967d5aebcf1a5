import CompressNIO
import Crypto
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import StationCore
import StationProtocol

/// The hub's HTTP API (Hummingbird 2): enrollment, batch upload, clock corrections, the
/// device log, the downlink, health. Request bodies may be gzip (`Content-Encoding`);
/// both the bytes on the wire and the bytes they inflate to are bounded, so a zip bomb
/// is refused before it costs memory.
public enum HubServer {
    /// Largest request body accepted on the wire, its most inflated size, and most events
    /// (or lines, or corrections) in one request.
    public static let maxBodyBytes = 4 << 20
    public static let maxInflatedBytes = 16 << 20
    public static let maxBatchEvents = 2000

    /// A refusal with its HTTP status.
    struct Refusal: Error {
        var status: HTTPResponse.Status
        var reason: String
    }

    public static func router(store: any HubStore, keys: HubKeys?, operatorToken: String? = nil, metrics: HubMetrics = HubMetrics()) -> Router<BasicRequestContext> {
        let router = Router()
        let operatorDigest = operatorToken.map { SHA256.hash(data: Data($0.utf8)) }
        /// Reports are for operators: the bearer must be the operator token.
        @Sendable func authorizeOperator(_ request: Request) throws {
            guard let operatorDigest else {
                throw Refusal(status: .forbidden, reason: "reports are off: start the hub with --operator-token-file")
            }
            guard let auth = request.headers[.authorization], auth.hasPrefix("Bearer "),
                SHA256.hash(data: Data(auth.dropFirst("Bearer ".count).utf8)) == operatorDigest  // digests compare in constant time
            else { throw Refusal(status: .unauthorized, reason: "the operator token is required (Authorization: Bearer ...)") }
        }
        router.get("metrics") { request, _ -> Response in
            try await answer {
                try authorizeOperator(request)
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: try await metrics.scrape(store))))
            }
        }
        router.get("v1/reports") { request, _ -> Response in
            try await answer {
                try authorizeOperator(request)
                return json(.ok, ReportList(reports: Reports.all.map { .init(name: $0.name, summary: $0.summary) }))
            }
        }
        router.get("v1/reports/:name") { request, context -> Response in
            try await answer {
                try authorizeOperator(request)
                let name = context.parameters.get("name") ?? ""
                guard Reports.all.contains(where: { $0.name == name }) else {
                    throw Refusal(status: .notFound, reason: "no report \(name): \(Reports.all.map(\.name).joined(separator: ", "))")
                }
                let query = request.uri.queryParameters
                let limitText = query.get("limit") ?? "20"
                guard let limit = Int(limitText) else { throw Refusal(status: .badRequest, reason: "limit must be a whole number, not \(limitText)") }
                let parameters = Reports.Parameters(
                    from: query.get("from"), to: query.get("to"), site: query.get("site"), region: query.get("region"), item: query.get("item"),
                    limit: limit, nowMillis: HubIngest.nowMillis())
                let format = query.get("format") ?? "json"
                guard ["json", "csv"].contains(format) else { throw Refusal(status: .badRequest, reason: "format is json or csv, not \(format)") }
                let table = try await store.report(name, parameters)
                if format == "csv" {
                    return Response(
                        status: .ok, headers: [.contentType: "text/csv; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: table.csv)))
                }
                return Response(
                    status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: table.json(report: name))))
            }
        }
        router.get("v1/health") { _, _ -> Response in
            json(.ok, ["status": "ok"])
        }
        router.post("v1/enroll") { request, _ -> Response in
            try await answer {
                let data = try await body(request, limit: 64 * 1024)
                guard let enroll = try? JSONDecoder().decode(EnrollRequest.self, from: data) else {
                    throw Refusal(status: .badRequest, reason: "expected {\"token\": \"...\"}")
                }
                return json(.ok, try await store.enroll(token: enroll.token))
            }
        }
        router.post("v1/batches") { request, _ -> Response in
            let started = ContinuousClock.now
            var site: String?, oldest: Int64?, outcome: BatchResult?, conflict = false
            let response = try await answer {
                let owner = try await authenticate(request, store)
                site = owner.site
                let incoming = try decodeBatch(try await body(request), box: owner.box)
                oldest = incoming.compactMap { if case .event(let e, _) = $0, e.time.synchronized { e.time.wallMillis } else { nil } }.min()
                let (result, isConflict) = try await store.ingest(box: owner.box, site: owner.site, events: incoming, keys: keys)
                (outcome, conflict) = (result, isConflict)
                return json(isConflict ? .conflict : .ok, result)
            }
            metrics.batch(
                result: outcome == nil ? "refused" : conflict ? "conflict" : "applied", outcome, site: site, oldestSynchronizedMillis: oldest,
                duration: ContinuousClock.now - started)
            return response
        }
        router.post("v1/clock-corrections") { request, _ -> Response in
            try await accept(request, store, ClockCorrectionUpload.self, expected: "{\"corrections\": [...]}", what: "corrections", count: \.corrections.count) {
                let limit = HubIngest.maxMillis.magnitude
                guard $1.corrections.allSatisfy({ $0.offsetMillis.magnitude <= limit && $0.recordedWallMillis.magnitude <= limit }) else {
                    throw Refusal(status: .badRequest, reason: "a clock offset or wall time beyond ±\(HubIngest.maxMillis) ms")
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
            try await answer {
                let owner = try await authenticate(request, store)
                let sinceText = request.uri.queryParameters.get("since") ?? "0"
                guard let since = Int64(sinceText), since >= 0 else {
                    throw Refusal(status: .badRequest, reason: "since must be a revision (a whole number ≥ 0), not \(sinceText)")
                }
                let down = try await store.downlink(site: owner.site, since: since)
                return json(.ok, down, gzip: request.headers[.acceptEncoding]?.contains("gzip") ?? false)
            }
        }
        return router
    }

    /// A box's upload of records it keeps once each (clock corrections, device-log lines):
    /// authenticated, decoded, bounded, stored by `store(box, upload)`; answers how many.
    static func accept<Upload: Decodable>(
        _ request: Request, _ hub: any HubStore, _ type: Upload.Type, expected: String, what: String, count: (Upload) -> Int,
        store: (String, Upload) async throws -> Int
    ) async throws -> Response {
        try await answer {
            let owner = try await authenticate(request, hub)
            let upload = try decode(type, try await body(request), expected: expected)
            guard count(upload) <= maxBatchEvents else {
                throw Refusal(status: .contentTooLarge, reason: "at most \(maxBatchEvents) \(what) per request")
            }
            return json(.ok, Accepted(accepted: try await store(owner.box, upload)))
        }
    }

    /// Runs a handler; a refusal or a store failure becomes its error answer.
    static func answer(_ handler: () async throws -> Response) async throws -> Response {
        do {
            return try await handler()
        } catch let refusal as Refusal {
            return json(refusal.status, ErrorBody(error: refusal.reason))
        } catch let failure as HubFailure {
            return error(failure)
        }
    }

    static func authenticate(_ request: Request, _ store: any HubStore) async throws -> (box: String, site: String) {
        guard let auth = request.headers[.authorization], auth.hasPrefix("Bearer ") else {
            throw Refusal(status: .unauthorized, reason: "a box credential is required (Authorization: Bearer ...)")
        }
        return try await store.authenticate(String(auth.dropFirst("Bearer ".count)))
    }

    /// The request body, inflated when it came gzip, within the limits.
    static func body(_ request: Request, limit: Int = maxBodyBytes) async throws -> Data {
        var raw: ByteBuffer
        do {
            raw = try await request.body.collect(upTo: limit)
        } catch {
            throw Refusal(status: .contentTooLarge, reason: "the body is larger than \(limit) bytes")
        }
        switch request.headers[.contentEncoding]?.lowercased() {
        case nil, "identity":
            return Data(buffer: raw)
        case "gzip":
            do {
                return Data(buffer: try raw.decompress(with: .gzip(), maxSize: maxInflatedBytes))
            } catch let e as CompressNIOError where e == .bufferOverflow {
                throw Refusal(status: .contentTooLarge, reason: "the body inflates to more than \(maxInflatedBytes) bytes")
            } catch {
                throw Refusal(status: .badRequest, reason: "the body is not valid gzip")
            }
        case let other?:
            throw Refusal(status: .unsupportedMediaType, reason: "Content-Encoding \(other) is not accepted (gzip or none)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data, expected: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw Refusal(status: .badRequest, reason: "expected \(expected)")
        }
    }

    /// A batch's events. The whole batch decodes in one pass when every event is well
    /// formed (the usual case); otherwise each event is decoded on its own, so that a
    /// malformed one is quarantined and the rest still apply.
    static func decodeBatch(_ data: Data, box: String) throws -> [HubIncoming] {
        let expected = Refusal(status: .badRequest, reason: "expected {\"box_id\": \"<this box>\", \"events\": [...]}")
        if let batch = try? JSONDecoder().decode(BatchUpload.self, from: data) {
            guard batch.boxID == box else { throw expected }
            guard batch.events.count <= maxBatchEvents else { throw Refusal(status: .contentTooLarge, reason: "at most \(maxBatchEvents) events per batch") }
            let encoder = HubIngest.encoder
            return try batch.events.map { .event($0, canonical: String(decoding: try encoder.encode($0), as: UTF8.self)) }
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let events = object["events"] as? [Any], object["box_id"] as? String == box
        else { throw expected }
        guard events.count <= maxBatchEvents else { throw Refusal(status: .contentTooLarge, reason: "at most \(maxBatchEvents) events per batch") }
        return events.map(decode)
    }

    /// One event of a batch, decoded on its own: a malformed one is quarantined, the rest
    /// still apply.
    static func decode(_ raw: Any) -> HubIncoming {
        let data = (try? JSONSerialization.data(withJSONObject: raw)) ?? Data()
        let seq = (raw as? [String: Any])?["seq"] as? Int64
        let text = String(decoding: data, as: UTF8.self)
        do {
            let event = try JSONDecoder().decode(JournalEvent.self, from: data)
            let canonical = String(decoding: try HubIngest.encoder.encode(event), as: UTF8.self)
            return .event(event, canonical: canonical)
        } catch {
            return .unreadable(seq: seq, body: text, reason: "not an event this hub understands: \(error)")
        }
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable, gzip: Bool = false) -> Response {
        var buffer = ByteBuffer(bytes: (try? HubIngest.encoder.encode(value)) ?? Data("{}".utf8))
        var headers: HTTPFields = [.contentType: "application/json"]
        if gzip, buffer.readableBytes > 1024, let compressed = try? buffer.compress(with: .gzip()) {
            buffer = compressed
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }

    static func error(_ failure: HubFailure) -> Response {
        let status: HTTPResponse.Status =
            switch failure.kind {
            case .unauthorized: .unauthorized
            case .forbidden: .forbidden
            case .notFound: .notFound
            case .conflict: .conflict
            case .invalid: .badRequest
            case .unavailable: .serviceUnavailable
            }
        var response = json(status, ErrorBody(error: failure.description))
        // A box waits this long before its next try (its backoff otherwise).
        if failure.kind == .unavailable { response.headers[.retryAfter] = "5" }
        return response
    }

    /// TLS from PEM files: the hub's certificate chain and private key.
    public static func tlsConfiguration(certificate: String, key: String) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
    }

    /// Serves until cancelled; `onListening` gets the bound port (port 0 picks one). With
    /// `tls`, HTTPS only.
    struct ReportList: Encodable {
        struct Entry: Encodable {
            var name: String
            var summary: String
        }
        var reports: [Entry]
    }

    public static func serve(
        store: any HubStore, keys: HubKeys?, operatorToken: String? = nil, host: String, port: Int, tls: TLSConfiguration? = nil, logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void
    ) async throws {
        if let keys { try await store.publishKeys(purpose: "credential", keys.publicCredentialKeys) }
        let app = Application(
            router: router(store: store, keys: keys, operatorToken: operatorToken),
            server: try tls.map { try .tls(tlsConfiguration: $0) } ?? .http1(),
            configuration: .init(address: .hostname(host, port: port), serverName: "stationhub"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger)
        try await app.runService()
    }
}
