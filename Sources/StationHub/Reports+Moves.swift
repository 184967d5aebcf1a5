/// The suggested-moves report (``Moves``): one statement brings, for the titles with a
/// sleeping labelled copy (``sleepers(_:where:)``: no other title has a copy to move),
/// every labelled copy on a shelf (the sleeping ones may move; all of them say which
/// titles a site has on its shelf), loans per title and site over the demand window,
/// requests per title and pickup site placed in it, the copies an open request, move or rotation holds (and
/// where they are going: a copy on its way stands for one on that shelf), copies a move
/// brought in the last `sleeping_months` (6: given time to be found), and the sites'
/// regions and kinds (a hut's or a station's box lends no books: none goes there or is
/// taken from there). The plan is the union's one plan, worked out whole; a site or a
/// region sees (and accepts) the moves that touch it: from or to it.
extension Reports {
    @Sendable static func moves(_ b: Bounds) -> Query {
        let windowStart = b.p.nowMillis - Int64(Sleeping.demandMonths) * 30 * dayMillis
        // Only these titles' copies and demand (`titles`): the same moves for them. (Written
        // so that the title's index serves it: a title, else the key of a copy without one.)
        func only(_ title: String, _ key: String) -> (sql: String, arguments: [SQLValue]) {
            guard let titles = b.p.titles else { return ("1 = 1", []) }
            let list = SQLStatement.list(titles.count), values: [SQLValue] = titles.map { .text($0) }
            return ("(\(title) IN \(list) OR (\(title) IS NULL AND \(key) IN \(list)))", values + values)
        }
        let (copies, loans, asked) = (only("c.title", "c.item_key"), only("t.title", "t.item_key"), only("t.title", "r.item_key"))
        let now = ReportAggregates.month(b.p.nowMillis)
        var q = Query(
            """
            WITH \(sleepers(b.d, where: "c.item_key LIKE 'label:%' AND \(copies.sql)"))
            \(sleepersCopies)
            UNION ALL
            \(loansByTitle(b.d, and: loans.sql))
            UNION ALL
            SELECT 'asked', coalesce(t.title, r.item_key), NULL, r.pickup_site, NULL, CAST(count(*) AS \(b.d.integer))
            FROM request r LEFT JOIN catalog_title t ON t.item_key = r.item_key
            WHERE r.purpose IS NULL AND r.placed_ms >= ? AND \(asked.sql) AND coalesce(t.title, r.item_key) IN (SELECT sleeper_title FROM sleepy)
            GROUP BY coalesce(t.title, r.item_key), r.pickup_site
            UNION ALL
            SELECT 'held', r.item_key, coalesce(t.title, r.item_key), r.pickup_site, NULL, NULL
            FROM request r LEFT JOIN catalog_title t ON t.item_key = r.item_key WHERE r.active = 1
            UNION ALL
            SELECT 'held', r.item_key, NULL, NULL, NULL, NULL FROM request r WHERE r.purpose IS NOT NULL AND r.state = 'arrived' AND r.since_ms >= ?
            UNION ALL
            SELECT 'held', rc.item_key, NULL, NULL, NULL, NULL FROM rotation_copy rc JOIN rotation ro ON ro.name = rc.rotation WHERE ro.ended_ms IS NULL
            UNION ALL
            SELECT 'site', id, region, kind, NULL, NULL FROM site
            """,
            copies.arguments + [monthNumber(now), .text(ReportAggregates.month(windowStart))] + loans.arguments + [.int(windowStart)] + asked.arguments
                + [.int(b.p.nowMillis - Int64(Sleeping.defaultMonths) * 30 * dayMillis)],
            columns: ["item_key", "title", "from_site", "to_site", "months_asleep", "loans_there", "requests_there", "why"])
        let p = b.p
        q.finish = { rows in rows = moveRows(rows, nowMonth: now, site: p.site, region: p.region, limit: p.limit) }
        return q
    }

    /// The moves proposed, within the site or region, as the report's rows.
    static func moveRows(_ rows: [SQLRow], nowMonth: String, site: String?, region: String?, limit: Int) -> [SQLRow] {
        moves(rows, nowMonth: nowMonth).filter { m in
            if let site { return m.copy.site == site || m.to == site }
            if let region { return m.copy.region == region || m.toRegion == region }
            return true
        }.prefix(limit).map { m in
            [
                .text(m.copy.itemKey), m.copy.title == m.copy.itemKey ? .null : .text(m.copy.title), .text(m.copy.site), .text(m.to),
                SQLValue(m.copy.monthsAsleep), .int(m.loansThere), .int(m.requestsThere), .text(m.why.rawValue),
            ]
        }
    }

    /// The union's plan from the statement's rows.
    static func moves(_ rows: [SQLRow], nowMonth: String) -> [Moves.Move] {
        var shelved: [Sleeping.Copy] = [], loans: [String: [String: Int64]] = [:], asked: [String: [String: Int64]] = [:]
        var held = Set<String>(), coming = Set<Moves.TitleSite>(), regions: [String: String] = [:], lends = Set<String>()
        for r in rows {
            switch r[0].text {
            case "copy":
                if let copy = shelvedCopy(r) { shelved.append(copy) }
            case "loans":
                count(r, into: &loans)
            case "asked":
                count(r, into: &asked)
            case "held":
                if let key = r[1].text { held.insert(key) }
                if let title = r[2].text, let site = r[3].text { coming.insert(Moves.TitleSite(title: title, site: site)) }
            default:
                guard let site = r[1].text else { continue }
                if let region = r[2].text { regions[site] = region }
                if r[3].text != "hut" && r[3].text != "station" { lends.insert(site) }
            }
        }
        let sleeping = Sleeping.rows(copies: shelved, nowMonth: nowMonth, loans: [:], requests: [:]).filter { !held.contains($0.copy.itemKey) && lends.contains($0.copy.site) }
        let copies = sleeping.map { s in Moves.Copy(itemKey: s.copy.itemKey, title: s.copy.title, site: s.copy.site, region: regions[s.copy.site], monthsAsleep: s.monthsAsleep) }
        var wants: [Moves.TitleSite: Moves.Want] = [:]
        for (title, bySite) in loans { for (site, n) in bySite { wants[Moves.TitleSite(title: title, site: site), default: Moves.Want(title: title, site: site, region: regions[site], loans: 0, requests: 0)].loans += n } }
        for (title, bySite) in asked { for (site, n) in bySite { wants[Moves.TitleSite(title: title, site: site), default: Moves.Want(title: title, site: site, region: regions[site], loans: 0, requests: 0)].requests += n } }
        let stocked = Set(shelved.map { Moves.TitleSite(title: $0.title, site: $0.site) }).union(coming)
        return Moves.propose(copies: copies, wants: wants.values.filter { lends.contains($0.site) }, stocked: stocked)
    }
}
