import Foundation
import GRDB
import StationCore
import StationProtocol

/// What boxes send besides events (clock corrections, device-log lines) and what goes
/// down to them (catalog, member cards, public keys, site settings).
extension SQLiteHubStore {
    // MARK: - Clock corrections

    /// The offset that corrects a boot's unsynchronised times: an NTP correction before a
    /// `Date`-header one before a manual one, and within a source the earliest learnt (the
    /// clock drifts least from there). Chosen from the set held, so arrival order cannot
    /// change it.
    static func clockOffset(_ db: Database, box: String, boot: String) throws -> Int64? {
        try Int64.fetchOne(
            db,
            sql: """
                SELECT offset_ms FROM clock_correction WHERE box_id = ? AND boot_id = ?
                ORDER BY CASE source WHEN 'ntp' THEN 0 WHEN 'hub-date' THEN 1 ELSE 2 END, mono_us LIMIT 1
                """,
            arguments: [box, boot])
    }

    public func addClockCorrections(box: String, _ corrections: [ClockCorrection]) async throws -> Int {
        let now = HubIngest.nowMillis()
        return try await pool.write { db in
            var boots: Set<String> = []
            for c in corrections {
                try db.execute(
                    sql: """
                        INSERT INTO clock_correction (box_id, boot_id, source, mono_us, offset_ms, recorded_wall_ms, received_ms)
                        VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                        """,
                    arguments: [box, c.bootID, c.source.rawValue, c.monotonicMicros, c.offsetMillis, c.recordedWallMillis, now])
                boots.insert(c.bootID)
            }
            var items: Set<String> = [], visits: Set<Ledger.VisitKey> = []
            for boot in boots {
                let offset = try Self.clockOffset(db, box: box, boot: boot) ?? 0
                try db.execute(
                    sql: "UPDATE event SET corrected_ms = wall_ms + ? WHERE box_id = ? AND boot_id = ? AND clock_synced = 0 AND corrected_ms IS NOT wall_ms + ?",
                    arguments: [offset, box, boot, offset])
                guard db.changesCount > 0 else { continue }
                let rows = try Row.fetchAll(
                    db, sql: "SELECT item_key, site_id, kind, worker_key FROM event WHERE box_id = ? AND boot_id = ? AND clock_synced = 0", arguments: [box, boot])
                for row in rows {
                    if let key: String = row["item_key"] { items.insert(key) }
                    if ["visit-start", "visit-end"].contains(row["kind"] as String), let who: String = row["worker_key"] {
                        visits.insert(Ledger.VisitKey(site: row["site_id"], worker: who))
                    }
                }
            }
            if !items.isEmpty || !visits.isEmpty { try Self.rebuildLedger(db, items: items, visits: visits) }
            return corrections.count
        }
    }

    // MARK: - Device log

    public func addDeviceLog(box: String, _ lines: [DeviceLogLine]) async throws -> Int {
        let now = HubIngest.nowMillis()
        return try await pool.write { db in
            for l in lines {
                try db.execute(
                    sql: "INSERT INTO device_log (box_id, id, at_ms, level, scanner_id, message, received_ms) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    arguments: [box, l.id, l.atMillis, l.level, l.scannerID, l.message, now])
            }
            return lines.count
        }
    }

    public func deviceLog(box: String) async throws -> [DeviceLogLine] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, at_ms, level, scanner_id, message FROM device_log WHERE box_id = ? ORDER BY id", arguments: [box]).map {
                DeviceLogLine(id: $0["id"], atMillis: $0["at_ms"], level: $0["level"], scannerID: $0["scanner_id"], message: $0["message"])
            }
        }
    }

    // MARK: - Downlink

    /// The next revision: every row changed for boxes takes one.
    static func nextRevision(_ db: Database) throws -> Int64 {
        try db.execute(sql: "UPDATE revision SET value = value + 1 WHERE id = 1")
        return try Int64.fetchOne(db, sql: "SELECT value FROM revision WHERE id = 1") ?? 0
    }

    /// `stationhub catalog import`: titles and their home sites, inserted or updated.
    /// Only rows that change take a revision (an unchanged re-import sends nothing down).
    public func importCatalog(_ titles: [Downlink.Title]) async throws -> Int {
        try await pool.write { db in
            var changed = 0
            var touched: Set<String> = []
            for t in titles {
                let same = try Row.fetchOne(db, sql: "SELECT title, home_site FROM catalog_title WHERE item_key = ?", arguments: [t.itemKey]).map {
                    ($0["title"] as String?) == t.title && ($0["home_site"] as String?) == t.homeSite
                }
                if same == true { continue }
                try db.execute(
                    sql: "INSERT OR REPLACE INTO catalog_title (item_key, title, home_site, revision) VALUES (?, ?, ?, ?)",
                    arguments: [t.itemKey, t.title, t.homeSite, try Self.nextRevision(db)])
                changed += 1
                touched.insert(t.itemKey)
            }
            // A home site decides drift: books already in the ledger are recomputed.
            let known = try touched.filter { try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM event WHERE item_key = ?)", arguments: [$0]) == true }
            if !known.isEmpty { try Self.rebuildLedger(db, items: Set(known), visits: []) }
            return changed
        }
    }

    public func importMembers(_ members: [Downlink.Member]) async throws -> Int {
        try await pool.write { db in
            var changed = 0
            for m in members {
                if try String.fetchOne(db, sql: "SELECT member FROM member_card WHERE card_uid = ?", arguments: [m.cardUID]) == m.member { continue }
                try db.execute(
                    sql: "INSERT OR REPLACE INTO member_card (card_uid, member, revision) VALUES (?, ?, ?)",
                    arguments: [m.cardUID, m.member, try Self.nextRevision(db)])
                changed += 1
            }
            return changed
        }
    }

    /// `stationhub site set SITE KEY=VALUE`.
    public func setSiteSetting(site: String, key: String, value: String) async throws {
        // What a box would accept, and nothing else (StationCore holds the one table).
        if case .failure(let problem) = KioskSettings(siteID: site, siteKind: .bookshelf).applying(key, value) {
            throw HubFailure(.invalid, problem.description)
        }
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM site WHERE id = ?)", arguments: [site]) == true else {
                throw HubFailure(.notFound, "no site \(site)")
            }
            if try String.fetchOne(db, sql: "SELECT value FROM site_setting WHERE site_id = ? AND key = ?", arguments: [site, key]) == value { return }
            try db.execute(
                sql: "INSERT OR REPLACE INTO site_setting (site_id, key, value, revision) VALUES (?, ?, ?, ?)",
                arguments: [site, key, value, try Self.nextRevision(db)])
        }
    }

    /// Publishes the public halves of the hub's keys (at `serve`): a new version takes a
    /// revision and reaches every box with its next downlink.
    public func publishKeys(purpose: String, _ keys: [Int: String]) async throws {
        try await pool.write { db in
            for (version, material) in keys {
                if try String.fetchOne(db, sql: "SELECT material FROM public_key WHERE purpose = ? AND version = ?", arguments: [purpose, version]) == material {
                    continue
                }
                try db.execute(
                    sql: "INSERT OR REPLACE INTO public_key (purpose, version, material, revision) VALUES (?, ?, ?, ?)",
                    arguments: [purpose, version, material, try Self.nextRevision(db)])
            }
        }
    }

    /// What changed for `site` after revision `since`, at most `limit` rows, oldest first;
    /// `revision` is where the next request continues (equal to `since` when nothing changed).
    public func downlink(site: String, since: Int64, limit: Int) async throws -> Downlink {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT revision, 'title' AS what, item_key AS a, title AS b, home_site AS c FROM catalog_title WHERE revision > ?1
                    UNION ALL SELECT revision, 'member', card_uid, member, NULL FROM member_card WHERE revision > ?1
                    UNION ALL SELECT revision, 'key', purpose, CAST(version AS TEXT), material FROM public_key WHERE revision > ?1
                    UNION ALL SELECT revision, 'setting', key, value, NULL FROM site_setting WHERE revision > ?1 AND site_id = ?2
                    ORDER BY revision LIMIT ?3
                    """,
                arguments: [since, site, limit])
            var d = Downlink(revision: since, catalog: [], members: [], keys: [], siteConfig: [:])
            for row in rows {
                d.revision = row["revision"]
                switch row["what"] as String {
                case "title": d.catalog.append(.init(itemKey: row["a"], title: row["b"], homeSite: row["c"]))
                case "member": d.members.append(.init(cardUID: row["a"], member: row["b"]))
                case "key": d.keys.append(.init(purpose: row["a"], version: Int(row["b"] as String) ?? 0, material: row["c"]))
                default: d.siteConfig[row["a"]] = row["b"]
                }
            }
            // Rows of other sites' settings are skipped, so the revision may stop short of
            // the newest: moving it to the newest revision held when the page was not full
            // spares the box asking again for nothing.
            if rows.count < limit { d.revision = max(d.revision, try Int64.fetchOne(db, sql: "SELECT value FROM revision WHERE id = 1") ?? since) }
            return d
        }
    }
}
