import Foundation
import StationCore
import StationProtocol

/// Sites and boxes as operators run them, written once for `stationhub` and the console;
/// every change is written to the audit log in its own transaction.
extension HubStore {
    /// Appends to the audit log, in the transaction of the change it records.
    static func audit(_ s: any SQLSession, _ actor: Actor, _ action: String, _ subject: String, _ detail: String = "") async throws {
        try await s.execute(
            "INSERT INTO audit (at_ms, actor, origin, action, subject, detail) VALUES (?, ?, ?, ?, ?, ?)",
            [.int(HubIngest.nowMillis()), .text(actor.name), .text(actor.origin), .text(action), .text(subject), .text(detail)])
    }

    /// Refuses a site that does not exist, or that `scope` does not see (the same answer:
    /// an id outside one's scope is not told apart from one that does not exist).
    static func requireSite(_ s: any SQLSession, _ site: String, scope: ConsoleRole = .union) async throws {
        let inScope = scope.condition("id")
        guard try await !s.rows("SELECT 1 FROM site WHERE id = ? AND \(inScope.sql)", [.text(site)] + inScope.arguments).isEmpty else {
            throw HubError(.notFound, scope == .union ? "no site \(site): create it with `stationhub site add \(site)`" : "no site \(site)")
        }
    }

    /// A box's site, if the box exists and `scope` sees it.
    static func siteOfBox(_ s: any SQLSession, _ box: String, scope: ConsoleRole) async throws -> String {
        let inScope = scope.condition("site_id")
        guard let site = try await s.value("SELECT site_id FROM box WHERE id = ? AND \(inScope.sql)", [.text(box)] + inScope.arguments)?.text else {
            throw HubError(.notFound, "no box \(box)")
        }
        return site
    }

    /// The region a new or changed site gets under `scope`: a region's operator keeps
    /// every site in their region; a site manager changes no site's fields.
    static func regionUnder(_ scope: ConsoleRole, asked region: String?) throws -> String? {
        switch scope {
        case .union: return region
        case .region(let r):
            if let region, region != r { throw HubError(.forbidden, "a site is put in region \(r) only by its operators, not in \(region)", code: "out-of-scope") }
            return r
        case .site: throw HubError(.forbidden, "a site manager does not change sites", code: "out-of-scope")
        }
    }

    // MARK: - Sites

    /// The site kinds boxes know (`[site] kind`).
    public static let siteKinds = KioskSettings.SiteKind.allCases.map(\.rawValue)

    /// A site, in a region (reports rank titles per region).
    public func addSite(_ id: String, region: String?, name: String? = nil, kind: String? = nil, by actor: Actor = .process, scope: ConsoleRole = .union) async throws {
        try Self.checkSiteFields(id: id, kind: kind)
        let region = try Self.regionUnder(scope, asked: region)
        try await engine.transaction { s in
            let created = try await s.rows(
                "INSERT INTO site (id, region, name, kind) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                [.text(id), SQLValue(region), SQLValue(name), SQLValue(kind)])
            guard !created.isEmpty else { throw HubError(.conflict, "site \(id) exists: change it with `stationhub site set \(id)`") }
            try await Self.audit(s, actor, "site.add", id, [region.map { "region=\($0)" }, name.map { "name=\($0)" }, kind.map { "kind=\($0)" }].compactMap { $0 }.joined(separator: " "))
        }
    }

    static func checkSiteFields(id: String, kind: String?) throws {
        guard !id.isEmpty, id.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw HubError(.invalid, "a site id is 1 to 64 letters, digits, -, _ or . (boxes record it in every event)")
        }
        if let kind, !siteKinds.contains(kind) { throw HubError(.invalid, "kind \(kind): \(siteKinds.joined(separator: ", "))") }
    }

    /// Changes a site's name, kind or region; nil leaves a field as it is, "" clears it.
    /// `settings`: what its boxes use (``KioskSettings/hubSettings``), each checked before
    /// anything is written; all of it is one transaction.
    public func updateSite(
        _ id: String, name: String? = nil, kind: String? = nil, region: String? = nil, settings: [(key: String, value: String)] = [], by actor: Actor = .process,
        scope: ConsoleRole = .union
    ) async throws {
        try Self.checkSiteFields(id: id, kind: kind.flatMap { $0.isEmpty ? nil : $0 })
        if scope != .union { _ = try Self.regionUnder(scope, asked: region) }
        for setting in settings { try Self.checkSetting(setting.key, setting.value) }
        try await engine.transaction { s in
            try await Self.requireSite(s, id, scope: scope)
            for setting in settings { try await Self.writeSetting(s, site: id, key: setting.key, value: setting.value, by: actor) }
            var changes: [String] = []
            for (column, value) in [("name", name), ("kind", kind), ("region", region)] {
                guard let value else { continue }
                try await s.execute("UPDATE site SET \(column) = ? WHERE id = ?", [value.isEmpty ? .null : .text(value), .text(id)])
                changes.append("\(column)=\(value)")
            }
            if !changes.isEmpty { try await Self.audit(s, actor, "site.set", id, changes.joined(separator: " ")) }
        }
    }

    /// Every site `scope` sees, in id order.
    public func sites(scope: ConsoleRole = .union) async throws -> [SiteRecord] {
        let inScope = scope.condition("s.id")
        let rows = try await engine.read(
            SQLStatement(
                "SELECT s.id, s.name, s.kind, s.region, (SELECT count(*) FROM box b WHERE b.site_id = s.id) FROM site s WHERE \(inScope.sql) ORDER BY s.id",
                inScope.arguments))
        var settings: [String: [String: String]] = [:]
        for row in try await engine.read(SQLStatement("SELECT site_id, key, value FROM site_setting")) {
            if let site = row[0].text, let key = row[1].text { settings[site, default: [:]][key] = row[2].text }
        }
        return rows.compactMap { r in
            guard let id = r[0].text else { return nil }
            return SiteRecord(id: id, name: r[1].text, kind: r[2].text, region: r[3].text, boxes: Int(r[4].int ?? 0), settings: settings[id] ?? [:])
        }
    }

    public func site(_ id: String, scope: ConsoleRole = .union) async throws -> SiteRecord {
        guard let site = try await sites(scope: scope).first(where: { $0.id == id }) else { throw HubError(.notFound, "no site \(id)") }
        return site
    }

    // MARK: - Boxes

    /// Creates a box of `site`, or reissues the token of a box there (a replacement box:
    /// the old credential stops working when the new one enrolls); answers the one-time
    /// enrollment token.
    public func addBox(_ id: String, site: String, by actor: Actor = .process, scope: ConsoleRole = .union) async throws -> String {
        try await addBoxes([(id, site)], replacing: true, by: actor, scope: scope)[0]
    }

    /// Creates boxes in one transaction and answers their tokens, in order. Without
    /// `replacing`, a box that exists already is refused (a CSV run twice must not reissue
    /// every token); nothing is created unless all are.
    public func addBoxes(
        _ boxes: [(id: String, site: String)], replacing: Bool = false, by actor: Actor = .process, scope: ConsoleRole = .union
    ) async throws -> [String] {
        guard scope.mayAddBoxes else { throw HubError(.forbidden, "a site manager does not add or replace boxes: ask the region's operators", code: "out-of-scope") }
        for b in boxes where !b.id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) || b.id.isEmpty || b.id.count > 64 {
            throw HubError(.invalid, "box id \(b.id): 1 to 64 letters, digits, -, _ or .")
        }
        // (`hub` is what the ledger calls the operators' corrections: see HubStore+Stocktake.)
        if boxes.contains(where: { $0.id == Self.correctionsBox }) { throw HubError(.invalid, "box id \(Self.correctionsBox) is the hub's own") }
        let tokens = boxes.map { _ in HubIngest.randomSecret() }
        try await engine.transaction { s in
            for site in Set(boxes.map(\.site)) { try await Self.requireSite(s, site, scope: scope) }
            var existing: [String: String] = [:]
            for chunk in SQLStatement.chunks(boxes.map { SQLValue.text($0.id) }) {
                for row in try await s.rows("SELECT id, site_id FROM box WHERE id IN \(SQLStatement.list(chunk.count))", chunk) {
                    if let id = row[0].text, let site = row[1].text { existing[id] = site }
                }
            }
            for b in boxes {
                guard let held = existing[b.id] else { continue }
                if held != b.site { throw HubError(.conflict, "box \(b.id) stands at \(held): move it with `stationhub box move \(b.id) \(b.site)`") }
                if !replacing { throw HubError(.conflict, "box \(b.id) exists: `stationhub box add \(b.id) --site \(b.site)` replaces it") }
            }
            try await s.execute(
                SQLStatement.insert(
                    into: "box", columns: ["id", "site_id"], rows: boxes.filter { existing[$0.id] == nil }.map { [.text($0.id), .text($0.site)] }))
            try await s.execute(
                SQLStatement.insert(
                    into: "enrollment_token", columns: ["token_hash", "box_id"], rows: zip(boxes, tokens).map { [.text(HubIngest.hash($1)), .text($0.id)] }))
            for b in boxes { try await Self.audit(s, actor, existing[b.id] == nil ? "box.add" : "box.replace", b.id, "site=\(b.site)") }
        }
        return tokens
    }

    /// Revokes a box: it keeps recording locally; the hub refuses its uploads with `reason`.
    public func revoke(_ id: String, reason: String, by actor: Actor = .process, scope: ConsoleRole = .union) async throws {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= 500 else { throw HubError(.invalid, "a revocation says why, in 1 to 500 characters", code: "invalid-reason") }
        try await engine.transaction { s in
            let inScope = scope.condition("site_id")
            guard
                try await !s.rows(
                    "UPDATE box SET revoked_reason = ?, revoked_ms = ? WHERE id = ? AND \(inScope.sql) RETURNING id",
                    [.text(reason), .int(HubIngest.nowMillis()), .text(id)] + inScope.arguments
                ).isEmpty
            else {
                throw HubError(.notFound, "no box \(id)")
            }
            try await Self.audit(s, actor, "box.revoke", id, reason)
        }
    }

    /// Lifts a revocation: the box's credential works again (a box revoked by mistake, or
    /// found again) without a new enrollment.
    public func unrevoke(_ id: String, by actor: Actor = .process) async throws {
        try await engine.transaction { s in
            guard let row = try await s.rows("SELECT revoked_reason FROM box WHERE id = ?", [.text(id)]).first else { throw HubError(.notFound, "no box \(id)") }
            guard row[0].text != nil else { throw HubError(.conflict, "box \(id) is not revoked") }
            try await s.execute("UPDATE box SET revoked_reason = NULL, revoked_ms = NULL WHERE id = ?", [.text(id)])
            try await Self.audit(s, actor, "box.unrevoke", id)
        }
    }

    /// Moves a box to another site. Its events recorded before it learns of the move name
    /// the old site and are still taken; the downlink tells it its new site.
    public func moveBox(_ id: String, to site: String, by actor: Actor = .process) async throws {
        try await engine.transaction { s in
            try await Self.requireSite(s, site)
            guard let from = try await s.value("SELECT site_id FROM box WHERE id = ?", [.text(id)])?.text else { throw HubError(.notFound, "no box \(id)") }
            guard from != site else { throw HubError(.conflict, "box \(id) stands at \(site) already") }
            try await s.execute(
                "INSERT INTO box_former_site (box_id, site_id, until_ms) VALUES (?, ?, ?) ON CONFLICT (box_id, site_id) DO UPDATE SET until_ms = excluded.until_ms",
                [.text(id), .text(from), .int(HubIngest.nowMillis())])
            try await s.execute("DELETE FROM box_former_site WHERE box_id = ? AND site_id = ?", [.text(id), .text(site)])
            try await s.execute("UPDATE box SET site_id = ? WHERE id = ?", [.text(site), .text(id)])
            try await Self.audit(s, actor, "box.move", id, "from=\(from) to=\(site)")
        }
    }

    /// Every box, or a site's, or one (`id`), in id order.
    public func boxes(site: String? = nil, id: String? = nil, scope: ConsoleRole = .union) async throws -> [BoxRecord] {
        var sql = """
            SELECT b.id, b.site_id, CASE WHEN b.credential_hash IS NULL THEN 0 ELSE 1 END, b.revoked_reason, b.enrolled_ms, b.revoked_ms, b.last_seen_ms, b.last_batch_ms,
                   b.acked_through, b.backlog, b.software,
                   (SELECT c.offset_ms FROM clock_correction c WHERE c.box_id = b.id ORDER BY c.received_ms DESC LIMIT 1),
                   (SELECT max(c.received_ms) FROM clock_correction c WHERE c.box_id = b.id)
            FROM box b
            """
        let inScope = scope.condition("b.site_id")
        var arguments: [SQLValue] = inScope.arguments, conditions: [String] = [inScope.sql]
        if let site {
            conditions.append("b.site_id = ?")
            arguments.append(.text(site))
        }
        if let id {
            conditions.append("b.id = ?")
            arguments.append(.text(id))
        }
        sql += " WHERE " + conditions.joined(separator: " AND ")
        sql += " ORDER BY b.id"
        var former: [String: [String]] = [:]
        let formerOf = id.map { SQLStatement("SELECT box_id, site_id FROM box_former_site WHERE box_id = ? ORDER BY until_ms", [.text($0)]) }
        for row in try await engine.read(formerOf ?? SQLStatement("SELECT box_id, site_id FROM box_former_site ORDER BY until_ms")) {
            if let box = row[0].text, let s = row[1].text { former[box, default: []].append(s) }
        }
        return try await engine.read(SQLStatement(sql, arguments)).compactMap { r in
            guard let id = r[0].text, let site = r[1].text else { return nil }
            let state: BoxRecord.State = r[3].text != nil ? .revoked : r[2].int == 1 ? .enrolled : .waiting
            return BoxRecord(
                id: id, site: site, state: state, revokedReason: r[3].text, enrolledMillis: r[4].int, revokedMillis: r[5].int, lastSeenMillis: r[6].int,
                lastBatchMillis: r[7].int, ackedThrough: r[8].int ?? 0, backlog: r[9].int, software: r[10].text, clockOffsetMillis: r[11].int,
                clockCorrectedMillis: r[12].int, formerSites: former[id] ?? [])
        }
    }

    public func box(_ id: String, scope: ConsoleRole = .union) async throws -> BoxRecord {
        guard let box = try await boxes(id: id, scope: scope).first else { throw HubError(.notFound, "no box \(id)") }
        return box
    }

    /// The audit log, newest first.
    public func auditLog(limit: Int = 200, offset: Int = 0) async throws -> [AuditRecord] {
        try await engine.read(
            SQLStatement("SELECT at_ms, actor, origin, action, subject, detail FROM audit ORDER BY id DESC LIMIT ? OFFSET ?", [.int(Int64(limit)), .int(Int64(offset))])
        ).map { r in
            AuditRecord(atMillis: r[0].int ?? 0, actor: r[1].text ?? "", origin: r[2].text ?? "", action: r[3].text ?? "", subject: r[4].text ?? "", detail: r[5].text ?? "")
        }
    }
}
