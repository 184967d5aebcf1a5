/// The printable enrollment card (SVG, 85.6 × 54 mm like a bank card): the QR code a
/// screenless box scans to enroll, and what a person needs to know about it. One card, or
/// A4 sheets of ten (two across, five down) for a fleet.
public enum EnrollmentCardPrint {
    public static func svg(_ card: EnrollmentCard, boxID: String, siteID: String) throws -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="85.6mm" height="54mm" viewBox="0 0 856 540">
        \(try body(card, boxID: boxID, siteID: siteID))</svg>

        """
    }

    /// Cards per A4 sheet, and where they stand on it (millimetres).
    public static let perSheet = 10
    static let sheetLeft = 17.5, sheetTop = 11.0, gap = 4.0

    /// A4 sheets (SVG documents, one per page) of the cards in order, ten to a page, with
    /// cut lines around each card.
    public static func sheets(_ cards: [(card: EnrollmentCard, boxID: String, siteID: String)]) throws -> [String] {
        try stride(from: 0, to: cards.count, by: perSheet).map { start in
            let page = cards[start..<min(cards.count, start + perSheet)]
            let placed = try page.enumerated().map { i, c in
                let x = sheetLeft + Double(i % 2) * (85.6 + gap), y = sheetTop + Double(i / 2) * (54 + gap)
                return """
                    <svg x="\(x)" y="\(y)" width="85.6" height="54" viewBox="0 0 856 540">
                    \(try body(c.card, boxID: c.boxID, siteID: c.siteID))</svg>
                    """
            }
            return """
                <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="210mm" height="297mm" viewBox="0 0 210 297">
                <rect width="210" height="297" fill="#fff"/>
                \(placed.joined(separator: "\n"))
                </svg>

                """
        }
    }

    /// A card's drawing in its own 856 × 540 units: the QR code 44 mm square on the left,
    /// the words on the right.
    static func body(_ card: EnrollmentCard, boxID: String, siteID: String) throws -> String {
        let qr = try QRCode(text: card.payload, errorCorrection: .medium)
        let quiet = 4
        let extent = qr.size + 2 * quiet
        return """
            <rect width="856" height="540" fill="#fff" stroke="#000" stroke-width="2"/>
            <svg x="30" y="50" width="440" height="440" viewBox="0 0 \(extent) \(extent)" shape-rendering="crispEdges">
            <rect width="\(extent)" height="\(extent)" fill="#fff"/>
            <path d="\(qr.svgPath(quietZone: quiet))" fill="#000"/>
            </svg>
            <g font-family="sans-serif" fill="#000">
            <text x="500" y="110" font-size="40" font-weight="bold">设备登记卡</text>
            <text x="500" y="155" font-size="28">Box enrollment card</text>
            <text x="500" y="230" font-size="28">\(Markup.escape(boxID))</text>
            <text x="500" y="270" font-size="24">\(Markup.escape(siteID))</text>
            <text x="500" y="330" font-size="18">\(Markup.escape(card.hubURL))</text>
            <text x="500" y="420" font-size="20">扫描一次即失效，请妥善保管</text>
            <text x="500" y="450" font-size="18">Works once. Keep it safe.</text>
            </g>

            """
    }
}
