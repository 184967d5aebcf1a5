import StationCore
import StationStore
import XCTest

@testable import StationDaemon

/// The manager page's pull list and hold shelf, as values: what the site manager prints.
final class ManagerPageTests: XCTestCase {
    func testThePullListAndTheHoldShelfSayWhatToDoWithEachCopy() {
        let day: Int64 = 86_400_000, now = 20_000 * day
        let html = ManagerPage.transfersHTML(
            [
                (Journal.TransferEntry(request: "r1", itemKey: "label:A", destination: "shelf-b"), nil, "红高粱"),
                (Journal.TransferEntry(request: "r2", itemKey: "label:B", destination: "shelf-c"), now - day, nil),
                (Journal.TransferEntry(request: "r3", itemKey: "label:C", masked: "1101**********0011", holdDays: 7), nil, "活着"),
                (Journal.TransferEntry(request: "r4", itemKey: "label:D", masked: "****0022", holdDays: 7, untilMillis: now + 2 * day), now - day, nil),
                (Journal.TransferEntry(request: "r5", itemKey: "label:E", masked: "****0033", holdDays: 3), now - 4 * day, nil),
                (Journal.TransferEntry(request: "r6", itemKey: "label:<F>", masked: "****0044", holdDays: 3), nil, nil),
            ], nowMillis: now)
        let rows = html.split(separator: "\n").filter { $0.hasPrefix("<tr><td") }.map(String.init)
        let sent = LocalDate(wallMillis: now - day).description, until = LocalDate(wallMillis: now + 2 * day).description
        XCTAssertEqual(
            rows,
            [
                "<tr><td>label:A</td><td>红高粱</td><td>shelf-b</td><td>请找到并扫描 · find it and scan it</td><td>r1</td></tr>",
                "<tr><td>label:B</td><td>–</td><td>shelf-c</td><td>已于 \(sent) 转出 · sent \(sent)</td><td>r2</td></tr>",
                "<tr><td>label:C</td><td>活着</td><td>1101**********0011</td><td>在途 · on its way</td><td>r3</td></tr>",
                "<tr><td>label:D</td><td>–</td><td>****0022</td><td>保留至 \(until) · waits until \(until)</td><td>r4</td></tr>",
                "<tr><td>label:E</td><td>–</td><td>****0033</td><td>已过保留期 · hold ended</td><td>r5</td></tr>",
                "<tr><td>label:&lt;F&gt;</td><td>–</td><td>****0044</td><td>在途 · on its way</td><td>r6</td></tr>",
            ])
        XCTAssertTrue(ManagerPage.transfersHTML([], nowMillis: now).contains("无 · none"))
    }
}
