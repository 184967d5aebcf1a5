import Glibc

/// A listening AF_UNIX stream socket for local requests (the admin socket), non-blocking,
/// for the reactor. Replaces a stale socket file left by a process that died.
public final class UnixListener {
    public let path: String
    private let descriptor: OwnedDescriptor

    public init(path: String, mode: mode_t = 0o660) throws {
        self.path = path
        guard path.utf8.count < 108 else { throw SystemError(call: "bind", path: path, errno: ENAMETOOLONG) }
        let fd = try Syscall.call("socket(AF_UNIX)") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        descriptor = OwnedDescriptor(fd)
        unlink(path)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        try Syscall.call("bind", path: path) {
            withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        }
        try Syscall.call("chmod", path: path) { chmod(path, mode) }
        try Syscall.call("listen", path: path) { listen(fd, 16) }
    }

    deinit { unlink(path) }

    public var fd: Int32 { descriptor.raw }

    /// A waiting connection, non-blocking; nil when none waits.
    public func accept() -> UnixConnection? {
        let client = Glibc.accept(fd, nil, nil)
        guard client >= 0 else { return nil }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
        return UnixConnection(fd: client)
    }
}

/// One accepted connection: reads a request line, writes a reply, closes.
public final class UnixConnection {
    private let descriptor: OwnedDescriptor
    private var buffer: [UInt8] = []

    init(fd: Int32) { descriptor = OwnedDescriptor(fd) }

    public var fd: Int32 { descriptor.raw }

    public enum ReadResult {
        case line(String)
        case waiting
        /// End of file, an error, or a request too long to be one.
        case closed
    }

    public func readLine(limit: Int = 4096) -> ReadResult {
        var chunk = [UInt8](repeating: 0, count: 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(descriptor.raw, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer += chunk[0..<n]
                if let nl = buffer.firstIndex(of: 0x0A) { return .line(String(decoding: buffer[..<nl], as: UTF8.self)) }
                if buffer.count > limit { return .closed }
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { return .waiting }
            return .closed
        }
    }

    /// Writes the reply. A local client reads it at once; a reply is a few kB at most, so a
    /// full socket buffer means a client that does not read, and it is dropped.
    public func reply(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(descriptor.raw, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
    }

    public func close() { descriptor.close() }
}
