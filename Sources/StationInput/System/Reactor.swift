import CEvdevShim
import Glibc

/// A single-threaded epoll loop: file descriptors with handlers, plus one timerfd armed
/// for the earliest deadline anyone asked for. When nothing happens, it sleeps in
/// epoll_wait: zero wake-ups while idle.
final class Reactor {
    private let epoll: OwnedDescriptor
    private let timer: OwnedDescriptor
    private var handlers: [Int32: () -> Void] = [:]
    private var stopped = false
    private var armedAt: Int64?

    init() throws(SystemError) {
        epoll = OwnedDescriptor(try Syscall.call("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) })
        timer = OwnedDescriptor(
            try Syscall.call("timerfd_create") {
                timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
            })
        try add(timer.raw) {}
    }

    /// Calls `handler` whenever `fd` is readable (or hung up).
    func add(_ fd: Int32, handler: @escaping () -> Void) throws(SystemError) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
        event.data.fd = fd
        try Syscall.call("epoll_ctl(ADD)") { epoll_ctl(epoll.raw, EPOLL_CTL_ADD, fd, &event) }
        handlers[fd] = handler
    }

    func remove(_ fd: Int32) {
        guard handlers.removeValue(forKey: fd) != nil else { return }
        _ = epoll_ctl(epoll.raw, EPOLL_CTL_DEL, fd, nil)
    }

    func stop() { stopped = true }

    /// Runs until ``stop()``. `nextDeadline` is asked after every wake-up; `onDeadline`
    /// runs when the timer fires.
    func run(nextDeadline: () -> Int64?, onDeadline: (Int64) -> Void) throws(SystemError) {
        var events = [epoll_event](repeating: epoll_event(), count: 32)
        while !stopped {
            arm(nextDeadline())
            let n = try Syscall.call("epoll_wait") {
                events.withUnsafeMutableBufferPointer { epoll_wait(epoll.raw, $0.baseAddress, Int32($0.count), -1) }
            }
            for i in 0..<Int(n) {
                let fd = events[i].data.fd
                if fd == timer.raw {
                    var expirations: UInt64 = 0
                    _ = read(timer.raw, &expirations, 8)
                    armedAt = nil
                    onDeadline(monotonicMicros())
                } else {
                    handlers[fd]?()
                }
                if stopped { break }
            }
        }
    }

    private func arm(_ deadline: Int64?) {
        guard deadline != armedAt else { return }
        armedAt = deadline
        var spec = itimerspec()
        if let deadline {
            // Absolute time; a deadline already passed fires at once (1 µs, as 0 disarms).
            let at = max(deadline, 1)
            spec.it_value.tv_sec = Int(at / 1_000_000)
            spec.it_value.tv_nsec = Int((at % 1_000_000) * 1000)
        }
        _ = timerfd_settime(timer.raw, Int32(TFD_TIMER_ABSTIME), &spec, nil)
    }
}
