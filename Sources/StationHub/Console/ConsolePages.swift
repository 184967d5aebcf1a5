import Foundation
import StationCore
import StationProtocol

/// The console's pages as values: each a pure function of what the store answered, the
/// reader's session and the hour; the routes only fetch and send. Server-rendered, no
/// script; forms post with the session's CSRF token.
public struct ConsolePages: Sendable {
    public var language: String
    public var nowMillis: Int64
    public var timeZone: TimeZone

    public init(language: String, nowMillis: Int64, timeZone: TimeZone) {
        (self.language, self.nowMillis, self.timeZone) = (language, nowMillis, timeZone)
    }

    func t(_ p: Phrase) -> String { p.text(language) }

    /// `yyyy-MM-dd HH:mm` in the hub's zone.
    func time(_ millis: Int64?) -> String {
        millis.map { Reports.format($0, "yyyy-MM-dd HH:mm", timeZone) } ?? t(.never)
    }

    /// A span as people read it: minutes under two hours, hours under two days, then days.
    func span(_ millis: Int64) -> String {
        let minutes = millis / 60_000
        if minutes < 120 { return "\(minutes) \(t(.minutes))" }
        if minutes < 48 * 60 { return "\(minutes / 60) \(t(.hours))" }
        return "\(minutes / 1440) \(t(.days))"
    }

    func roleText(_ role: ConsoleRole) -> String {
        switch role {
        case .union: t(.roleUnion)
        case .region(let r): "\(t(.roleRegion)) \(r)"
        case .site(let s): "\(t(.roleSite)) \(s)"
        }
    }

    func kindText(_ kind: String?) -> String {
        switch kind {
        case "bookshelf": t(.kindBookshelf)
        case "hut": t(.kindHut)
        case "station": t(.kindStation)
        default: kind ?? "-"
        }
    }

    func stateText(_ state: BoxRecord.State) -> String {
        switch state {
        case .enrolled: t(.enrolled)
        case .waiting: t(.notEnrolled)
        case .revoked: t(.revoked)
        }
    }

    /// Percent-encodes a path segment or query value.
    static func url(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }

    // MARK: - Frame

    enum Section { case overview, sites, reports, quarantine, catalog, requests, rotations, privacy, audit, none }

    /// Every signed-in page: the navigation (the audit log for the union only), who is
    /// signed in, the language toggle and sign-out (each a form with the CSRF token).
    func page(_ title: String, _ session: ConsoleSession, _ section: Section, _ body: HTML) -> HTML {
        var nav: [HTML] = [
            link("/console/", t(.overview), section == .overview), link("/console/sites", t(.sites), section == .sites),
            link("/console/reports", t(.reports), section == .reports), link("/console/quarantine", t(.quarantine), section == .quarantine),
            link("/console/catalog", t(.catalog), section == .catalog), link("/console/requests", t(.requests), section == .requests),
            link("/console/rotations", t(.rotations), section == .rotations),
        ]
        if session.role.readsAuditLog {
            nav.append(link("/console/privacy", t(.privacy), section == .privacy))
            nav.append(link("/console/audit", t(.audit), section == .audit))
        }
        let other = language == "en" ? "zh" : "en"
        let header: HTML = """
            <header><a class="brand" href="/console/">\(t(.console))</a><nav>\(nav)</nav>\
            <div class="who"><span>\(t(.signedInAs)) \(session.operatorName) · \(roleText(session.role))</span>\
            <form method="post" action="/console/language"><input type="hidden" name="csrf" value="\(session.csrf)">\
            <input type="hidden" name="language" value="\(other)"><button class="link" lang="\(other)">\(t(.otherLanguage))</button></form>\
            <form method="post" action="/console/logout"><input type="hidden" name="csrf" value="\(session.csrf)"><button class="link">\(t(.signOut))</button></form></div></header>
            """
        return document(title, header + "<main><h1>\(title)</h1>\(body)</main>")
    }

    func link(_ href: String, _ text: String, _ current: Bool) -> HTML {
        current ? "<a href=\"\(href)\" aria-current=\"page\">\(text)</a>" : "<a href=\"\(href)\">\(text)</a>"
    }

    func document(_ title: String, _ body: HTML) -> HTML {
        """
        <!DOCTYPE html>
        <html lang="\(language == "en" ? "en" : "zh-CN")"><head><meta charset="utf-8">\
        <meta name="viewport" content="width=device-width, initial-scale=1"><title>\(title) · \(t(.console))</title>\
        <link rel="stylesheet" href="/console/style.css"></head><body>\(body)</body></html>
        """
    }

    // MARK: - Sign-in

    /// `token`: the sign-in form's own CSRF token (also in a cookie; both must match).
    public func login(token: String, error: String?) -> HTML {
        let other = language == "en" ? "zh" : "en"
        let problem: HTML = error.map { "<p class=\"error\" role=\"alert\">\($0)</p>" } ?? ""
        return document(
            t(.signIn),
            """
            <main class="login"><h1>\(t(.console))</h1>\(problem)\
            <form method="post" action="/console/login"><input type="hidden" name="token" value="\(token)">\
            <input type="hidden" name="language" value="\(language)">\
            <label>\(t(.name)) <input name="name" autocomplete="username" required maxlength="64"></label>\
            <label>\(t(.password)) <input name="password" type="password" autocomplete="current-password" required maxlength="200"></label>\
            <button>\(t(.signIn))</button></form>\
            <p><a href="/console/login?language=\(other)" lang="\(other)">\(t(.otherLanguage))</a></p></main>
            """)
    }

    // MARK: - Overview

    public func overview(_ o: ConsoleOverview, session: ConsoleSession) -> HTML {
        let tiles: [(Phrase, Int64, String?)] = [
            (.online, o.online, nil), (.seenToday, o.today, nil), (.quiet, o.quiet, nil), (.notEnrolled, o.notEnrolled, nil), (.revoked, o.revoked, nil),
            (.eventsToday, o.eventsToday, nil), (.eventsThisMonth, o.eventsThisMonth, nil), (.quarantined, o.quarantined, nil),
        ]
        let tileHTML: [HTML] = tiles.map { phrase, n, _ in
            let warn = (phrase == .quiet || phrase == .quarantined) && n > 0 ? " warn" : ""
            return "<div class=\"tile\(warn)\"><span class=\"n\">\(n)</span><span>\(t(phrase))</span></div>"
        }
        let rows: [HTML] = o.lag.map { l in
            """
            <tr><td><a href="/console/sites/\(Self.url(l.site))">\(l.name ?? l.site)</a></td>\
            <td class="num">\(l.lagMillis.map(span) ?? t(.never))</td><td class="num">\(l.backlog)</td><td class="num">\(l.boxes)</td></tr>
            """
        }
        let table: HTML =
            rows.isEmpty
            ? "<p>\(t(.noSites))</p>"
            : """
            <div class="scroll"><table><thead><tr><th>\(t(.site))</th><th class="num">\(t(.syncLag))</th><th class="num">\(t(.backlog))</th><th class="num">\(t(.boxes))</th></tr></thead>\
            <tbody>\(rows)</tbody></table></div>
            """
        return page(t(.overview), session, .overview, "<section class=\"tiles\">\(tileHTML)</section><h2>\(t(.lagWorstFirst))</h2>\(table)")
    }

    // MARK: - Sites and boxes

    func kindOptions(_ selected: String?) -> HTML {
        let options: [HTML] = ([""] + HubStore.siteKinds).map { k in
            "<option value=\"\(k)\"\(selected == k ? " selected" : "")>\(k.isEmpty ? "-" : kindText(k))</option>"
        }
        return "\(options)"
    }

    public func sites(_ sites: [SiteRecord], session: ConsoleSession) -> HTML {
        let rows: [HTML] = sites.map { s in
            """
            <tr><td><a href="/console/sites/\(Self.url(s.id))">\(s.id)</a></td><td>\(s.name ?? "")</td><td>\(kindText(s.kind))</td>\
            <td>\(s.region ?? "")</td><td class="num">\(s.boxes)</td></tr>
            """
        }
        let list: HTML =
            rows.isEmpty
            ? "<p>\(t(.noSites))</p>"
            : """
            <div class="scroll"><table><thead><tr><th>\(t(.site))</th><th>\(t(.siteName))</th><th>\(t(.kind))</th><th>\(t(.region))</th>\
            <th>\(t(.boxes))</th></tr></thead><tbody>\(rows)</tbody></table></div>
            """
        var form: HTML = ""
        if session.role.mayEditSites {
            let region: HTML =
                if case .region(let r) = session.role { "<input type=\"hidden\" name=\"region\" value=\"\(r)\">" } else {
                    "<label>\(t(.region)) <input name=\"region\" maxlength=\"64\"></label>"
                }
            form = """
                <h2>\(t(.addSite))</h2><form method="post" action="/console/sites" class="fields"><input type="hidden" name="csrf" value="\(session.csrf)">\
                <label>\(t(.site)) <input name="id" required maxlength="64" pattern="[A-Za-z0-9._\\-]+"></label>\
                <label>\(t(.siteName)) <input name="name" maxlength="200"></label><label>\(t(.kind)) <select name="kind">\(kindOptions(nil))</select></label>\
                \(region)<button>\(t(.add))</button></form>
                """
        }
        return page(t(.sites), session, .sites, list + form)
    }

    public func site(_ site: SiteRecord, boxes: [BoxRecord], session: ConsoleSession) -> HTML {
        let facts: HTML = """
            <dl><dt>\(t(.siteName))</dt><dd>\(site.name ?? "-")</dd><dt>\(t(.kind))</dt><dd>\(kindText(site.kind))</dd>\
            <dt>\(t(.region))</dt><dd>\(site.region ?? "-")</dd></dl>
            """
        let rows: [HTML] = boxes.map { b in
            """
            <tr><td><a href="/console/boxes/\(Self.url(b.id))">\(b.id)</a></td><td>\(stateText(b.state))</td>\
            <td>\(time(b.lastSeenMillis))</td><td class="num">\(b.backlog.map { String($0) } ?? "-")</td></tr>
            """
        }
        var body = facts + "<h2>\(t(.boxes))</h2>"
        body = body + (rows.isEmpty
            ? "<p>\(t(.none))</p>"
            : """
            <div class="scroll"><table><thead><tr><th>\(t(.box))</th><th>\(t(.state))</th><th>\(t(.lastSeen))</th><th>\(t(.backlog))</th></tr></thead>\
            <tbody>\(rows)</tbody></table></div>
            """)
        if session.role.mayEditSites {
            let region: HTML =
                session.role == .union ? "<label>\(t(.region)) <input name=\"region\" maxlength=\"64\" value=\"\(site.region ?? "")\"></label>" : ""
            body = body + """
                <h2>\(t(.editSite))</h2><form method="post" action="/console/sites/\(Self.url(site.id))" class="fields">\
                <input type="hidden" name="csrf" value="\(session.csrf)"><label>\(t(.siteName)) <input name="name" maxlength="200" value="\(site.name ?? "")"></label>\
                <label>\(t(.kind)) <select name="kind">\(kindOptions(site.kind))</select></label>\(region)\(settingFields(site))<button>\(t(.save))</button></form>
                """
        }
        if session.role.mayAddBoxes {
            body = body + """
                <h2>\(t(.addBox))</h2><form method="post" action="/console/sites/\(Self.url(site.id))/boxes" class="fields">\
                <input type="hidden" name="csrf" value="\(session.csrf)"><label>\(t(.boxID)) <input name="id" required maxlength="64" pattern="[A-Za-z0-9._\\-]+"></label>\
                <button>\(t(.add))</button></form>
                """
        }
        return page("\(t(.site)) \(site.name ?? site.id)", session, .sites, body)
    }

    /// What the site's boxes use, as the hub sends it down (empty: the box's own config).
    func settingFields(_ site: SiteRecord) -> HTML {
        let fields: [HTML] = KioskSettings.hubSettings.keys.sorted().map { key in
            let label = Self.settingLabels[key].map(t) ?? key
            let value = site.settings[key] ?? ""
            if key == "over_limit" {
                let options: [HTML] = [("", "-"), ("warn", t(.overLimitWarn)), ("refuse", t(.overLimitRefuse))].map { v, shown in
                    "<option value=\"\(v)\"\(value == v ? " selected" : "")>\(shown)</option>"
                }
                return "<label>\(label) <select name=\"setting.\(key)\">\(options)</select></label>"
            }
            return "<label>\(label) <input name=\"setting.\(key)\" inputmode=\"numeric\" maxlength=\"6\" size=\"6\" value=\"\(value)\"></label>"
        }
        return "\(fields)"
    }

    static let settingLabels: [String: Phrase] = [
        "loan_days": .loanDays, "max_loans": .maxLoans, "over_limit": .overLimit, "session_timeout_seconds": .sessionTimeout, "visit_max_minutes": .visitMaxMinutes,
        "hold_days": .holdDays, "max_requests": .maxRequests, "sleeping_months": .sleepingMonths,
    ]

    /// After a box was added: its one-time token, and its enrollment card when the hub
    /// knows the address boxes reach it at.
    public func boxAdded(box: String, site: String, token: String, cardSVG: String?, session: ConsoleSession) -> HTML {
        let card: HTML = cardSVG.map { "<figure class=\"card\">\(HTML(raw: $0))</figure>" } ?? "<p class=\"note\">\(t(.noCardURL))</p>"
        return page(
            "\(t(.enrollmentCard)) \(box)", session, .sites,
            """
            <p class="note">\(t(.tokenOnce))</p><dl><dt>\(t(.box))</dt><dd>\(box)</dd><dt>\(t(.site))</dt>\
            <dd><a href="/console/sites/\(Self.url(site))">\(site)</a></dd><dt>\(t(.enrollmentToken))</dt><dd><code>\(token)</code></dd></dl>\(card)
            """)
    }

    public func box(_ b: BoxRecord, log: [DeviceLogLine], filter: DeviceLogFilter, scanners: [String], session: ConsoleSession) -> HTML {
        let lastBatch = b.lastBatchMillis.map { "\(time($0)) (\(span(max(0, nowMillis - $0))))" } ?? t(.never)
        let clock = b.clockOffsetMillis.map { "\($0) ms · \(time(b.clockCorrectedMillis))" } ?? "-"
        let facts: HTML = """
            <dl><dt>\(t(.site))</dt><dd><a href="/console/sites/\(Self.url(b.site))">\(b.site)</a></dd><dt>\(t(.state))</dt><dd>\(stateText(b.state))\
            \(b.revokedReason.map { " · \($0)" } ?? "")</dd><dt>\(t(.lastSeen))</dt><dd>\(time(b.lastSeenMillis))</dd>\
            <dt>\(t(.lastBatch))</dt><dd>\(lastBatch)</dd><dt>\(t(.ackedThrough))</dt><dd>\(b.ackedThrough)</dd>\
            <dt>\(t(.backlog))</dt><dd>\(b.backlog.map { String($0) } ?? "-")</dd><dt>\(t(.software))</dt><dd>\(b.software ?? "-")</dd>\
            <dt>\(t(.clockOffset))</dt><dd>\(clock)</dd><dt>\(t(.formerSites))</dt><dd>\(b.formerSites.isEmpty ? "-" : b.formerSites.joined(separator: ", "))</dd></dl>
            """
        let levels: [HTML] = ["", "warning", "error"].map { l in
            "<option value=\"\(l)\"\(filter.level == l ? " selected" : "")>\(l.isEmpty ? t(.all) : l)</option>"
        }
        let scannerOptions: [HTML] = ([""] + scanners).map { s in
            "<option value=\"\(s)\"\(filter.scanner == s ? " selected" : "")>\(s.isEmpty ? t(.all) : s)</option>"
        }
        let filterForm: HTML = """
            <form method="get" action="/console/boxes/\(Self.url(b.id))" class="fields">\
            <label>\(t(.level)) <select name="level">\(levels)</select></label><label>\(t(.scanner)) <select name="scanner">\(scannerOptions)</select></label>\
            <label>\(t(.before)) <input name="before" type="date"></label><button>\(t(.filter))</button></form>
            """
        let rows: [HTML] = log.map { l in
            "<tr class=\"\(l.level)\"><td>\(time(l.atMillis))</td><td>\(l.level)</td><td>\(l.scannerID ?? "")</td><td>\(l.message)</td></tr>"
        }
        var more: HTML = ""
        if log.count == filter.limit, let last = log.last {
            var query = ["before_id=\(last.id)"]
            if let level = filter.level { query.append("level=\(Self.url(level))") }
            if let scanner = filter.scanner { query.append("scanner=\(Self.url(scanner))") }
            more = "<p><a href=\"/console/boxes/\(Self.url(b.id))?\(query.joined(separator: "&"))\">\(t(.olderLines))</a></p>"
        }
        let table: HTML =
            rows.isEmpty
            ? "<p>\(t(.noLines))</p>"
            : """
            <div class="scroll"><table class="log"><thead><tr><th>\(t(.time))</th><th>\(t(.level))</th><th>\(t(.scanner))</th><th>\(t(.message))</th></tr></thead>\
            <tbody>\(rows)</tbody></table></div>
            """
        var revoke: HTML = ""
        if b.state != .revoked {
            revoke = """
                <h2>\(t(.revokeBox))</h2><form method="post" action="/console/boxes/\(Self.url(b.id))/revoke" class="fields">\
                <input type="hidden" name="csrf" value="\(session.csrf)"><label>\(t(.reason)) <input name="reason" required maxlength="500"></label>\
                <button class="danger">\(t(.revoke))</button></form>
                """
        }
        return page("\(t(.box)) \(b.id)", session, .sites, facts + "<h2>\(t(.deviceLog))</h2>" + filterForm + table + more + revoke)
    }

    // MARK: - Refusals

    /// A refusal as a page: what was not found or not done, and why.
    public func refusal(_ error: HubError, session: ConsoleSession?) -> HTML {
        let title = error.kind == .notFound ? t(.notFound) : t(.refused)
        let body: HTML = "<p class=\"error\" role=\"alert\">\(error.message)</p>"
        guard let session else { return document(title, "<main><h1>\(title)</h1>\(body)<p><a href=\"/console/login\">\(t(.signIn))</a></p></main>") }
        return page(title, session, .none, body)
    }

    /// The style sheet: one file, no web fonts, readable from a phone to 1366 wide.
    public static let styleSheet = """
        *{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;color:#1d2430;background:#f4f6f8}
        header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.6rem 1rem;background:#8c1c13;color:#fff}
        header a{color:#fff;text-decoration:none}.brand{font-weight:700}nav{display:flex;flex-wrap:wrap;gap:1rem}
        nav a[aria-current]{border-bottom:2px solid #fff}.who{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;margin-left:auto;font-size:.9rem}
        .who form{margin:0}button.link{background:none;border:0;color:#fff;text-decoration:underline;cursor:pointer;font:inherit;padding:0}
        main{max-width:1200px;margin:0 auto;padding:1rem}h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
        .tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:.75rem}
        .tile{background:#fff;border-radius:6px;padding:.75rem;display:flex;flex-direction:column;box-shadow:0 1px 2px #0002}
        .tile .n{font-size:1.6rem;font-weight:700}.tile.warn .n{color:#b3261e}
        .scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;width:100%;background:#fff}
        th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #dde2e8;vertical-align:top}td.num,th.num{text-align:right}
        table.log td:last-child{word-break:break-word}tr.error td{color:#b3261e}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;background:#fff;padding:.75rem;border-radius:6px}dt{color:#5a6472}dd{margin:0;word-break:break-word}
        form.fields{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;background:#fff;padding:.75rem;border-radius:6px}
        label{display:flex;flex-direction:column;font-size:.9rem;gap:.2rem}input,select{font:inherit;padding:.3rem .4rem;border:1px solid #b8c0ca;border-radius:4px;max-width:100%}
        button{font:inherit;padding:.35rem .9rem;border-radius:4px;border:1px solid #8c1c13;background:#8c1c13;color:#fff;cursor:pointer}
        button.danger{background:#fff;color:#b3261e;border-color:#b3261e}.error{color:#b3261e;font-weight:600}.note{background:#fff7e0;padding:.5rem .75rem;border-radius:4px}
        main.login{max-width:360px;margin-top:10vh}main.login form{display:flex;flex-direction:column;gap:.75rem;background:#fff;padding:1rem;border-radius:6px}
        .small{font-size:.8rem;color:#5a6472}svg.chart{width:100%;height:auto;max-width:100%;font-size:12px;background:#fff;border-radius:6px}svg .small{font-size:9px}svg.chart.natural{width:auto}
        section.chart figure{margin:0}ul.reports li{margin:.4rem 0}details{margin:.5rem 0}
        pre.body{white-space:pre-wrap;word-break:break-all;background:#fff;padding:.75rem;border-radius:6px;font-size:.8rem}
        code{word-break:break-all}figure.card{margin:1rem 0;max-width:420px}figure.card svg{width:100%;height:auto;background:#fff}
        .bars progress{display:none;width:100%;height:1.4rem}.bars progress:last-of-type{display:block}
        label.tick{flex-direction:row;align-items:center;gap:.4rem}form.ticks{display:flex;flex-direction:column;align-items:flex-start;gap:.3rem;background:#fff;padding:.75rem;border-radius:6px}
        form.ticks label.tick{word-break:break-word}form.ticks button{margin-top:.4rem}table.wide{min-width:760px}
        @media print{header,form{display:none}}
        """
}
