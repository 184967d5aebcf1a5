import Foundation
import Hummingbird
import StationCore

/// A stocktake's correction in the console: the implied returns its report found, accepted
/// in one click by a reader whose scope holds the site (the store's call `stationhub
/// stocktake accept` makes; audited with the account).
extension ConsoleRoutes {
    static func addStocktakeRoutes(_ router: Router<HubRequestContext>, _ console: ConsoleRoutes) {
        router.post("console/stocktake/accept") { request, context in
            await console.form(request, context) { try await console.acceptImpliedReturns($0, $1, context) }
        }
    }

    func acceptImpliedReturns(_ session: ConsoleSession, _ fields: FormBody, _ context: HubRequestContext) async throws -> Response {
        let site = fields.value("site") ?? ""
        // The copies the page showed, no others (a sighting that arrived since waits for the next look).
        let items = (fields.value("items") ?? "").split(separator: " ").map(String.init)
        guard !items.isEmpty else { throw HubError(.invalid, "name the copies to accept (items)", code: "invalid-form") }
        _ = try await store.acceptImpliedReturns(site: site, items: items, scope: session.role, by: Self.actor(session, context))
        return Self.redirect("/console/reports/stocktake?site=\(ConsolePages.url(site))")
    }
}

extension ConsolePages {
    /// The accept form, when the stocktake's table holds implied returns.
    func stocktakeActions(_ table: Reports.Table, site: String?, session: ConsoleSession) -> HTML {
        let implied = table.rows.filter { $0.first?.text == Stocktakes.Kind.impliedReturn.rawValue }.compactMap { $0[1].text }
        guard !implied.isEmpty, let site else { return "" }
        return """
            <form method="post" action="/console/stocktake/accept" class="fields"><input type="hidden" name="csrf" value="\(session.csrf)">\
            <input type="hidden" name="site" value="\(site)"><input type="hidden" name="items" value="\(implied.joined(separator: " "))">\
            <p class="small">\(t(.impliedHelp))</p><button>\(t(.acceptImplied)) (\(implied.count))</button></form>
            """
    }
}
