import Foundation
import GRDB
import GRDBSQLite
import Logging

/// Copies the WAL back into the database on a connection and a thread of its own once the
/// WAL holds `frames` frames since the last checkpoint (1,000 by default, SQLite's own
/// automatic checkpoint): a PASSIVE checkpoint never waits for the writer, so scans never
/// wait for it, and the thread sleeps until then, so an idle box is not woken by it.
///
/// Why by size and not a while after each commit: a checkpoint that copied everything lets
/// the next commit restart the WAL from its start, and SQLite syncs the WAL's new header
/// before that commit's own sync. A box whose scans come minutes apart had a checkpoint
/// between every two, so every scan paid two fdatasyncs. Checkpointed by size, a scan's
/// commit pays one, written over the WAL's blocks of the last round (no new blocks, no
/// change of the file's size for the sync to carry) once the WAL has been round once.
///
/// It learns of the WAL's length from SQLite's WAL hook on the journal's writer, which
/// runs in every commit, so no write path can forget to tell it.
final class Checkpointer: @unchecked Sendable {
    private let queue: DatabaseQueue
    private let state: State
    private let writer: any DatabaseWriter

    /// What the thread and the writer's commits share; the thread holds this, not the
    /// checkpointer, so a journal that is dropped without `close` still ends it (deinit).
    private final class State: @unchecked Sendable {
        let condition = NSCondition()
        let frames: Int32
        /// The writer's alone (the hook runs in its commits): when to ask next.
        var askAt: Int32
        var lastFrames: Int32 = 0
        /// A checkpoint was asked for and has not started.
        var asked = false
        var stopping = false
        var finished = false
        var runs = 0

        init(frames: Int32) {
            self.frames = max(frames, 1)
            askAt = self.frames
        }

        /// After each commit on the writer, with the WAL's frames: asks for a checkpoint
        /// each time another `frames` have been written since the last ask (or since the
        /// WAL restarted). Cheap when it does not ask: no lock.
        func committed(walFrames: Int32) {
            if walFrames < lastFrames { askAt = frames }
            lastFrames = walFrames
            guard walFrames >= askAt else { return }
            askAt = walFrames &+ frames
            condition.lock()
            asked = true
            condition.broadcast()
            condition.unlock()
        }
    }

    init(path: String, observing writer: some DatabaseWriter, frames: Int, logger: Logger) throws {
        var config = Configuration()
        config.busyMode = .timeout(1)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        let queue = try DatabaseQueue(path: path, configuration: config)
        self.queue = queue
        self.writer = writer
        let state = State(frames: Int32(clamping: frames))
        self.state = state
        let thread = Thread { Self.loop(state, queue: queue, logger: logger) }
        thread.start()
        // The hook's context is the state, which outlives it: `stop` takes the hook off
        // before the state can go.
        try writer.writeWithoutTransaction { db in
            guard let connection = db.sqliteConnection else { throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "the journal's writer is closed") }
            sqlite3_wal_hook(connection, { context, _, _, frames in
                Unmanaged<State>.fromOpaque(context!).takeUnretainedValue().committed(walFrames: frames)
                return SQLITE_OK
            }, Unmanaged.passUnretained(state).toOpaque())
        }
    }

    deinit { stop() }

    /// A checkpoint soon, on the thread (whatever the WAL's length).
    func request() {
        state.condition.lock()
        state.asked = true
        state.condition.broadcast()
        state.condition.unlock()
    }

    /// A checkpoint now, on the caller's thread.
    func run(_ mode: Database.CheckpointMode = .passive) throws {
        try Self.checkpoint(queue, mode)
    }

    /// Ends the thread (after the checkpoint it may be running), takes the hook off the
    /// writer and closes the thread's connection; only the first call does anything.
    func stop() {
        let c = state.condition
        c.lock()
        let stopped = state.stopping
        state.stopping = true
        c.broadcast()
        while !state.finished { c.wait() }
        c.unlock()
        if stopped { return }
        // A writer already closed has no hook left to call.
        try? writer.writeWithoutTransaction { db in
            if let connection = db.sqliteConnection { sqlite3_wal_hook(connection, nil, nil) }
        }
        try? Connections.close(queue)
    }

    /// The WAL's frames as of the last commit (tests; read after the commit returned).
    var walFrames: Int { Int(state.lastFrames) }

    /// Checkpoints the thread ran (for tests: the WAL's length, not time, causes them).
    var checkpointsRun: Int {
        state.condition.lock()
        defer { state.condition.unlock() }
        return state.runs
    }

    private static func checkpoint(_ queue: DatabaseQueue, _ mode: Database.CheckpointMode) throws {
        try queue.writeWithoutTransaction { db in _ = try db.checkpoint(mode) }
    }

    private static func loop(_ state: State, queue: DatabaseQueue, logger: Logger) {
        let c = state.condition
        c.lock()
        defer {
            state.finished = true
            c.broadcast()
            c.unlock()
        }
        while true {
            while !state.asked && !state.stopping { c.wait() }
            if state.stopping { return }
            state.asked = false
            c.unlock()
            do { try checkpoint(queue, .passive) } catch { logger.warning("journal checkpoint failed", metadata: ["error": "\(error)"]) }
            c.lock()
            state.runs += 1
        }
    }
}
