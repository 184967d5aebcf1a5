import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StationCore

/// How the console is served: cookies marked `Secure` under TLS, the address boxes reach
/// the hub at (for enrollment cards), the zone its times are shown in.
public struct ConsoleOptions: Sendable {
    public var secureCookies: Bool
    public var publicURL: String?
    public var timeZone: TimeZone

    public init(secureCookies: Bool = false, publicURL: String? = nil, timeZone: TimeZone = TimeZone(identifier: "UTC")!) {
        (self.secureCookies, self.publicURL, self.timeZone) = (secureCookies, publicURL, timeZone)
    }
}

/// The console's routes under `/console/`: sign-in and sessions, then each page through
/// the store's scoped reads and writes. Refusals become pages with their status; every
/// answer forbids framing, sniffing, caching and any script.
extension HubServer {
    static let sessionCookie = "station_session"
    static let loginCookie = "station_login"

    static func addConsoleRoutes(_ router: Router<HubRequestContext>, store: HubStore, ring: KeyRing, options: ConsoleOptions) {
        let console = ConsoleRoutes(store: store, ring: ring, options: options)
        router.get("console/style.css") { _, _ in
            var r = Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: ConsolePages.styleSheet)))
            r.headers[.cacheControl] = "max-age=3600"
            return r
        }
        router.get("console/login") { request, context in await console.answer(request, context, signedIn: false) { try await console.loginPage(request, error: nil) } }
        router.post("console/login") { request, context in await console.answer(request, context, signedIn: false) { try await console.login(request, context) } }
        router.get("console") { request, context in await console.page(request, context) { try await console.overview($0) } }
        router.get("console/sites") { request, context in await console.page(request, context) { try await console.sites($0) } }
        router.post("console/sites") { request, context in await console.form(request, context) { try await console.addSite($0, $1, context) } }
        router.get("console/sites/:id") { request, context in await console.page(request, context) { try await console.site($0, context) } }
        router.post("console/sites/:id") { request, context in await console.form(request, context) { try await console.editSite($0, $1, context) } }
        router.post("console/sites/:id/boxes") { request, context in await console.form(request, context) { try await console.addBox($0, $1, context) } }
        router.get("console/boxes/:id") { request, context in await console.page(request, context) { try await console.box($0, request, context) } }
        router.post("console/boxes/:id/revoke") { request, context in await console.form(request, context) { try await console.revoke($0, $1, context) } }
        router.get("console/reports") { request, context in
            await console.page(request, context) { ConsoleRoutes.html(.ok, console.pages($0.language).reports(session: $0)) }
        }
        router.get("console/reports/:name") { request, context in await console.page(request, context) { try await console.report($0, request, context) } }
        router.get("console/reports/:name/csv") { request, context in await console.page(request, context) { try await console.reportCSV($0, request, context) } }
        router.get("console/quarantine") { request, context in await console.page(request, context) { try await console.quarantine($0) } }
        router.get("console/quarantine/:id") { request, context in await console.page(request, context) { try await console.quarantined($0, context) } }
        router.post("console/quarantine/:id/release") { request, context in
            await console.form(request, context) { try await console.resolve($0, $1, context, release: true) }
        }
        router.post("console/quarantine/:id/discard") { request, context in
            await console.form(request, context) { try await console.resolve($0, $1, context, release: false) }
        }
        router.get("console/catalog") { request, context in await console.page(request, context) { try await console.catalog($0, request) } }
        ConsoleRoutes.addRequestRoutes(router, console)
        ConsoleRoutes.addStocktakeRoutes(router, console)
        ConsoleRoutes.addMoveRoutes(router, console)
        for kind in ConsoleImport.allCases {
            router.post(RouterPath(String(kind.path.dropFirst()))) { request, context in
                await console.upload(request, context) { try await console.importCSV(kind, $0, $1, context) }
            }
        }
        router.get("console/privacy") { request, context in await console.page(request, context) { try await console.privacy($0) } }
        router.post("console/privacy/retention") { request, context in await console.form(request, context) { try await console.setRetention($0, $1, context) } }
        router.post("console/privacy/erase") { request, context in await console.form(request, context) { try await console.previewErasure($0, $1) } }
        router.post("console/privacy/erase/confirm") { request, context in await console.form(request, context) { try await console.erase($0, $1, context) } }
        router.get("console/audit") { request, context in await console.page(request, context) { try await console.audit($0, request) } }
        router.get("console/audit.csv") { request, context in await console.page(request, context) { try await console.auditCSV($0) } }
        router.post("console/language") { request, context in await console.form(request, context) { try await console.language($0, $1, request) } }
        router.post("console/logout") { request, context in await console.form(request, context) { session, _ in try await console.logout(session, request, context) } }
    }
}

struct ConsoleRoutes: Sendable {
    let store: HubStore
    let ring: KeyRing
    let options: ConsoleOptions

    /// Largest form body the console reads.
    static let maxFormBytes = 64 << 10

    func pages(_ language: String) -> ConsolePages {
        ConsolePages(language: language, nowMillis: HubIngest.nowMillis(), timeZone: options.timeZone)
    }

    // MARK: - Answers

    /// Runs a handler; a refusal becomes its page (the sign-in page when no session is live).
    func answer(_ request: Request, _ context: HubRequestContext, signedIn: Bool, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as HubError {
            if error.kind == .unauthorized && signedIn { return Self.redirect("/console/login") }
            let session = try? await session(request)
            let language = session?.language ?? Self.language(request)
            return Self.html(error.status, pages(language).refusal(error, session: session))
        } catch {
            context.logger.error("console: \(request.method) \(request.uri.path): \(error)")
            return Self.html(.internalServerError, pages(Self.language(request)).refusal(HubError(.unavailable, "the hub could not answer: try again"), session: nil))
        }
    }

    /// A page for a signed-in reader.
    func page(_ request: Request, _ context: HubRequestContext, _ body: (ConsoleSession) async throws -> Response) async -> Response {
        await answer(request, context, signedIn: true) { try await body(try await requireSession(request)) }
    }

    /// A form post for a signed-in reader: its body read and its CSRF token checked
    /// before anything else happens.
    func form(_ request: Request, _ context: HubRequestContext, _ body: (ConsoleSession, FormBody) async throws -> Response) async -> Response {
        await answer(request, context, signedIn: true) {
            let session = try await requireSession(request)
            let fields = try await Self.fields(request)
            guard let token = fields["csrf"], ConsoleAccess.same(token, session.csrf) else { throw Self.staleForm }
            return try await body(session, fields)
        }
    }

    static func fields(_ request: Request) async throws -> FormBody {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: maxFormBytes) else {
            throw HubError(.tooLarge, "a form is at most \(maxFormBytes) bytes")
        }
        return try FormBody(String(buffer: buffer))
    }

    func session(_ request: Request) async throws -> ConsoleSession? {
        guard let id = request.cookies[HubServer.sessionCookie]?.value, !id.isEmpty else { return nil }
        return try await store.consoleSession(id)
    }

    func requireSession(_ request: Request) async throws -> ConsoleSession {
        guard let session = try await session(request) else { throw HubError(.unauthorized, "sign in first", code: "no-session") }
        return session
    }

    static func language(_ request: Request) -> String {
        request.uri.queryParameters.get("language") == "en" ? "en" : "zh"
    }

    static func html(_ status: HTTPResponse.Status, _ page: HTML) -> Response {
        Response(status: status, headers: pageHeaders, body: .init(byteBuffer: ByteBuffer(string: page.raw)))
    }

    /// Every page's headers: no script, no framing, no sniffing, no caching.
    static var pageHeaders: HTTPFields {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return headers
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    func cookie(_ name: String, _ value: String, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/console", secure: options.secureCookies, httpOnly: true, sameSite: .strict)
    }

    static func address(_ context: HubRequestContext) -> String {
        context.remoteAddress?.ipAddress ?? "unknown"
    }

    static func actor(_ session: ConsoleSession, _ context: HubRequestContext) -> Actor {
        Actor(name: session.operatorName, origin: "console@\(address(context))")
    }

    static func id(_ context: HubRequestContext, _ name: String = "id") -> String {
        context.parameters.get(name) ?? ""
    }

    // MARK: - Sign-in

    /// The sign-in form with a fresh token, also set as a cookie: a post must carry both
    /// (a page elsewhere cannot sign a browser in to an account of its choosing).
    func loginPage(_ request: Request, error: String?, status: HTTPResponse.Status = .ok, language: String? = nil) async throws -> Response {
        if error == nil, try await session(request) != nil { return Self.redirect("/console/") }
        let token = HubIngest.randomSecret()
        var response = Self.html(status, pages(language ?? Self.language(request)).login(token: token, error: error))
        response.setCookie(cookie(HubServer.loginCookie, token, maxAge: 3600))
        return response
    }

    func login(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let fields = try await Self.fields(request)
        let language = fields["language"] == "en" ? "en" : "zh"
        guard let token = fields["token"], let expected = request.cookies[HubServer.loginCookie]?.value, ConsoleAccess.same(token, expected) else {
            return try await loginPage(request, error: Phrase.sessionEnded.text(language), status: .forbidden, language: language)
        }
        let name = fields["name"]?.trimmingCharacters(in: .whitespaces) ?? ""
        do {
            // Always a new session id: one a page planted before sign-in never becomes live.
            let (id, _) = try await store.login(name: name, password: fields["password"] ?? "", address: Self.address(context))
            var response = Self.redirect("/console/")
            response.setCookie(cookie(HubServer.sessionCookie, id))
            response.setCookie(cookie(HubServer.loginCookie, "", maxAge: 0))
            return response
        } catch let error as HubError where error.kind == .unauthorized || error.kind == .tooManyRequests {
            let message = error.kind == .unauthorized ? Phrase.signInFailed.text(language) : error.message
            return try await loginPage(request, error: message, status: error.status, language: language)
        }
    }

    func logout(_ session: ConsoleSession, _ request: Request, _ context: HubRequestContext) async throws -> Response {
        if let id = request.cookies[HubServer.sessionCookie]?.value { try await store.logout(id, by: Self.actor(session, context)) }
        var response = Self.redirect("/console/login")
        response.setCookie(cookie(HubServer.sessionCookie, "", maxAge: 0))
        return response
    }

    func language(_ session: ConsoleSession, _ fields: FormBody, _ request: Request) async throws -> Response {
        try await store.setOperatorLanguage(session.operatorName, fields["language"] ?? "")
        // Back to the page the toggle was on (a path of the console's own only).
        let back = request.headers[.referer].flatMap { URL(string: $0) }.map { $0.path + ($0.query.map { "?" + $0 } ?? "") }
        return Self.redirect(back.flatMap { $0.hasPrefix("/console/") || $0 == "/console" ? $0 : nil } ?? "/console/")
    }

    // MARK: - Pages

    func overview(_ session: ConsoleSession) async throws -> Response {
        let now = HubIngest.nowMillis()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = options.timeZone
        let date = Date(timeIntervalSince1970: Double(now) / 1000)
        let day = calendar.startOfDay(for: date)
        let month = calendar.date(from: calendar.dateComponents([.year, .month], from: date)) ?? day
        let o = try await store.consoleOverview(
            scope: session.role, nowMillis: now, dayStartMillis: Int64(day.timeIntervalSince1970 * 1000), monthStartMillis: Int64(month.timeIntervalSince1970 * 1000))
        return Self.html(.ok, pages(session.language).overview(o, session: session))
    }

    func sites(_ session: ConsoleSession) async throws -> Response {
        Self.html(.ok, pages(session.language).sites(try await store.sites(scope: session.role), session: session))
    }

    func site(_ session: ConsoleSession, _ context: HubRequestContext) async throws -> Response {
        let id = Self.id(context)
        let site = try await store.site(id, scope: session.role)
        let boxes = try await store.boxes(site: id, scope: session.role)
        return Self.html(.ok, pages(session.language).site(site, boxes: boxes, session: session))
    }

    func addSite(_ session: ConsoleSession, _ fields: FormBody, _ context: HubRequestContext) async throws -> Response {
        let id = fields.value("id") ?? ""
        try await store.addSite(
            id, region: fields.value("region"), name: fields.value("name"), kind: fields.value("kind"), by: Self.actor(session, context), scope: session.role)
        return Self.redirect("/console/sites/\(ConsolePages.url(id))")
    }

    func editSite(_ session: ConsoleSession, _ fields: FormBody, _ context: HubRequestContext) async throws -> Response {
        let id = Self.id(context)
        // A field the form did not show (a region operator's region) is left as it is.
        // A setting left empty is left as it is.
        let settings = KioskSettings.hubSettings.keys.sorted().compactMap { key in fields.value("setting." + key).map { (key: key, value: $0) } }
        try await store.updateSite(
            id, name: fields["name"].map { $0.trimmingCharacters(in: .whitespaces) }, kind: fields["kind"], region: session.role == .union ? fields["region"] : nil,
            settings: settings, by: Self.actor(session, context), scope: session.role)
        return Self.redirect("/console/sites/\(ConsolePages.url(id))")
    }

    func addBox(_ session: ConsoleSession, _ fields: FormBody, _ context: HubRequestContext) async throws -> Response {
        let site = Self.id(context)
        let box = fields.value("id") ?? ""
        let token = try await store.addBox(box, site: site, by: Self.actor(session, context), scope: session.role)
        let card = try options.publicURL.map { try EnrollmentCardPrint.svg(EnrollmentCard(hubURL: $0, token: token), boxID: box, siteID: site) }
        return Self.html(.ok, pages(session.language).boxAdded(box: box, site: site, token: token, cardSVG: card, session: session))
    }

    func box(_ session: ConsoleSession, _ request: Request, _ context: HubRequestContext) async throws -> Response {
        let id = Self.id(context)
        let box = try await store.box(id, scope: session.role)
        let q = request.uri.queryParameters
        func nonEmpty(_ name: String) -> String? { q.get(name).flatMap { $0.isEmpty ? nil : $0 } }
        var filter = DeviceLogFilter(level: nonEmpty("level"), scanner: nonEmpty("scanner"))
        if let before = nonEmpty("before") { filter.beforeMillis = try Reports.millis(before, "before") }
        if let beforeID = nonEmpty("before_id") {
            guard let n = Int64(beforeID) else { throw HubError(.invalid, "before_id must be a whole number", code: "invalid-parameter") }
            filter.beforeID = n
        }
        let log = try await store.deviceLog(box: id, scope: session.role, filter: filter)
        let scanners = try await store.deviceLogScanners(box: id)
        return Self.html(.ok, pages(session.language).box(box, log: log, filter: filter, scanners: scanners, session: session))
    }

    func revoke(_ session: ConsoleSession, _ fields: FormBody, _ context: HubRequestContext) async throws -> Response {
        let id = Self.id(context)
        try await store.revoke(id, reason: fields["reason"] ?? "", by: Self.actor(session, context), scope: session.role)
        return Self.redirect("/console/boxes/\(ConsolePages.url(id))")
    }
}
