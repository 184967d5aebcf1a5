import Foundation
import GRDB
import StationCore

/// The hub's pull list and hold shelf for this box's site, and what the box's own journal
/// adds to them: a copy it trapped already is no order any more; a copy that arrived here
/// waits from its arrival, even before the hub has heard of it.
extension Journal {
    /// One line of the pull list (`destination`) or of the hold shelf (the rest).
    public struct TransferEntry: Sendable, Equatable {
        public var request: String
        public var itemKey: String
        public var destination: String?
        public var masked: String?
        public var key: String?
        public var verifier: String?
        public var member: String?
        public var holdDays: Int?
        public var untilMillis: Int64?
        /// Since when the request is what it is at the hub: a trap this box made before
        /// that was for an earlier round of it (the copy went elsewhere since).
        public var sinceMillis: Int64?
        /// A pull for no worker: `move` or `rotation` (nil: a worker's request).
        public var purpose: String?

        public init(
            request: String, itemKey: String, destination: String? = nil, masked: String? = nil, key: String? = nil, verifier: String? = nil,
            member: String? = nil, holdDays: Int? = nil, untilMillis: Int64? = nil, sinceMillis: Int64? = nil, purpose: String? = nil
        ) {
            (self.request, self.itemKey, self.destination, self.masked, self.key, self.verifier) = (request, itemKey, destination, masked, key, verifier)
            (self.member, self.holdDays, self.untilMillis, self.sinceMillis, self.purpose) = (member, holdDays, untilMillis, sinceMillis, purpose)
        }

        /// When the hold ends: as the hub said, else `holdDays` (7) from the copy's arrival
        /// here; nil while it is expected.
        public func holdEnds(arrivedAt: Int64?) -> Int64? {
            untilMillis ?? arrivedAt.map { $0 + Int64(holdDays ?? 7) * 86_400_000 }
        }
    }

    /// The hub's lists as its last downlink gave them: they replace what was held.
    public func replaceTransfers(_ entries: [TransferEntry]) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM transfer_order")
            for e in entries {
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO transfer_order (request, kind, item_key, destination, masked, hold_key, verifier, member, hold_days, until_ms, since_ms, purpose)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        e.request, e.destination == nil ? "hold" : "pull", e.itemKey, e.destination, e.masked, e.key, e.verifier, e.member, e.holdDays, e.untilMillis,
                        e.sinceMillis, e.purpose,
                    ])
            }
        }
    }

    /// Every line held, pulls first, by request (a request collected here whose copy is
    /// on this site's shelf has both: the pull says fetch it, the hold who it is for).
    public func transfers() throws -> [TransferEntry] {
        try pool.read { db in try Self.fetchTransfers(db) }
    }

    /// The lines held (of one copy, or all), pulls first, by request.
    static func fetchTransfers(_ db: Database, itemKey: String? = nil) throws -> [TransferEntry] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT request, item_key, destination, masked, hold_key, verifier, member, hold_days, until_ms, since_ms, purpose FROM transfer_order
                WHERE ? IS NULL OR item_key = ? ORDER BY kind DESC, request
                """, arguments: [itemKey, itemKey]
        ).map {
            TransferEntry(
                request: $0["request"], itemKey: $0["item_key"], destination: $0["destination"], masked: $0["masked"], key: $0["hold_key"], verifier: $0["verifier"],
                member: $0["member"], holdDays: $0["hold_days"], untilMillis: $0["until_ms"], sinceMillis: $0["since_ms"], purpose: $0["purpose"])
        }
    }

    /// When this box trapped `request` (`transfer-out` or `transfer-in`) since `sinceMillis`, if it did.
    static func trapped(_ db: Database, request: String, kind: EventKind, since sinceMillis: Int64?) throws -> Int64? {
        try Int64.fetchOne(
            db,
            sql: """
                SELECT wall_ms FROM event WHERE json_extract(body, '$.request') = ? AND kind IN ('transfer-out', 'transfer-in') AND kind = ? AND wall_ms >= ?
                ORDER BY seq DESC LIMIT 1
                """, arguments: [request, kind.rawValue, sinceMillis ?? 0])
    }

    /// What to do with `itemKey` when it is scanned at `nowMillis`: nil when it is no
    /// request's, when this box sent it on already, or when its hold ended.
    public func transferOrder(itemKey: String, nowMillis: Int64) throws -> TransferOrder? {
        try pool.read { db in
            let lines = try Self.fetchTransfers(db, itemKey: itemKey)
            // Collected here: the hold line says what to do (also when the copy is on this shelf).
            guard let e = lines.first(where: { $0.destination == nil }) ?? lines.first else { return nil }
            if let destination = e.destination {
                // (A pull to this very site without its hold line: nothing to trap it for.)
                guard destination != siteID else { return nil }
                return try Self.trapped(db, request: e.request, kind: .transferOut, since: e.sinceMillis) == nil ? .send(request: e.request, destination: destination, moved: e.purpose != nil) : nil
            }
            let masked = e.masked ?? "****"
            let arrived = try Self.trapped(db, request: e.request, kind: .transferIn, since: e.sinceMillis)
            guard let until = e.holdEnds(arrivedAt: arrived) else {
                return .expect(request: e.request, masked: masked)
            }
            return until > nowMillis ? .held(request: e.request, masked: masked, untilMillis: until) : nil
        }
    }
}
