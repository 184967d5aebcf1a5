import Foundation
import Hummingbird
import Logging
import NIOCore
import StationCore
import StationProtocol

/// The hub's HTTP API (Hummingbird 2): enrollment, batch upload, health.
public enum HubServer {
    /// Largest request body accepted, and most events in one batch.
    public static let maxBodyBytes = 4 << 20
    public static let maxBatchEvents = 2000

    public static func router(store: HubStore, keys: HubKeys?) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("v1/health") { _, _ -> Response in
            json(.ok, ["status": "ok"])
        }
        router.post("v1/enroll") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 * 1024)
            guard let enroll = try? JSONDecoder().decode(EnrollRequest.self, from: Data(buffer: body)) else {
                return json(.badRequest, ErrorBody(error: "expected {\"token\": \"...\"}"))
            }
            do {
                return json(.ok, try await store.enroll(token: enroll.token))
            } catch let failure as HubStore.Failure {
                return error(failure)
            }
        }
        router.post("v1/batches") { request, _ -> Response in
            guard let auth = request.headers[.authorization], auth.hasPrefix("Bearer ") else {
                return json(.unauthorized, ErrorBody(error: "a box credential is required (Authorization: Bearer ...)"))
            }
            let owner: (box: String, site: String)
            do {
                owner = try await store.authenticate(String(auth.dropFirst("Bearer ".count)))
            } catch let failure as HubStore.Failure {
                return error(failure)
            }
            let body = try await request.body.collect(upTo: maxBodyBytes)
            guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any],
                let events = object["events"] as? [Any], object["box_id"] as? String == owner.box
            else {
                return json(.badRequest, ErrorBody(error: "expected {\"box_id\": \"<this box>\", \"events\": [...]}"))
            }
            guard events.count <= maxBatchEvents else {
                return json(.contentTooLarge, ErrorBody(error: "at most \(maxBatchEvents) events per batch"))
            }
            let incoming = events.map(decode)
            do {
                let (result, conflict) = try await store.ingest(box: owner.box, site: owner.site, events: incoming, keys: keys)
                return json(conflict ? .conflict : .ok, result)
            } catch let failure as HubStore.Failure {
                return error(failure)
            }
        }
        return router
    }

    /// One event of a batch, decoded on its own: a malformed one is quarantined, the rest
    /// still apply.
    static func decode(_ raw: Any) -> HubStore.Incoming {
        let data = (try? JSONSerialization.data(withJSONObject: raw)) ?? Data()
        let seq = (raw as? [String: Any])?["seq"] as? Int64
        let text = String(decoding: data, as: UTF8.self)
        do {
            let event = try JSONDecoder().decode(JournalEvent.self, from: data)
            let canonical = String(decoding: try HubStore.encoder.encode(event), as: UTF8.self)
            return .event(event, canonical: canonical)
        } catch {
            return .unreadable(seq: seq, body: text, reason: "not an event this hub understands: \(error)")
        }
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let data = (try? HubStore.encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ failure: HubStore.Failure) -> Response {
        let status: HTTPResponse.Status =
            switch failure.kind {
            case .unauthorized: .unauthorized
            case .forbidden: .forbidden
            case .notFound: .notFound
            case .conflict: .conflict
            case .invalid: .badRequest
            }
        return json(status, ErrorBody(error: failure.description))
    }

    /// Serves until cancelled; `onListening` gets the bound port (port 0 picks one).
    public static func serve(store: HubStore, keys: HubKeys?, host: String, port: Int, logger: Logger, onListening: @escaping @Sendable (Int) -> Void) async throws {
        let app = Application(
            router: router(store: store, keys: keys),
            configuration: .init(address: .hostname(host, port: port), serverName: "stationhub"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger)
        try await app.runService()
    }
}
