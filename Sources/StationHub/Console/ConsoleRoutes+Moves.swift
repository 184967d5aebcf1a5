import Foundation
import Hummingbird
import StationCore

/// Suggested moves and rotations in the console: the moves the report page showed,
/// accepted as ticked (the store's call `stationhub moves accept` makes), and rotations
/// started, listed and ended, each within the reader's scope and audited with the account.
extension ConsoleRoutes {
    static func addMoveRoutes(_ router: Router<HubRequestContext>, _ console: ConsoleRoutes) {
        router.post("console/moves/accept") { request, context in await console.form(request, context) { try await console.acceptMoves($0, $1, context) } }
        router.get("console/rotations") { request, context in await console.page(request, context) { try await console.rotations($0) } }
        router.post("console/rotations") { request, context in await console.form(request, context) { try await console.addRotation($0, $1, context) } }
        router.post("console/rotation-end/:id") { request, context in await console.form(request, context) { try await console.endRotation($0, $1, context) } }
    }

    func acceptMoves(_ session: ConsoleSession, _ fields: FormBody, _ context: HubRequestContext) async throws -> Response {
        // The ticked copies of those the page showed (`move.N`), no others.
        let items = fields.fields.filter { $0.key.hasPrefix("move.") }.map(\.value).filter { !$0.isEmpty }.sorted()
        guard !items.isEmpty else { throw HubError(.invalid, "tick the moves to accept", code: "invalid-form") }
        _ = try await store.acceptMoves(items: items, scope: session.role, client: "console:\(session.operatorName)", by: Self.actor(session, context))
        return Self.redirect("/console/requests")
    }

    func rotations(_ session: ConsoleSession) async throws -> Response {
        let (sites, list) = (try await store.sites(scope: session.role), try await store.rotations(scope: session.role))
        return Self.html(.ok, pages(session.language).rotations(list, sites: sites, session: session))
    }

    func addRotation(_ session: ConsoleSession, _ fields: FormBody, _ context: HubRequestContext) async throws -> Response {
        let route = (fields.value("sites") ?? "").split(whereSeparator: { $0 == "," || $0 == " " || $0 == "，" }).map(String.init)
        guard let days = fields.value("days").flatMap({ Int($0) }) else { throw HubError(.invalid, "days: a whole number of days at each site", code: "invalid-form") }
        let items = (fields.value("items") ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "," }).map(String.init)
        _ = try await store.addRotation(
            fields.value("name") ?? "", sites: route, stageDays: days, cyclic: fields.value("cyclic") != nil, items: items, title: fields.value("title"),
            scope: session.role, by: Self.actor(session, context))
        return Self.redirect("/console/rotations")
    }

    func endRotation(_ session: ConsoleSession, _ fields: FormBody, _ context: HubRequestContext) async throws -> Response {
        _ = try await store.endRotation(Self.id(context), scope: session.role, by: Self.actor(session, context))
        return Self.redirect("/console/rotations")
    }
}
