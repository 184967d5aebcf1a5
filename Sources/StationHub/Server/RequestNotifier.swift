import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import StationProtocol

/// The requests' loop in `stationhub serve`: each client's webhook is told every change of
/// the requests it placed (`POST` of `{"request", "state", "pickup_site", "at_ms"}`; a 2xx
/// answer takes it, anything else is tried again later, so a receiver may see one twice),
/// holds past their end are closed, and rotations brought to their stage (every minute).
/// Several hub instances share the work.
public struct RequestNotifier: Service {
    let store: HubStore
    let every: Duration
    let logger: Logger

    public init(store: HubStore, every: Duration = .seconds(2), logger: Logger) {
        (self.store, self.every, self.logger) = (store, every, logger)
    }

    struct Body: Encodable {
        var request: String
        var state: String
        var pickupSite: String
        var atMillis: Int64
        enum CodingKeys: String, CodingKey { case request, state, pickupSite = "pickup_site", atMillis = "at_ms" }
    }

    public func run() async throws {
        try await store.prepare()
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(5), read: .seconds(10))))
        try? await cancelWhenGracefulShutdown {
            var lastExpiry = ContinuousClock.now - .seconds(3600)
            while !Task.isCancelled {
                if ContinuousClock.now - lastExpiry >= .seconds(60) {
                    lastExpiry = ContinuousClock.now
                    do {
                        let closed = try await store.expireHolds()
                        if closed > 0 { logger.notice("requests: \(closed) holds past their end closed") }
                    } catch { logger.error("requests: closing holds: \(error)") }
                    do {
                        let moved = try await store.advanceRotations()
                        if moved > 0 { logger.notice("rotations: \(moved) moves placed or cancelled") }
                    } catch { logger.error("rotations: \(error)") }
                }
                await deliverOnce(client)
                try await Task.sleep(for: every)
            }
        }
        try? await client.shutdown()
    }

    func deliverOnce(_ client: HTTPClient) async {
        do {
            for notice in try await store.claimNotices() {
                var request = HTTPClientRequest(url: notice.url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                let body = Body(request: notice.request, state: notice.state, pickupSite: notice.pickupSite, atMillis: notice.atMillis)
                request.body = .bytes(ByteBuffer(bytes: try Canonical.encoder.encode(body)))
                var delivered = false
                do {
                    let response = try await client.execute(request, timeout: .seconds(10))
                    delivered = (200..<300).contains(response.status.code)
                    if !delivered { logger.warning("requests: webhook \(notice.url) answered \(response.status.code) for \(notice.request) \(notice.state)") }
                } catch {
                    logger.warning("requests: webhook \(notice.url) for \(notice.request) \(notice.state): \(error)")
                }
                try await store.settleNotice(notice.id, delivered: delivered)
            }
        } catch is CancellationError {
        } catch {
            logger.error("requests: \(error)")
        }
    }
}
