import Foundation
import GRDB
import StationCore

/// Stocktakes as this box's journal tells them: the last `stocktake-start`, whether a
/// `stocktake-end` followed, and the copies its `seen` events counted (voided ones left
/// out). Read at start, so a stocktake survives a restart.
extension Journal {
    /// The stocktake still running here, if any.
    public func stocktake() throws -> Stocktake? {
        try pool.read { db in try Self.latestStocktake(db).flatMap { $0.endedAtMillis == nil ? $0.stocktake : nil } }
    }

    /// The last stocktake begun here, and when it ended (nil: it runs).
    static func latestStocktake(_ db: Database) throws -> (stocktake: Stocktake, endedAtMillis: Int64?)? {
        guard let start = try Row.fetchOne(db, sql: "SELECT seq, wall_ms FROM event WHERE kind = 'stocktake-start' ORDER BY seq DESC LIMIT 1") else { return nil }
        let startSeq: Int64 = start[0]
        let ended = try Int64.fetchOne(db, sql: "SELECT wall_ms FROM event WHERE kind = 'stocktake-end' AND seq > ? ORDER BY seq LIMIT 1", arguments: [startSeq])
        var counted = Stocktake(startSeq: startSeq, startedAtMillis: start[1])
        let keys = try String.fetchAll(
            db,
            sql: """
                SELECT json_extract(body, '$.item.key') FROM event WHERE kind = 'seen' AND seq > ?
                AND seq NOT IN (SELECT json_extract(body, '$.refersTo') FROM event WHERE kind = 'void' AND seq > ?) ORDER BY seq
                """, arguments: [startSeq, startSeq])
        for key in keys { counted.saw(ItemRef(key: key)) }
        return (counted, ended)
    }
}

extension JournalReader {
    /// The last stocktake begun at this box and when it ended (nil: it runs).
    public func latestStocktake() throws -> (stocktake: Stocktake, endedAtMillis: Int64?)? {
        try queue.read { db in try Journal.latestStocktake(db) }
    }
}
