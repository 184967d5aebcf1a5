import Foundation
import PostgresNIO
import StationCore
import StationProtocol

/// What goes down to boxes, on PostgreSQL: every changed row takes the next revision from
/// one counter row, locked by its writer until commit, so revisions become visible in order.
extension PostgresHubStore {
    func nextRevision(_ conn: PostgresConnection) async throws -> Int64 {
        var value: Int64 = 0
        for try await v in try await conn.query("UPDATE revision SET value = value + 1 WHERE id = 1 RETURNING value", logger: logger).decode(Int64.self) {
            value = v
        }
        return value
    }

    public func importCatalog(_ titles: [Downlink.Title]) async throws -> Int {
        try await transaction { conn in
            // The whole ledger, held: a batch applied meanwhile could otherwise compute a
            // book with the home site this import is replacing (imports are rare).
            try await conn.query("SELECT pg_advisory_xact_lock(\(Self.ledgerLock))", logger: self.logger)
            var changed = 0
            var touched: [String] = []
            for t in titles {
                var same = false
                for try await (title, home) in try await conn.query(
                    "SELECT title, home_site FROM catalog_title WHERE item_key = \(t.itemKey)", logger: self.logger
                ).decode((String?, String?).self) { same = title == t.title && home == t.homeSite }
                if same { continue }
                let revision = try await self.nextRevision(conn)
                try await conn.query(
                    """
                    INSERT INTO catalog_title (item_key, title, home_site, revision) VALUES (\(t.itemKey), \(t.title), \(t.homeSite), \(revision))
                    ON CONFLICT (item_key) DO UPDATE SET title = excluded.title, home_site = excluded.home_site, revision = excluded.revision
                    """, logger: self.logger)
                changed += 1
                touched.append(t.itemKey)
            }
            // A home site decides drift: books already in the ledger are recomputed.
            var known: Set<String> = []
            for try await key in try await conn.query(
                "SELECT DISTINCT item_key FROM event WHERE item_key = ANY(\(touched))", logger: self.logger
            ).decode(String.self) { known.insert(key) }
            if !known.isEmpty { try await self.rebuildLedger(conn, items: known, visits: []) }
            return changed
        }
    }

    public func importMembers(_ members: [Downlink.Member]) async throws -> Int {
        try await transaction { conn in
            var changed = 0
            for m in members {
                if try await self.exists(conn, "SELECT 1 FROM member_card WHERE card_uid = \(m.cardUID) AND member = \(m.member)") { continue }
                let revision = try await self.nextRevision(conn)
                try await conn.query(
                    """
                    INSERT INTO member_card (card_uid, member, revision) VALUES (\(m.cardUID), \(m.member), \(revision))
                    ON CONFLICT (card_uid) DO UPDATE SET member = excluded.member, revision = excluded.revision
                    """, logger: self.logger)
                changed += 1
            }
            return changed
        }
    }

    public func setSiteSetting(site: String, key: String, value: String) async throws {
        // What a box would accept, and nothing else (StationCore holds the one table).
        if case .failure(let problem) = KioskSettings(siteID: site, siteKind: .bookshelf).applying(key, value) {
            throw HubFailure(.invalid, problem.description)
        }
        try await transaction { conn in
            guard try await self.exists(conn, "SELECT 1 FROM site WHERE id = \(site)") else { throw HubFailure(.notFound, "no site \(site)") }
            if try await self.exists(conn, "SELECT 1 FROM site_setting WHERE site_id = \(site) AND key = \(key) AND value = \(value)") { return }
            let revision = try await self.nextRevision(conn)
            try await conn.query(
                """
                INSERT INTO site_setting (site_id, key, value, revision) VALUES (\(site), \(key), \(value), \(revision))
                ON CONFLICT (site_id, key) DO UPDATE SET value = excluded.value, revision = excluded.revision
                """, logger: self.logger)
        }
    }

    public func publishKeys(purpose: String, _ keys: [Int: String]) async throws {
        try await transaction { conn in
            for (version, material) in keys.sorted(by: { $0.key < $1.key }) {
                let v = Int64(version)
                if try await self.exists(conn, "SELECT 1 FROM public_key WHERE purpose = \(purpose) AND version = \(v) AND material = \(material)") {
                    continue
                }
                let revision = try await self.nextRevision(conn)
                try await conn.query(
                    """
                    INSERT INTO public_key (purpose, version, material, revision) VALUES (\(purpose), \(v), \(material), \(revision))
                    ON CONFLICT (purpose, version) DO UPDATE SET material = excluded.material, revision = excluded.revision
                    """, logger: self.logger)
            }
        }
    }

    public func downlink(site: String, since: Int64, limit: Int) async throws -> Downlink {
        let limit = Int64(limit)
        // One snapshot for the rows and the counter.
        return try await read { conn in
            var d = Downlink(revision: since, catalog: [], members: [], keys: [], siteConfig: [:])
            var count: Int64 = 0
            for try await (revision, what, a, b, c) in try await conn.query(
                """
                SELECT revision, 'title' AS what, item_key AS a, title AS b, home_site AS c FROM catalog_title WHERE revision > \(since)
                UNION ALL SELECT revision, 'member', card_uid, member, NULL FROM member_card WHERE revision > \(since)
                UNION ALL SELECT revision, 'key', purpose, CAST(version AS TEXT), material FROM public_key WHERE revision > \(since)
                UNION ALL SELECT revision, 'setting', key, value, NULL FROM site_setting WHERE revision > \(since) AND site_id = \(site)
                ORDER BY revision LIMIT \(limit)
                """, logger: self.logger
            ).decode((Int64, String, String, String?, String?).self) {
                count += 1
                d.revision = revision
                switch what {
                case "title": d.catalog.append(.init(itemKey: a, title: b, homeSite: c))
                case "member": d.members.append(.init(cardUID: a, member: b ?? ""))
                case "key": d.keys.append(.init(purpose: a, version: Int(b ?? "") ?? 0, material: c ?? ""))
                default: d.siteConfig[a] = b ?? ""
                }
            }
            // Rows of other sites' settings are skipped, so the revision may stop short of
            // the newest: moving it to the newest revision held when the page was not full
            // spares the box asking again for nothing.
            if count < limit { d.revision = max(d.revision, try await self.count(conn, "SELECT value FROM revision WHERE id = 1")) }
            return d
        }
    }
}
