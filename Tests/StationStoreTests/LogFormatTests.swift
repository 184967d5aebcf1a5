import Logging
import StationDaemon
import XCTest

final class LogFormatTests: XCTestCase {
    func testJournaldLinesCarryPrioritiesAndDottedMetadata() {
        XCTAssertEqual(
            JournaldLogHandler.render(level: .warning, message: "scanner detached", metadata: ["scanner.id": "1eab:0103:S1", "reason": "removed"]),
            "<4>scanner detached reason=removed scanner.id=1eab:0103:S1")
        XCTAssertEqual(JournaldLogHandler.render(level: .critical, message: "a\nb", metadata: [:]), "<2>a b", "one record per line")
        XCTAssertEqual([Logger.Level.trace, .debug, .info, .notice, .warning, .error, .critical].map(JournaldLogHandler.priority), [7, 7, 6, 5, 4, 3, 2])
    }
}
