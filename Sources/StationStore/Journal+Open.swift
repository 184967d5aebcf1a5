import Foundation
import GRDB
import Logging
import StationCore
import StationSystem

extension Journal {
    struct Opened {
        var pool: DatabasePool
        var epoch: Int
        var nextSeq: Int64
        /// The open visits (``window(_:item:worker:)`` for no book and no worker).
        var visits: LocalLedger
        var stocktake: Stocktake?
    }

    /// At a start, once the journal is open: its WAL is checkpointed and emptied (a clean
    /// close left it so, but opening the pool writes a few frames: GRDB creates and drops a
    /// table so that readers find the WAL), then written ahead as zeros for as long as the
    /// checkpointer lets it grow (``Checkpointer``, at most ``Options/walAheadBytes``), so
    /// the first round of commits after a start writes over blocks the file has, as every
    /// later round does, and a scan's fdatasync carries no change of the file's size and
    /// blocks (ARCHITECTURE, the scan loop). SQLite reads a WAL whose header is not its own
    /// as empty, and writes its header at the first commit. Done holding the WAL's write
    /// lock (`BEGIN IMMEDIATE`): no connection, in this process or another (`stationctl
    /// import-ack`), can add a frame meanwhile, and an empty WAL has none to lose. Best
    /// effort: a box whose disk is full, or whose WAL a reader holds, still starts, and
    /// zeros left part-way are an empty WAL too.
    static func writeWALAhead(_ pool: DatabasePool, frames: Int, logger: Logger) {
        let wal = pool.path + "-wal"
        do {
            try pool.writeWithoutTransaction { db in
                _ = try db.checkpoint(.truncate)
                try db.execute(sql: "BEGIN IMMEDIATE TRANSACTION")
                defer { try? db.execute(sql: "ROLLBACK TRANSACTION") }
                let frameSize = (try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096) + 24
                guard let size = try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int, size == 0 else { return }
                try DurableFile.fillEmpty(wal, size: 32 + min(frames, Options.walAheadBytes / frameSize) * frameSize)
            }
        } catch {
            logger.warning("journal WAL not written ahead: its first commits grow it", metadata: ["journal.path": "\(wal)", "error": "\(error)"])
        }
    }

    /// Opens the database, works out the epoch and the next seq from it and the
    /// reservation, makes the ledger's snapshot if it is missing and reads the open visits
    /// and the stocktake running: every read a start makes, so damage any of them meets is
    /// salvaged at once. A failure closes what it opened (so a corrupt file can be salvaged
    /// and this tried again).
    static func open(
        path: String, boxID: String, siteID: String, options: Options, reservation: inout SeqReservation, salvaged: Bool, logger: Logger
    ) throws -> Opened {
        let database = try openPool(path: path, options: options)
        do {
            let (storedBox, storedEpoch, dbMax) = try database.read { db -> (String?, Int?, Int64) in
                (
                    try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'box_id'"),
                    try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'epoch'").flatMap { Int($0) },
                    try Int64.fetchOne(db, sql: "SELECT max(seq) FROM event WHERE box_id = ?", arguments: [boxID]) ?? 0
                )
            }
            if let storedBox, storedBox != boxID {
                // A journal opened before the box had its identity (left to the enrollment
                // card) holds no event: the box takes it over under the name the hub gave.
                let adoptable = try storedBox.isEmpty && !(database.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM event)") ?? false })
                guard adoptable else { throw JournalError.identityMismatch(expected: boxID, found: storedBox) }
            }
            let epoch: Int
            let nextSeq: Int64
            if !salvaged && storedEpoch == reservation.epoch && dbMax <= reservation.reservedThrough && (dbMax > 0 || reservation.reservedThrough == 0) {
                epoch = reservation.epoch
                nextSeq = dbMax + 1
            } else if !salvaged && storedEpoch == nil && reservation.reservedThrough == 0 {
                epoch = 0
                nextSeq = 1
            } else {
                // The database is not the one the reservation file knows: replaced, restored
                // from a copy, or emptied. Sequence numbers may have been used that this file
                // does not hold, so continue above all of them in a new epoch: a declared gap.
                let (newEpoch, first) = try reservation.newEpoch(above: storedEpoch ?? 0)
                logger.critical(
                    "journal does not match the sequence reservation: starting a new epoch (a declared gap for the hub)",
                    metadata: ["journal.path": "\(path)", "journal.epoch": "\(newEpoch)", "journal.first_seq": "\(first)", "journal.db_max_seq": "\(dbMax)"])
                epoch = newEpoch
                nextSeq = max(first, dbMax + 1)
            }
            // Written only when it changes: a box whose disk is full must still start.
            let storedSite = try database.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'site_id'") }
            if storedBox != boxID || storedSite != siteID || storedEpoch != epoch {
                try database.write { db in
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('box_id', ?), ('site_id', ?), ('epoch', ?)",
                        arguments: [boxID, siteID, String(epoch)])
                }
            }
            let stocktake = try database.read { db in try runningStocktake(db) }
            try prepareLedger(database, rebuild: salvaged)
            let visits = try database.read { db in try window(db, item: nil, worker: nil) }
            return Opened(pool: database, epoch: epoch, nextSeq: nextSeq, visits: visits, stocktake: stocktake)
        } catch {
            try? database.close()
            throw error
        }
    }
}
