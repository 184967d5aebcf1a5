import Foundation
import StationCore
import StationProtocol

/// What boxes send besides events (clock corrections, device-log lines) and what goes
/// down to them (catalog, member cards, public keys, site settings). Every row changed for
/// boxes takes the next revision from one counter row, held by its writer until commit, so
/// revisions become visible in order.
extension HubStore {
    // MARK: - Clock corrections and the device log

    /// Stores a box's clock corrections (each once) and re-times that boot's unsynchronised
    /// events; the ledger rows they touch are recomputed in the same transaction.
    public func addClockCorrections(box: String, _ corrections: [ClockCorrection]) async throws -> Int {
        let now = HubIngest.nowMillis()
        return try await engine.transaction { s in
            // With the box's batches: an event applied meanwhile is corrected by one or the other.
            try await s.lock(.box(box))
            try await s.execute(
                SQLStatement.insert(
                    into: "clock_correction", columns: ["box_id", "boot_id", "source", "mono_us", "offset_ms", "recorded_wall_ms", "received_ms"],
                    rows: corrections.map {
                        [.text(box), .text($0.bootID), .text($0.source.rawValue), .int($0.monotonicMicros), .int($0.offsetMillis), .int($0.recordedWallMillis), .int(now)]
                    }, suffix: "ON CONFLICT DO NOTHING"))
            var touched = LedgerKeys()
            for (boot, offset) in try await Self.clockOffsets(s, box: box, boots: Set(corrections.map(\.bootID))).sorted(by: { $0.key < $1.key }) {
                // The months the events leave and the months they come to.
                let moving = "box_id = ? AND boot_id = ? AND clock_synced = 0 AND corrected_ms IS DISTINCT FROM wall_ms + ?"
                let arguments: [SQLValue] = [.text(box), .text(boot), .int(offset)]
                touched.formUnion(LedgerKeys(rows: try await s.rows("SELECT \(LedgerKeys.eventColumns) FROM event WHERE \(moving)", arguments)))
                let changed = try await s.rows(
                    "UPDATE event SET corrected_ms = wall_ms + ? WHERE \(moving) RETURNING \(LedgerKeys.eventColumns)", [.int(offset)] + arguments)
                touched.formUnion(LedgerKeys(rows: changed))
            }
            try await self.rebuildLedger(s, touched)
            return corrections.count
        }
    }

    /// Keeps a box's warnings and errors for the site manager's central view, each line once.
    public func addDeviceLog(box: String, _ lines: [DeviceLogLine]) async throws -> Int {
        let now = HubIngest.nowMillis()
        try await engine.transaction { s in
            try await s.execute(
                SQLStatement.insert(
                    into: "device_log", columns: ["box_id", "id", "at_ms", "level", "scanner_id", "message", "received_ms"],
                    rows: lines.map { [.text(box), .int($0.id), .int($0.atMillis), .text($0.level), SQLValue($0.scannerID), .text($0.message), .int(now)] },
                    suffix: "ON CONFLICT DO NOTHING"))
        }
        return lines.count
    }

    /// A box's device-log lines the hub holds, oldest first.
    public func deviceLog(box: String) async throws -> [DeviceLogLine] {
        try await engine.read(SQLStatement("SELECT id, at_ms, level, scanner_id, message FROM device_log WHERE box_id = ? ORDER BY id", [.text(box)])).map {
            DeviceLogLine(id: $0[0].int ?? 0, atMillis: $0[1].int ?? 0, level: $0[2].text ?? "", scannerID: $0[3].text, message: $0[4].text ?? "")
        }
    }

    // MARK: - Downlink

    /// `count` new revisions, in order.
    static func nextRevisions(_ s: any SQLSession, _ count: Int) async throws -> [Int64] {
        guard count > 0, let last = try await s.value("UPDATE revision SET value = value + ? WHERE id = 1 RETURNING value", [.int(Int64(count))])?.int else {
            return []
        }
        return Array((last - Int64(count) + 1)...last)
    }

    /// Rows of `table` keyed by `key` that differ from what is held (new, or changed),
    /// written with a revision each; answers their keys. `values(item)` is the key, then
    /// the `columns`.
    func upsertChanged<T>(
        _ s: any SQLSession, _ items: [T], table: String, key: String, columns: [String], values: (T) -> [SQLValue], progress: ImportProgress? = nil
    ) async throws -> [String] {
        var held: [String: [SQLValue]] = [:]
        let chunks = SQLStatement.chunks(items.map { values($0) })
        for (n, chunk) in chunks.enumerated() {
            let rows = try await s.rows(
                "SELECT \(([key] + columns).joined(separator: ", ")) FROM \(table) WHERE \(key) IN \(SQLStatement.list(chunk.count))", chunk.map { $0[0] })
            for row in rows { if let k = row[0].text { held[k] = Array(row[1...]) } }
            progress?(.compare, n + 1, chunks.count)
        }
        // A key given twice takes its last values, as if imported one after the other.
        let all = items.map(values)
        var last: [String: Int] = [:]
        for (i, v) in all.enumerated() { if let k = v[0].text { last[k] = i } }
        let changed = all.enumerated().compactMap { i, v -> [SQLValue]? in
            guard let k = v[0].text, last[k] == i, held[k] != Array(v[1...]) else { return nil }
            return v
        }
        let revisions = try await Self.nextRevisions(s, changed.count)
        let updates = columns.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        let statements = SQLStatement.insert(
            into: table, columns: [key] + columns + ["revision"], rows: zip(changed, revisions).map { $0 + [.int($1)] },
            suffix: "ON CONFLICT (\(key)) DO UPDATE SET \(updates), revision = excluded.revision")
        for (n, statement) in statements.enumerated() {
            try await s.execute(statement)
            progress?(.write, n + 1, statements.count)
        }
        return changed.compactMap { $0[0].text }
    }

    /// `stationhub site set SITE KEY=VALUE`: what a box would accept, and nothing else
    /// (StationCore holds the one table).
    public func setSiteSetting(site: String, key: String, value: String, by actor: Actor = .process) async throws {
        try Self.checkSetting(key, value)
        try await engine.transaction { s in
            guard try await !s.rows("SELECT 1 FROM site WHERE id = ?", [.text(site)]).isEmpty else { throw HubError(.notFound, "no site \(site)") }
            try await Self.writeSetting(s, site: site, key: key, value: value, by: actor)
        }
    }

    /// Refuses a setting boxes would not take.
    static func checkSetting(_ key: String, _ value: String) throws {
        if case .failure(let problem) = KioskSettings(siteID: "-", siteKind: .bookshelf).applying(key, value) {
            throw HubError(.invalid, problem.description)
        }
    }

    /// Writes one site setting (a new revision, so boxes get it) unless it holds that value.
    static func writeSetting(_ s: any SQLSession, site: String, key: String, value: String, by actor: Actor) async throws {
        if try await s.value("SELECT value FROM site_setting WHERE site_id = ? AND key = ?", [.text(site), .text(key)])?.text == value { return }
        let revision = try await nextRevisions(s, 1)[0]
        try await s.execute(
            """
            INSERT INTO site_setting (site_id, key, value, revision) VALUES (?, ?, ?, ?)
            ON CONFLICT (site_id, key) DO UPDATE SET value = excluded.value, revision = excluded.revision
            """, [.text(site), .text(key), .text(value), .int(revision)])
        try await audit(s, actor, "site.setting", site, "\(key)=\(value)")
    }

    /// Publishes the public halves of the hub's keys (at `serve`): a new version takes a
    /// revision and reaches every box with its next downlink.
    public func publishKeys(purpose: String, _ keys: [Int: String]) async throws {
        try await engine.transaction { s in
            for (version, material) in keys.sorted(by: { $0.key < $1.key }) {
                let held = try await s.value("SELECT material FROM public_key WHERE purpose = ? AND version = ?", [.text(purpose), .int(Int64(version))])
                if held?.text == material { continue }
                let revision = try await Self.nextRevisions(s, 1)[0]
                try await s.execute(
                    """
                    INSERT INTO public_key (purpose, version, material, revision) VALUES (?, ?, ?, ?)
                    ON CONFLICT (purpose, version) DO UPDATE SET material = excluded.material, revision = excluded.revision
                    """, [.text(purpose), .int(Int64(version)), .text(material), .int(revision)])
            }
        }
    }

    /// What changed for `box` at `site` after revision `since`, at most `limit` rows,
    /// oldest first; `revision` is where the next request continues (equal to `since` when
    /// nothing changed). One statement, so the rows and the counter come from one snapshot.
    public func downlink(box: String, site: String, since: Int64, limit: Int = 5000) async throws -> Downlink {
        let rows = try await engine.read(
            SQLStatement(
                """
                SELECT revision, what, a, b, c FROM (
                    SELECT revision, CASE WHEN removed = 1 THEN 'title-removed' ELSE 'title' END AS what, item_key AS a, title AS b, home_site AS c
                        FROM catalog_title WHERE revision > ?
                    UNION ALL SELECT revision, CASE WHEN removed = 1 THEN 'member-removed' ELSE 'member' END, card_uid, member, NULL
                        FROM member_card WHERE revision > ?
                    UNION ALL SELECT revision, 'key', purpose, CAST(version AS TEXT), material FROM public_key WHERE revision > ?
                    UNION ALL SELECT revision, 'setting', key, value, NULL FROM site_setting WHERE revision > ? AND site_id = ?
                    UNION ALL SELECT revision, 'forget', CAST(seq AS TEXT), NULL, NULL FROM forget WHERE revision > ? AND box_id = ?
                    ORDER BY revision LIMIT ?) AS page
                UNION ALL SELECT value, 'head', NULL, NULL, NULL FROM revision WHERE id = 1
                UNION ALL SELECT count(*), 'read', NULL, NULL, NULL FROM forget WHERE box_id = ? AND revision <= ?
                ORDER BY revision
                """, [.int(since), .int(since), .int(since), .int(since), .text(site), .int(since), .text(box), .int(Int64(limit)), .text(box), .int(since)]))
        var d = Downlink(revision: since, catalog: [], members: [], keys: [], siteConfig: [:])
        d.siteID = site
        var count = 0, head = since, read: Int64 = 0
        for row in rows {
            let (a, b, c) = (row[2].text ?? "", row[3].text, row[4].text)
            switch row[1].text {
            case "head":
                head = row[0].int ?? since
                continue
            case "read":
                read = row[0].int ?? 0
                continue
            case "title": d.catalog.append(.init(itemKey: a, title: b, homeSite: c))
            case "title-removed": d.catalog.append(.init(itemKey: a, title: nil, homeSite: nil, removed: true))
            case "member": d.members.append(.init(cardUID: a, member: b ?? ""))
            case "member-removed": d.members.append(.init(cardUID: a, member: b ?? "", removed: true))
            case "key": d.keys.append(.init(purpose: a, version: Int(b ?? "") ?? 0, material: c ?? ""))
            case "forget": d.forget = (d.forget ?? []) + [Int64(a) ?? 0]
            default: d.siteConfig[a] = b ?? ""
            }
            count += 1
            d.revision = max(d.revision, row[0].int ?? 0)
        }
        // Rows of other sites' settings and other boxes' hashes are skipped, so the revision
        // may stop short of the newest: moving it to the newest revision held when the page
        // was not full spares the box asking again for nothing.
        if count < limit { d.revision = max(d.revision, head) }
        (d.pulls, d.holds) = try await siteRequests(site: site)
        // A box asking from `since` has what came before: its erased seqs are kept no longer.
        if read > 0 {
            try await engine.transaction { s in try await s.execute("DELETE FROM forget WHERE box_id = ? AND revision <= ?", [.text(box), .int(since)]) }
        }
        return d
    }
}
