import CEvdevShim
import CUdev
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

    /// Event nodes of input devices that can play tones (`capabilities/snd` has SND_TONE):
    /// the PC speaker (`pcspkr`), USB and platform beepers. Found through udev, as
    /// scanners are; their node names are not fixed.
    public static func toneDevices() throws(SystemError) -> [String] {
        guard let udev = udev_new() else { throw SystemError(call: "udev_new", errno: Glibc.errno) }
        defer { udev_unref(udev) }
        guard let enumerate = udev_enumerate_new(udev) else { throw SystemError(call: "udev_enumerate_new", errno: Glibc.errno) }
        defer { udev_enumerate_unref(enumerate) }
        _ = udev_enumerate_add_match_subsystem(enumerate, "input")
        let rc = udev_enumerate_scan_devices(enumerate)
        if rc < 0 { throw SystemError(call: "udev_enumerate_scan_devices", errno: -rc) }
        var nodes: [String] = []
        var entry = udev_enumerate_get_list_entry(enumerate)
        while let current = entry {
            defer { entry = udev_list_entry_get_next(current) }
            guard let path = udev_list_entry_get_name(current), let device = udev_device_new_from_syspath(udev, path) else { continue }
            defer { udev_device_unref(device) }
            guard let sysname = udev_device_get_sysname(device).map({ String(cString: $0) }), sysname.hasPrefix("event"),
                let node = udev_device_get_devnode(device).map({ String(cString: $0) }),
                // The parent is owned by the child: not unreferenced here.
                let parent = udev_device_get_parent_with_subsystem_devtype(device, "input", nil),
                let snd = udev_device_get_sysattr_value(parent, "capabilities/snd").map({ String(cString: $0) })
            else { continue }
            if Self.hasTone(capabilities: snd) { nodes.append(node) }
        }
        return nodes.sorted()
    }

    /// `capabilities/snd` is a hex bitmap (words separated by spaces, most significant
    /// first); SND_TONE is bit 2.
    static func hasTone(capabilities: String) -> Bool {
        guard let last = capabilities.split(whereSeparator: { $0 == " " || $0 == "\n" }).last, let bits = UInt64(last, radix: 16) else { return false }
        return bits & (1 << UInt64(station_snd_tone())) != 0
    }
}
