import Foundation

/// A rotation as `stationhub rotation list`, the API and the console show it.
public struct RotationRecord: Sendable, Equatable, Codable {
    public var name: String
    public var sites: [String]
    public var stageDays: Int
    public var cyclic: Bool
    public var startedMillis: Int64
    /// The stage running now and its site.
    public var stage: Int
    public var site: String
    /// When the next stage begins (nil: not cyclic and at its last site).
    public var nextMillis: Int64?
    public var copies: Int
    /// Copies at the stage's site now.
    public var arrived: Int
    /// Copies with an open move of this rotation (waiting to be pulled, or on their way).
    public var moving: Int
    public var endedMillis: Int64?

    enum CodingKeys: String, CodingKey {
        case name, sites, stageDays = "stage_days", cyclic, startedMillis = "started_ms", stage, site, nextMillis = "next_ms", copies, arrived, moving
        case endedMillis = "ended_ms"
    }
}

/// Rotations (``Rotations``): created with their collection, advanced by the hub's request
/// loop (and `stationhub rotation advance`), listed, ended. Each stage's moves are request
/// rows of purpose `rotation`, placed and cancelled under the copies' ledger locks.
extension HubStore {
    /// A new rotation of `items` (or every labelled copy of `title`) through `sites`,
    /// starting now at the first; its first stage's moves are placed at once.
    public func addRotation(
        _ name: String, sites: [String], stageDays: Int, cyclic: Bool, items: [String] = [], title: String? = nil, scope: ConsoleRole = .union,
        by actor: Actor, nowMillis: Int64 = HubIngest.nowMillis()
    ) async throws -> RotationRecord {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw HubError(.invalid, "a rotation's name is 1 to 64 letters, digits, -, _ or .", code: "invalid-parameter")
        }
        guard items.isEmpty != (title == nil) else { throw HubError(.invalid, "name the collection: copies (item keys) or a title, not both", code: "invalid-parameter") }
        try await engine.transaction { s in
            for site in Set(sites) { try await Self.requireSite(s, site, scope: scope) }
            var kinds: [String: String?] = [:]
            for r in try await s.rows("SELECT id, kind FROM site") { if let id = r[0].text { kinds[id] = .some(r[1].text) } }
            if let problem = Rotations.problem(sites: sites, stageDays: stageDays, cyclic: cyclic, kinds: kinds) {
                throw HubError(.invalid, problem, code: "invalid-parameter")
            }
            // Labelled copies (a title-only key stands for copies no pull list can tell apart)
            // where the ledger has them within the reader's scope.
            let here = scope.condition("coalesce(b.site_id, c.home_site)")
            let which = title.map { _ in "c.title = ?" } ?? "c.item_key IN \(SQLStatement.list(items.count))"
            let rows = try await s.rows(
                """
                SELECT c.item_key FROM catalog_title c LEFT JOIN ledger_book b ON b.item_key = c.item_key
                WHERE \(which) AND c.removed = 0 AND c.item_key LIKE 'label:%' AND \(here.sql) ORDER BY c.item_key
                """, (title.map { [.text($0)] } ?? items.map { .text($0) }) + here.arguments)
            let copies = rows.compactMap { $0[0].text }
            let absent = Set(items).subtracting(copies)
            guard absent.isEmpty else {
                throw HubError(.invalid, "not a labelled copy of the catalog within your sites: \(absent.sorted().joined(separator: ", "))", code: "not-in-catalog")
            }
            guard !copies.isEmpty else { throw HubError(.invalid, "no labelled copy titled \(title ?? "")", code: "not-in-catalog") }
            try await s.lock(.ledgerRows(["rotation|\(name)"] + copies.map { "book|\($0)" }))
            let taken = try await s.rows(
                """
                SELECT rc.item_key, rc.rotation FROM rotation_copy rc JOIN rotation r ON r.name = rc.rotation
                WHERE r.ended_ms IS NULL AND rc.item_key IN \(SQLStatement.list(copies.count)) ORDER BY rc.item_key
                """, copies.map { .text($0) })
            if let t = taken.first { throw HubError(.conflict, "\(t[0].text ?? "") travels with rotation \(t[1].text ?? "") already", code: "in-a-rotation") }
            let created = try await s.rows(
                "INSERT INTO rotation (name, stage_days, cyclic, started_ms, created_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING name",
                [.text(name), .int(Int64(stageDays)), .int(cyclic ? 1 : 0), .int(nowMillis), .text(actor.name)])
            guard !created.isEmpty else { throw HubError(.conflict, "rotation \(name) exists", code: "rotation-exists") }
            try await s.execute(
                SQLStatement.insert(
                    into: "rotation_stop", columns: ["rotation", "position", "site_id"], rows: sites.enumerated().map { [.text(name), .int(Int64($0.offset)), .text($0.element)] }))
            for chunk in SQLStatement.chunks(copies, size: 500) {
                try await s.execute(SQLStatement.insert(into: "rotation_copy", columns: ["rotation", "item_key"], rows: chunk.map { [.text(name), .text($0)] }))
            }
            try await Self.audit(s, actor, "rotation.add", name, "\(copies.count) copies through \(sites.joined(separator: " → "))\(cyclic ? " and round" : ""), \(stageDays) days each")
            try await self.advance(s, rotation: name, by: actor, nowMillis: nowMillis)
        }
        return try await rotation(name, scope: scope, nowMillis: nowMillis)
    }

    /// Every running rotation brought to its stage now: answers the moves placed and cancelled.
    @discardableResult
    public func advanceRotations(by actor: Actor = Actor(name: "hub", origin: "rotations"), nowMillis: Int64 = HubIngest.nowMillis()) async throws -> Int {
        let names = try await engine.read(SQLStatement("SELECT name FROM rotation WHERE ended_ms IS NULL ORDER BY name", [])).compactMap { $0[0].text }
        var changed = 0
        for name in names {
            changed += try await engine.transaction { s in try await self.advance(s, rotation: name, by: actor, nowMillis: nowMillis) }
        }
        return changed
    }

    /// One rotation brought to its stage, its copies and its name locked.
    @discardableResult
    func advance(_ s: any SQLSession, rotation name: String, by actor: Actor, nowMillis: Int64) async throws -> Int {
        let keys = try await s.rows("SELECT item_key FROM rotation_copy WHERE rotation = ? ORDER BY item_key", [.text(name)]).compactMap { $0[0].text }
        try await s.lock(.ledgerRows(["rotation|\(name)"] + keys.map { "book|\($0)" }))
        guard let r = try await s.rows("SELECT stage_days, cyclic, started_ms, stage FROM rotation WHERE name = ? AND ended_ms IS NULL", [.text(name)]).first,
            let route = Self.route(r, stops: try await Self.stops({ try await s.rows($0) }, [name])[name] ?? [])
        else { return 0 }
        let stage = route.stage(at: nowMillis)
        let target = route.site(ofStage: stage)
        let copies = try await s.rows(
            """
            SELECT c.item_key, CASE WHEN c.removed = 0 THEN coalesce(b.site_id, c.home_site) END, q.id, q.purpose, q.rotation, q.pickup_site
            FROM rotation_copy rc JOIN catalog_title c ON c.item_key = rc.item_key LEFT JOIN ledger_book b ON b.item_key = rc.item_key
            LEFT JOIN request q ON q.item_key = rc.item_key AND q.active = 1
            WHERE rc.rotation = ?
            """, [.text(name)]
        ).compactMap { row -> Rotations.Copy? in
            guard let key = row[0].text else { return nil }
            let holder: Rotations.Holder =
                if let id = row[2].text { row[3].text == "rotation" && row[4].text == name ? .rotation(id: id, to: row[5].text ?? "") : .other } else { .free }
            return Rotations.Copy(itemKey: key, site: row[1].text, holder: holder)
        }
        let actions = Rotations.plan(target: target, copies: copies)
        var cancelled: [String] = []
        for action in actions {
            switch action {
            case .cancel(let id):
                let item = try await s.value("UPDATE request SET cancelled_ms = ? WHERE id = ? RETURNING item_key", [.int(nowMillis), .text(id)])?.text
                if let item { cancelled.append(item) }
            case .place(let item, let to):
                if !cancelled.isEmpty {
                    try await recomputeRequests(s, items: cancelled, entries: try await Self.entries(s, items: cancelled), nowMillis: nowMillis)
                    cancelled = []
                }
                // (A request the cancelled move had displaced may hold the copy again: it goes first.)
                guard try await s.rows("SELECT 1 FROM request WHERE item_key = ? AND active = 1", [.text(item)]).isEmpty else { continue }
                _ = try await Self.placeMove(s, item: item, to: to, purpose: .rotation, rotation: name, client: "rotation", nowMillis: nowMillis)
            }
        }
        if !cancelled.isEmpty { try await recomputeRequests(s, items: cancelled, entries: try await Self.entries(s, items: cancelled), nowMillis: nowMillis) }
        if r[3].int != Int64(stage) {
            try await s.execute("UPDATE rotation SET stage = ? WHERE name = ?", [.int(Int64(stage)), .text(name)])
            try await Self.audit(s, actor, "rotation.stage", name, "stage \(stage + 1) at \(target)")
        }
        return actions.count
    }

    /// A route from a row of (stage_days, cyclic, started_ms, …) and its stops.
    static func route(_ r: SQLRow, stops: [String]) -> Rotations.Route? {
        guard let days = r[0].int, let started = r[2].int, !stops.isEmpty else { return nil }
        return Rotations.Route(sites: stops, stageDays: Int(days), cyclic: r[1].bool, startedMillis: started)
    }

    /// Statements of a transaction, or reads on their own (lists need no writer).
    typealias Rows = (SQLStatement) async throws -> [SQLRow]

    /// The stops of these rotations, in order.
    static func stops(_ rows: Rows, _ names: [String]) async throws -> [String: [String]] {
        guard !names.isEmpty else { return [:] }
        var out: [String: [String]] = [:]
        for r in try await rows(
            SQLStatement("SELECT rotation, site_id FROM rotation_stop WHERE rotation IN \(SQLStatement.list(names.count)) ORDER BY rotation, position", names.map { .text($0) }))
        {
            if let name = r[0].text, let site = r[1].text { out[name, default: []].append(site) }
        }
        return out
    }

    /// A rotation whose whole route lies in `scope`, as a condition on `rotation` aliased `r`.
    static func routeIn(_ scope: ConsoleRole) -> (sql: String, arguments: [SQLValue]) {
        let inScope = scope.condition("st.site_id")
        return ("NOT EXISTS (SELECT 1 FROM rotation_stop st WHERE st.rotation = r.name AND NOT (\(inScope.sql)))", inScope.arguments)
    }

    /// Rotations whose whole route lies in the reader's scope, running first, then by name.
    public func rotations(scope: ConsoleRole = .union, nowMillis: Int64 = HubIngest.nowMillis()) async throws -> [RotationRecord] {
        try await Self.rotations({ try await self.engine.read($0) }, scope: scope, nowMillis: nowMillis)
    }

    /// Three statements whatever the number of rotations: the rotations, their stops, and
    /// where their copies are (not in transit), by rotation and site.
    static func rotations(_ rows: Rows, scope: ConsoleRole, name: String? = nil, nowMillis: Int64) async throws -> [RotationRecord] {
        let seen = routeIn(scope)
        let found = try await rows(
            SQLStatement(
                """
                SELECT r.stage_days, r.cyclic, r.started_ms, r.stage, r.name, r.ended_ms,
                    (SELECT count(*) FROM rotation_copy rc WHERE rc.rotation = r.name),
                    (SELECT count(*) FROM request q WHERE q.rotation = r.name AND q.active = 1)
                FROM rotation r WHERE \(seen.sql) AND (CAST(? AS TEXT) IS NULL OR r.name = ?)
                ORDER BY CASE WHEN r.ended_ms IS NULL THEN 0 ELSE 1 END, r.name
                """, seen.arguments + [SQLValue(name), SQLValue(name)]))
        let names = found.compactMap { $0[4].text }
        guard !names.isEmpty else { return [] }
        let stops = try await Self.stops(rows, names)
        var at: [String: Int64] = [:]  // rotation|site -> copies there
        for r in try await rows(
            SQLStatement(
                """
                SELECT rc.rotation, coalesce(b.site_id, c.home_site), count(*)
                FROM rotation_copy rc JOIN catalog_title c ON c.item_key = rc.item_key LEFT JOIN ledger_book b ON b.item_key = rc.item_key
                WHERE rc.rotation IN \(SQLStatement.list(names.count)) AND b.transit_from IS NULL
                GROUP BY rc.rotation, coalesce(b.site_id, c.home_site)
                """, names.map { .text($0) }))
        {
            if let rotation = r[0].text, let site = r[1].text { at[rotation + "|" + site] = r[2].int ?? 0 }
        }
        return found.compactMap { r -> RotationRecord? in
            guard let name = r[4].text, let route = Self.route(r, stops: stops[name] ?? []) else { return nil }
            let stage = route.stage(at: r[5].int ?? nowMillis)
            let site = route.site(ofStage: stage)
            let last = !route.cyclic && stage == route.sites.count - 1
            return RotationRecord(
                name: name, sites: route.sites, stageDays: route.stageDays, cyclic: route.cyclic, startedMillis: route.startedMillis, stage: stage, site: site,
                nextMillis: last || r[5].int != nil ? nil : route.start(ofStage: stage + 1), copies: Int(r[6].int ?? 0), arrived: Int(at[name + "|" + site] ?? 0),
                moving: Int(r[7].int ?? 0), endedMillis: r[5].int)
        }
    }

    /// One rotation (whose whole route lies in the reader's scope: else not found).
    public func rotation(_ name: String, scope: ConsoleRole = .union, nowMillis: Int64 = HubIngest.nowMillis()) async throws -> RotationRecord {
        try await Self.rotation({ try await self.engine.read($0) }, name, scope: scope, nowMillis: nowMillis)
    }

    static func rotation(_ rows: Rows, _ name: String, scope: ConsoleRole, nowMillis: Int64) async throws -> RotationRecord {
        guard let r = try await rotations(rows, scope: scope, name: name, nowMillis: nowMillis).first else {
            throw HubError(.notFound, "no rotation \(name)", code: "no-rotation")
        }
        return r
    }

    /// Ends a rotation (one whose whole route lies in the reader's scope): its open moves
    /// are cancelled, its copies stay where they are.
    public func endRotation(_ name: String, scope: ConsoleRole = .union, by actor: Actor, nowMillis: Int64 = HubIngest.nowMillis()) async throws -> RotationRecord {
        try await engine.transaction { s in
            _ = try await Self.rotation({ try await s.rows($0) }, name, scope: scope, nowMillis: nowMillis)
            let keys = try await s.rows("SELECT item_key FROM rotation_copy WHERE rotation = ?", [.text(name)]).compactMap { $0[0].text }
            try await s.lock(.ledgerRows(["rotation|\(name)"] + keys.map { "book|\($0)" }))
            guard !(try await s.rows("UPDATE rotation SET ended_ms = ? WHERE name = ? AND ended_ms IS NULL RETURNING name", [.int(nowMillis), .text(name)])).isEmpty else {
                throw HubError(.conflict, "rotation \(name) has ended already", code: "rotation-ended")
            }
            // Open ones, also those a request placed before them displaced for a while.
            let open = try await s.rows(
                "UPDATE request SET cancelled_ms = ? WHERE rotation = ? AND cancelled_ms IS NULL AND state IN ('placed', 'in-transit') RETURNING item_key",
                [.int(nowMillis), .text(name)]
            ).compactMap { $0[0].text }
            if !open.isEmpty { try await self.recomputeRequests(s, items: open, entries: try await Self.entries(s, items: open), nowMillis: nowMillis) }
            try await Self.audit(s, actor, "rotation.end", name, "\(open.count) moves cancelled")
            return try await Self.rotation({ try await s.rows($0) }, name, scope: scope, nowMillis: nowMillis)
        }
    }
}
