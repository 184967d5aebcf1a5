import XCTest

@testable import StationInput

final class SignalDeviceTests: XCTestCase {
    /// `capabilities/snd` as the kernel writes it: hex words, most significant first.
    func testToneCapabilityIsBitTwoOfTheLastWord() {
        XCTAssertTrue(SignalDevice.hasTone(capabilities: "6"))  // PC speaker: SND_BELL | SND_TONE
        XCTAssertTrue(SignalDevice.hasTone(capabilities: "4\n"))
        XCTAssertTrue(SignalDevice.hasTone(capabilities: "0 4"))
        XCTAssertFalse(SignalDevice.hasTone(capabilities: "2"))  // a bell only
        XCTAssertFalse(SignalDevice.hasTone(capabilities: "0"))
        XCTAssertFalse(SignalDevice.hasTone(capabilities: "4 0"))
        XCTAssertFalse(SignalDevice.hasTone(capabilities: ""))
        XCTAssertFalse(SignalDevice.hasTone(capabilities: "zz"))
    }
}
