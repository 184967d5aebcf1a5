import Glibc

/// One request line to a local AF_UNIX stream socket, one reply line back (stationctl to
/// the admin socket). Nil when nobody listens or no reply comes within the timeout.
public enum UnixClient {
    public static func request(path: String, line: String, timeoutMillis: Int32 = 5000) -> String? {
        guard path.utf8.count < 108 else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { return nil }
        let out = Array((line + "\n").utf8)
        guard send(fd, out, out.count, Int32(MSG_NOSIGNAL)) == out.count else { return nil }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !reply.contains(0x0A) {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, timeoutMillis) > 0 else { return nil }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            reply += chunk[0..<n]
        }
        guard let nl = reply.firstIndex(of: 0x0A) else { return nil }
        return String(decoding: reply[..<nl], as: UTF8.self)
    }
}
