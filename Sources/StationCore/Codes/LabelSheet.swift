/// One label of a printed sheet: a Code 128 bar code, its text under it for people, and
/// a caption over it (a control card's action, a book's title; Chinese is fine).
public struct PrintedLabel: Sendable, Equatable {
    public var code: String
    public var caption: String

    public init(code: String, caption: String) {
        self.code = code
        self.caption = caption
    }
}

/// A4 pages of Code 128 labels as SVG documents, one document per page, to print at
/// 100 %. Pure: no I/O.
///
/// Units are millimetres (`viewBox` 210 × 297); each bar code is drawn in a group scaled
/// to the module width, so every bar and space is a whole number of modules, whatever
/// the printer's resolution. Labels sit in a grid of equal cells sized for the widest
/// code, with cut lines between them; each bar code keeps a light quiet zone of
/// ``Code128/quietZoneModules`` modules on either side inside its cell.
public enum LabelSheet {
    public struct Layout: Sendable, Equatable {
        /// The narrowest bar, mm. 0.33 mm reads well on hand-held scanners and prints
        /// cleanly on office laser printers.
        public var moduleWidth: Double
        public var barHeight: Double

        public init(moduleWidth: Double = 0.33, barHeight: Double = 15) {
            self.moduleWidth = moduleWidth
            self.barHeight = barHeight
        }

        static let pageWidth = 210.0
        static let pageHeight = 297.0
        static let margin = 10.0
        /// The page's heading line, above the grid.
        static let headingHeight = 10.0
        static let padding = 2.5
        static let captionSize = 3.5
        static let textSize = 3.0
        static let minimumCellWidth = 60.0
        var cellHeight: Double { Self.padding + Self.captionSize + 1.5 + barHeight + 1 + Self.textSize + Self.padding + 1 }
    }

    /// Why a sheet cannot be drawn.
    public struct LayoutError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    public static let fontFamily = "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif"

    /// The pages, each a complete SVG document. `heading` is printed at the top of every
    /// page with the page number. No labels, no pages.
    public static func pages(heading: String, labels: [PrintedLabel], layout: Layout = Layout()) throws(LayoutError) -> [String] {
        var symbols: [Code128] = []
        for label in labels {
            do { symbols.append(try Code128(label.code)) } catch { throw LayoutError(description: "label \(label.code.debugDescription): \(error)") }
        }
        guard let widest = symbols.map(\.moduleCount).max() else { return [] }
        let usable = Layout.pageWidth - 2 * Layout.margin
        let needed = Double(widest + 2 * Code128.quietZoneModules) * layout.moduleWidth + 2 * Layout.padding
        guard needed <= usable else {
            throw LayoutError(description: "a code of \(widest) modules is \(format(needed)) mm wide at \(layout.moduleWidth) mm a module: more than an A4 page holds")
        }
        let columns = Int(usable / max(needed, Layout.minimumCellWidth))
        let rows = Int((Layout.pageHeight - 2 * Layout.margin - Layout.headingHeight) / layout.cellHeight)
        let cell = (width: usable / Double(columns), height: layout.cellHeight)
        let perPage = columns * rows
        let pageCount = (labels.count + perPage - 1) / perPage
        return (0..<pageCount).map { page in
            let range = page * perPage..<min(labels.count, (page + 1) * perPage)
            let cells = range.map { i in
                let slot = i - range.lowerBound
                let x = Layout.margin + Double(slot % columns) * cell.width
                let y = Layout.margin + Layout.headingHeight + Double(slot / columns) * cell.height
                return cellSVG(labels[i], symbols[i], x: x, y: y, cell: cell, layout: layout)
            }
            return document(heading: heading, page: page + 1, of: pageCount, cells: cells)
        }
    }

    static func document(heading: String, page: Int, of pageCount: Int, cells: [String]) -> String {
        let w = format(Layout.pageWidth)
        let h = format(Layout.pageHeight)
        let baseline = format(Layout.margin + 5)
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(w)mm" height="\(h)mm" viewBox="0 0 \(w) \(h)">
            <rect width="\(w)" height="\(h)" fill="#fff"/>
            <g font-family="\(fontFamily)" fill="#000">
            <text x="\(format(Layout.margin))" y="\(baseline)" font-size="4.5">\(Markup.escape(heading))</text>
            <text x="\(format(Layout.pageWidth - Layout.margin))" y="\(baseline)" font-size="3.5" text-anchor="end">\(page) / \(pageCount)</text>
            </g>
            \(cells.joined(separator: "\n"))
            </svg>

            """
    }

    /// One cell: its cut line, the caption, the bar code centred with its quiet zones,
    /// and the code's text.
    static func cellSVG(_ label: PrintedLabel, _ symbol: Code128, x: Double, y: Double, cell: (width: Double, height: Double), layout: Layout) -> String {
        let centre = x + cell.width / 2
        let captionBaseline = y + Layout.padding + Layout.captionSize
        let barTop = captionBaseline + 1.5
        let quiet = Double(Code128.quietZoneModules) * layout.moduleWidth
        let symbolWidth = Double(symbol.moduleCount) * layout.moduleWidth
        let left = centre - symbolWidth / 2
        let textBaseline = barTop + layout.barHeight + 1 + Layout.textSize
        let caption = fitted(label.caption, width: cell.width - 2 * Layout.padding, size: Layout.captionSize)
        let bars = symbol.bars.map { #"<rect x="\#($0.start)" width="\#($0.width)" height="\#(format(layout.barHeight))"/>"# }.joined()
        return """
            <g>
            <rect x="\(format(x))" y="\(format(y))" width="\(format(cell.width))" height="\(format(cell.height))" fill="none" stroke="#bbb" stroke-width="0.2" stroke-dasharray="1 1"/>
            <rect x="\(format(left - quiet))" y="\(format(barTop))" width="\(format(symbolWidth + 2 * quiet))" height="\(format(layout.barHeight))" fill="#fff"/>
            <g transform="translate(\(format(left)) \(format(barTop))) scale(\(format(layout.moduleWidth)) 1)" fill="#000">\(bars)</g>
            <g font-family="\(fontFamily)" fill="#000" text-anchor="middle">
            <text x="\(format(centre))" y="\(format(captionBaseline))" font-size="\(format(Layout.captionSize))">\(Markup.escape(caption))</text>
            <text x="\(format(centre))" y="\(format(textBaseline))" font-size="\(format(Layout.textSize))" letter-spacing="0.3">\(Markup.escape(readable(label.code)))</text>
            </g>
            </g>
            """
    }

    /// The code as people read it: control characters as their visible pictures
    /// (U+2400…), since XML cannot carry them.
    static func readable(_ code: String) -> String {
        String(String.UnicodeScalarView(code.unicodeScalars.map { s in
            s.value < 32 ? Unicode.Scalar(0x2400 + s.value)! : s.value == 127 ? "\u{2421}" : s
        }))
    }

    /// Cuts a caption that would run past `width` mm, with an ellipsis. Widths are
    /// estimated: a CJK character is about one em, Latin about 0.6 em.
    static func fitted(_ caption: String, width: Double, size: Double) -> String {
        func em(_ c: Character) -> Double { c.unicodeScalars.first.map { $0.value >= 0x2E80 ? 1 : 0.6 } ?? 0.6 }
        guard caption.reduce(0, { $0 + em($1) }) * size > width else { return caption }
        var kept = ""
        var used = em("…")
        for c in caption {
            used += em(c)
            if used * size > width { break }
            kept.append(c)
        }
        return kept + "…"
    }


    /// Millimetres with at most three decimals (a micrometre), no trailing zeros.
    static func format(_ value: Double) -> String {
        let scaled = (value * 1000).rounded()
        let whole = Int(scaled) / 1000
        let fraction = abs(Int(scaled) % 1000)
        guard fraction != 0 else { return String(Int(scaled) / 1000) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 3 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return (scaled < 0 && whole == 0 ? "-" : "") + "\(whole).\(digits)"
    }
}

extension PrintedLabel {
    /// One label per control card, captioned with its action.
    /// A site manager's cards (stocktake) say so, to be kept apart from the workers' sheet.
    public static func controlCards(_ cards: [(code: String, action: ControlAction)]) -> [PrintedLabel] {
        cards.map { PrintedLabel(code: $0.code, caption: $0.action.isManagers ? "管理员专用 · \($0.action.caption)" : $0.action.caption) }
    }

    /// One label per catalog entry that is a site-printed item (`label:` keys), captioned
    /// with its title. Books known by ISBN or GTIN are left out: they carry their own
    /// EAN bar code, and the same digits as Code 128 would be refused as a misread by a
    /// scanner that sends its AIM symbology.
    public static func itemLabels(_ catalog: [(itemKey: String, title: String?)]) -> [PrintedLabel] {
        catalog.compactMap { entry in
            guard entry.itemKey.hasPrefix(itemLabelPrefix), entry.itemKey.count > itemLabelPrefix.count else { return nil }
            return PrintedLabel(code: String(entry.itemKey.dropFirst(itemLabelPrefix.count)), caption: entry.title ?? "")
        }
    }

    /// How an event's item key names a labelled copy (``ItemRef``).
    static let itemLabelPrefix = "label:"
}
