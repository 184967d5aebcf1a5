import Foundation
import StationCore

/// The suggested moves' accept form (under the report's table) and the rotations' page.
extension ConsolePages {
    /// One tick per move the table shows (all ticked), and the button that accepts them.
    func moveActions(_ table: Reports.Table, session: ConsoleSession) -> HTML {
        let moves = table.rows.compactMap { r -> (key: String, title: String, from: String, to: String)? in
            guard let key = r[0].text, let from = r[2].text, let to = r[3].text else { return nil }
            return (key, r[1].text ?? key, from, to)
        }
        guard !moves.isEmpty else { return "" }
        let ticks: [HTML] = moves.enumerated().map { n, m in
            """
            <label class="tick"><input type="checkbox" name="move.\(n)" value="\(m.key)" checked> \(m.title) · \(m.key) · \(m.from) → \(m.to)</label>
            """
        }
        return """
            <form method="post" action="/console/moves/accept" class="ticks"><input type="hidden" name="csrf" value="\(session.csrf)">\
            <p class="small">\(t(.movesHelp))</p>\(ticks)<button>\(t(.acceptMoves))</button></form>
            """
    }

    /// What a request row says of why its copy travels (nothing for a worker's request).
    func purposeWord(_ r: RequestRecord) -> String {
        switch r.purpose {
        case .move?: t(.purposeMove)
        case .rotation?: "\(t(.purposeRotation)) \(r.rotation ?? "")"
        default: ""
        }
    }

    public func rotations(_ list: [RotationRecord], sites: [SiteRecord], session: ConsoleSession) -> HTML {
        let names = Dictionary(sites.map { ($0.id, $0.name ?? $0.id) }, uniquingKeysWith: { a, _ in a })
        let rows: [HTML] = list.map { r in
            let route: [HTML] = r.sites.enumerated().map { n, s in
                let name: HTML = "\(names[s] ?? s)"
                return (n > 0 ? " → " : "") + (n == r.stage % r.sites.count && r.endedMillis == nil ? "<b>\(name)</b>" : name)
            }
            let end: HTML =
                r.endedMillis == nil
                ? """
                <form method="post" action="/console/rotation-end/\(Self.url(r.name))"><input type="hidden" name="csrf" value="\(session.csrf)">\
                <button class="danger">\(t(.endRotation))</button></form>
                """ : "\(t(.ended)) \(time(r.endedMillis ?? 0))"
            return """
                <tr><td>\(r.name)</td><td>\(route.joined())\(r.cyclic ? " ↻" : "")</td><td>\(r.stageDays)</td>\
                <td>\(r.stage + 1) · \(names[r.site] ?? r.site)</td><td>\(r.nextMillis.map { time($0) } ?? "-")</td><td>\(r.copies)</td><td>\(r.arrived)</td>\
                <td>\(r.moving)</td><td>\(end)</td></tr>
                """
        }
        let table: HTML =
            rows.isEmpty
            ? "<p>\(t(.noRotations))</p>"
            : """
            <div class="scroll"><table class="wide"><thead><tr><th>\(t(.rotationName))</th><th>\(t(.route))</th><th>\(t(.stageDays))</th><th>\(t(.stageNow))</th>\
            <th>\(t(.nextStage))</th><th>\(t(.books))</th><th>\(t(.copiesThere))</th><th>\(t(.moving))</th><th></th></tr></thead><tbody>\(rows)</tbody></table></div>
            """
        let form: HTML =
            sites.count < 2
            ? ""
            : """
            <h2>\(t(.startRotation))</h2><form method="post" action="/console/rotations" class="fields"><input type="hidden" name="csrf" value="\(session.csrf)">\
            <label>\(t(.rotationName)) <input name="name" required maxlength="64" pattern="[A-Za-z0-9._-]+"></label>\
            <label>\(t(.route)) <input name="sites" required maxlength="1000" placeholder="\(sites.prefix(3).map(\.id).joined(separator: ","))"></label>\
            <label>\(t(.stageDays)) <input name="days" type="number" min="1" max="365" value="30" required></label>\
            <label class="tick"><input type="checkbox" name="cyclic" value="1"> \(t(.cyclic))</label>\
            <label>\(t(.copyKeys)) <textarea name="items" rows="2" maxlength="20000" placeholder="label:LIB-000123 label:LIB-000124"></textarea></label>\
            <label>\(t(.orEveryCopy)) <input name="title" maxlength="200"></label><button>\(t(.startRotation))</button></form>
            """
        return page(t(.rotations), session, .rotations, "<p class=\"small\">\(t(.rotationsHelp))</p>" + table + form)
    }
}
