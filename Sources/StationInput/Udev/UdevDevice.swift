/// A udev device as the daemon sees it: copied out of libudev at once, so nothing holds
/// a libudev pointer beyond the call that produced it.
public struct UdevDevice: Sendable, Equatable {
    public var syspath: String
    public var subsystem: String
    public var devnode: String?
    public var properties: [String: String]

    public init(syspath: String, subsystem: String, devnode: String?, properties: [String: String]) {
        self.syspath = syspath
        self.subsystem = subsystem
        self.devnode = devnode
        self.properties = properties
    }

    /// An evdev event node (`/dev/input/eventN`), not the `inputN` parent or a mouse node.
    var isEventNode: Bool {
        subsystem == "input" && (devnode?.hasPrefix("/dev/input/event") ?? false)
    }

    var isKeyboard: Bool { properties["ID_INPUT_KEYBOARD"] == "1" }
}
