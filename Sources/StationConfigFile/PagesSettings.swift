/// `[pages]`: where the kiosk and manager pages listen.
public struct PagesSettings: Sendable, Equatable {
    /// The kiosk page, for the box's own screen: loopback only (nil: off).
    public var kioskPort: Int? = 8480
    /// The manager page: loopback unless the config names another address (nil: off).
    public var managerHost = "127.0.0.1"
    public var managerPort = 8481
    /// Without a password the manager page is off.
    public var managerPassword: String?

    public init() {}
}
