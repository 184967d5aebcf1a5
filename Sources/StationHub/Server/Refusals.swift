import Hummingbird
import Logging
import NIOCore

/// The hub's request context: Hummingbird's, and the peer's address, so that a refusal
/// can be told apart by where it came from.
public struct HubRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Every refused request made visible: counted by its code
/// (`stationhub_refused_total{reason}`), and a warning in the log, at most one a minute
/// per address and code, saying how many like it went unlogged since.
struct RefusalMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let metrics: HubMetrics
    let warnings = Pacer(intervalMillis: 60_000, capacity: 10_000)

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HubError where error.kind != .unavailable {
            metrics.refused(error.code)
            let from = context.remoteAddress?.ipAddress ?? "an unknown address"
            if let unlogged = warnings.admit("\(from) \(error.code)", nowMillis: HubIngest.nowMillis()) {
                let more = unlogged > 0 ? " (\(unlogged) more like it unlogged)" : ""
                context.logger.warning("refused \(request.method) \(request.uri.path) from \(from): \(error.code): \(error.message)\(more)")
            }
            throw error
        }
    }
}
