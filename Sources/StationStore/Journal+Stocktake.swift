import Foundation
import GRDB
import StationCore

/// Stocktakes as this box's journal tells them: the last `stocktake-start`, whether a
/// `stocktake-end` followed, and the copies its `seen` events counted (voided starts, ends
/// and sightings left out, as the hub leaves them out). Read at start through the partial
/// index `event_stocktake` (each query names its kinds, so SQLite takes the index), so a
/// stocktake survives a restart without the journal being read whole.
extension Journal {
    /// The stocktake still running here, if any.
    public func stocktake() throws -> Stocktake? {
        try pool.read { db in try Self.runningStocktake(db) }
    }

    static func runningStocktake(_ db: Database) throws -> Stocktake? {
        try latestStocktake(db).flatMap { $0.endedAtMillis == nil ? $0.stocktake : nil }
    }

    /// The kinds `event_stocktake` holds: a query that names them may use it.
    static let stocktakeKinds = "kind IN ('stocktake-start', 'seen', 'stocktake-end', 'void')"

    /// Not cancelled by a later void (a write told as failed that landed after all).
    static let stocktakeNotVoided =
        "seq NOT IN (SELECT json_extract(v.body, '$.refersTo') FROM event v WHERE v.\(stocktakeKinds) AND v.kind = 'void' AND v.seq > ?)"

    /// The last stocktake begun here, and when it ended (nil: it runs).
    static func latestStocktake(_ db: Database) throws -> (stocktake: Stocktake, endedAtMillis: Int64?)? {
        guard
            let start = try Row.fetchOne(
                db, sql: "SELECT seq, wall_ms FROM event WHERE \(stocktakeKinds) AND kind = 'stocktake-start' AND \(stocktakeNotVoided) ORDER BY seq DESC LIMIT 1",
                arguments: [0])
        else { return nil }
        let startSeq: Int64 = start[0]
        let ended = try Int64.fetchOne(
            db, sql: "SELECT wall_ms FROM event WHERE \(stocktakeKinds) AND kind = 'stocktake-end' AND seq > ? AND \(stocktakeNotVoided) ORDER BY seq LIMIT 1",
            arguments: [startSeq, startSeq])
        var counted = Stocktake(startSeq: startSeq, startedAtMillis: start[1])
        let keys = try String.fetchAll(
            db, sql: "SELECT json_extract(body, '$.item.key') FROM event WHERE \(stocktakeKinds) AND kind = 'seen' AND seq > ? AND \(stocktakeNotVoided) ORDER BY seq",
            arguments: [startSeq, startSeq])
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
