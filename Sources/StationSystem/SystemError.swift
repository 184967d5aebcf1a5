import Glibc

/// A failed system call with its context: which call, on what, and errno.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public var call: String
    public var path: String?
    public var errno: Int32

    public init(call: String, path: String? = nil, errno: Int32) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    public var message: String { String(cString: strerror(errno)) }

    public var description: String {
        if let path { return "\(call) \(path): \(message) (errno \(errno))" }
        return "\(call): \(message) (errno \(errno))"
    }
}

/// Every system call goes through here: -1 becomes a typed error and EINTR is retried.
/// Nothing else checks errno.
public enum Syscall {
    @discardableResult
    public static func call<T: FixedWidthInteger>(_ name: String, path: String? = nil, _ body: () -> T) throws(SystemError) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let err = Glibc.errno
            if err == EINTR { continue }
            throw SystemError(call: name, path: path, errno: err)
        }
    }

    /// Like `call`, but EAGAIN is an answer ("nothing now"), not an error.
    public static func nonBlocking<T: FixedWidthInteger>(_ name: String, path: String? = nil, _ body: () -> T) throws(SystemError) -> T? {
        do {
            return try call(name, path: path, body)
        } catch where error.errno == EAGAIN || error.errno == EWOULDBLOCK {
            return nil
        }
    }
}

/// A file descriptor this process owns; closed exactly once.
public final class OwnedDescriptor {
    public private(set) var raw: Int32

    public init(_ raw: Int32) { self.raw = raw }

    public func close() {
        guard raw >= 0 else { return }
        _ = Glibc.close(raw)
        raw = -1
    }

    deinit { close() }
}

/// Monotonic time in microseconds: the one clock the input edge uses for deadlines.
func monotonicMicros() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
}
