import Foundation
import GRDB
import StationCore

/// What the uploader keeps beside the outbox: clock corrections not yet sent, how far the
/// device log has been sent, and the caches the hub's downlink fills.
extension Journal {
    /// A clock correction as the journal holds it.
    public struct StoredClockCorrection: Sendable, Equatable {
        public var id: Int64
        public var bootID: String
        public var offsetMillis: Int64
        public var source: String
        public var recordedWallMillis: Int64
        public var monotonicMicros: Int64
    }

    /// Clock corrections the hub has not confirmed, oldest first.
    public func unsentClockCorrections(limit: Int = 500) throws -> [StoredClockCorrection] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, boot_id, offset_ms, source, recorded_wall_ms, mono_us FROM clock_correction WHERE acked = 0 ORDER BY id LIMIT ?",
                arguments: [limit]
            ).map {
                StoredClockCorrection(
                    id: $0["id"], bootID: $0["boot_id"], offsetMillis: $0["offset_ms"], source: $0["source"],
                    recordedWallMillis: $0["recorded_wall_ms"], monotonicMicros: $0["mono_us"])
            }
        }
    }

    public func markClockCorrectionsSent(through id: Int64) throws {
        try pool.write { db in try db.execute(sql: "UPDATE clock_correction SET acked = 1 WHERE id <= ? AND acked = 0", arguments: [id]) }
    }

    /// Device-log warnings and errors after the last one the hub confirmed, oldest first.
    public func unsentDeviceLog(limit: Int = 500) throws -> [JournalReader.LogLine] {
        try pool.read { db in
            let after = try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'device_log_sent_through'") ?? 0
            return try Row.fetchAll(
                db,
                sql: "SELECT id, at_ms, level, scanner_id, message FROM device_log WHERE id > ? AND level IN ('warning', 'error', 'critical') ORDER BY id LIMIT ?",
                arguments: [after, limit]
            ).map { JournalReader.LogLine(id: $0["id"], atMillis: $0["at_ms"], level: $0["level"], scannerID: $0["scanner_id"], message: $0["message"]) }
        }
    }

    public func markDeviceLogSent(through id: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('device_log_sent_through', ?)", arguments: [String(id)])
        }
    }

    // MARK: - Downlink caches

    /// The hub's revision the caches reflect (0: nothing received yet).
    public func downlinkRevision() throws -> Int64 {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'downlink_revision'") ?? 0 }
    }

    /// One page of the hub's downlink, applied in one transaction with its revision.
    public struct CacheUpdate: Sendable {
        public var revision: Int64
        /// Titles; `removed` ones are forgotten.
        public var titles: [(itemKey: String, title: String?, homeSite: String?, removed: Bool)]
        public var members: [(cardUID: String, member: String, removed: Bool)]
        public var keys: [(purpose: String, version: Int, material: String)]
        public var siteSettings: [String: String]
        /// The site the hub has this box at (nil: a hub older than that).
        public var siteID: String?
        /// Seqs of events whose worker was erased at the hub: acknowledged ones go.
        public var forget: [Int64]

        public init(
            revision: Int64, titles: [(itemKey: String, title: String?, homeSite: String?, removed: Bool)],
            members: [(cardUID: String, member: String, removed: Bool)], keys: [(purpose: String, version: Int, material: String)],
            siteSettings: [String: String], siteID: String? = nil, forget: [Int64] = []
        ) {
            self.revision = revision
            self.titles = titles
            self.members = members
            self.keys = keys
            self.siteSettings = siteSettings
            self.siteID = siteID
            self.forget = forget
        }
    }

    /// Applies a page; answers how many events of forgotten workers it deleted.
    @discardableResult
    public func apply(_ update: CacheUpdate) throws -> Int {
        try pool.write { db in
            for t in update.titles {
                if t.removed {
                    try db.execute(sql: "DELETE FROM catalog_title WHERE item_key = ?", arguments: [t.itemKey])
                } else {
                    try db.execute(sql: "INSERT OR REPLACE INTO catalog_title (item_key, title, home_site) VALUES (?, ?, ?)", arguments: [t.itemKey, t.title, t.homeSite])
                }
            }
            for m in update.members {
                if m.removed {
                    try db.execute(sql: "DELETE FROM member WHERE card_uid = ?", arguments: [m.cardUID])
                } else {
                    try db.execute(sql: "INSERT OR REPLACE INTO member (card_uid, pseudonym) VALUES (?, ?)", arguments: [m.cardUID, m.member])
                }
            }
            try Self.storeKeys(db, update.keys)
            for (key, value) in update.siteSettings {
                try db.execute(sql: "INSERT OR REPLACE INTO site_setting (key, value) VALUES (?, ?)", arguments: [key, value])
            }
            if let site = update.siteID { try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('hub_site', ?)", arguments: [site]) }
            var forgotten = 0
            for seq in update.forget {
                // Acknowledged events only (the hub has them, and erased them).
                try db.execute(sql: "DELETE FROM event WHERE \(Self.own) AND seq = ? AND seq NOT IN (SELECT seq FROM outbox)", arguments: [seq])
                forgotten += db.changesCount
            }
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('downlink_revision', ?)", arguments: [String(update.revision)])
            return forgotten
        }
    }

    /// The hub's public keys (from the downlink, or given at enrollment), into the cache.
    public func storeHubKeys(_ keys: [(purpose: String, version: Int, material: String)]) throws {
        try pool.write { db in try Self.storeKeys(db, keys) }
    }

    static func storeKeys(_ db: Database, _ keys: [(purpose: String, version: Int, material: String)]) throws {
        for k in keys {
            try db.execute(sql: "INSERT OR REPLACE INTO hub_key (purpose, version, material) VALUES (?, ?, ?)", arguments: [k.purpose, k.version, k.material])
        }
    }

    /// The site the hub has this box at, as its downlink last said.
    public func hubSite() throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'hub_site'") }
    }

    /// The hub's credential key of `version`, as the cache holds it.
    public func hubKey(purpose: String, version: Int) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT material FROM hub_key WHERE purpose = ? AND version = ?", arguments: [purpose, version]) }
    }

    /// The member a card UID belongs to (the hub's pseudonym), from the downlink.
    public func member(cardUID: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT pseudonym FROM member WHERE card_uid = ?", arguments: [cardUID]) }
    }

    /// A book's home site and title, from the catalog the hub sends down: one read per
    /// book scan (nil when the catalog does not know the book).
    public func catalogEntry(itemKey: String) throws -> (homeSite: String?, title: String?)? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT home_site, title FROM catalog_title WHERE item_key = ?", arguments: [itemKey]).map {
                (homeSite: $0["home_site"], title: $0["title"])
            }
        }
    }

    /// The catalog's entries whose home is `site`, by item key: what the site's item
    /// labels are printed from (`JournalReader.catalog(homeSite:)`).
    static func fetchCatalog(_ db: Database, homeSite site: String) throws -> [(itemKey: String, title: String?)] {
        try Row.fetchAll(db, sql: "SELECT item_key, title FROM catalog_title WHERE home_site = ? ORDER BY item_key", arguments: [site]).map {
            (itemKey: $0["item_key"], title: $0["title"])
        }
    }

    /// The newest public key the hub published for `purpose`.
    public func newestHubKey(purpose: String) throws -> (version: Int, material: String)? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT version, material FROM hub_key WHERE purpose = ? ORDER BY version DESC LIMIT 1", arguments: [purpose]).map {
                ($0["version"], $0["material"])
            }
        }
    }

    /// Site settings the hub sent down.
    public func siteSettings() throws -> [String: String] {
        try pool.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT key, value FROM site_setting").map { ($0["key"] as String, $0["value"] as String) })
        }
    }
}
