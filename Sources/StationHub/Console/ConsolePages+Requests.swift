import Foundation
import StationCore

/// The requests' pages: the list a reader's scope sees, the form that places one for a
/// worker at a pickup site in scope, and one request with its cancellation.
extension ConsolePages {
    func stateWord(_ state: Requests.State) -> String {
        switch state {
        case .placed: t(.statePlaced)
        case .inTransit: t(.inTransit)
        case .ready: t(.stateReady)
        case .collected: t(.stateCollected)
        case .arrived: t(.stateArrived)
        case .expired: t(.stateExpired)
        case .cancelled: t(.stateCancelled)
        }
    }

    /// What the list filters by and what the form starts from (a copy chosen in the catalog).
    public struct RequestFilter: Sendable {
        public var state: Requests.State?
        public var site: String?
        public var item: String?

        public init(state: Requests.State? = nil, site: String? = nil, item: String? = nil) {
            (self.state, self.site, self.item) = (state, site, item)
        }
    }

    /// `sites`: the reader's, the pickup sites they may name.
    public func requests(_ records: [RequestRecord], filter: RequestFilter, sites: [SiteRecord], session: ConsoleSession) -> HTML {
        let states: [HTML] = [HTML("<option value=\"\">\(t(.anyState))</option>")] + Requests.State.allCases.map { s in
            "<option value=\"\(s.rawValue)\"\(filter.state == s ? " selected" : "")>\(stateWord(s))</option>"
        }
        let filterForm: HTML = """
            <form method="get" action="/console/requests" class="fields"><label>\(t(.state)) <select name="state">\(states)</select></label>\
            <label>\(t(.site)) <select name="site">\(siteOptions(sites, selected: filter.site, any: true))</select></label><button>\(t(.show))</button></form>
            """
        let names = Dictionary(sites.map { ($0.id, $0.name ?? $0.id) }, uniquingKeysWith: { a, _ in a })
        let rows: [HTML] = records.map { r in
            """
            <tr><td><a href="/console/requests/\(Self.url(r.id))">\(r.id)</a> <span class="small">\(purposeWord(r))</span></td><td>\(r.title ?? "-")</td><td>\(r.itemKey)</td><td>\(names[r.pickupSite] ?? r.pickupSite)</td>\
            <td class="state-\(r.state.rawValue)">\(stateWord(r.state))</td><td>\(time(r.sinceMillis))</td><td>\(r.untilMillis.map { time($0) } ?? "")</td></tr>
            """
        }
        let table: HTML =
            rows.isEmpty
            ? "<p>\(t(.noRequests))</p>"
            : """
            <div class="scroll"><table><thead><tr><th>\(t(.requestID))</th><th>\(t(.bookTitle))</th><th>\(t(.itemKey))</th><th>\(t(.pickupSite))</th>\
            <th>\(t(.state))</th><th>\(t(.stateSince))</th><th>\(t(.heldUntil))</th></tr></thead><tbody>\(rows)</tbody></table></div>
            """
        return page(t(.requests), session, .requests, "<p class=\"small\">\(t(.requestsHelp))</p>" + filterForm + table + placeForm(filter.item, sites: sites, session: session))
    }

    /// The form: one copy or a title, the pickup site, and the worker's number (posted, never
    /// in an address; turned into the pseudonym at once and not kept).
    func placeForm(_ item: String?, sites: [SiteRecord], session: ConsoleSession) -> HTML {
        guard !sites.isEmpty else { return "" }
        let own: String? = if case .site(let s) = session.role { s } else { nil }
        let kinds: [HTML] = [("", t(.detectKind)), ("member-card", t(.memberCardNumber)), ("resident-id", t(.residentNumber))].map {
            "<option value=\"\($0.0)\">\($0.1)</option>"
        }
        return """
            <h2 id="place">\(t(.placeRequest))</h2><form method="post" action="/console/requests" class="fields" autocomplete="off">\
            <input type="hidden" name="csrf" value="\(session.csrf)"><label>\(t(.copyKey)) <input name="item" maxlength="200" value="\(item)" placeholder="label:LIB-000123"></label>\
            <label>\(t(.orTitle)) <input name="title" maxlength="200"></label>\
            <label>\(t(.pickupSite)) <select name="pickup" required>\(siteOptions(sites, selected: own, any: false))</select></label>\
            <label>\(t(.workerNumber)) <input name="number" required maxlength="40" autocomplete="off" spellcheck="false"></label>\
            <label>\(t(.numberKind)) <select name="kind">\(kinds)</select></label><button>\(t(.placeIt))</button></form><p class="small">\(t(.notKept))</p>
            """
    }

    func siteOptions(_ sites: [SiteRecord], selected: String?, any: Bool) -> HTML {
        let first: [HTML] = any ? [HTML("<option value=\"\">\(t(.anySite))</option>")] : []
        return (first + sites.map { s in "<option value=\"\(s.id)\"\(selected == s.id ? " selected" : "")>\(s.name ?? s.id)</option>" }).joined()
    }

    /// One request; `pickup`: its pickup site when in the reader's scope (then an open
    /// request is theirs to cancel).
    public func request(_ r: RequestRecord, pickup: SiteRecord?, session: ConsoleSession) -> HTML {
        let mayCancel = r.state.isOpen && pickup != nil
        var facts: [(String, HTML)] = [
            (t(.bookTitle), "\(r.title ?? "-")"), (t(.itemKey), "<a href=\"/console/catalog?q=\(Self.url(r.itemKey))\">\(r.itemKey)</a>"),
            (t(.pickupSite), "\(pickup?.name ?? r.pickupSite)"), (t(.state), "<span class=\"state-\(r.state.rawValue)\">\(stateWord(r.state))</span>"),
            (t(.stateSince), "\(time(r.sinceMillis))"),
        ]
        if r.state == .inTransit, let from = r.site { facts.append((t(.sentFrom), "\(from)")) }
        if let until = r.untilMillis { facts.append((t(.heldUntil), "\(time(until))")) }
        facts += [(t(.placedAt), "\(time(r.placedMillis))"), (t(.placedBy), "\([purposeWord(r), r.client].filter { !$0.isEmpty }.joined(separator: " · "))")]
        var body: HTML = "<dl>\(facts.map { "<dt>\($0.0)</dt><dd>\($0.1)</dd>" as HTML })</dl>"
        if mayCancel {
            body = body + """
                <form method="post" action="/console/requests/\(Self.url(r.id))/cancel" class="fields"><input type="hidden" name="csrf" value="\(session.csrf)">\
                <button class="danger">\(t(.cancelRequest))</button></form>
                """
        }
        return page("\(t(.requestID)) \(r.id)", session, .requests, body + "<p><a href=\"/console/requests\">\(t(.requests))</a></p>")
    }
}
