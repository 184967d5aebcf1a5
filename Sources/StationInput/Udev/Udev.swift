import StationSystem
import CUdev
import Glibc

/// libudev, wrapped once: enumeration at start and a monitor on the "udev" source
/// (events after the rules ran) for add and remove. No polling.
final class Udev {
    private let udev: OpaquePointer

    init() throws(SystemError) {
        guard let udev = udev_new() else { throw SystemError(call: "udev_new", errno: Glibc.errno) }
        self.udev = udev
    }

    deinit { udev_unref(udev) }

    /// Every device of the given subsystems present now.
    func enumerate(subsystems: [String]) throws(SystemError) -> [UdevDevice] {
        guard let enumerate = udev_enumerate_new(udev) else {
            throw SystemError(call: "udev_enumerate_new", errno: Glibc.errno)
        }
        defer { udev_enumerate_unref(enumerate) }
        for subsystem in subsystems {
            _ = udev_enumerate_add_match_subsystem(enumerate, subsystem)
        }
        let rc = udev_enumerate_scan_devices(enumerate)
        if rc < 0 { throw SystemError(call: "udev_enumerate_scan_devices", errno: -rc) }
        var devices: [UdevDevice] = []
        var entry = udev_enumerate_get_list_entry(enumerate)
        while let current = entry {
            if let path = udev_list_entry_get_name(current),
                let device = udev_device_new_from_syspath(udev, path)
            {
                devices.append(Self.copy(device))
                udev_device_unref(device)
            }
            entry = udev_list_entry_get_next(current)
        }
        return devices
    }

    func monitor(subsystems: [String]) throws(SystemError) -> UdevMonitor {
        try UdevMonitor(udev: udev, subsystems: subsystems)
    }

    static func copy(_ device: OpaquePointer) -> UdevDevice {
        var properties: [String: String] = [:]
        var entry = udev_device_get_properties_list_entry(device)
        while let current = entry {
            if let name = udev_list_entry_get_name(current) {
                properties[String(cString: name)] = udev_list_entry_get_value(current).map { String(cString: $0) } ?? ""
            }
            entry = udev_list_entry_get_next(current)
        }
        return UdevDevice(
            syspath: udev_device_get_syspath(device).map { String(cString: $0) } ?? "",
            subsystem: udev_device_get_subsystem(device).map { String(cString: $0) } ?? "",
            devnode: udev_device_get_devnode(device).map { String(cString: $0) },
            properties: properties)
    }
}

/// A udev monitor: a file descriptor that becomes readable when devices come and go.
final class UdevMonitor {
    private let monitor: OpaquePointer
    let fd: Int32

    fileprivate init(udev: OpaquePointer, subsystems: [String]) throws(SystemError) {
        guard let monitor = udev_monitor_new_from_netlink(udev, "udev") else {
            throw SystemError(call: "udev_monitor_new_from_netlink", errno: Glibc.errno)
        }
        self.monitor = monitor
        for subsystem in subsystems {
            _ = udev_monitor_filter_add_match_subsystem_devtype(monitor, subsystem, nil)
        }
        let rc = udev_monitor_enable_receiving(monitor)
        if rc < 0 {
            udev_monitor_unref(monitor)
            throw SystemError(call: "udev_monitor_enable_receiving", errno: -rc)
        }
        fd = udev_monitor_get_fd(monitor)
        // libudev's fd is non-blocking already; make sure, as the reactor relies on it.
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }

    deinit { udev_monitor_unref(monitor) }

    /// Every event waiting now: action ("add", "remove", "change", ...) and device.
    func drain() -> [(action: String, device: UdevDevice)] {
        var out: [(String, UdevDevice)] = []
        while let device = udev_monitor_receive_device(monitor) {
            let action = udev_device_get_action(device).map { String(cString: $0) } ?? ""
            out.append((action, Udev.copy(device)))
            udev_device_unref(device)
        }
        return out
    }
}
