import CSystemShim
import Foundation
import Glibc

/// Work handed to the input loop from another thread (the sync service, the service
/// group's shutdown): queued under a lock, and an eventfd wakes the loop, which runs it
/// between reads. The loop's state is only ever touched on the loop's thread.
final class Mailbox: @unchecked Sendable {
    private let descriptor: OwnedDescriptor
    private let lock = NSLock()
    private var queue: [@Sendable () -> Void] = []

    init() throws(SystemError) {
        let fd = try Syscall.call("eventfd") { station_eventfd() }
        descriptor = OwnedDescriptor(fd)
    }

    var fd: Int32 { descriptor.raw }

    /// Any thread: queue `work` for the loop.
    func post(_ work: @escaping @Sendable () -> Void) {
        lock.lock()
        queue.append(work)
        lock.unlock()
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { write(descriptor.raw, $0.baseAddress, 8) }
    }

    /// The loop's thread, when `fd` is readable: runs what was queued, in order.
    func drain() {
        var counter: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &counter) { read(descriptor.raw, $0.baseAddress, 8) }
        lock.lock()
        let work = queue
        queue.removeAll()
        lock.unlock()
        for w in work { w() }
    }
}
