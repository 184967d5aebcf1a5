import XCTest

@testable import StationInput

final class LineSplitterTests: XCTestCase {
    func testCRLFAndBareEndingsAndSplitReads() {
        var s = LineSplitter()
        XCTAssertEqual(s.feed(Array("97871".utf8)), [])
        XCTAssertEqual(s.feed(Array("11213826\r\nLIB-1\rLIB-2\n\n".utf8)),
                       [.line(Array("9787111213826".utf8)), .line(Array("LIB-1".utf8)), .line(Array("LIB-2".utf8))])
        XCTAssertEqual(s.pendingCount, 0)
    }

    func testOverlongLineIsRejectedOnceAndTheNextIsClean() {
        var s = LineSplitter(maxLength: 8)
        XCTAssertEqual(s.feed(Array("0123456789abcdef".utf8)), [.tooLong])
        XCTAssertEqual(s.feed(Array("ghij\nOK\n".utf8)), [.line(Array("OK".utf8))])
    }
}
