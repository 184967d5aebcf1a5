import Crypto
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOPosix
import ServiceLifecycle
import StationConfigFile
import StationCore
import StationStore
import StationSystem

/// What the manager page shows, gathered when it is asked for.
public struct ManagerSnapshot: Sendable {
    public var status: JSONLine
    public var devices: JSONLine
    /// The newest device-log lines first, or why the journal could not be read.
    public var log: Result<[(at: Int64, level: String, scanner: String?, message: String)], LogUnreadable>
    /// The hub's pull list and this site's hold shelf, with what the box did about each.
    public var transfers: [(entry: Journal.TransferEntry, trappedAt: Int64?, title: String?)] = []

    public struct LogUnreadable: Error, Sendable, ExpressibleByStringInterpolation {
        public var description: String
        public init(stringLiteral value: String) { description = value }
    }
}

/// The kiosk page (with its event stream) and the manager page, as one service of the
/// daemon's group. A page that cannot listen is logged and left out: pages are feedback,
/// recording goes on without them.
public final class PagesService: Service, @unchecked Sendable {
    let settings: PagesSettings
    let board: KioskBoard
    let logger: Logger
    let snapshot: @Sendable () async -> ManagerSnapshot
    let card: @Sendable (String, Int) async -> Result<String, CardError>
    /// Set when the kiosk page listens (port 0 picks one).
    private let lock = NSLock()
    private var kioskURLValue: String?

    public struct CardError: Error, Sendable {
        public var status: HTTPResponse.Status
        public var message: String
        public init(status: HTTPResponse.Status, message: String) {
            self.status = status
            self.message = message
        }
    }

    public init(
        settings: PagesSettings, board: KioskBoard, logger: Logger, snapshot: @escaping @Sendable () async -> ManagerSnapshot,
        card: @escaping @Sendable (String, Int) async -> Result<String, CardError>
    ) {
        self.settings = settings
        self.board = board
        self.logger = logger
        self.snapshot = snapshot
        self.card = card
    }

    public var kioskURL: String? { lock.withLock { kioskURLValue } }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                if let port = settings.kioskPort {
                    group.addTask { await self.serve(name: "kiosk page", router: self.kioskRouter(), host: "127.0.0.1", port: port) }
                }
                if let password = settings.managerPassword {
                    group.addTask {
                        await self.serve(name: "manager page", router: self.managerRouter(password: password), host: self.settings.managerHost, port: self.settings.managerPort)
                    }
                } else {
                    logger.info("manager page off: no [pages] manager_password in the config")
                }
            }
        } onGracefulShutdown: { [board] in
            // Open event streams would otherwise hold the server's graceful shutdown.
            board.finish()
        }
    }

    /// One page's HTTP server: Hummingbird's router on HummingbirdCore's HTTP/1 server,
    /// without `Application`, whose once-a-second `Date` header timer would wake an idle
    /// box every second (responses carry no `Date`; nothing here needs it). At most 32
    /// connections at once.
    private func serve(name: String, router: Router<BasicRequestContext>, host: String, port: Int) async {
        let responder = router.buildResponder()
        let logger = self.logger
        do {
            let server = try HTTPServerBuilder.http1().buildServer(
                configuration: .init(address: .hostname(host, port: port), availableConnectionsDelegate: MaximumAvailableConnections(32)),
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger,
                responder: { request, writer, channel in
                    let context = BasicRequestContext(source: .init(channel: channel, logger: logger))
                    var response: Response
                    do {
                        response = try await responder.respond(to: request, context: context)
                    } catch {
                        logger.debug("page request failed", metadata: ["error": "\(error)"])
                        response = Response(status: .internalServerError)
                    }
                    response.headers[.server] = "stationd"
                    try await writer.write(response: response.head, body: response.body)
                },
                onServerRunning: { [self] channel in
                    let bound = channel.localAddress?.port ?? port
                    let url = "http://\(host):\(bound)/"
                    if name == "kiosk page" { lock.withLock { kioskURLValue = url } }
                    logger.notice("\(name) listening", metadata: ["page.url": "\(url)"])
                })
            try await server.run()
        } catch {
            logger.error("\(name) cannot be served: the box records without it", metadata: ["page.address": "\(host):\(port)", "error": "\(error)"])
        }
    }

    func kioskRouter() -> Router<BasicRequestContext> {
        let router = Router()
        let board = self.board
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: KioskPage.html)))
        }
        router.get("/events") { _, _ in
            let stream = board.subscribe()
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "retry: 2000\nevent: idle\ndata: \(Self.json(board.idle))\n\n"))
                    for await screen in stream {
                        try await writer.write(ByteBuffer(string: "event: screen\ndata: \(Self.json(screen))\n\n"))
                    }
                    try await writer.finish(nil)
                })
        }
        return router
    }

    func managerRouter(password: String) -> Router<BasicRequestContext> {
        let router = Router()
        let expected = Data(SHA256.hash(data: Data(password.utf8)))
        let logger = self.logger
        let snapshot = self.snapshot
        let card = self.card
        let gate = FailureGate()
        @Sendable func authorized(_ request: Request) async -> Bool {
            guard let header = request.headers[.authorization], header.lowercased().hasPrefix("basic "),
                let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
            else { return false }
            // Compared as hashes in constant time: no timing tells how much was right.
            let given = Data(SHA256.hash(data: Data(text[text.index(after: colon)...].utf8)))
            if zip(given, expected).reduce(UInt8(0), { $0 | ($1.0 ^ $1.1) }) == 0 { return true }
            // One warning a minute at most: the device log shares the journal's writer,
            // and guesses must not turn into fsyncs in front of scans.
            if let count = gate.failed(nowMillis: Int64(Date().timeIntervalSince1970 * 1000)) {
                logger.warning("manager page: wrong password", metadata: ["page.failures": "\(count)"])
            }
            // Guesses are answered one a second across all connections.
            if let wait = gate.slot(nowMillis: Int64(Date().timeIntervalSince1970 * 1000)) {
                try? await QuietThreads.sleep(seconds: Double(wait) / 1000)
                gate.release()
            }
            return false
        }
        let refused = Response(
            status: .unauthorized,
            headers: [.wwwAuthenticate: "Basic realm=\"Station manager\", charset=\"UTF-8\"", .contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: "Password required\n")))
        router.get("/") { request, _ in
            guard await authorized(request) else { return refused }
            let page = ManagerPage.html(await snapshot())
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        router.get("/cards/:kind") { request, context in
            guard await authorized(request) else { return refused }
            let kind = context.parameters.get("kind") ?? ""
            let page = request.uri.queryParameters.get("page").flatMap { Int($0) } ?? 1
            switch await card(kind, page) {
            case .success(let svg):
                return Response(status: .ok, headers: [.contentType: "image/svg+xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: svg)))
            case .failure(let error):
                return Response(status: error.status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: error.message + "\n")))
            }
        }
        return router
    }

    static func json(_ screen: KioskScreen) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(screen)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

/// Wrong manager passwords: paced to one answer a second over all connections (more than
/// 16 waiting are answered at once, without a wait that would hold connections), and
/// counted for a warning at most once a minute.
final class FailureGate: @unchecked Sendable {
    private let lock = NSLock()
    private var nextAnswerMillis: Int64 = 0
    private var waiting = 0
    private var sinceWarning = 0
    private var lastWarningMillis: Int64?

    /// The failures since the last warning, when a warning is due now.
    func failed(nowMillis: Int64) -> Int? {
        lock.withLock {
            sinceWarning += 1
            if let last = lastWarningMillis, nowMillis - last < 60_000 { return nil }
            lastWarningMillis = nowMillis
            defer { sinceWarning = 0 }
            return sinceWarning
        }
    }

    /// How long this failure waits before its answer (nil: answer now; no `release`).
    func slot(nowMillis: Int64) -> Int64? {
        lock.withLock {
            guard waiting < 16 else { return nil }
            waiting += 1
            nextAnswerMillis = max(nowMillis, nextAnswerMillis) + 1000
            return nextAnswerMillis - nowMillis
        }
    }

    func release() { lock.withLock { waiting -= 1 } }
}
