import Foundation
import Logging
import ServiceLifecycle
import StationCore
import StationStore
import StationSystem

/// The journal as a service: opened before the group starts (READY needs it), closed
/// last, after the scan loop has finished the scan in hand.
struct StoreService: Service {
    let journal: Journal
    let loopEnded: Latch

    func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            // Cancelled: the scan loop is being stopped too.
        }
        // The journal closes only after the scan loop has written its last event.
        await loopEnded.wait()
        DeviceLogSink.shared.flush()
        DeviceLogSink.shared.attach(nil)
        try? journal.close()
    }
}

/// Opens once and stays open; waiting ignores task cancellation (the store must not close
/// the journal under a scan loop that is still writing).
final class Latch: @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func open() {
        let woken: [CheckedContinuation<Void, Never>] = lock.withLock {
            isOpen = true
            defer { waiters.removeAll() }
            return waiters
        }
        for w in woken { w.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now: Bool = lock.withLock {
                if !isOpen { waiters.append(c) }
                return isOpen
            }
            if now { c.resume() }
        }
    }
}

/// The scan loop: the daemon's ``EventLoop`` on a thread of its own (scans are serialised
/// and each commit happens on the thread that read it). SIGTERM, a graceful shutdown of
/// the group, or its cancellation stop the loop between two reads; the grabs are released
/// before it returns, and its return shuts the group down.
struct ScanLoopService: Service {
    let daemon: LoopBound<Daemon>
    let table: DeviceTable

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await runLoop()
            } onCancel: {
                daemon.loop.stop()
            }
        } onGracefulShutdown: {
            daemon.loop.stop()
        }
    }

    private func runLoop() async throws {
        let (daemon, table) = (self.daemon, self.table)
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
            let thread = Thread {
                do {
                    try daemon.loop.run(prepare: { try daemon.value.prepareLoop(table: table) }, finally: { daemon.value.loopReturned() })
                    done.resume()
                } catch {
                    done.resume(throwing: error)
                }
            }
            thread.name = "station.scan"
            thread.start()
        }
    }
}

/// The journal read through once the box is running, then once a day, and at once when a
/// write finds the file damaged, in the background (``BackgroundThread``; a start does not
/// read the whole file: it grows with the journal). A corrupt journal ends the group with
/// an error: stationd exits non-zero, systemd starts it again (`Restart=on-failure`), and
/// that start salvages the journal before it is ready (``Salvage``). A check that cannot
/// read the file through is logged and tried again at the next turn. Stopping the box
/// stops a check under way.
struct JournalCheckService: Service {
    let journal: Journal
    let logger: Logger
    let intervalSeconds: Double
    /// A turn now, one a day, and one for each damaged write (at most one waiting).
    private let turns: AsyncStream<Void>
    private let turn: AsyncStream<Void>.Continuation

    /// Before the group starts (the scan loop writes only then): the journal's damage
    /// reports are wired here, not from a service already running beside the writer.
    init(journal: Journal, logger: Logger, intervalSeconds: Double = 86_400) {
        (self.journal, self.logger, self.intervalSeconds) = (journal, logger, intervalSeconds)
        (turns, turn) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let turn = self.turn
        journal.onDamage = { turn.yield() }
        turn.yield()
    }

    struct Corrupt: Error, CustomStringConvertible {
        var problem: String
        var description: String { "the journal is corrupt (\(problem)): stopping, to salvage it at the next start" }
    }

    func run() async throws {
        let (turn, interval) = (self.turn, intervalSeconds)
        let daily = Task {
            while !Task.isCancelled {
                try? await QuietThreads.sleep(seconds: interval)
                turn.yield()
            }
        }
        defer {
            daily.cancel()
            turn.finish()
        }
        do {
            try await cancelWhenGracefulShutdown {
                for await _ in turns {
                    try await checkOnce()
                }
            }
        } catch is CancellationError {
            // The box is stopping.
        }
    }

    private func checkOnce() async throws {
        do {
            guard let problem = try await check() else { return }
            logger.critical("the journal is corrupt: stopping, to salvage it at the next start", metadata: ["error": "\(problem)"])
            throw Corrupt(problem: problem)
        } catch let error as Corrupt {
            throw error
        } catch {
            if Task.isCancelled { return }
            logger.error("could not read the journal through: trying again at the next check", metadata: ["error": "\(error)"])
        }
    }

    private func check() async throws -> String? {
        // (A graceful shutdown cancels this task: `run` is inside cancelWhenGracefulShutdown.)
        let (journal, check) = (self.journal, IntegrityCheck())
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (done: CheckedContinuation<String?, Error>) in
                BackgroundThread.start { done.resume(with: Result { try check.run(journal) }) }
            }
        } onCancel: {
            check.cancel()
        }
    }
}
