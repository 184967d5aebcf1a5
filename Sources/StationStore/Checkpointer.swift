import Foundation
import GRDB
import Logging

/// Copies the WAL back into the database on a connection and a thread of its own, a while
/// after something was committed: a PASSIVE checkpoint never waits for the writer, so scans
/// never wait for it. Commits within `intervalSeconds` of the first share one checkpoint;
/// with nothing written the thread sleeps until the next commit, so an idle box is not
/// woken by it (a repeating dispatch timer was: libdispatch's manager thread re-armed it
/// every second).
///
/// It learns of commits as a transaction observer of the journal's writer, so no write
/// path can forget to tell it.
final class Checkpointer: TransactionObserver, @unchecked Sendable {
    private let queue: DatabaseQueue
    private let state = State()

    /// What the thread and the writer's commits share; the thread holds this, not the
    /// checkpointer, so a journal that is dropped without `close` still ends it (deinit).
    private final class State: @unchecked Sendable {
        let condition = NSCondition()
        /// Something was committed that no checkpoint has copied yet.
        var written = false
        var stopping = false
        var finished = false
        var runs = 0
    }

    init(path: String, observing writer: some DatabaseWriter, intervalSeconds: Double, logger: Logger) throws {
        var config = Configuration()
        config.busyMode = .timeout(1)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        let queue = try DatabaseQueue(path: path, configuration: config)
        self.queue = queue
        let state = self.state
        let thread = Thread { Self.loop(state, queue: queue, intervalSeconds: intervalSeconds, logger: logger) }
        thread.start()
        writer.add(transactionObserver: self, extent: .observerLifetime)
    }

    deinit { stop() }

    /// A checkpoint now, on the caller's thread.
    func run(_ mode: Database.CheckpointMode = .passive) throws {
        try Self.checkpoint(queue, mode)
    }

    /// Ends the thread (after the checkpoint it may be running) and closes its connection.
    func stop() {
        let c = state.condition
        c.lock()
        state.stopping = true
        c.broadcast()
        while !state.finished { c.wait() }
        c.unlock()
        try? Connections.close(queue)
    }

    /// Checkpoints the thread ran (for tests: commits, not time, cause them).
    var checkpointsRun: Int {
        state.condition.lock()
        defer { state.condition.unlock() }
        return state.runs
    }

    private static func checkpoint(_ queue: DatabaseQueue, _ mode: Database.CheckpointMode) throws {
        try queue.writeWithoutTransaction { db in _ = try db.checkpoint(mode) }
    }

    private static func loop(_ state: State, queue: DatabaseQueue, intervalSeconds: Double, logger: Logger) {
        let c = state.condition
        c.lock()
        defer {
            state.finished = true
            c.broadcast()
            c.unlock()
        }
        while true {
            while !state.written && !state.stopping { c.wait() }
            // Commits until then join this checkpoint.
            let due = Date(timeIntervalSinceNow: intervalSeconds)
            while !state.stopping && Date() < due { _ = c.wait(until: due) }
            if state.stopping { return }
            state.written = false
            c.unlock()
            do { try checkpoint(queue, .passive) } catch { logger.warning("journal checkpoint failed", metadata: ["error": "\(error)"]) }
            c.lock()
            state.runs += 1
        }
    }

    // MARK: TransactionObserver: commits only, no row changes.

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidRollback(_ db: Database) {}

    func databaseDidCommit(_ db: Database) {
        state.condition.lock()
        if !state.written {
            state.written = true
            state.condition.broadcast()
        }
        state.condition.unlock()
    }
}
