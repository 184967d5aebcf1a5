import XCTest

@testable import StationCore

final class TextDecodingTests: XCTestCase {
    func testGB18030AndUTF8() {
        // 职工书屋 in GB18030, written out byte by byte.
        let gb: [UInt8] = [0xD6, 0xB0, 0xB9, 0xA4, 0xCA, 0xE9, 0xCE, 0xDD]
        XCTAssertEqual(TextDecoding.decode(gb, as: .gb18030), "职工书屋")
        XCTAssertEqual(TextDecoding.decode(Array("职工书屋".utf8), as: .utf8), "职工书屋")
    }

    func testInvalidBytesGiveNilNotAGuess() {
        XCTAssertNil(TextDecoding.decode([0xD6], as: .gb18030))  // a lead byte alone
        XCTAssertNil(TextDecoding.decode([0xFF, 0xFE], as: .utf8))
    }

    func testAltCodes() {
        XCTAssertEqual(TextDecoding.altCode("54992", codePage: .gbk), "中")
        XCTAssertEqual(TextDecoding.altCode("52932", codePage: .gbk), "文")
        XCTAssertEqual(TextDecoding.altCode("65", codePage: .gbk), "A")
        XCTAssertEqual(TextDecoding.altCode("20013", codePage: .unicode), "中")
        XCTAssertEqual(TextDecoding.altCode("130", codePage: .cp437), "é")
        XCTAssertEqual(TextDecoding.altCode("0233", codePage: .cp437), "é")
        XCTAssertEqual(TextDecoding.altCode("0128", codePage: .cp437), "€")
        XCTAssertNil(TextDecoding.altCode("", codePage: .unicode))
        XCTAssertNil(TextDecoding.altCode("99999999", codePage: .unicode))
        XCTAssertNil(TextDecoding.altCode("70000", codePage: .gbk))
    }
}
