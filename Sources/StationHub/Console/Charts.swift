import Foundation

/// Charts drawn on the hub as SVG, from the same table the page shows and the CSV
/// download sends, so a chart never draws anything the table does not hold. Pure: a
/// chart is a function of its table; labels are text (escaped), never markup.
public enum Charts {
    static let width = 640.0
    /// The union's red, and the colours of a chart's lines in order.
    static let palette = ["#8c1c13", "#1f6fb2", "#2e8540", "#c77c02", "#6a3d9a", "#5a6472"]

    static func number(_ v: Double) -> String {
        v == v.rounded() ? String(Int64(v)) : String(format: "%.1f", v)
    }

    /// A label cut to `max` characters (the table beside the chart has it whole).
    static func short(_ s: String, _ max: Int = 14) -> String {
        s.count <= max ? s : String(s.prefix(max - 1)) + "…"
    }

    /// `natural`: drawn at its own size (never wider than the page) rather than the page's width.
    static func svg(_ height: Double, _ label: String, _ body: HTML, width: Double = width, natural: Bool = false) -> HTML {
        let size: HTML = natural ? " width=\"\(Int(width))\" height=\"\(Int(height))\"" : ""
        return """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(Int(width)) \(Int(height))"\(size) role="img" aria-label="\(label)" class="chart\(natural ? " natural" : "")">\
        <title>\(label)</title>\(body)</svg>
        """
    }

    /// Horizontal bars, largest first as given: one per row of (label, value).
    public static func bars(_ rows: [(label: String, value: Double)], label: String) -> HTML {
        let barHeight = 22.0, labelWidth = 150.0, valueWidth = 60.0
        let top = rows.map(\.value).max() ?? 0
        let span = width - labelWidth - valueWidth
        let marks: [HTML] = rows.enumerated().map { i, row in
            let y = Double(i) * barHeight
            let w = top > 0 ? max(1, row.value / top * span) : 0
            return """
                <g class="bar"><text x="\(Int(labelWidth - 6))" y="\(Int(y + 15))" text-anchor="end">\(short(row.label))</text>\
                <rect x="\(Int(labelWidth))" y="\(Int(y + 3))" width="\(Int(w.rounded()))" height="\(Int(barHeight - 6))" fill="\(palette[0])"/>\
                <text x="\(Int(labelWidth + w + 4))" y="\(Int(y + 15))">\(number(row.value))</text></g>
                """
        }
        return svg(max(barHeight, Double(rows.count) * barHeight), label, "\(marks)")
    }

    /// Lines over the same x labels (months): one per series; a missing point breaks the
    /// line. A legend names each series in its colour.
    public static func lines(_ series: [(name: String, points: [Double?])], xLabels: [String], label: String) -> HTML {
        let left = 48.0, right = 36.0, top = 12.0, plot = 200.0, legendRow = 20.0
        let height = top + plot + 24 + Double(series.count) * legendRow
        let maxY = max(1, series.flatMap { $0.points.compactMap { $0 } }.max() ?? 1)
        let step = xLabels.count > 1 ? (width - left - right) / Double(xLabels.count - 1) : 0
        func x(_ i: Int) -> Double { xLabels.count > 1 ? left + Double(i) * step : (left + width - right) / 2 }
        func y(_ v: Double) -> Double { top + plot - v / maxY * plot }
        var parts: [HTML] = [
            "<line x1=\"\(Int(left))\" y1=\"\(Int(top + plot))\" x2=\"\(Int(width - right))\" y2=\"\(Int(top + plot))\" stroke=\"#b8c0ca\"/>",
            "<text x=\"\(Int(left - 4))\" y=\"\(Int(top + 4))\" text-anchor=\"end\">\(number(maxY))</text>",
            "<text x=\"\(Int(left - 4))\" y=\"\(Int(top + plot))\" text-anchor=\"end\">0</text>",
        ]
        // At most about eight month labels, evenly spaced.
        let every = max(1, Int((Double(xLabels.count) / 8).rounded(.up)))
        for (i, l) in xLabels.enumerated() where i % every == 0 || i == xLabels.count - 1 {
            parts.append("<text x=\"\(Int(x(i)))\" y=\"\(Int(top + plot + 16))\" text-anchor=\"middle\">\(l)</text>")
        }
        for (n, s) in series.enumerated() {
            let colour = palette[n % palette.count]
            var runs: [[(x: Int, y: Int)]] = [[]]
            for (i, p) in s.points.enumerated() {
                if let p { runs[runs.count - 1].append((Int(x(i).rounded()), Int(y(p).rounded()))) } else if !runs[runs.count - 1].isEmpty { runs.append([]) }
            }
            for run in runs where !run.isEmpty {
                let points = run.map { "\($0.x),\($0.y)" }.joined(separator: " ")
                parts.append(
                    run.count == 1
                        ? "<circle cx=\"\(run[0].x)\" cy=\"\(run[0].y)\" r=\"3\" fill=\"\(colour)\"/>"
                        : "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points)\"/>")
            }
            let ly = top + plot + 24 + Double(n) * legendRow
            parts.append(
                "<rect x=\"\(Int(left))\" y=\"\(Int(ly + 4))\" width=\"12\" height=\"12\" fill=\"\(colour)\"/><text x=\"\(Int(left + 18))\" y=\"\(Int(ly + 15))\">\(s.name)</text>")
        }
        return svg(height, label, "\(parts)")
    }

    /// A grid of counts: darker is more; a nil cell is withheld (too few to show without
    /// pointing at someone) and drawn hatched, with no number.
    public static func heatmap(rows: [String], columns: [String], cells: [[Int64?]], label: String) -> HTML {
        let labelWidth = 130.0
        let cell = min(40, (width - labelWidth) / Double(max(1, columns.count)))
        let rowHeight = max(18, min(28, cell))
        // Long column names are written slanted, above their column.
        let slanted = columns.contains { $0.count > 3 }
        let header = slanted ? 96.0 : 36.0
        let top = Double(cells.flatMap { $0.compactMap { $0 } }.max() ?? 0)
        var parts: [HTML] = [
            "<defs><pattern id=\"withheld\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\"><path d=\"M0 6L6 0\" stroke=\"#8a939e\"/></pattern></defs>"
        ]
        for (j, c) in columns.enumerated() {
            let cx = Int(labelWidth + (Double(j) + 0.5) * cell), cy = Int(header - 8)
            parts.append(
                slanted
                    ? "<text x=\"\(cx)\" y=\"\(cy)\" transform=\"rotate(-40 \(cx) \(cy))\" class=\"small\">\(short(c, 12))</text>"
                    : "<text x=\"\(cx)\" y=\"\(cy)\" text-anchor=\"middle\" class=\"small\">\(c)</text>")
        }
        for (i, r) in rows.enumerated() {
            let y = header + Double(i) * rowHeight
            parts.append("<text x=\"\(Int(labelWidth - 6))\" y=\"\(Int(y + rowHeight / 2 + 4))\" text-anchor=\"end\">\(short(r, 10))</text>")
            for (j, value) in (i < cells.count ? cells[i] : []).enumerated() where j < columns.count {
                let x = labelWidth + Double(j) * cell
                guard let value else {
                    parts.append("<rect x=\"\(Int(x))\" y=\"\(Int(y))\" width=\"\(Int(cell - 1))\" height=\"\(Int(rowHeight - 1))\" fill=\"url(#withheld)\"/>")
                    continue
                }
                let share = top > 0 ? Double(value) / top : 0
                // From near white to the union's red.
                let (r0, g0, b0) = (255.0, 245.0, 240.0), (r1, g1, b1) = (140.0, 28.0, 19.0)
                let colour = String(format: "#%02x%02x%02x", Int(r0 + (r1 - r0) * share), Int(g0 + (g1 - g0) * share), Int(b0 + (b1 - b0) * share))
                parts.append("<rect x=\"\(Int(x))\" y=\"\(Int(y))\" width=\"\(Int(cell - 1))\" height=\"\(Int(rowHeight - 1))\" fill=\"\(colour)\"/>")
                if value > 0, cell >= 18 {
                    let ink = share > 0.5 ? "#fff" : "#1d2430"
                    parts.append(
                        "<text x=\"\(Int(x + cell / 2))\" y=\"\(Int(y + rowHeight / 2 + 4))\" text-anchor=\"middle\" class=\"small\" fill=\"\(ink)\">\(value)</text>")
                }
            }
        }
        // As wide as its grid (plus room for the last slanted name), so that a small grid is not drawn small.
        return svg(header + Double(rows.count) * rowHeight + 4, label, "\(parts)", width: labelWidth + Double(columns.count) * cell + (slanted ? 60 : 8), natural: true)
    }
}
