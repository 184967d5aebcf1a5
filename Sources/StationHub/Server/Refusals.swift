import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import StationProtocol

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
            try Self.checkSize(request)
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

extension RefusalMiddleware {
    /// A URL or headers larger than a box or an operator ever sends: 414 or 431, with the
    /// body every refusal has (beyond NIO's own limits, ``ParserRefusalHandler`` answers).
    static func checkSize(_ request: Request) throws {
        if request.uri.description.utf8.count > HubServer.maxURLBytes {
            throw HubError(.uriTooLong, "the URL is longer than \(HubServer.maxURLBytes) bytes")
        }
        var total = 0
        for field in request.headers {
            let size = field.name.rawName.utf8.count + field.value.utf8.count
            total += size
            if size > HubServer.maxHeaderBytes || total > HubServer.maxHeaderBytes {
                throw HubError(.headersTooLarge, "the headers are larger than \(HubServer.maxHeaderBytes) bytes")
            }
        }
    }
}

/// What NIO's HTTP parser refuses before any route sees it (a request line or headers over
/// its limits, bytes that are not HTTP), answered as every other refusal is: the JSON body
/// with its code, counted, and the connection closed. (Hummingbird answers an empty 400.)
final class ParserRefusalHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart
    let metrics: HubMetrics

    init(metrics: HubMetrics) { self.metrics = metrics }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parser = error as? HTTPParserError else { return context.fireErrorCaught(error) }
        let refusal =
            parser == .headerOverflow
            ? HubError(.headersTooLarge, "the request line and headers are larger than \(HubServer.maxParsedHeaderBytes) bytes", code: "headers-too-large")
            : HubError(.invalid, "not an HTTP request this hub can read", code: "not-http")
        metrics.refused(refusal.code)
        let body = ByteBuffer(bytes: (try? JSONEncoder().encode(ErrorBody(error: refusal.message, code: refusal.code))) ?? Data())
        let head = HTTPResponse(
            status: refusal.status, headerFields: [.contentType: "application/json", .contentLength: "\(body.readableBytes)", .connection: "close"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
    }
}
