/// The public USB id registry (`usb.ids`, Debian package hwdata), parsed for lookups.
public struct USBIDRegistry: Sendable {
    public private(set) var vendors: [String: String] = [:]
    public private(set) var products: [String: String] = [:]

    /// Parses the `usb.ids` text: `vvvv  Vendor` lines, then tab-indented `pppp  Product`.
    /// Sections after the device list (device classes etc.) are skipped.
    public init(parsing text: String) {
        var vendor: String?
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if raw.hasPrefix("#") { continue }
            if raw.hasPrefix("\t\t") { continue }
            if raw.hasPrefix("\t") {
                guard let vendor else { continue }
                let line = raw.dropFirst()
                let id = String(line.prefix(4))
                if Self.isHexID(id) { products["\(vendor):\(id)"] = String(line.dropFirst(4)).trimmingWhitespace() }
                continue
            }
            let id = String(raw.prefix(4))
            // The vendor list ends where the class lists (`C 00  ...`) begin.
            if !Self.isHexID(id) || raw.dropFirst(4).first != " " {
                vendor = nil
                if raw.hasPrefix("C ") { break }
                continue
            }
            vendor = id
            vendors[id] = String(raw.dropFirst(4)).trimmingWhitespace()
        }
    }

    static func isHexID(_ s: String) -> Bool {
        s.count == 4 && s.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    public func vendorName(_ vendor: String) -> String? { vendors[vendor] }
    public func productName(_ vendor: String, _ product: String) -> String? { products["\(vendor):\(product)"] }
}
