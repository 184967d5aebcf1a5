import StationSystem
import CEvdevShim
import Glibc

/// One evdev node opened non-blocking. The caller owns it; reading returns whole events.
final class EvdevDevice {
    let devnode: String
    let descriptor: OwnedDescriptor
    private(set) var grabbed = false
    private var buffer: [UInt8]
    /// Bytes of an event a read cut short, kept at the start of `buffer`. The kernel's
    /// evdev never splits an event, but a node behind a stream (umockdev's replay, a
    /// CUSE or socket-backed device) can; without the carry every event after a split
    /// would be read shifted, as garbage.
    private var carried = 0
    private var decoded: [station_input_event]
    private static let eventSize = Int(station_input_event_size())

    init(devnode: String) throws(SystemError) {
        self.devnode = devnode
        let fd = try Syscall.call("open", path: devnode) { open(devnode, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        descriptor = OwnedDescriptor(fd)
        buffer = [UInt8](repeating: 0, count: Self.eventSize * 64)
        decoded = [station_input_event](repeating: station_input_event(), count: 64)
    }

    var fd: Int32 { descriptor.raw }

    /// Exclusive access: the scanner's keys reach no console, desktop or other reader.
    func grab() throws(SystemError) {
        try Syscall.call("ioctl(EVIOCGRAB)", path: devnode) { station_ioctl_int(fd, station_eviocgrab(), 1) }
        grabbed = true
    }

    func close() {
        if grabbed { _ = station_ioctl_int(fd, station_eviocgrab(), 0) }
        grabbed = false
        descriptor.close()
    }

    enum ReadResult {
        case events([InputEventRecord])
        /// The device is gone (ENODEV, or end of file).
        case gone(SystemError?)
    }

    /// Everything readable now, in kernel order. An empty list means "nothing more now".
    func readAvailable() throws(SystemError) -> ReadResult {
        var out: [InputEventRecord] = []
        while true {
            let n: Int?
            let carry = carried
            do {
                n = try Syscall.nonBlocking("read", path: devnode) {
                    buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + carry, $0.count - carry) }
                }
            } catch where error.errno == ENODEV {
                return .gone(error)
            }
            guard let n else { return .events(out) }
            if n == 0 { return out.isEmpty ? .gone(nil) : .events(out) }
            let total = carry + n
            let count = total / Self.eventSize
            buffer.withUnsafeBytes { raw in
                decoded.withUnsafeMutableBufferPointer { station_decode_input_events(raw.baseAddress, UInt(count), $0.baseAddress) }
            }
            for e in decoded[0..<count] {
                out.append(InputEventRecord(kernelMicros: Self.micros(sec: e.sec, usec: e.usec), type: e.type, code: e.code, value: e.value))
            }
            carried = total - count * Self.eventSize
            if carried > 0 {
                let from = count * Self.eventSize
                buffer.withUnsafeMutableBytes { raw in _ = memmove(raw.baseAddress!, raw.baseAddress! + from, carried) }
            }
            if n < buffer.count - carry { return .events(out) }
        }
    }

    /// A kernel timestamp in microseconds; one no clock could have stamped (outside
    /// ±2^40 s) is 0 rather than a trap, and the channel's clock mapping treats it as late.
    static func micros(sec: Int64, usec: Int64) -> Int64 {
        let limit: Int64 = 1 << 40
        guard sec > -limit, sec < limit, usec > -limit, usec < limit else { return 0 }
        return sec * 1_000_000 + usec
    }
}

/// One `struct input_event`, with its kernel timestamp in microseconds.
struct InputEventRecord: Equatable {
    var kernelMicros: Int64
    var type: UInt16
    var code: UInt16
    var value: Int32

    static let evSyn: UInt16 = 0
    static let evKey: UInt16 = 1
    static let synReport: UInt16 = 0
    static let synDropped: UInt16 = 3
}
