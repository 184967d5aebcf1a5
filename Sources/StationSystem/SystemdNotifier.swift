import Foundation
import Glibc

/// The sd_notify protocol, spoken directly: datagrams to `$NOTIFY_SOCKET` (a path, or an
/// abstract name starting with `@`). Without the variable every call does nothing, so the
/// daemon runs the same by hand and under systemd.
public final class SystemdNotifier: @unchecked Sendable {
    private let fd: Int32
    private var address = sockaddr_un()
    private let addressLength: socklen_t
    /// `WATCHDOG_USEC` when systemd asked for keep-alives (and they are for this pid).
    public let watchdogMicros: Int64?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let usec = environment["WATCHDOG_USEC"].flatMap(Int64.init), usec > 0,
            environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == getpid() }) ?? true
        {
            watchdogMicros = usec
        } else {
            watchdogMicros = nil
        }
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty, path.utf8.count < 108 else {
            fd = -1
            addressLength = 0
            return
        }
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        addressLength = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
    }

    deinit { if fd >= 0 { close(fd) } }

    public var isActive: Bool { fd >= 0 }

    /// Sends `KEY=value` lines in one datagram. Errors are ignored: systemd may be gone.
    public func notify(_ fields: [String]) {
        guard fd >= 0 else { return }
        let message = Array(fields.joined(separator: "\n").utf8)
        _ = withUnsafePointer(to: &address) { ptr in
            ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                sendto(fd, message, message.count, Int32(MSG_NOSIGNAL), sa, addressLength)
            }
        }
    }

    public func ready(status: String) { notify(["READY=1", "STATUS=\(status)"]) }
    public func status(_ status: String) { notify(["STATUS=\(status)"]) }
    public func watchdog() { notify(["WATCHDOG=1"]) }
    public func stopping() { notify(["STOPPING=1", "STATUS=stopping"]) }
}
