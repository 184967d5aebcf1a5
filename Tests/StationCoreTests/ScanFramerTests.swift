import XCTest

@testable import StationCore

final class ScanFramerTests: XCTestCase {
    /// Feeds `text` one character every `gap` µs from `start`, then the terminator.
    private func type(
        _ text: String, into framer: inout ScanFramer, start: Int64 = 1_000_000, gap: Int64 = 2_000,
        end: SuffixKey? = .enter
    ) -> [ScanFramer.Output] {
        var out: [ScanFramer.Output] = []
        var t = start
        for ch in text {
            out += framer.feed(.text(String(ch), at: t))
            t += gap
        }
        if let end { out += framer.feed(.terminator(end, at: t)) }
        return out
    }

    func testEnterEndsAScanAndKeepsLeadingZeros() {
        var framer = ScanFramer(settings: .init(suffix: .enter))
        XCTAssertEqual(type("0012345678905", into: &framer).map(\.text), ["0012345678905"])
        XCTAssertTrue(framer.isIdle)
        XCTAssertNil(framer.deadline)
    }

    func testTabSuffixEndsAScanOnlyWhereConfigured() {
        var tabbed = ScanFramer(settings: .init(suffix: .tab))
        XCTAssertEqual(type("LIB-1", into: &tabbed, end: .tab).map(\.text), ["LIB-1"])
        var entered = ScanFramer(settings: .init(suffix: .enter))
        XCTAssertEqual(type("LIB-1", into: &entered, end: .tab), [])
        XCTAssertEqual(entered.feed(.terminator(.enter, at: 2_000_000)).map(\.text), ["LIB-1"])
    }

    func testNoSuffixScanEndsAfterIdleTimeout() {
        var framer = ScanFramer(settings: .init(suffix: .none, idleTimeoutMicros: 60_000))
        XCTAssertEqual(type("9787111213826", into: &framer, end: nil), [])
        let last: Int64 = 1_000_000 + 12 * 2_000
        XCTAssertEqual(framer.deadline, last + 60_000)
        XCTAssertEqual(framer.expire(now: last + 59_999), [])
        XCTAssertEqual(framer.expire(now: last + 60_000).map(\.text), ["9787111213826"])
        XCTAssertNil(framer.deadline)
    }

    func testNoSuffixBackToBackScansSplitAtTheIdleGap() {
        var framer = ScanFramer(settings: .init(suffix: .none, idleTimeoutMicros: 60_000))
        _ = type("123", into: &framer, start: 0, end: nil)
        // The next code starts 500 ms later, before anyone called expire.
        let out = type("456", into: &framer, start: 500_000, end: nil)
        XCTAssertEqual(out.map(\.text), ["123"])
        XCTAssertEqual(framer.expire(now: 10_000_000).map(\.text), ["456"])
    }

    func testHumanTypingIsRejected() {
        var framer = ScanFramer(settings: .init(suffix: .enter))
        XCTAssertEqual(type("hello", into: &framer, gap: 180_000), [.rejected(.typing(medianGapMillis: 180))])
    }

    func testSingleKeyWithoutSuffixIsTyping() {
        var framer = ScanFramer(settings: .init(suffix: .none, idleTimeoutMicros: 60_000))
        _ = framer.feed(.text("a", at: 0))
        XCTAssertEqual(framer.expire(now: 60_000), [.rejected(.typing(medianGapMillis: 60))])
    }

    func testStuckKeyIsRejectedOnceAndTheNextScanIsClean() {
        var framer = ScanFramer(settings: .init(suffix: .enter, maxLength: 256))
        let out = type(String(repeating: "1", count: 300), into: &framer)
        XCTAssertEqual(out, [.rejected(.tooLong(limit: 256))])
        XCTAssertEqual(type("LIB-7", into: &framer, start: 5_000_000).map(\.text), ["LIB-7"])
    }

    func testAIMPrefixIsCapturedSeparately() {
        var framer = ScanFramer(settings: .init())
        let out = type("]E09787111213826", into: &framer)
        XCTAssertEqual(out, [.scan(FramedScan(text: "9787111213826", aim: "]E0", firstKeyAt: 1_000_000, lastKeyAt: 1_030_000))])
        XCTAssertEqual(type("]Q1职工", into: &framer).map(\.aim), ["]Q1"])
    }

    func testBracketInsideOrTooShortIsNotAIM() {
        var framer = ScanFramer(settings: .init())
        XCTAssertEqual(type("ABC-$*@]9", into: &framer).map(\.aim), [nil])
        XCTAssertEqual(type("]E0", into: &framer).map(\.text), ["]E0"])
        var off = ScanFramer(settings: .init(aimPrefix: false))
        XCTAssertEqual(type("]E0123", into: &off).map(\.text), ["]E0123"])
    }

    func testDroppedEventsDiscardTheRestOfTheBurst() {
        var framer = ScanFramer(settings: .init(suffix: .enter))
        _ = type("12345", into: &framer, end: nil)
        XCTAssertEqual(framer.abandon(discardRest: true, at: 1_010_000) { .eventsDropped(partialLength: $0) }, [.rejected(.eventsDropped(partialLength: 5))])
        XCTAssertEqual(type("678", into: &framer, start: 1_012_000), [])
        XCTAssertEqual(type("9787111213826", into: &framer, start: 2_000_000).map(\.text), ["9787111213826"])
    }

    func testAfterDroppedEventsAScanThatStartsAfterAPauseIsANewScan() {
        var framer = ScanFramer(settings: .init(suffix: .enter, idleTimeoutMicros: 60_000))
        // Nothing held: still reported, the dropped events may have been a whole scan.
        XCTAssertEqual(framer.abandon(discardRest: true, at: 1_000_000) { .eventsDropped(partialLength: $0) }, [.rejected(.eventsDropped(partialLength: 0))])
        // 300 ms later no scanner is mid-scan: this is a scan of its own.
        XCTAssertEqual(type("LIB-000042", into: &framer, start: 1_300_000).map(\.text), ["LIB-000042"])
        // A tail at scanner speed right after the drop is still thrown away, up to its Enter.
        _ = type("123", into: &framer, start: 2_000_000, end: nil)
        _ = framer.abandon(discardRest: true, at: 2_040_000) { .eventsDropped(partialLength: $0) }
        XCTAssertEqual(type("456", into: &framer, start: 2_045_000), [])
        XCTAssertEqual(type("LIB-000043", into: &framer, start: 2_500_000).map(\.text), ["LIB-000043"])
    }

    func testUnplugMidScanReportsThePartialLengthOnly() {
        var framer = ScanFramer(settings: .init())
        _ = type("1234", into: &framer, end: nil)
        XCTAssertEqual(framer.abandon { .unplugged(partialLength: $0) }, [.rejected(.unplugged(partialLength: 4))])
        XCTAssertEqual(framer.abandon { .unplugged(partialLength: $0) }, [])
    }

    func testUnfinishedScanWithSuffixIsJudgedEventually() {
        var framer = ScanFramer(settings: .init(suffix: .enter))
        _ = type("123", into: &framer, start: 0, end: nil)
        XCTAssertEqual(framer.deadline, 4_000 + 2_000_000)
        XCTAssertEqual(framer.expire(now: 2_004_000).map(\.text), ["123"])
    }

    func testRejectionDetailNeverQuotesTheScan() {
        var framer = ScanFramer(settings: .init(suffix: .enter))
        let out = type("110101199003074578", into: &framer, gap: 100_000)
        guard case .rejected(let why) = out.first else { return XCTFail("expected a rejection, got \(out)") }
        XCTAssertFalse(why.detail.contains("1101"))
        XCTAssertEqual(why.name, "typing")
    }
}

extension ScanFramer.Output {
    var text: String? {
        if case .scan(let s) = self { return s.text }
        return nil
    }
    var aim: String? {
        if case .scan(let s) = self { return s.aim }
        return nil
    }
}

extension ScanFramerTests {
    func testDiscardingLastsUntilTheSuffixNotJustAShortPause() {
        var framer = ScanFramer(settings: .init(suffix: .enter, idleTimeoutMicros: 60_000, maxLength: 8))
        XCTAssertEqual(type("123456789", into: &framer, start: 0, end: nil), [.rejected(.tooLong(limit: 8))])
        // A 100 ms stall in the stuck key's stream does not end the discarding...
        XCTAssertEqual(framer.expire(now: 16_000 + 100_000), [])
        XCTAssertEqual(type("1111", into: &framer, start: 120_000), [])
        // ...the suffix does.
        XCTAssertEqual(type("LIB-1", into: &framer, start: 500_000).map(\.text), ["LIB-1"])
    }
}
