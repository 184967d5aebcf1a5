import CSystemShim
import Foundation

/// Work that must never slow a scan (reading the whole journal through): a thread of its
/// own at the lowest CPU priority (nice 19) and in the idle I/O class, so the scan loop's
/// reads and fsyncs go first on the box's one disk.
public enum BackgroundThread {
    /// Starts `body` on a new thread lowered as above (best effort: a kernel or sandbox
    /// that refuses it leaves the thread as it was).
    public static func start(_ body: @escaping @Sendable () -> Void) {
        Thread {
            _ = station_thread_lowest_priority()
            body()
        }.start()
    }

    /// The calling thread's CPU niceness and I/O class (3: idle), for tests to see them.
    public static func currentPriority() -> (nice: Int32, ioClass: Int32) {
        var nice: Int32 = 0
        var io: Int32 = 0
        station_thread_priority(&nice, &io)
        return (nice, io)
    }
}
