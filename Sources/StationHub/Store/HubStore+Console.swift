import Foundation
import StationProtocol

/// What the console's overview shows of one scope.
public struct ConsoleOverview: Sendable, Equatable {
    /// Boxes by state: heard from in the last 15 minutes, in the last day, not for a day
    /// (or never since enrolling), never enrolled, revoked.
    public var online: Int64 = 0
    public var today: Int64 = 0
    public var quiet: Int64 = 0
    public var notEnrolled: Int64 = 0
    public var revoked: Int64 = 0
    public var eventsToday: Int64 = 0
    public var eventsThisMonth: Int64 = 0
    public var quarantined: Int64 = 0
    /// Per site, worst first: how long since its least recently synced box's last batch,
    /// and how many events its boxes said they still hold.
    public var lag: [SiteLag] = []

    public struct SiteLag: Sendable, Equatable {
        public var site: String
        public var name: String?
        /// Milliseconds since the oldest last batch of its enrolled boxes; nil: none synced yet.
        public var lagMillis: Int64?
        public var backlog: Int64
        public var boxes: Int64
    }
}

/// A page of a box's device log, newest first, as the console pages it.
public struct DeviceLogFilter: Sendable, Equatable {
    public var level: String?
    public var scanner: String?
    /// Lines before this time (ms) only.
    public var beforeMillis: Int64?
    /// Lines with an id below this (the next page).
    public var beforeID: Int64?
    public var limit: Int = 50

    public init(level: String? = nil, scanner: String? = nil, beforeMillis: Int64? = nil, beforeID: Int64? = nil, limit: Int = 50) {
        (self.level, self.scanner, self.beforeMillis, self.beforeID, self.limit) = (level, scanner, beforeMillis, beforeID, limit)
    }
}

/// The console's reads, each narrowed by the reader's scope in its SQL.
extension HubStore {
    /// Box states are told apart by when a box was last heard from.
    public static let onlineMillis: Int64 = 15 * 60_000

    public func consoleOverview(scope: ConsoleRole, nowMillis: Int64, dayStartMillis: Int64, monthStartMillis: Int64) async throws -> ConsoleOverview {
        var o = ConsoleOverview()
        let boxes = scope.condition("b.site_id")
        let day = Reports.dayMillis
        let states = try await engine.read(
            SQLStatement(
                """
                SELECT CASE WHEN b.revoked_reason IS NOT NULL THEN 'revoked' WHEN b.credential_hash IS NULL THEN 'waiting'
                            WHEN b.last_seen_ms >= ? THEN 'online' WHEN b.last_seen_ms >= ? THEN 'today' ELSE 'quiet' END AS state, count(*)
                FROM box b WHERE \(boxes.sql) GROUP BY 1
                """, [.int(nowMillis - Self.onlineMillis), .int(nowMillis - day)] + boxes.arguments))
        for r in states {
            let n = r[1].int ?? 0
            switch r[0].text {
            case "revoked": o.revoked = n
            case "waiting": o.notEnrolled = n
            case "online": o.online = n
            case "today": o.today = n
            default: o.quiet = n
            }
        }
        let events = scope.condition("e.site_id")
        let counts = try await engine.read(
            SQLStatement(
                """
                SELECT CAST(coalesce(sum(CASE WHEN e.corrected_ms >= ? THEN 1 ELSE 0 END), 0) AS BIGINT), count(*)
                FROM event e WHERE e.corrected_ms >= ? AND e.corrected_ms < ? AND \(events.sql)
                """, [.int(dayStartMillis), .int(monthStartMillis), .int(nowMillis + day)] + events.arguments)
        ).first
        o.eventsToday = counts?[0].int ?? 0
        o.eventsThisMonth = counts?[1].int ?? 0
        let quarantine = scope.condition("site_id")
        o.quarantined =
            try await engine.read(
                SQLStatement("SELECT count(*) FROM quarantine q WHERE q.box_id IN (SELECT id FROM box WHERE \(quarantine.sql))", quarantine.arguments)
            ).first?[0].int ?? 0
        let sites = scope.condition("s.id")
        o.lag = try await engine.read(
            SQLStatement(
                """
                SELECT s.id, s.name, min(b.last_batch_ms), CAST(coalesce(sum(b.backlog), 0) AS BIGINT), count(b.id)
                FROM site s JOIN box b ON b.site_id = s.id AND b.revoked_reason IS NULL AND b.credential_hash IS NOT NULL
                WHERE \(sites.sql) GROUP BY s.id, s.name
                """, sites.arguments)
        ).compactMap { r in
            guard let site = r[0].text else { return nil }
            return .init(site: site, name: r[1].text, lagMillis: r[2].int.map { max(0, nowMillis - $0) }, backlog: r[3].int ?? 0, boxes: r[4].int ?? 0)
        }.sorted { a, b in
            // Never synced first, then the longest lag, then the biggest backlog.
            switch (a.lagMillis, b.lagMillis) {
            case (nil, nil): return a.site < b.site
            case (nil, _): return true
            case (_, nil): return false
            case (let x?, let y?): return x != y ? x > y : a.backlog != b.backlog ? a.backlog > b.backlog : a.site < b.site
            }
        }
        return o
    }

    /// A box's device log under `scope`, newest first, filtered; a box outside the scope
    /// is not found.
    public func deviceLog(box: String, scope: ConsoleRole, filter f: DeviceLogFilter) async throws -> [DeviceLogLine] {
        let inScope = scope.condition("site_id")
        guard try await !engine.read(SQLStatement("SELECT 1 FROM box WHERE id = ? AND \(inScope.sql)", [.text(box)] + inScope.arguments)).isEmpty else {
            throw HubError(.notFound, "no box \(box)")
        }
        var conditions = ["box_id = ?"], arguments: [SQLValue] = [.text(box)]
        if let level = f.level { conditions.append("level = ?"); arguments.append(.text(level)) }
        if let scanner = f.scanner { conditions.append("scanner_id = ?"); arguments.append(.text(scanner)) }
        if let before = f.beforeMillis { conditions.append("at_ms < ?"); arguments.append(.int(before)) }
        if let id = f.beforeID { conditions.append("id < ?"); arguments.append(.int(id)) }
        arguments.append(.int(Int64(max(1, min(f.limit, 500)))))
        return try await engine.read(
            SQLStatement("SELECT id, at_ms, level, scanner_id, message FROM device_log WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?", arguments)
        ).map { DeviceLogLine(id: $0[0].int ?? 0, atMillis: $0[1].int ?? 0, level: $0[2].text ?? "", scannerID: $0[3].text, message: $0[4].text ?? "") }
    }

    /// The scanners a box's log names, for the filter's choices.
    public func deviceLogScanners(box: String) async throws -> [String] {
        try await engine.read(SQLStatement("SELECT DISTINCT scanner_id FROM device_log WHERE box_id = ? AND scanner_id IS NOT NULL ORDER BY scanner_id", [.text(box)]))
            .compactMap { $0[0].text }
    }
}
