import StationSystem
import CEvdevShim
import Glibc

/// An evdev node feedback is written to: a PC speaker or beeper (EV_SND/SND_TONE) or a
/// scanner's keyboard LEDs (EV_LED). Opened write-only and non-blocking, apart from the
/// descriptor the scan loop reads from: a write never waits and never touches the scan's
/// path. The kernel accepts writes from any opener of a grabbed node.
public final class SignalDevice {
    public let devnode: String
    private let descriptor: OwnedDescriptor

    public init(devnode: String) throws(SystemError) {
        self.devnode = devnode
        let fd = try Syscall.call("open", path: devnode) { open(devnode, O_WRONLY | O_NONBLOCK | O_CLOEXEC) }
        descriptor = OwnedDescriptor(fd)
    }

    /// Sounds `hz` until the next call (0 stops the tone).
    public func tone(hz: Int) throws(SystemError) {
        try write(type: station_ev_snd(), code: station_snd_tone(), value: Int32(clamping: hz))
    }

    /// Sets the Scroll Lock LED. Only that one: many keyboard-wedge scanners follow the
    /// host's Caps and Num Lock to choose letter case and keypad codes, and a blink of
    /// those during the next scan would change what it types.
    public func scrollLock(on: Bool) throws(SystemError) {
        try write(type: station_ev_led(), code: station_led_scroll(), value: on ? 1 : 0)
    }

    private func write(type: UInt16, code: UInt16, value: Int32) throws(SystemError) {
        let fd = descriptor.raw
        let path = devnode
        try Syscall.call("write", path: path) { station_write_input_event(fd, type, code, value) }
    }

    public func close() { descriptor.close() }

    /// Event nodes of input devices that can play tones: the PC speaker (`pcspkr`), USB
    /// and platform beepers. Found through udev, as scanners are (their node names are not
    /// fixed): the input device (`inputN`) carries the kernel's `SND` bitmap, its event
    /// node is a child of it.
    public static func toneDevices() throws(SystemError) -> [String] {
        let devices = try Udev().enumerate(subsystems: ["input"])
        let beepers = devices.filter { $0.devnode == nil && hasTone(capabilities: $0.properties["SND"] ?? "") }.map { $0.syspath + "/" }
        return devices.compactMap { device -> String? in
            guard let node = device.devnode, device.syspath.split(separator: "/").last?.hasPrefix("event") == true,
                beepers.contains(where: { device.syspath.hasPrefix($0) })
            else { return nil }
            return node
        }.sorted()
    }

    /// The kernel's `SND` bitmap (as in `capabilities/snd`): hex words separated by
    /// spaces, most significant first; SND_TONE is bit 2.
    static func hasTone(capabilities: String) -> Bool {
        guard let last = capabilities.split(whereSeparator: { $0 == " " || $0 == "\n" }).last, let bits = UInt64(last, radix: 16) else { return false }
        return bits & (1 << UInt64(station_snd_tone())) != 0
    }
}
