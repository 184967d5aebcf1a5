/// Renders the udev rules for a device table. The committed `hw/60-station.rules` must
/// equal this output (a lint test checks it); nobody edits the rules by hand.
public enum UdevRules {
    public static func render(_ table: DeviceTable, tableName: String = "hw/devices.conf") -> String {
        var out = """
            # Generated from \(tableName) by `stationd hw-rules`. Do not edit: change the table
            # and run `make hw-rules`.
            #
            # Scanners and readers: group access for the daemon, hidden from libinput (no
            # desktop or kiosk compositor sees their keys), USB autosuspend off (a suspended
            # scanner loses the first characters of a scan). STATION_ROLE names the role for
            # people reading `udevadm info`; the daemon matches the table itself.

            ACTION=="remove", GOTO="station_end"

            """
        for entry in table.entries {
            out += "\n# \(entry.name)\n"
            var match = "ENV{ID_VENDOR_ID}==\"\(entry.vendor)\", ENV{ID_MODEL_ID}==\"\(entry.product)\""
            if let serial = entry.serial { match += ", ENV{ID_SERIAL_SHORT}==\"\(serial)\"" }
            if let port = entry.port { match += ", ENV{ID_PATH}==\"\(port)\"" }
            switch (entry.role, entry.interface) {
            case (.ignore, .evdev):
                out += "SUBSYSTEM==\"input\", KERNEL==\"event*\", \(match), ENV{STATION_ROLE}=\"ignore\"\n"
            case (.ignore, .tty):
                out += "SUBSYSTEM==\"tty\", \(match), ENV{STATION_ROLE}=\"ignore\"\n"
            case (let role, .evdev):
                out += "SUBSYSTEM==\"input\", KERNEL==\"event*\", \(match), ENV{STATION_ROLE}=\"\(role.rawValue)\", "
                out += "ENV{LIBINPUT_IGNORE_DEVICE}=\"1\", GROUP=\"input\", MODE=\"0660\"\n"
                out += autosuspendOff(entry)
            case (let role, .tty):
                out += "SUBSYSTEM==\"tty\", \(match), ENV{STATION_ROLE}=\"\(role.rawValue)\", "
                out += "ENV{ID_MM_DEVICE_IGNORE}=\"1\", GROUP=\"dialout\", MODE=\"0660\"\n"
                out += autosuspendOff(entry)
            }
        }
        out += "\nLABEL=\"station_end\"\n"
        return out
    }

    private static func autosuspendOff(_ entry: DeviceEntry) -> String {
        var line = "SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\", ATTR{idVendor}==\"\(entry.vendor)\", ATTR{idProduct}==\"\(entry.product)\""
        if let serial = entry.serial { line += ", ATTR{serial}==\"\(serial)\"" }
        line += ", TEST==\"power/control\", ATTR{power/control}=\"on\"\n"
        return line
    }
}
