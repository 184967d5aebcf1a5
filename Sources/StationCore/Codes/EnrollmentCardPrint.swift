/// The printable enrollment card (SVG, 85.6 × 54 mm like a bank card): the QR code a
/// screenless box scans to enroll, and what a person needs to know about it.
public enum EnrollmentCardPrint {
    public static func svg(_ card: EnrollmentCard, boxID: String, siteID: String) throws -> String {
        let qr = try QRCode(text: card.payload, errorCorrection: .medium)
        let quiet = 4
        let extent = qr.size + 2 * quiet
        // The QR code 44 mm square on the left; the words on the right.
        return """
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="85.6mm" height="54mm" viewBox="0 0 856 540">
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
            </svg>

            """
    }
}
