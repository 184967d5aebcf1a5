import Crypto
import Foundation
import Hummingbird
import StationCore

/// What the union's applications call (a client's token with the `requests` scope, or the
/// operator token): requests placed, read and cancelled, and the catalog's holdings.
extension HubServer {
    struct RequestBody: Decodable {
        var itemKey: String?
        var title: String?
        var pickupSite: String
        var number: String
        var numberKind: String?
        enum CodingKeys: String, CodingKey { case itemKey = "item_key", title, pickupSite = "pickup_site", number, numberKind = "number_kind" }
    }

    /// A copy as an application sees it: where it stands, never who holds it.
    struct Holding: Encodable {
        var itemKey: String
        var title: String?
        var homeSite: String?
        var site: String?
        var standing: String
        var dueDate: String?
        var transitFrom: String?
        var transitTo: String?
        var transitSinceMillis: Int64?
        var holdSite: String?
        enum CodingKeys: String, CodingKey {
            case itemKey = "item_key", title, homeSite = "home_site", site, standing, dueDate = "due_date", transitFrom = "transit_from", transitTo = "transit_to"
            case transitSinceMillis = "transit_since_ms", holdSite = "hold_site"
        }
        init(_ c: CatalogRecord) {
            (itemKey, title, homeSite, site, standing, dueDate) = (c.itemKey, c.title, c.homeSite, c.site, c.standing, c.dueDate)
            (transitFrom, transitTo, transitSinceMillis, holdSite) = (c.transitFrom, c.transitTo, c.transitSinceMillis, c.holdSite)
        }
    }

    /// Who is calling: a client by name (sees its own requests), or the operator (`mine` nil: every request).
    struct Caller {
        var name: String
        var mine: String?
    }

    static func addRequestRoutes(_ router: Router<HubRequestContext>, store: HubStore, ring: KeyRing, operatorToken: String?) {
        let operatorDigest = operatorToken.map { SHA256.hash(data: Data($0.utf8)) }
        @Sendable func caller(_ request: Request) async throws -> Caller {
            guard let auth = request.headers[.authorization], auth.hasPrefix("Bearer ") else {
                throw HubError(.unauthorized, "a client's token or the operator token is required (Authorization: Bearer ...)")
            }
            let token = String(auth.dropFirst("Bearer ".count))
            if let operatorDigest, SHA256.hash(data: Data(token.utf8)) == operatorDigest { return Caller(name: "operator", mine: nil) }
            guard let name = try await store.client(token: token, scope: "requests") else {
                throw HubError(.unauthorized, "this token is not a client's (unknown or revoked): ask the hub's operator for one")
            }
            return Caller(name: name, mine: name)
        }
        router.post("v1/requests") { request, context -> Response in
            let who = try await caller(request)
            let body = try decode(RequestBody.self, try await self.body(request, limit: 16 * 1024), expected: "a request: {pickup_site, number, item_key or title}")
            let placed = try await store.placeRequest(
                RequestAsk(itemKey: body.itemKey, title: body.title, pickupSite: body.pickupSite, number: body.number, numberKind: body.numberKind), keys: try ring.required(),
                client: who.name, by: Actor(name: who.name, origin: "api@\(context.remoteAddress?.ipAddress ?? "?")"))
            return json(.created, placed)
        }
        router.get("v1/requests/:id") { request, context -> Response in
            let who = try await caller(request)
            return json(.ok, try await store.request(context.parameters.get("id") ?? "", client: who.mine))
        }
        router.delete("v1/requests/:id") { request, context -> Response in
            let who = try await caller(request)
            let id = context.parameters.get("id") ?? ""
            return json(.ok, try await store.cancelRequest(id, client: who.mine, by: Actor(name: who.name, origin: "api@\(context.remoteAddress?.ipAddress ?? "?")")))
        }
        router.get("v1/catalog") { request, _ -> Response in
            _ = try await caller(request)
            let query = request.uri.queryParameters
            guard let limit = Int(query.get("limit") ?? "50"), (1...500).contains(limit), let offset = Int(query.get("offset") ?? "0"), offset >= 0 else {
                throw HubError(.invalid, "limit is 1 to 500 and offset 0 or more", code: "invalid-parameter")
            }
            let copies = try await store.catalog(query: query.get("q"), site: query.get("site"), limit: limit, offset: offset)
            return json(.ok, ["copies": copies.map(Holding.init)])
        }
    }
}
