import XCTest

@testable import StationCore

final class BurstDetectorTests: XCTestCase {
    func testAScannerSpeedBurstIsReportedOnce() {
        var detector = BurstDetector()
        let hits = (0..<20).map { detector.press(at: Int64($0) * 3_000) }
        XCTAssertEqual(hits.filter { $0 }.count, 1)
        XCTAssertEqual(hits.firstIndex(of: true), 7)
    }

    func testHumanTypingIsNotABurst() {
        var detector = BurstDetector()
        XCTAssertFalse((0..<50).map { detector.press(at: Int64($0) * 120_000) }.contains(true))
    }

    func testAPauseRestartsTheCount() {
        var detector = BurstDetector()
        for i in 0..<7 { XCTAssertFalse(detector.press(at: Int64(i) * 3_000)) }
        XCTAssertFalse(detector.press(at: 1_000_000))
        XCTAssertFalse(detector.reported)
    }
}
