import Foundation
import Logging
import ServiceLifecycle
import StationCore
import StationSystem

/// How a box gets its link to the hub while it runs, as a service of the daemon's group:
/// an enrollment card scanned (the box enrolls itself: the network may be slow, so never
/// on the scan loop), or `stationctl enroll` having written the link (start-sync). Either
/// way the sync service is then added to the group. Ends with the group.
final class EnrollmentService: Service, @unchecked Sendable {
    enum Request: Sendable {
        case card(EnrollmentCard, scannerID: String)
        case linkWritten
    }

    /// What the service needs of the daemon, each answered on the scan loop.
    struct Hooks: Sendable {
        /// The state directory, box id and hub TLS settings, as the config says now (nil:
        /// the scan loop is not answering: the box is stopping).
        var settings: @Sendable () async -> (state: String, boxID: String, insecure: Bool, caFile: String?)?
        /// The sync service for the link held now, if the box is enrolled and sync is not running yet.
        var makeUploader: @Sendable () async -> BatchUploader?
        /// An enrollment card's result, to tell the worker.
        var enrolled: @Sendable (Result<HubLink, HubRequestError>, String) -> Void
    }

    private let requests: AsyncStream<Request>
    private let continuation: AsyncStream<Request>.Continuation
    private let hooks: Hooks
    private let logger: Logger
    /// The group to add the sync service to (set before the group runs).
    var group: ServiceGroup?

    init(hooks: Hooks, logger: Logger) {
        (requests, continuation) = AsyncStream.makeStream(of: Request.self, bufferingPolicy: .bufferingNewest(8))
        self.hooks = hooks
        self.logger = logger
    }

    /// Any thread.
    func ask(_ request: Request) { continuation.yield(request) }

    func run() async throws {
        for await request in requests.cancelOnGracefulShutdown() {
            switch request {
            case .card(let card, let scannerID):
                let result = await enroll(card)
                hooks.enrolled(result, scannerID)
                if case .success = result { await startSync() }
            case .linkWritten:
                await startSync()
            }
        }
    }

    func enroll(_ card: EnrollmentCard) async -> Result<HubLink, HubRequestError> {
        guard let s = await hooks.settings() else { return .failure(HubRequestError(status: nil, description: "the box is stopping")) }
        logger.notice("enrollment card scanned: enrolling", metadata: ["hub.url": "\(card.hubURL)"])
        do throws(HubRequestError) {
            let client = try HubClient(url: card.hubURL, credential: nil, insecure: s.insecure, caFile: s.caFile)
            let outcome: Result<HubLink, HubRequestError>
            do throws(HubRequestError) {
                outcome = .success(try await client.enroll(token: card.token))
            } catch {
                outcome = .failure(error)
            }
            await client.shutdown()
            let link = try outcome.get()
            // A box whose config leaves its identity to the card takes the one the hub gives.
            guard s.boxID.isEmpty || link.boxID == s.boxID else { throw HubRequestError(status: nil, description: "the card is for box \(link.boxID), this is box \(s.boxID)") }
            do { try link.save(stateDirectory: s.state) } catch { throw HubRequestError(status: nil, description: "cannot save the hub link: \(error)") }
            return .success(link)
        } catch {
            return .failure(error)
        }
    }

    func startSync() async {
        guard let uploader = await hooks.makeUploader(), let group else { return }
        // A hub that refuses the box ends sync only; recording goes on.
        await group.addServiceUnlessShutdown(.init(service: uploader, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
    }
}
