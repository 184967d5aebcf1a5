import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StationCore

/// The routes of reports, quarantine, the catalog, privacy and the audit log.
extension ConsoleRoutes {
    // MARK: - Reports

    /// A report as the reader may ask for it: the period (the last twelve months unless
    /// given), a site or region within their scope, narrowed to it by ``ConsoleRole``.
    func reportRequest(_ session: ConsoleSession, _ request: Request, _ context: HubRequestContext) async throws -> (
        name: String, parameters: Reports.Parameters, form: ConsolePages.ReportForm, query: String, sites: [SiteRecord]
    ) {
        let name = Self.id(context, "name")
        guard ReportCharts.titles.contains(where: { $0.name == name }) else { throw HubError(.notFound, "no report \(name)") }
        let takes = Reports.narrowedBy[name] ?? []
        let q = request.uri.queryParameters
        func given(_ key: String) -> String? { q.get(key).flatMap { $0.isEmpty ? nil : $0 } }
        let sites = try await store.sites(scope: session.role)
        let now = HubIngest.nowMillis()
        var p = Reports.Parameters(limit: 50, nowMillis: now)
        p.zoneOffsetMillis = Reports.zoneOffset(options.timeZone, at: now)
        if takes.contains("period") {
            // Months from the pickers (the aggregates' own periods), dates from a link.
            p.from = try ConsolePages.ReportForm.bound(given("from"), end: false) ?? Self.monthStart(now, monthsBack: 11, options.timeZone)
            p.to = try ConsolePages.ReportForm.bound(given("to"), end: true) ?? Self.monthStart(now, monthsBack: -1, options.timeZone)
        }
        if takes.contains("site") { p.site = given("site") ?? (Reports.ofOneSite.contains(name) ? sites.first?.id : nil) }
        // A region asked for outside the reader's scope is refused by `narrow`, never quietly replaced.
        if takes.contains("region") { p.region = given("region") }
        if takes.contains("item") { p.item = given("item") }
        let regions = Dictionary(sites.map { ($0.id, $0.region) }, uniquingKeysWith: { a, _ in a })
        p = try session.role.narrow(p, regionOf: { regions[$0] })
        // A report of one site (restock, stocktake) takes the reader's site, checked above.
        if !takes.contains("region") { p.region = nil }
        let form = ConsolePages.ReportForm(
            from: p.from, to: p.to, site: given("site") ?? p.site, region: p.region, item: p.item, takes: takes, sites: sites,
            regions: session.role == .union ? Array(Set(sites.compactMap(\.region))).sorted() : [])
        var query: [String] = []
        for (key, value) in [("from", p.from), ("to", p.to), ("site", given("site") ?? (Reports.ofOneSite.contains(name) ? p.site : nil)), ("region", given("region")), ("item", p.item)] {
            if let value { query.append("\(key)=\(ConsolePages.url(value))") }
        }
        return (name, p, form, query.joined(separator: "&"), sites)
    }

    /// `YYYY-MM-01` of the month `monthsBack` before the current one in `zone`.
    static func monthStart(_ millis: Int64, monthsBack: Int, _ zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let now = Date(timeIntervalSince1970: Double(millis) / 1000)
        let first = calendar.date(from: calendar.dateComponents([.year, .month], from: now)) ?? now
        let start = calendar.date(byAdding: .month, value: -monthsBack, to: first) ?? first
        let c = calendar.dateComponents([.year, .month], from: start)
        return String(format: "%04d-%02d-01", c.year ?? 1970, c.month ?? 1)
    }

    func reportCharts(_ session: ConsoleSession, _ name: String, _ p: Reports.Parameters, sites: [SiteRecord]) async throws -> (Reports.Table, [ReportCharts.Chart]) {
        let table = try await store.report(name, p)
        let extra = name == "visits" ? try await store.report("visit-hours", p) : nil
        let names = Dictionary(sites.compactMap { s in s.name.map { (s.id, $0) } }, uniquingKeysWith: { a, _ in a })
        return (table, ReportCharts.charts(name, table, extra: extra, names: names, language: session.language))
    }

    /// Every title's co-borrowings at once are a book of their own (the API and the CLI
    /// give them whole): the console asks about one title.
    static func waitsForATitle(_ name: String, _ p: Reports.Parameters) -> Bool { name == "also-borrowed" && p.item == nil }

    func report(_ session: ConsoleSession, _ request: Request, _ context: HubRequestContext) async throws -> Response {
        let r = try await reportRequest(session, request, context)
        if Self.waitsForATitle(r.name, r.parameters) {
            return Self.html(.ok, pages(session.language).report(r.name, form: r.form, charts: [], table: nil, query: r.query, session: session))
        }
        let (table, charts) = try await reportCharts(session, r.name, r.parameters, sites: r.sites)
        let pages = pages(session.language)
        let actions: HTML =
            switch r.name {
            case "stocktake": pages.stocktakeActions(table, site: r.parameters.site, session: session)
            case "moves": pages.moveActions(table, session: session)
            default: ""
            }
        return Self.html(
            .ok, pages.report(r.name, form: r.form, charts: charts, table: table.humanized(timeZone: options.timeZone), query: r.query, session: session, actions: actions))
    }

    /// Exactly what a chart draws (`?chart=ID`), or the report's whole table.
    func reportCSV(_ session: ConsoleSession, _ request: Request, _ context: HubRequestContext) async throws -> Response {
        let r = try await reportRequest(session, request, context)
        if Self.waitsForATitle(r.name, r.parameters) { throw HubError(.invalid, "ask about one title (item=…): the whole table is `stationhub report also-borrowed`") }
        let (table, charts) = try await reportCharts(session, r.name, r.parameters, sites: r.sites)
        var chosen = table.humanized(timeZone: options.timeZone), file = r.name
        if let id = request.uri.queryParameters.get("chart") {
            guard let chart = charts.first(where: { $0.id == id }) else { throw HubError(.notFound, "report \(r.name) draws no chart \(id)") }
            chosen = chart.table
            file += "-" + id
        }
        return Self.download(chosen, file: file)
    }

    // MARK: - Quarantine

    func quarantine(_ session: ConsoleSession) async throws -> Response {
        Self.html(.ok, pages(session.language).quarantine(try await store.quarantine(limit: 200, scope: session.role), session: session))
    }

    static func number(_ context: HubRequestContext) throws -> Int64 {
        guard let n = Int64(id(context)) else { throw HubError(.notFound, "no such entry") }
        return n
    }

    func quarantined(_ session: ConsoleSession, _ context: HubRequestContext) async throws -> Response {
        let record = try await store.quarantined(try Self.number(context), scope: session.role)
        return Self.html(.ok, pages(session.language).quarantined(record, session: session))
    }

    /// Releases or discards an event set aside, with the note the audit log keeps.
    func resolve(_ session: ConsoleSession, _ fields: FormBody, _ context: HubRequestContext, release: Bool) async throws -> Response {
        let id = try Self.number(context)
        guard let note = fields.value("note"), note.count <= 500 else { throw HubError(.invalid, "say why, in a note of 1 to 500 characters", code: "invalid-note") }
        if release {
            _ = try await store.release(id, keys: ring.current, note: note, by: Self.actor(session, context), scope: session.role)
        } else {
            try await store.discard(id, note: note, by: Self.actor(session, context), scope: session.role)
        }
        return Self.redirect("/console/quarantine")
    }

    // MARK: - Catalog

    func catalog(_ session: ConsoleSession, _ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        let query = q.get("q").flatMap { $0.isEmpty ? nil : $0 }
        let sites = try await store.sites(scope: session.role)
        var site = q.get("site").flatMap { $0.isEmpty ? nil : $0 }
        if let asked = site, !sites.contains(where: { $0.id == asked }) { throw HubError(.notFound, "no site \(asked)") }
        // A site manager's catalog is their shelf's; the union's and a region's, every title.
        if site == nil, case .site(let own) = session.role { site = own }
        let records = try await store.catalog(query: query, site: site, limit: 200)
        let members = session.role.mayImportMembers ? try await store.memberCount() : nil
        return Self.html(.ok, pages(session.language).catalog(records, query: query, site: site, sites: sites, session: session, members: members))
    }

    // MARK: - Privacy (the union's operators only)

    func requireUnion(_ session: ConsoleSession) throws {
        guard session.role == .union else { throw HubError(.notFound, "no such page") }
    }

    func privacy(_ session: ConsoleSession) async throws -> Response {
        try requireUnion(session)
        let periods = try await store.retentionPeriods()
        return Self.html(.ok, pages(session.language).privacy(retention: periods, log: try await store.erasureLog(), session: session))
    }

    func setRetention(_ session: ConsoleSession, _ fields: FormBody, _ context: HubRequestContext) async throws -> Response {
        try requireUnion(session)
        guard let key = fields.value("key"), let days = fields.value("days").flatMap({ Int($0) }) else {
            throw HubError(.invalid, "a retention period is a kind and a number of days", code: "invalid-retention")
        }
        try await store.setRetention(key, days: days, by: Self.actor(session, context))
        return Self.redirect("/console/privacy")
    }

    /// The worker as typed (a number becomes the pseudonym at once, under the hub's keys).
    func worker(_ text: String) async throws -> String {
        let t = text.trimmingCharacters(in: .whitespaces)
        do { return try WorkerKey(t).text } catch {
            // Not a pseudonym or a box-local key: a card or identity number, or nothing the hub names.
            guard t.count >= 4, t.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { throw error }
        }
        guard let keys = ring.current else {
            throw HubError(.unavailable, "this hub has no keys, so a number cannot be turned into a pseudonym: give the pseudonym", code: "no-keys")
        }
        return try await store.worker(number: t, kind: nil, keys: keys).worker
    }

    func previewErasure(_ session: ConsoleSession, _ fields: FormBody) async throws -> Response {
        try requireUnion(session)
        guard let text = fields.value("worker"), let reference = fields.value("reference") else {
            throw HubError(.invalid, "an erasure names the worker and the request's reference", code: "invalid-erasure")
        }
        let summary = try await store.workerSummary(try await worker(text))
        return Self.html(.ok, pages(session.language).confirmErasure(summary, reference: reference, session: session))
    }

    func erase(_ session: ConsoleSession, _ fields: FormBody, _ context: HubRequestContext) async throws -> Response {
        try requireUnion(session)
        guard let worker = fields.value("worker"), let reference = fields.value("reference") else {
            throw HubError(.invalid, "an erasure names the worker and the request's reference", code: "invalid-erasure")
        }
        _ = try WorkerKey(worker)  // the confirmation carries a pseudonym or key, never a number
        let counts = try await store.erase(worker: worker, reference: reference, operator: session.operatorName, by: Self.actor(session, context))
        return Self.html(.ok, pages(session.language).erased(counts, reference: reference, session: session))
    }

    static let auditPage = 100

    func audit(_ session: ConsoleSession, _ request: Request) async throws -> Response {
        guard session.role.readsAuditLog else { throw HubError(.notFound, "no such page") }
        let offset = max(0, Int(request.uri.queryParameters.get("offset") ?? "0") ?? 0)
        let records = try await store.auditLog(limit: Self.auditPage + 1, offset: offset)
        let next = records.count > Self.auditPage ? offset + Self.auditPage : nil
        return Self.html(.ok, pages(session.language).audit(Array(records.prefix(Self.auditPage)), session: session, nextOffset: next))
    }

    /// The whole audit log as CSV (union operators only).
    func auditCSV(_ session: ConsoleSession) async throws -> Response {
        guard session.role.readsAuditLog else { throw HubError(.notFound, "no such page") }
        let records = try await store.auditLog(limit: Int(Int32.max))
        let table = Reports.Table(
            columns: ["at", "actor", "origin", "action", "subject", "detail"],
            rows: records.map { [.text(Reports.instant($0.atMillis)), .text($0.actor), .text($0.origin), .text($0.action), .text($0.subject), .text($0.detail)] })
        return Self.download(table, file: "audit")
    }

    /// A table as a CSV file for a spreadsheet (``Reports/Table/csv(forSpreadsheets:)``).
    static func download(_ table: Reports.Table, file: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(file).csv\"", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: table.csv(forSpreadsheets: true))))
    }
}
