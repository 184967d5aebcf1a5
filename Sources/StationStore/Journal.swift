import Foundation
import GRDB
import Logging
import StationCore

/// The box's journal: immutable events identified by (`box_id`, `seq`), the outbox of
/// events the hub has not acknowledged, clock corrections, the hub's caches and the
/// device log, in one SQLite file (WAL, `synchronous=FULL`).
///
/// `append` returns only once its event is durable: the caller may then tell the worker.
/// Checkpoints run on a connection of their own in the background, never on a scan's path,
/// once the WAL is long enough (``Checkpointer``).
public final class Journal: @unchecked Sendable {
    public struct Options: Sendable {
        /// `FULL` on a box. Tests set `OFF` to show that their power-cut check would catch it.
        public var synchronous: String
        /// The WAL's length in frames (pages) at which the background checkpoint runs
        /// (``Checkpointer``).
        public var checkpointFrames: Int

        /// Most of the WAL written ahead at a start (``Journal/writeWALAhead(_:frames:logger:)``):
        /// 1,000 frames of 4 KiB pages.
        static let walAheadBytes = 4 << 20

        public init(synchronous: String = "FULL", checkpointFrames: Int = 1000) {
            self.synchronous = synchronous
            self.checkpointFrames = checkpointFrames
        }
    }

    public static let fileName = "journal.sqlite"
    public let directory: String
    public let path: String
    public let boxID: String
    public let siteID: String
    private var database: DatabasePool
    private let poolLock = NSLock()
    /// The current connection pool (replaced when the journal is reopened after an I/O error).
    var pool: DatabasePool {
        poolLock.lock()
        defer { poolLock.unlock() }
        return database
    }
    private let options: Options
    let logger: Logger
    let lock = NSLock()
    private var reservation: SeqReservation
    private var nextSeq: Int64
    public private(set) var epoch: Int
    /// The open visits when the journal was opened: the workflow starts from them (its
    /// timers close visits; a scan reads the rest of its ledger, ``window(item:worker:)``).
    public let openedVisits: LocalLedger
    /// The stocktake that was running when the journal was opened (the workflow starts
    /// from it; ``stocktake()`` reads the one running now).
    public let openedStocktake: Stocktake?
    /// Set after a failed write: the next append or window read first finds out whether it
    /// landed anyway.
    private var needsReconcile = false
    /// The event whose write failed: a worker-facing event that landed after all is voided;
    /// a void that landed after all is simply kept.
    private var failedAttempt: JournalEvent?
    /// The seq of an event that landed although the worker was told it did not, while its
    /// void is not yet written.
    private var owedVoid: Int64?
    private var checkpointer: Checkpointer?
    /// The integrity check's read-only connection, opened at its first check and kept until
    /// ``close()``: a connection a day let go would be a connection a day kept
    /// (``Connections``). Its own lock: opening it must not hold up a scan.
    private var checker: DatabaseQueue?
    private var closed = false
    private let checkerLock = NSLock()
    /// Told when an append or a window read found the file damaged (after
    /// ``markIfDamaged(_:)``): the daemon's check reads it through at once instead of at
    /// its next turn. Set before writing.
    public nonisolated(unsafe) var onDamage: (@Sendable () -> Void)?

    /// Opens (creating if needed) the journal in `directory`.
    public init(directory: String, boxID: String, siteID: String, options: Options = Options(), logger: Logger) throws {
        self.directory = directory
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        self.boxID = boxID
        self.siteID = siteID
        self.logger = logger
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        self.options = options
        var reservation = try SeqReservation(path: (directory as NSString).appendingPathComponent("seq"))
        // The whole file is checked in the background once the box runs (checkIntegrity);
        // here only when that check found it corrupt, or when what a start reads is.
        var salvage = try Salvage.atStart(path: path, boxID: boxID, logger: logger)
        let opened: Opened
        do {
            opened = try Self.open(path: path, boxID: boxID, siteID: siteID, options: options, reservation: &reservation, salvaged: salvage != nil, logger: logger)
        } catch let error as DatabaseError where salvage == nil && Salvage.isCorruption(error) {
            salvage = try Salvage.salvage(path: path, boxID: boxID, problem: error.description, logger: logger)
            opened = try Self.open(path: path, boxID: boxID, siteID: siteID, options: options, reservation: &reservation, salvaged: true, logger: logger)
        }
        self.reservation = reservation
        (database, epoch, nextSeq, openedVisits, openedStocktake) = (opened.pool, opened.epoch, opened.nextSeq, opened.visits, opened.stocktake)
        Self.writeWALAhead(opened.pool, frames: options.checkpointFrames, logger: logger)
        checkpointer = try Checkpointer(path: path, observing: database, frames: options.checkpointFrames, logger: logger)
    }

    /// Opens the pool, sets the writer's durability and migrates.
    static func openPool(path: String, options: Options) throws -> DatabasePool {
        let pool = try DatabasePool(path: path, configuration: configuration(options))
        // DatabasePool sets synchronous=NORMAL on its writer after prepareDatabase ran
        // (GRDB's setUpWALMode): the writer is one connection, so set it again here.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(options.synchronous)") }
        try migrate(pool, path: path)
        return pool
    }

    static func configuration(_ options: Options) -> Configuration {
        var config = Configuration()
        config.busyMode = .timeout(5)
        let synchronous = options.synchronous
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            // Deleted rows (purged events) are overwritten, not left in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // No automatic checkpoint inside a commit: the background checkpointer does it.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        }
        return config
    }

    static func migrate(_ writer: any DatabaseWriter, path: String) throws {
        let migrator = JournalSchema.migrator
        let known = Set(migrator.migrations)
        let applied = try writer.read { db in try migrator.appliedIdentifiers(db) }
        let unknown = applied.subtracting(known)
        if !unknown.isEmpty { throw JournalError.newerSchema(unknown: unknown.sorted(), path: path) }
        try migrator.migrate(writer)
    }

    /// Checkpoints (a clean shutdown leaves the WAL empty), stops the background
    /// checkpointer and closes the database.
    public func close() throws {
        try? checkpointer?.run(.truncate)
        checkpointer?.stop()
        checkpointer = nil
        if let checker = checkerLock.withLock({ () -> DatabaseQueue? in
            closed = true
            return checker
        }) {
            try? Connections.close(checker)
        }
        try Connections.close(pool)
    }

    /// The integrity check's connection (``checker``); none once the journal is closed.
    func checkConnection() throws -> DatabaseQueue {
        try checkerLock.withLock {
            if closed { throw JournalError.io("check \(path): the journal is closed", EBADF) }
            if let checker { return checker }
            let opened = try DatabaseQueue(path: path, configuration: Salvage.readOnly())
            checker = opened
            return opened
        }
    }

    // MARK: - Events

    /// Records one event durably and returns it with its `seq`. Throws when the event could
    /// not be written; then nothing may be told to the worker but `storage-error`.
    public func append(_ draft: EventDraft, time: EventTime) throws -> JournalEvent {
        try reconciled { try write(JournalEvent(boxID: boxID, seq: nextSeq, siteID: siteID, epoch: epoch, time: time, draft: draft)) }
    }

    /// `body` under the journal's lock, after the reconcile a failed write left owed; damage
    /// either of them finds marks the journal (``markIfDamaged(_:)``), whatever read or
    /// write met it.
    func reconciled<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        do {
            if needsReconcile { try reconcile() }
            return try body()
        } catch {
            markIfDamaged(error)
            throw error
        }
    }

    /// Writes an event at `nextSeq` (reserving the seq first) and moves on; a failure is
    /// remembered for the reconcile the next append or window read starts with. Called
    /// with `lock` held.
    private func write(_ event: JournalEvent) throws -> JournalEvent {
        do {
            try reservation.ensure(event.seq)
            try insert(event)
        } catch {
            needsReconcile = true
            failedAttempt = event
            throw error
        }
        nextSeq += 1
        return event
    }

    /// The event's row, its outbox row and its change to the ledger's snapshot, in one
    /// transaction.
    private func insert(_ event: JournalEvent) throws {
        let body = EventBody.json(event.draft)
        try pool.writeWithoutTransaction { db in
            try Self.scanTransaction(db) {
                try Self.insertRow(db, event, body: body)
                if event.draft.kind == .void {
                    try Self.undoLedgerChange(db, void: event)
                } else {
                    try Self.recordLedgerChange(db, of: event)
                }
            }
        }
    }

    /// After a failed write: reopen the journal (as a restart would, so SQLite recovers the
    /// WAL from what is on disk) and find out whether the event landed after all. If so its
    /// seq must not be reused, and since the worker was told it was not recorded, a void
    /// event says so, loudly.
    private func reconcile() throws {
        let seq = nextSeq
        checkpointer?.stop()
        checkpointer = nil
        try? Connections.close(pool)
        let reopened = try Self.openPool(path: path, options: options)
        poolLock.lock()
        database = reopened
        poolLock.unlock()
        checkpointer = try Checkpointer(path: path, observing: database, frames: options.checkpointFrames, logger: logger)
        logger.warning("journal reopened after a failed write", metadata: ["journal.path": "\(path)", "journal.seq": "\(seq)"])
        let landed = try pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM event WHERE box_id = ? AND seq = ?)", arguments: [boxID, seq]) ?? false
        }
        needsReconcile = false
        let attempt = failedAttempt
        failedAttempt = nil
        if landed {
            nextSeq = seq + 1
            if attempt?.draft.kind == .void {
                logger.warning("a void event reported as failed is in the journal after all: kept", metadata: ["journal.seq": "\(seq)"])
                owedVoid = nil
            } else {
                logger.critical(
                    "an event reported as not recorded is in the journal after all: recording a void event for it",
                    metadata: ["journal.seq": "\(seq)"])
                owedVoid = seq
            }
        }
        // A void is owed until it is written, however many attempts that takes.
        guard let owed = owedVoid else { return }
        let now = Date()
        let void = JournalEvent(
            boxID: boxID, seq: nextSeq, siteID: siteID, epoch: epoch,
            time: EventTime(wallMillis: Int64(now.timeIntervalSince1970 * 1000), synchronized: false, bootID: "", monotonicMicros: 0),
            draft: EventDraft(kind: .void, flags: ["reported-as-storage-error"], refersTo: owed))
        _ = try write(void)
        owedVoid = nil
    }

    /// The next `seq` this journal will use.
    public var upcomingSeq: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return nextSeq
    }

    public func events(afterSeq: Int64 = 0, limit: Int = .max) throws -> [JournalEvent] {
        try pool.read { db in try Self.fetchEvents(db, sql: "WHERE \(Self.own) AND seq > ? ORDER BY seq LIMIT ?", arguments: [afterSeq, limit]) }
    }

    /// Events not yet acknowledged, oldest first (after `afterSeq`, when given).
    public func pending(after afterSeq: Int64 = 0, limit: Int = .max) throws -> [JournalEvent] {
        try pool.read { db in
            try Self.fetchEvents(
                db, sql: "WHERE \(Self.own) AND seq IN (SELECT seq FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?) ORDER BY seq", arguments: [afterSeq, limit])
        }
    }

    public func pendingCount(after afterSeq: Int64 = 0) throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE seq > ?", arguments: [afterSeq]) ?? 0 }
    }

    /// The hub has durably applied everything through `seq`.
    @discardableResult
    public func acknowledge(through seq: Int64) throws -> Int {
        try pool.write { db in try Self.deleteAcknowledged(db, through: seq) }
    }

    /// The one place events leave the outbox (the daemon, and an offline acknowledgement).
    static func deleteAcknowledged(_ db: Database, through seq: Int64) throws -> Int {
        try db.execute(sql: "DELETE FROM outbox WHERE seq <= ?", arguments: [seq])
        return db.changesCount
    }

    static let columns = "box_id, seq, epoch, site_id, wall_ms, clock_synced, boot_id, mono_us, body"

    /// The condition that reaches events through their key, (box, seq): every event in a
    /// journal is its box's, but a condition on `seq` alone makes SQLite read the whole
    /// table (439 MB at 1,000,000 events: 0.46 s for each batch of 500 pending events).
    static let own = "box_id = (SELECT value FROM meta WHERE key = 'box_id')"

    static func fetchEvents(_ db: Database, sql: String, arguments: StatementArguments) throws -> [JournalEvent] {
        let decoder = JSONDecoder()
        return try Row.fetchAll(db, sql: "SELECT \(columns) FROM event " + sql, arguments: arguments).map { try event(from: $0, decoder: decoder) }
    }

    /// The one place a row (selected with `columns`) becomes an event: its body decoded, or
    /// `draft` when the caller read what it needs of the body itself.
    static func event(from row: Row, decoder: JSONDecoder = JSONDecoder(), draft: EventDraft? = nil) throws -> JournalEvent {
        JournalEvent(
            boxID: row["box_id"], seq: row["seq"], siteID: row["site_id"], epoch: row["epoch"],
            time: EventTime(wallMillis: row["wall_ms"], synchronized: row["clock_synced"] == 1, bootID: row["boot_id"], monotonicMicros: row["mono_us"]),
            draft: try draft ?? decoder.decode(EventDraft.self, from: Data((row["body"] as String).utf8)))
    }

    /// A durable write that changes nothing anyone reads: the watchdog probe's last stage.
    public func probe(atMillis: Int64) throws {
        try pool.write { db in
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('watchdog_probe', ?)").execute(arguments: [String(atMillis)])
        }
    }

    // MARK: - Clock corrections

    /// Records that this boot's wall clock was off by `offsetMillis` (true minus box time),
    /// learnt from NTP or the hub's `Date` header. Events are never rewritten: the hub
    /// corrects their times from these records.
    public func recordClockCorrection(bootID: String, offsetMillis: Int64, source: String, atWallMillis: Int64, monotonicMicros: Int64) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO clock_correction (boot_id, offset_ms, source, recorded_wall_ms, mono_us) VALUES (?, ?, ?, ?, ?)",
                arguments: [bootID, offsetMillis, source, atWallMillis, monotonicMicros])
        }
    }

    /// Clock corrections not yet sent to the hub.
    public func pendingClockCorrections() throws -> [(bootID: String, offsetMillis: Int64, source: String)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT boot_id, offset_ms, source FROM clock_correction WHERE acked = 0 ORDER BY id").map {
                ($0["boot_id"], $0["offset_ms"], $0["source"])
            }
        }
    }

    /// The writer connection's `PRAGMA synchronous` (2 is FULL), as a check.
    public func writerSynchronous() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Runs a checkpoint now, on the caller's thread (tests).
    public func checkpoint() throws { try checkpointer?.run() }

    /// Asks the background thread for a checkpoint now (a purge).
    func requestCheckpoint() { checkpointer?.request() }

    /// Checkpoints the background thread ran since the journal opened (tests).
    var checkpointsRun: Int { checkpointer?.checkpointsRun ?? 0 }

    /// The WAL's frames as of the last commit (tests).
    var walFrames: Int { checkpointer?.walFrames ?? 0 }
}

extension Logger.Level {
    var journalName: String {
        switch self {
        case .trace, .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        case .critical: "critical"
        }
    }
}
