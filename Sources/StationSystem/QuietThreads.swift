import CSystemShim
import NIOCore
import NIOPosix
import Synchronization

/// Swift concurrency without libdispatch's once-a-second tick.
///
/// On Linux, libdispatch's own workqueue arms a 1 s timer on its manager thread
/// (`_dispatch_workq_monitor_pools`) the first time a thread of a non-overcommit global
/// queue runs, and never disarms it: Swift's default global executor, `Task.sleep` firing,
/// and a concurrent `DispatchQueue` all start it, and an idle box then wakes every second
/// for the rest of its life. A daemon that calls ``runConcurrencyOnNIO()`` first thing
/// runs its tasks on NIO's singleton event loops instead (epoll, no timer while idle);
/// its sleeps go through ``sleep(seconds:)`` and its blocking work through ``Blocking``,
/// so no Dispatch worker of that kind starts while the box is idle.
public enum QuietThreads {
    /// Makes NIO's singleton event loop group Swift's global executor (each job on the
    /// loop it is enqueued from, else the next one). Call once, on the main thread, before
    /// any task is started; false when another hook is installed already (the process then
    /// runs on that one). NIO's own installer finds the hook with dlsym, which does not
    /// see it in a binary with the Swift runtime linked in (the packages'): the linker
    /// gives its address here. The hook's type is the runtime's, not a promise of the
    /// language: toolchains past those it is known for (NIO's bound) keep Dispatch.
    @discardableResult
    public static func runConcurrencyOnNIO() -> Bool {
        #if compiler(<6.6)
        let hook = station_swift_enqueue_global_hook()!
        guard hook.pointee == nil else { return false }
        let enqueue: EnqueueGlobalHook = { job, _ in
            MultiThreadedEventLoopGroup.singleton.any().executor.enqueue(ExecutorJob(job))
        }
        hook.pointee = unsafeBitCast(enqueue, to: UnsafeMutableRawPointer.self)
        kept.withLock { $0 = $0 ?? [] }
        return true
        #else
        return false
        #endif
    }

    /// Keeps `object` until the process ends, in a process that runs its tasks on NIO
    /// (``runConcurrencyOnNIO()``); elsewhere (tests, stationctl) it is let go. For what
    /// would start the tick when freed: a GRDB connection hands its queue's cleanup to a
    /// non-overcommit Dispatch queue.
    public static func keep(_ object: any AnyObject & Sendable) {
        kept.withLock { $0?.append(object) }
    }

    private static let kept = Mutex<[any AnyObject & Sendable]?>(nil)

    /// The hook's type in the runtime: the job, and the enqueue it replaces.
    private typealias EnqueueGlobalHook = @convention(thin) (UnownedJob, @convention(thin) (UnownedJob) -> Void) -> Void

    /// `Task.sleep` on a timer of NIO's event loops rather than a Dispatch timer (whose
    /// firing runs on a Dispatch worker and starts the tick): returns after `seconds`,
    /// throws `CancellationError` at once when the task is cancelled.
    public static func sleep(seconds: Double) async throws {
        let nanoseconds = Int64(min(max(0, seconds), 1e9) * 1e9)
        let scheduled = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(nanoseconds)) {}
        try await withTaskCancellationHandler {
            do {
                try await scheduled.futureResult.get()
            } catch {
                throw CancellationError()
            }
        } onCancel: {
            scheduled.cancel()
        }
    }
}
