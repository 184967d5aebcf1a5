import Foundation
import StationProtocol

/// The console's pages of reports, quarantine, the catalog, privacy and the audit log.
extension ConsolePages {
    // MARK: - Reports

    public func reports(session: ConsoleSession) -> HTML {
        let items: [HTML] = ReportCharts.titles.map { r in
            let summary = Reports.all.first { $0.name == r.name }?.summary ?? ""
            return "<li><a href=\"/console/reports/\(r.name)\">\(ReportCharts.title(r.name, language))</a> <span class=\"small\">\(summary)</span></li>"
        }
        return page(t(.reports), session, .reports, "<ul class=\"reports\">\(items)</ul>")
    }

    /// What a report page was asked for, as its form shows it again.
    public struct ReportForm: Sendable, Equatable {
        public var from: String?
        public var to: String?
        public var site: String?
        public var region: String?
        public var item: String?
        /// Which pickers the report takes (``Reports/narrowedBy``).
        public var takes: Set<String>
        /// The sites and regions the reader may pick from.
        public var sites: [SiteRecord]
        public var regions: [String]

        /// A period's bound as the pickers send it: a month (`YYYY-MM`: its first day, or
        /// for the end the next month's first, so that the month is included) or a date
        /// (`YYYY-MM-DD`, as the API takes it: the end excluded).
        public static func bound(_ text: String?, end: Bool) throws -> String? {
            guard let text else { return nil }
            if text.count == 10 { return text }
            guard text.count == 7, let (start, next) = ReportAggregates.bounds(text) else {
                throw HubError(.invalid, "\(text): a month, YYYY-MM", code: "invalid-period")
            }
            return Reports.date(end ? next : start)
        }

        /// The month a picker shows for a bound: its own, or for an end on a month's first
        /// day the month before (the last one included).
        static func month(_ date: String?, end: Bool) -> String? {
            guard let date, let (start, _) = ReportAggregates.bounds(String(date.prefix(7))) else { return nil }
            return end && date.hasSuffix("-01") ? ReportAggregates.month(start - 1) : String(date.prefix(7))
        }
    }

    /// A report's page; `table` nil when it waits for a title to be asked about.
    /// `actions`: forms the report offers under its picker (a stocktake's corrections).
    public func report(
        _ name: String, form f: ReportForm, charts: [ReportCharts.Chart], table: Reports.Table?, query: String, session: ConsoleSession, actions: HTML = ""
    ) -> HTML {
        var fields: [HTML] = []
        if f.takes.contains("period") {
            fields.append("<label>\(t(.from)) <input type=\"month\" name=\"from\" value=\"\(ReportForm.month(f.from, end: false))\"></label>")
            fields.append("<label>\(t(.to)) <input type=\"month\" name=\"to\" value=\"\(ReportForm.month(f.to, end: true))\"></label>")
        }
        if f.takes.contains("region"), !f.regions.isEmpty {
            let options: [HTML] = ([""] + f.regions).map { r in
                "<option value=\"\(r)\"\(f.region == r ? " selected" : "")>\(r.isEmpty ? t(.anyRegion) : r)</option>"
            }
            fields.append("<label>\(t(.region)) <select name=\"region\">\(options)</select></label>")
        }
        if f.takes.contains("site"), f.sites.count > 1 || Reports.ofOneSite.contains(name) {
            fields.append("<label>\(t(.site)) <select name=\"site\">\(siteOptions(f.sites, selected: f.site, any: !Reports.ofOneSite.contains(name)))</select></label>")
        }
        if f.takes.contains("item") {
            fields.append("<label>\(t(.item)) <input name=\"item\" maxlength=\"200\" value=\"\(f.item)\"></label>")
        }
        let picker: HTML = fields.isEmpty ? "" : "<form method=\"get\" class=\"fields\">\(fields)<button>\(t(.show))</button></form>"
        let amp = query.isEmpty ? "" : "&" + query
        let drawn: [HTML] = charts.map { c in
            """
            <section class="chart"><h2>\(c.title)</h2><figure>\(c.svg)</figure>\
            <p><a href="/console/reports/\(name)/csv?chart=\(c.id)\(amp)">\(t(.downloadCSV))</a></p>\
            <details><summary>\(t(.dataTable))</summary>\(tableHTML(c.table))</details></section>
            """
        }
        guard let table else { return page(ReportCharts.title(name, language), session, .reports, picker + "<p class=\"note\">\(t(.askAboutATitle))</p>") }
        // A long table is folded away under the charts (it is in the CSV whole).
        let folded: HTML =
            table.rows.isEmpty
            ? "<p>\(t(.noRows))</p>"
            : "<details\(table.rows.count <= 30 ? " open" : "")><summary>\(table.rows.count) \(t(.rows))</summary>\(tableHTML(table))</details>"
        let whole: HTML = """
            <h2>\(t(.dataTable))</h2>\(folded)\
            <p><a href="/console/reports/\(name)/csv\(query.isEmpty ? "" : "?" + query)">\(t(.downloadCSV))</a></p>
            """
        return page(ReportCharts.title(name, language), session, .reports, picker + actions + "\(drawn)" + whole)
    }

    func isText(_ v: SQLValue) -> Bool {
        if case .text = v { true } else { false }
    }

    /// Most rows a page shows of a table (the CSV download holds them all).
    static let mostRows = 500

    func tableHTML(_ whole: Reports.Table) -> HTML {
        let table = Reports.Table(columns: whole.columns, rows: Array(whole.rows.prefix(Self.mostRows)))
        // A column of numbers is right-aligned, its heading too.
        let numeric = table.columns.indices.map { i in table.rows.contains { r in i < r.count && r[i] != .null && r[i].text != nil && !isText(r[i]) } }
        let head: [HTML] = table.columns.enumerated().map { i, c in "<th\(numeric[i] ? HTML(" class=\"num\"") : "")>\(ReportCharts.column(c, language))</th>" }
        let rows: [HTML] = table.rows.map { r in
            let cells: [HTML] = r.enumerated().map { i, v in
                if case .text(let s) = v { return "<td>\(ReportCharts.value(s, column: table.columns[i], language))</td>" }
                return "<td class=\"num\">\(v.csv)</td>"
            }
            return "<tr>\(cells)</tr>"
        }
        let more: HTML = whole.rows.count > table.rows.count ? "<p class=\"small\">\(table.rows.count) / \(whole.rows.count) \(t(.rows)) · \(t(.downloadCSV))</p>" : ""
        return "<div class=\"scroll\"><table><thead><tr>\(head)</tr></thead><tbody>\(rows)</tbody></table></div>\(more)"
    }

    // MARK: - Quarantine

    public func quarantine(_ records: [QuarantineRecord], session: ConsoleSession) -> HTML {
        let rows: [HTML] = records.map { q in
            """
            <tr><td><a href="/console/quarantine/\(q.id)">\(q.id)</a></td><td><a href="/console/boxes/\(Self.url(q.box))">\(q.box)</a></td>\
            <td class="num">\(q.seq)</td><td>\(q.reason)</td><td>\(time(q.receivedMillis))</td></tr>
            """
        }
        let body: HTML =
            rows.isEmpty
            ? "<p>\(t(.noQuarantine))</p>"
            : """
            <div class="scroll"><table><thead><tr><th>#</th><th>\(t(.box))</th><th class="num">seq</th><th>\(t(.reason))</th><th>\(t(.received))</th></tr></thead>\
            <tbody>\(rows)</tbody></table></div>
            """
        return page(t(.quarantine), session, .quarantine, body)
    }

    public func quarantined(_ q: QuarantineRecord, session: ConsoleSession) -> HTML {
        var body: HTML = """
            <dl><dt>\(t(.box))</dt><dd><a href="/console/boxes/\(Self.url(q.box))">\(q.box)</a></dd><dt>seq</dt><dd>\(q.seq)</dd>\
            <dt>\(t(.reason))</dt><dd>\(q.reason)</dd><dt>\(t(.received))</dt><dd>\(time(q.receivedMillis))</dd></dl>\
            <h2>\(t(.body))</h2><pre class="body">\(q.body ?? "")</pre>
            """
        if !session.role.isSiteManager {
            for (action, label, style) in [("release", t(.release), ""), ("discard", t(.discard), " class=\"danger\"")] {
                body = body + """
                    <form method="post" action="/console/quarantine/\(q.id)/\(action)" class="fields"><input type="hidden" name="csrf" value="\(session.csrf)">\
                    <label>\(t(.note)) <input name="note" required maxlength="500"></label><button\(HTML(raw: style))>\(label)</button></form>
                    """
            }
        }
        return page("\(t(.quarantine)) #\(q.id)", session, .quarantine, body)
    }

    // MARK: - Catalog

    public func catalog(_ records: [CatalogRecord], query: String?, site: String?, sites: [SiteRecord], session: ConsoleSession, members: Int? = nil) -> HTML {
        let form: HTML = """
            <form method="get" action="/console/catalog" class="fields"><label>\(t(.item)) <input name="q" maxlength="200" value="\(query)"></label>\
            <label>\(t(.site)) <select name="site">\(siteOptions(sites, selected: site, any: true))</select></label><button>\(t(.search))</button></form>
            """
        let rows: [HTML] = records.map { c in
            let shelf = (c.site ?? c.homeSite).map { "\(t(.onShelf)) · \($0)" } ?? "-"
            let now: String =
                switch c.standing {
                case "on-loan": "\(t(.onLoanUntil)) \(c.dueDate ?? "-")"
                case "in-transit": "\(t(.inTransit)) · \(c.transitFrom ?? "-") → \(c.transitTo ?? "-")"
                case "on-hold": "\(t(.onHoldShelf)) · \(c.holdSite ?? "-")"
                case "requested": "\(shelf) · \(t(.requested))"
                default: shelf
                }
            let also = "/console/reports/also-borrowed?item=\(Self.url(c.itemKey))"
            // A copy a request may name: labelled, on its shelf, promised to no one.
            let ask: HTML =
                c.standing == "on-shelf" && c.itemKey.hasPrefix("label:")
                ? "<a href=\"/console/requests?item=\(Self.url(c.itemKey))#place\">\(t(.placeIt))</a>" : ""
            return """
                <tr><td>\(c.itemKey)</td><td><a href="\(also)" title="\(t(.alsoBorrowedLink))">\(c.title ?? c.itemKey)</a></td><td>\(c.homeSite ?? "-")</td>\
                <td>\(now)</td><td>\(ask)</td></tr>
                """
        }
        let table: HTML =
            rows.isEmpty
            ? "<p>\(t(.noResults))</p>"
            : """
            <div class="scroll"><table><thead><tr><th>\(t(.item))</th><th>\(t(.bookTitle))</th><th>\(t(.homeSite))</th><th>\(t(.whereNow))</th><th></th></tr></thead>\
            <tbody>\(rows)</tbody></table></div>
            """
        return page(t(.catalog), session, .catalog, form + table + importForms(session, members: members))
    }

    // MARK: - Privacy

    public func privacy(retention: [(key: String, days: Int)], log: [ErasureRecord], session: ConsoleSession) -> HTML {
        let periods: [HTML] = retention.map { "<tr><td>\($0.key)</td><td class=\"num\">\($0.days)</td></tr>" }
        let erasures: [HTML] = log.map { e in
            "<tr><td>\(time(e.atMillis))</td><td>\(e.reference)</td><td>\(e.operatorName)</td><td class=\"num\">\(e.events)</td><td class=\"num\">\(e.books)</td><td class=\"num\">\(e.visits)</td></tr>"
        }
        let periodsTable: HTML =
            periods.isEmpty
            ? "<p>\(t(.keepForever))</p>"
            : "<div class=\"scroll\"><table><thead><tr><th>\(t(.kind))</th><th class=\"num\">\(t(.retentionDays))</th></tr></thead><tbody>\(periods)</tbody></table></div>"
        return page(
            t(.privacy), session, .privacy,
            """
            <h2>\(t(.retention))</h2>\(periodsTable)\
            <form method="post" action="/console/privacy/retention" class="fields"><input type="hidden" name="csrf" value="\(session.csrf)">\
            <label>\(t(.kind)) <input name="key" required maxlength="40" placeholder="visit:lactation"></label>\
            <label>\(t(.retentionDays)) <input name="days" required type="number" min="1" max="36500"></label><button>\(t(.setRetention))</button></form>\
            <h2>\(t(.eraseWorker))</h2><form method="post" action="/console/privacy/erase" class="fields" autocomplete="off">\
            <input type="hidden" name="csrf" value="\(session.csrf)"><label>\(t(.workerField)) <input name="worker" required maxlength="80"></label>\
            <label>\(t(.referenceField)) <input name="reference" required maxlength="100"></label><button class="danger">\(t(.erase))…</button></form>\
            <p class="small">\(t(.notKept))</p>\
            <h2>\(t(.erasureLog))</h2><div class="scroll"><table><thead><tr><th>\(t(.when))</th><th>\(t(.referenceField))</th><th>\(t(.who))</th>\
            <th class="num">\(t(.records))</th><th class="num">\(t(.books))</th><th class="num">\(t(.visitsWord))</th></tr></thead><tbody>\(erasures)</tbody></table></div>
            """)
    }

    /// The confirmation step of an erasure: how much names the worker (counts, never who),
    /// and a form carrying the pseudonym (never the number that was typed).
    public func confirmErasure(_ summary: WorkerSummary, reference: String, session: ConsoleSession) -> HTML {
        guard summary.events > 0 || summary.openLoans > 0 else {
            return page(t(.eraseWorker), session, .privacy, "<p class=\"note\">\(t(.eraseNothing))</p><p><a href=\"/console/privacy\">\(t(.privacy))</a></p>")
        }
        return page(
            t(.eraseWorker), session, .privacy,
            """
            <dl><dt>\(t(.referenceField))</dt><dd>\(reference)</dd><dt>\(t(.eventsNaming))</dt><dd>\(summary.events)</dd>\
            <dt>\(t(.booksOnLoan))</dt><dd>\(summary.openLoans)</dd><dt>\(t(.boxes))</dt><dd>\(summary.boxes.joined(separator: ", "))</dd></dl>\
            <form method="post" action="/console/privacy/erase/confirm" class="fields"><input type="hidden" name="csrf" value="\(session.csrf)">\
            <input type="hidden" name="worker" value="\(summary.worker)"><input type="hidden" name="reference" value="\(reference)">\
            <button class="danger">\(t(.eraseConfirm))</button></form>
            """)
    }

    public func erased(_ counts: (events: Int, books: Int, visits: Int), reference: String, session: ConsoleSession) -> HTML {
        page(
            t(.erased), session, .privacy,
            "<p class=\"note\">\(t(.erased)) (\(reference)): \(t(.records)) \(counts.events) · \(t(.books)) \(counts.books) · \(t(.visitsWord)) \(counts.visits)</p><p><a href=\"/console/privacy\">\(t(.privacy))</a></p>")
    }

    // MARK: - Audit log

    public func audit(_ records: [AuditRecord], session: ConsoleSession, nextOffset: Int?) -> HTML {
        let rows: [HTML] = records.map { r in
            "<tr><td>\(time(r.atMillis))</td><td>\(r.actor)</td><td>\(r.origin)</td><td>\(r.action)</td><td>\(r.subject)</td><td>\(r.detail)</td></tr>"
        }
        let more: HTML = nextOffset.map { "<p><a href=\"/console/audit?offset=\($0)\">\(t(.olderLines))</a></p>" } ?? ""
        return page(
            t(.audit), session, .audit,
            """
            <p><a href="/console/audit.csv">\(t(.downloadCSV))</a></p><div class="scroll"><table><thead><tr><th>\(t(.when))</th><th>\(t(.who))</th>\
            <th>\(t(.origin))</th><th>\(t(.action))</th><th>\(t(.subject))</th><th>\(t(.detail))</th></tr></thead><tbody>\(rows)</tbody></table></div>\(more)
            """)
    }
}
