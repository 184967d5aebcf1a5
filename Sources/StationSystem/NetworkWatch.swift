import CSystemShim
import Glibc

/// The kernel's word that the network came back: rtnetlink announces a new address or
/// route (a link up again, DHCP done, a mobile modem connected). A readable descriptor for
/// the input loop; nothing polls.
public final class NetworkWatch {
    private let descriptor: OwnedDescriptor

    public init() throws {
        let fd = try Syscall.call("socket(AF_NETLINK)") { station_netlink_route_socket() }
        descriptor = OwnedDescriptor(fd)
    }

    public var fd: Int32 { descriptor.raw }

    /// Reads what arrived; true when an address or a route appeared.
    public func drain() -> Bool {
        var appeared = false
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(descriptor.raw, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            if buffer.withUnsafeBufferPointer({ station_netlink_route_appeared($0.baseAddress, n) }) == 1 { appeared = true }
        }
        return appeared
    }
}
