/// What a device is for at a box.
public enum DeviceRole: String, Sendable, Equatable, CaseIterable {
    case scanner
    case idReader = "id-reader"
    /// Known, types at machine speed, but is not a scanner (a security key, say): never read.
    case ignore
}

/// How a device delivers its characters.
public enum DeviceInterface: String, Sendable, Equatable, CaseIterable {
    /// A USB HID keyboard wedge read through /dev/input/event*.
    case evdev
    /// A CDC-ACM or USB-serial line (/dev/ttyACM*, /dev/ttyUSB*).
    case tty
}

/// How a scanner in "ALT mode" encodes a non-ASCII character as Alt + keypad digits.
public enum AltCodePage: String, Sendable, Equatable, CaseIterable {
    /// The decimal value is a GBK double-byte code (中 = 54992).
    case gbk
    /// The decimal value is a Unicode scalar (中 = 20013).
    case unicode
    /// The decimal value is an OEM code page 437 byte; with a leading 0, Windows-1252.
    case cp437
}

/// The text encoding a serial scanner sends.
public enum SerialEncoding: String, Sendable, Equatable, CaseIterable {
    case utf8 = "utf-8"
    case gb18030
}

/// One section of the device table: a scanner or reader model, or one unit or USB port of it.
public struct DeviceEntry: Sendable, Equatable {
    public var name: String
    public var vendor: String
    public var product: String
    public var serial: String?
    public var port: String?
    public var role: DeviceRole
    public var interface: DeviceInterface
    /// xkb layout, e.g. `de`; with `variant` from `de(nodeadkeys)`.
    public var layout: String?
    public var variant: String?
    public var suffix: SuffixKey?
    public var idleTimeoutMillis: Int?
    public var altCodePage: AltCodePage?
    public var baud: Int?
    public var encoding: SerialEncoding?
    public var source: String
    /// Where the entry was defined, for error messages.
    public var origin: SourceLocation

    public init(
        name: String, vendor: String, product: String, serial: String? = nil, port: String? = nil,
        role: DeviceRole, interface: DeviceInterface, layout: String? = nil, variant: String? = nil,
        suffix: SuffixKey? = nil, idleTimeoutMillis: Int? = nil, altCodePage: AltCodePage? = nil,
        baud: Int? = nil, encoding: SerialEncoding? = nil, source: String,
        origin: SourceLocation = SourceLocation(file: "<memory>", line: 0)
    ) {
        self.name = name
        self.vendor = vendor
        self.product = product
        self.serial = serial
        self.port = port
        self.role = role
        self.interface = interface
        self.layout = layout
        self.variant = variant
        self.suffix = suffix
        self.idleTimeoutMillis = idleTimeoutMillis
        self.altCodePage = altCodePage
        self.baud = baud
        self.encoding = encoding
        self.source = source
        self.origin = origin
    }

    /// `interface VENDOR:PRODUCT`, with `/serial` or `@port` when the entry is that
    /// specific: two entries with the same key describe the same device.
    public var matchKey: String {
        var key = "\(interface.rawValue) \(vendor):\(product)"
        if let serial { key += "/\(serial)" }
        if let port { key += "@\(port)" }
        return key
    }

    /// The framer settings this entry asks for.
    public var framerSettings: ScanFramer.Settings {
        var settings = ScanFramer.Settings(suffix: suffix ?? .enter)
        if let idleTimeoutMillis { settings.idleTimeoutMicros = Int64(idleTimeoutMillis) * 1000 }
        return settings
    }
}

/// A file and line, for messages a person can act on.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
    public var description: String { "\(file):\(line)" }
}
