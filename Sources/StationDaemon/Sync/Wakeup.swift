import Foundation
import StationSystem

/// "Something to do": set from any thread, awaited by one task with a timeout. A wake-up
/// that arrives while nobody waits is kept for the next wait.
final class Wakeup: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?

    func signal() {
        lock.lock()
        if let w = waiter {
            waiter = nil
            lock.unlock()
            w.resume()
        } else {
            pending = true
            lock.unlock()
        }
    }

    /// Forgets a wake-up nobody waited for.
    func clear() {
        lock.lock()
        pending = false
        lock.unlock()
    }

    /// Returns when signalled, after `seconds`, or when the task is cancelled.
    func wait(seconds: Double) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await QuietThreads.sleep(seconds: seconds) }
            group.addTask { await self.next() }
            await group.next()
            group.cancelAll()
            self.signalWaiterOnly()
        }
    }

    private func next() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                lock.lock()
                if pending || Task.isCancelled {
                    pending = false
                    lock.unlock()
                    c.resume()
                } else {
                    waiter = c
                    lock.unlock()
                }
            }
        } onCancel: {
            signalWaiterOnly()
        }
    }

    /// Resumes a waiting `next()` without leaving a wake-up pending.
    private func signalWaiterOnly() {
        lock.lock()
        let w = waiter
        waiter = nil
        lock.unlock()
        w?.resume()
    }
}
