import CSystemShim
import Foundation
import Glibc

/// One thread's epoll loop, shared by everything that runs on that thread (the scan
/// loop: input devices, the admin socket, signals, the network watch, the workflow's
/// timers, housekeeping). Each client registers its own descriptors and its own timers;
/// a timer has one deadline, on its own clock, and a timerfd of its own armed for it. When
/// nothing happens the thread sleeps in epoll_wait: no wake-ups while idle.
///
/// Other threads reach the loop only through ``execute(_:)``; state the loop owns lives in
/// a ``LoopBound`` that checks it is touched on the loop's thread.
public final class EventLoop: @unchecked Sendable {
    public enum Clock: Sendable {
        /// CLOCK_MONOTONIC, microseconds: timeouts that must not jump with the wall clock.
        case monotonic
        /// CLOCK_REALTIME, microseconds since 1970: things due at a time of day.
        case realtime
    }

    /// A timer: after every wake-up the loop asks its `deadline` and re-arms it when it
    /// moved; `fire` runs with the clock's time once it passed (the owner re-checks what
    /// is due: it may have moved since).
    public final class Timer {
        let clock: Clock
        let descriptor: OwnedDescriptor
        let deadline: () -> Int64?
        let fire: (Int64) -> Void
        var armedAt: Int64?

        init(clock: Clock, deadline: @escaping () -> Int64?, fire: @escaping (Int64) -> Void) throws(SystemError) {
            self.clock = clock
            self.deadline = deadline
            self.fire = fire
            descriptor = OwnedDescriptor(
                try Syscall.call("timerfd_create") {
                    timerfd_create(clock == .monotonic ? CLOCK_MONOTONIC : CLOCK_REALTIME, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
                })
        }

        func arm() {
            let at = deadline()
            guard at != armedAt else { return }
            armedAt = at
            var spec = itimerspec()
            if let at {
                // Absolute time; a deadline already passed fires at once (1 µs, as 0 disarms).
                let t = max(at, 1)
                spec.it_value.tv_sec = Int(t / 1_000_000)
                spec.it_value.tv_nsec = Int((t % 1_000_000) * 1000)
            }
            _ = timerfd_settime(descriptor.raw, Int32(TFD_TIMER_ABSTIME), &spec, nil)
        }

        func expired() {
            var expirations: UInt64 = 0
            _ = read(descriptor.raw, &expirations, 8)
            armedAt = nil
            fire(clock == .monotonic ? SystemClock.monotonicMicros() : SystemClock.wallMillis() * 1000)
        }
    }

    private let epoll: OwnedDescriptor
    private let mailbox: Mailbox
    private var handlers: [Int32: () -> Void] = [:]
    private var timers: [Timer] = []
    private var stopped = false
    private var thread: pthread_t?

    public init() throws(SystemError) {
        epoll = OwnedDescriptor(try Syscall.call("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) })
        mailbox = try Mailbox()
        try watch(mailbox.fd) { [mailbox] in mailbox.drain() }
    }

    /// True on the loop's thread while it runs.
    public var inLoop: Bool { thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false }

    /// Calls `handler` on the loop whenever `fd` is readable (or hung up).
    public func watch(_ fd: Int32, handler: @escaping () -> Void) throws(SystemError) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
        event.data.fd = fd
        try Syscall.call("epoll_ctl(ADD)") { epoll_ctl(epoll.raw, EPOLL_CTL_ADD, fd, &event) }
        handlers[fd] = handler
    }

    public func unwatch(_ fd: Int32) {
        guard handlers.removeValue(forKey: fd) != nil else { return }
        _ = epoll_ctl(epoll.raw, EPOLL_CTL_DEL, fd, nil)
    }

    /// A timer of a client's own (see ``Timer``).
    @discardableResult
    public func addTimer(clock: Clock, deadline: @escaping () -> Int64?, fire: @escaping (Int64) -> Void) throws(SystemError) -> Timer {
        let timer = try Timer(clock: clock, deadline: deadline, fire: fire)
        try watch(timer.descriptor.raw) { [unowned timer] in timer.expired() }
        timers.append(timer)
        return timer
    }

    /// Any thread: `work` runs on the loop between two reads, in the order posted.
    public func execute(_ work: @escaping @Sendable () -> Void) { mailbox.post(work) }

    /// Ends ``run()`` after the handler in hand (on the loop), or soon (from elsewhere).
    public func stop() {
        if inLoop {
            stopped = true
        } else {
            execute { [unowned self] in self.stopped = true }
        }
    }

    /// Runs on the calling thread until ``stop()``: `prepare` first and `finally` last, both
    /// on the loop's thread (clients register there, and may touch loop-bound values).
    public func run(prepare: () throws -> Void = {}, finally: () -> Void = {}) throws {
        thread = pthread_self()
        defer {
            finally()
            thread = nil
        }
        try prepare()
        var events = [epoll_event](repeating: epoll_event(), count: 32)
        while !stopped {
            for timer in timers { timer.arm() }
            let n = try Syscall.call("epoll_wait") {
                events.withUnsafeMutableBufferPointer { epoll_wait(epoll.raw, $0.baseAddress, Int32($0.count), -1) }
            }
            for i in 0..<Int(n) {
                handlers[events[i].data.fd]?()
                if stopped { break }
            }
        }
    }
}

/// A value owned by one ``EventLoop``: sendable to other threads, usable only on the
/// loop's (as NIO's `NIOLoopBound`): touching it elsewhere is a programming error, caught
/// at once. Other threads hand work to the loop with ``execute(_:)``.
public struct LoopBound<Value>: @unchecked Sendable {
    private let stored: Value
    public let loop: EventLoop

    public init(_ value: Value, loop: EventLoop) {
        stored = value
        self.loop = loop
    }

    public var value: Value {
        precondition(loop.inLoop, "a loop-bound value touched off its loop's thread")
        return stored
    }

    /// Any thread: `body` with the value, on the loop.
    public func execute(_ body: @escaping @Sendable (Value) -> Void) {
        let me = self
        loop.execute { body(me.value) }
    }
}

extension LoopBound {
    /// Any thread, from async code: `body`'s answer from the loop, or `fallback` when the
    /// loop has not answered within `seconds` (it is not running yet, or any more).
    public func ask<T: Sendable>(within seconds: Double, otherwise fallback: T, _ body: @escaping @Sendable (Value) -> T) async -> T {
        let answer = OnceAnswer<T>()
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await QuietThreads.sleep(seconds: seconds)
                answer.resume(fallback)
            }
            let value = await withCheckedContinuation { (c: CheckedContinuation<T, Never>) in
                answer.attach(c)
                execute { answer.resume(body($0)) }
            }
            group.cancelAll()
            return value
        }
    }
}

/// The first of several answers; later ones are ignored, one given before anyone waits is kept.
final class OnceAnswer<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Never>?
    private var early: T?
    private var done = false

    func attach(_ c: CheckedContinuation<T, Never>) {
        let value: T? = lock.withLock {
            if let early { return early }
            continuation = c
            return nil
        }
        if let value { c.resume(returning: value) }
    }

    func resume(_ value: T) {
        let c: CheckedContinuation<T, Never>? = lock.withLock {
            guard !done else { return nil }
            done = true
            if continuation == nil { early = value }
            defer { continuation = nil }
            return continuation
        }
        c?.resume(returning: value)
    }
}
