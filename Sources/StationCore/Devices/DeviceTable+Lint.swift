extension DeviceTable {
    /// Checks that go beyond the format: ids named as coming from `usb.ids` really are in
    /// it, and every layout compiles. `layoutCompiles` is given by the caller (xkbcommon
    /// lives at the I/O edge).
    public func lint(
        usbIDs: USBIDRegistry, layoutCompiles: (LayoutSpec) -> Bool
    ) -> [Problem] {
        var problems: [Problem] = []
        for entry in entries {
            func fail(_ message: String) { problems.append(Problem(entry.origin, section: entry.name, message)) }
            if entry.source.hasPrefix("usb.ids") {
                if usbIDs.vendorName(entry.vendor) == nil {
                    fail("vendor \(entry.vendor) is not in usb.ids, yet Source says it is")
                } else if usbIDs.productName(entry.vendor, entry.product) == nil {
                    fail("product \(entry.vendor):\(entry.product) is not in usb.ids, yet Source says it is")
                }
            } else if !entry.source.hasPrefix("vendor doc:") {
                fail("Source must start with `usb.ids:` or `vendor doc:`")
            }
            if let layout = entry.layout {
                let spec = LayoutSpec(layout: layout, variant: entry.variant)
                if !layoutCompiles(spec) { fail("layout `\(spec.description)` does not compile in xkbcommon") }
            }
        }
        return problems
    }
}
