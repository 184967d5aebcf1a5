import Foundation
import Hummingbird
import StationCore

/// The requests' routes: the console places and cancels through the store's calls that
/// the API's handlers make, with the reader's scope applied (ARCHITECTURE, "Console roles
/// and requests").
extension ConsoleRoutes {
    static func addRequestRoutes(_ router: Router<HubRequestContext>, _ console: ConsoleRoutes) {
        router.get("console/requests") { request, context in await console.page(request, context) { try await console.requests($0, request) } }
        router.post("console/requests") { request, context in await console.form(request, context) { try await console.placeRequest($0, $1, context) } }
        router.get("console/requests/:id") { request, context in await console.page(request, context) { try await console.request($0, context) } }
        router.post("console/requests/:id/cancel") { request, context in
            await console.form(request, context) { try await console.cancelRequest($0, $1, context) }
        }
    }

    func requests(_ session: ConsoleSession, _ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        func given(_ key: String) -> String? { q.get(key).flatMap { $0.isEmpty ? nil : $0 } }
        var filter = ConsolePages.RequestFilter(site: given("site"), item: given("item"))
        if let state = given("state") {
            guard let s = Requests.State(rawValue: state) else {
                throw HubError(.invalid, "state \(state): one of \(Requests.State.allCases.map(\.rawValue).joined(separator: ", "))", code: "invalid-parameter")
            }
            filter.state = s
        }
        let sites = try await store.sites(scope: session.role)
        if let asked = filter.site, !sites.contains(where: { $0.id == asked }) { throw ConsoleRole.outOfScope("site \(asked)") }
        let records = try await store.requests(site: filter.site, state: filter.state, scope: session.role, limit: 200)
        return Self.html(.ok, pages(session.language).requests(records, filter: filter, sites: sites, session: session))
    }

    /// Places a request for a worker at a pickup site in the reader's scope; the copy may
    /// come from anywhere in the union.
    func placeRequest(_ session: ConsoleSession, _ fields: FormBody, _ context: HubRequestContext) async throws -> Response {
        let ask = RequestAsk(
            itemKey: fields.value("item"), title: fields.value("title"), pickupSite: fields.value("pickup") ?? "", number: fields.value("number") ?? "",
            numberKind: fields.value("kind"))
        let placed = try await store.placeRequest(
            ask, keys: try ring.required(), client: "console:\(session.operatorName)", scope: session.role, by: Self.actor(session, context))
        return Self.redirect("/console/requests/\(ConsolePages.url(placed.id))")
    }

    func request(_ session: ConsoleSession, _ context: HubRequestContext) async throws -> Response {
        let r = try await store.request(Self.id(context), scope: session.role)
        let pickup = try await store.sites(scope: session.role).first { $0.id == r.pickupSite }
        return Self.html(.ok, pages(session.language).request(r, pickup: pickup, session: session))
    }

    func cancelRequest(_ session: ConsoleSession, _ fields: FormBody, _ context: HubRequestContext) async throws -> Response {
        let id = Self.id(context)
        _ = try await store.cancelRequest(id, client: nil, scope: session.role, by: Self.actor(session, context))
        return Self.redirect("/console/requests/\(ConsolePages.url(id))")
    }
}
