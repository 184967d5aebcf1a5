import StationSystem
import CEvdevShim
import Glibc

/// A serial scanner's tty in raw mode. Bytes, not key codes: the reliable way to get
/// Chinese text out of a QR code.
final class SerialLine {
    let devnode: String
    let descriptor: OwnedDescriptor
    private var buffer = [UInt8](repeating: 0, count: 4096)

    init(devnode: String, baud: Int) throws(SystemError) {
        self.devnode = devnode
        let fd = try Syscall.call("open", path: devnode) { open(devnode, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) }
        descriptor = OwnedDescriptor(fd)
        do {
            try Syscall.call("tcsetattr(raw, \(baud) baud)", path: devnode) { station_tty_make_raw(fd, UInt32(baud)) }
        } catch where error.errno == ENOTTY {
            // Not a terminal (a replayed device in tests, a pipe): bytes flow all the same.
        }
    }

    var fd: Int32 { descriptor.raw }

    func close() { descriptor.close() }

    enum ReadResult {
        case bytes([UInt8])
        case gone(SystemError?)
    }

    func readAvailable() throws(SystemError) -> ReadResult {
        var out: [UInt8] = []
        while true {
            let n: Int?
            do {
                n = try Syscall.nonBlocking("read", path: devnode) {
                    buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                }
            } catch where error.errno == ENODEV || error.errno == EIO {
                return .gone(error)
            }
            guard let n else { return .bytes(out) }
            if n == 0 { return out.isEmpty ? .gone(nil) : .bytes(out) }
            out += buffer[0..<n]
        }
    }
}

/// Splits a serial byte stream into lines at CR, LF or CRLF. Pure.
public struct LineSplitter: Sendable {
    public var maxLength: Int
    private var pending: [UInt8] = []
    private var overflowed = false

    public init(maxLength: Int = 4096) { self.maxLength = maxLength }

    public enum Output: Equatable, Sendable {
        case line([UInt8])
        case tooLong
    }

    public mutating func feed(_ bytes: [UInt8]) -> [Output] {
        var out: [Output] = []
        for b in bytes {
            if b == 0x0D || b == 0x0A {
                if !overflowed && !pending.isEmpty { out.append(.line(pending)) }
                pending.removeAll(keepingCapacity: true)
                overflowed = false
                continue
            }
            if overflowed { continue }
            pending.append(b)
            if pending.count > maxLength {
                overflowed = true
                pending.removeAll()
                out.append(.tooLong)
            }
        }
        return out
    }

    /// Bytes of an unfinished line, for a device that went away.
    public var pendingCount: Int { pending.count }
}
