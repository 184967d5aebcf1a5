import Foundation
import XCTest

@testable import StationCore

/// The printed sheet as values: whole-module bars, quiet zones, escaped captions, pages;
/// and which cards and labels a site gets. That the pages scan is CardsTests' job.
final class LabelSheetTests: XCTestCase {
    func page(_ labels: [PrintedLabel]) throws -> String {
        try XCTUnwrap(try LabelSheet.pages(heading: "test", labels: labels).first)
    }

    /// (translate x, module width, [(x, width)]) of each bar code group on the page.
    func barGroups(_ svg: String) throws -> [(left: Double, module: Double, bars: [(Int, Int)])] {
        let group = try Regex(##"<g transform="translate\(([0-9.]+) [0-9.]+\) scale\(([0-9.]+) 1\)" fill="#000">(.*?)</g>"##)
        let rect = try Regex(#"<rect x="([^"]+)" width="([^"]+)" height="[^"]+"/>"#)
        return try svg.matches(of: group).map { m in
            let body = String(m.output[3].substring!)
            let bars = try body.matches(of: rect).map { r in
                (try XCTUnwrap(Int(String(r.output[1].substring!))), try XCTUnwrap(Int(String(r.output[2].substring!))))
            }
            return (Double(String(m.output[1].substring!))!, Double(String(m.output[2].substring!))!, bars)
        }
    }

    func testBarsAreWholeModulesAndDrawExactlyTheSymbol() throws {
        let codes = ["LIB-000123", "00012345", "STN-SVC-LEGAL-AID"]
        let svg = try page(codes.map { PrintedLabel(code: $0, caption: "") })
        let groups = try barGroups(svg)
        XCTAssertEqual(groups.count, codes.count)
        for (group, code) in zip(groups, codes) {
            XCTAssertEqual(group.module, 0.33)
            let symbol = try Code128(code)
            var modules = Array(repeating: false, count: symbol.moduleCount)
            for (x, w) in group.bars { for i in x..<x + w { modules[i] = true } }
            XCTAssertEqual(modules, symbol.modules, code)
        }
    }

    func testEachBarCodeKeepsAQuietZoneOfTenModulesInsideItsCell() throws {
        let svg = try page([PrintedLabel(code: "STN-SVC-LEGAL-AID", caption: "法律援助 Legal aid")])
        let group = try XCTUnwrap(try barGroups(svg).first)
        let cell = try XCTUnwrap(svg.firstMatch(of: try Regex(#"<rect x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)" height="[0-9.]+" fill="none""#)))
        let cellLeft = Double(String(cell.output[1].substring!))!
        let cellWidth = Double(String(cell.output[2].substring!))!
        let symbolWidth = Double(try Code128("STN-SVC-LEGAL-AID").moduleCount) * 0.33
        XCTAssertGreaterThanOrEqual(group.left - cellLeft, 10 * 0.33)
        XCTAssertGreaterThanOrEqual(cellLeft + cellWidth - (group.left + symbolWidth), 10 * 0.33)
        XCTAssertTrue(svg.contains(##"fill="#fff""##), "a white background")
        XCTAssertTrue(svg.contains(#"width="210mm" height="297mm" viewBox="0 0 210 297""#), "A4 in millimetres")
    }

    func testCaptionsAreEscapedAndSetInACJKFont() throws {
        let svg = try page([PrintedLabel(code: "LIB-000001", caption: "Tom & Jerry <1> \"资本论\"\u{1}")])
        XCTAssertTrue(svg.contains("Tom &amp; Jerry &lt;1&gt; &quot;资本论&quot;\u{FFFD}"), svg)
        XCTAssertTrue(svg.contains(#"font-family="WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif""#))
        XCTAssertTrue(svg.contains(">LIB-000001</text>"), "the code under the bars")
    }

    func testControlCharactersInACodeAreShownAsTheirPictures() throws {
        XCTAssertEqual(LabelSheet.readable("A\tB\u{7F}"), "A\u{2409}B\u{2421}")
        XCTAssertTrue(try page([PrintedLabel(code: "A\tB", caption: "")]).contains(">A\u{2409}B</text>"))
    }

    func testALongCaptionIsCutToItsCell() {
        let title = String(repeating: "马克思主义基本原理", count: 5)
        let fitted = LabelSheet.fitted(title, width: 55, size: 3.5)
        XCTAssertTrue(fitted.hasSuffix("…"))
        XCTAssertLessThan(fitted.count, title.count)
        XCTAssertEqual(LabelSheet.fitted("短", width: 55, size: 3.5), "短")
    }

    func testLabelsFlowOntoAsManyPagesAsNeeded() throws {
        let labels = (1...30).map { PrintedLabel(code: String(format: "LIB-%06d", $0), caption: "第\($0)册") }
        let pages = try LabelSheet.pages(heading: "图书条码", labels: labels)
        // Cells of 190/3 mm by 30 mm: 3 columns, 8 rows, 24 labels a page.
        XCTAssertEqual(pages.count, 2)
        XCTAssertTrue(pages[0].contains(">1 / 2</text>") && pages[1].contains(">2 / 2</text>"))
        XCTAssertTrue(pages[0].contains(">LIB-000024</text>") && !pages[0].contains(">LIB-000025</text>"))
        XCTAssertTrue(pages[1].contains(">LIB-000030</text>"))
        XCTAssertEqual(try LabelSheet.pages(heading: "x", labels: []), [])
    }

    func testACodeThatCannotBePrintedSaysWhichLabel() {
        XCTAssertThrowsError(try LabelSheet.pages(heading: "x", labels: [PrintedLabel(code: "书-1", caption: "")])) {
            XCTAssertTrue("\($0)".contains("label \"书-1\": Code 128 carries ASCII only"), "\($0)")
        }
        XCTAssertThrowsError(try LabelSheet.pages(heading: "x", labels: [PrintedLabel(code: String(repeating: "x", count: 60), caption: "")])) {
            XCTAssertTrue("\($0)".contains("more than an A4 page holds"), "\($0)")
        }
    }

    // MARK: what a site prints

    func testABookshelfGetsModeCardsAndAStationItsServices() {
        let shelf = ControlCardTable.standard.cards(for: KioskSettings(siteID: "s", siteKind: .bookshelf))
        XCTAssertEqual(shelf.map(\.code), ["STN-MODE-CHECKOUT", "STN-MODE-RETURN", "STN-MODE-RENEW", "STN-DONE", "STN-CANCEL", "STN-STOCKTAKE-START", "STN-STOCKTAKE-END"])
        let settings = KioskSettings(siteID: "s", siteKind: .station, services: ["water", "charging", "shower"])
        XCTAssertEqual(ControlCardTable.standard.cards(for: settings).map(\.code), ["STN-SVC-WATER", "STN-SVC-CHARGING", "STN-DONE", "STN-CANCEL"])
        XCTAssertEqual(ControlCardTable.standard.servicesWithoutCard(for: settings), ["shower"])
        let hut = ControlCardTable.standard.cards(for: KioskSettings(siteID: "s", siteKind: .hut))
        XCTAssertEqual(hut.count, 6 + 2, "no services named: every service card, as the workflow takes any")
        XCTAssertEqual(PrintedLabel.controlCards(shelf).first, PrintedLabel(code: "STN-MODE-CHECKOUT", caption: "借书 Check out"))
    }

    func testItemLabelsAreTheLabelledCopiesOnly() {
        let labels = PrintedLabel.itemLabels([
            (itemKey: "label:LIB-000001", title: "资本论"), (itemKey: "isbn:9787111213826", title: "ISBN only"),
            (itemKey: "label:00012345", title: nil), (itemKey: "label:", title: "empty"),
        ])
        XCTAssertEqual(labels, [PrintedLabel(code: "LIB-000001", caption: "资本论"), PrintedLabel(code: "00012345", caption: "")])
    }

    func testMillimetresAreWrittenShort() {
        XCTAssertEqual(LabelSheet.format(210), "210")
        XCTAssertEqual(LabelSheet.format(0.33), "0.33")
        XCTAssertEqual(LabelSheet.format(20.8700000001), "20.87")
        XCTAssertEqual(LabelSheet.format(63.3333333), "63.333")
    }
}
