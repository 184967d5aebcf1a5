import Foundation
import ServiceLifecycle
import StationCore

/// A value handed to the scan loop's thread through the mailbox: only ever used there.
struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// The journal as a service: opened before the group starts (READY needs it), closed
/// last, after the scan loop has finished the scan in hand.
struct StoreService: Service, @unchecked Sendable {
    let runner: Runner

    func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            // Cancelled: the scan loop is being stopped too.
        }
        // The journal closes only after the scan loop has written its last event.
        await runner.loopEnded.wait()
        DeviceLogSink.shared.flush()
        DeviceLogSink.shared.attach(nil)
        try? runner.journal.close()
    }
}

/// Opens once and stays open; waiting ignores task cancellation (the store must not close
/// the journal under a scan loop that is still writing).
final class Latch: @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func open() {
        lock.lock()
        isOpen = true
        let woken = waiters
        waiters.removeAll()
        lock.unlock()
        for w in woken { w.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if isOpen {
                lock.unlock()
                c.resume()
            } else {
                waiters.append(c)
                lock.unlock()
            }
        }
    }
}

/// Input, workflow and the admin socket: one epoll loop on a thread of its own (scans are
/// serialised and each commit happens on the thread that read it). A graceful shutdown
/// stops the loop between two reads.
struct ScanLoopService: Service, @unchecked Sendable {
    let runner: Runner
    let table: DeviceTable

    func run() async throws {
        // Cancelled (another service failed) or shut down gracefully: either way the loop
        // finishes the scan in hand and returns before the store closes the journal.
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await runLoop()
            } onCancel: {
                stopLoop()
            }
        } onGracefulShutdown: {
            stopLoop()
        }
    }

    private func runLoop() async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
            let thread = Thread {
                defer { runner.loopEnded.open() }
                do {
                    try runner.runLoop(table: table)
                    done.resume()
                } catch {
                    done.resume(throwing: error)
                }
            }
            thread.name = "station.scan"
            thread.start()
        }
    }

    /// Stops the loop between two reads (from any thread).
    func stopLoop() {
        let me = Unchecked(runner)
        runner.mailbox.post { me.value.loopStop?() }
    }
}
