import Foundation
import StationTesting
import XCTest

@testable import StationCore

/// Code 128 as values. Expected symbols and check symbols are worked out by hand from
/// ISO/IEC 15417's value table (A: ASCII 32–95 → 0–63, 0–31 → 64–95; B: 32–127 → 0–95;
/// C: a digit pair → 00–99; SHIFT 98, CODE C 99, CODE B 100, CODE A 101, START A/B/C
/// 103/104/105); the patterns are read back by zbar in CardsTests.
final class Code128Tests: XCTestCase {
    func symbols(_ text: String) throws -> [Int] { try Code128(text).symbols }

    // MARK: check symbols, by hand

    func testMixedTextSwitchesToCodeCForTheTrailingDigits() throws {
        // START B, L I B -, CODE C, 00 01 23; check 104 + 1·44 + 2·41 + 3·34 + 4·13 + 5·99
        // + 6·0 + 7·1 + 8·23 = 1070 = 10·103 + 40.
        XCTAssertEqual(try symbols("LIB-000123"), [104, 44, 41, 34, 13, 99, 0, 1, 23, 40])
        XCTAssertEqual(try Code128("LIB-000123").checkSymbol, 40)
    }

    func testDigitsOnlyUseCodeC() throws {
        // START C, 00 01 23 45; check 105 + 0 + 2·1 + 3·23 + 4·45 = 356 = 3·103 + 47.
        let code = try Code128("00012345")
        XCTAssertEqual(code.symbols, [105, 0, 1, 23, 45, 47])
        XCTAssertEqual(code.startSet, .c)
        XCTAssertEqual(try symbols("12"), [105, 12, (105 + 12) % 103])
        XCTAssertEqual(try Code128("9787111213826").startSet, .c, "13 digits: C, then B for the last one")
    }

    func testAnOddDigitRunStartsInCodeCAndEndsInCodeB() throws {
        // START C, 12 34, CODE B, "5" (21); check 105 + 12 + 2·34 + 3·100 + 4·21 = 569 = 5·103 + 54.
        XCTAssertEqual(try symbols("12345"), [105, 12, 34, 100, 21, 54])
    }

    func testPlainTextIsCodeB() throws {
        // START B, P J J 1 2 3 C: 104 + 48 + 2·42 + 3·42 + 4·17 + 5·18 + 6·19 + 7·35 = 879 = 8·103 + 55.
        XCTAssertEqual(try symbols("PJJ123C"), [104, 48, 42, 42, 17, 18, 19, 35, 55])
        XCTAssertEqual(try Code128("STN-MODE-CHECKOUT").startSet, .b)
        XCTAssertEqual(try Code128("lib-000123").startSet, .b)
    }

    func testFourDigitsAtTheEndAreCodeCButInTheMiddleStayCodeB() throws {
        // START B, A B, CODE C, 12 34; check 104 + 33 + 2·34 + 3·99 + 4·12 + 5·34 = 720 = 6·103 + 102.
        XCTAssertEqual(try symbols("AB1234"), [104, 33, 34, 99, 12, 34, 102])
        // In the middle: CODE C + two pairs + CODE B is no shorter than four characters.
        XCTAssertEqual(try symbols("AB1234CD").dropFirst().dropLast(), [33, 34, 17, 18, 19, 20, 35, 36])
        // Six in the middle: one symbol saved.
        XCTAssertEqual(try symbols("AB123456CD").dropFirst().dropLast(), [33, 34, 99, 12, 34, 56, 100, 35, 36])
    }

    func testControlCharactersUseCodeAOrAShift() throws {
        // START A, A (33) TAB (9 + 64 = 73) B (34); check 103 + 33 + 2·73 + 3·34 = 384 = 3·103 + 75.
        XCTAssertEqual(try symbols("A\tB"), [103, 33, 73, 34, 75])
        // Lowercase around it: B with one SHIFT; 104 + 65 + 2·98 + 3·73 + 4·66 = 848 = 8·103 + 24.
        XCTAssertEqual(try symbols("a\tb"), [104, 65, 98, 73, 66, 24])
        XCTAssertEqual(try symbols("\u{0}")[1], 64)
        XCTAssertEqual(try symbols("\u{7F}")[1], 95, "DEL is in B")
    }

    // MARK: modules

    func testModuleCountIsElevenPerSymbolAndThirteenForTheStop() throws {
        for text in ["STN-DONE", "LIB-000123", "00012345", "a\tb", "X"] {
            let code = try Code128(text)
            let dataSymbols = code.symbols.count - 2
            XCTAssertEqual(code.moduleCount, 11 * dataSymbols + 35, text)
            XCTAssertEqual(code.widths.reduce(0, +), code.moduleCount, text)
            XCTAssertEqual(code.modules.count, code.moduleCount, text)
            XCTAssertEqual(code.widths.count, 6 * code.symbols.count + 7, text)
            XCTAssertEqual(code.modules.first, true, "starts with a bar")
            XCTAssertEqual(code.modules.last, true, "ends with the stop's final bar")
        }
        XCTAssertEqual(try Code128("STN-DONE").moduleCount, 11 * 8 + 35)
        XCTAssertEqual(try Code128("00012345").moduleCount, 11 * 4 + 35, "8 digits are 4 symbols in C")
    }

    func testTheStartOfLIB000123IsStartBThenL() throws {
        let code = try Code128("LIB-000123")
        XCTAssertEqual(Array(code.widths.prefix(12)), [2, 1, 1, 2, 1, 4, 1, 3, 2, 1, 3, 1], "START B 211214, L (44) 132131")
        XCTAssertEqual(Array(code.widths.suffix(7)), [2, 3, 3, 1, 1, 1, 2])
        XCTAssertEqual(code.bars.first?.start, 0)
        XCTAssertEqual(code.bars.map(\.width).reduce(0, +), code.modules.filter { $0 }.count)
    }

    func testEveryPatternIsElevenModulesWithEvenDarkAndAllDiffer() {
        XCTAssertEqual(Code128.patterns.count, 106)
        for (value, p) in Code128.patterns.enumerated() {
            XCTAssertEqual(p.count, 6, "value \(value)")
            XCTAssertEqual(p.reduce(0, +), 11, "value \(value)")
            XCTAssertEqual((p[0] + p[2] + p[4]) % 2, 0, "value \(value): bar modules must be even")
            XCTAssertTrue(p.allSatisfy { (1...4).contains($0) }, "value \(value)")
        }
        XCTAssertEqual(Set(Code128.patterns.map { $0.map(String.init).joined() }).count, 106)
        XCTAssertEqual(Code128.stopPattern.reduce(0, +), 13)
    }

    /// Every printable ASCII string reads back from its symbols, whatever sets were chosen.
    func testRandomASCIIRoundTripsThroughTheSymbolValues() throws {
        var rng = TestIdentities(seed: 0xC0DE128)  // its splitmix64, for reproducible strings
        for _ in 0..<500 {
            let alphabet = Array("0123456789ABCxyz-\t\u{1}\u{7F} ")
            let text = String((0..<rng.number(in: 1...20)).map { _ in alphabet[rng.number(in: 0...alphabet.count - 1)] })
            let code = try Code128(text)
            XCTAssertEqual(Self.decode(code.symbols), text, "\(code.symbols)")
            XCTAssertLessThanOrEqual(code.symbols.count, text.utf8.count + 2 + text.utf8.filter { $0 < 32 }.count, "no longer than all of B with a SHIFT per control character: \(text.debugDescription)")
        }
    }

    // MARK: errors

    func testNonASCIIIsATypedErrorThatSaysWhere() {
        XCTAssertThrowsError(try Code128("借书")) { error in
            XCTAssertEqual((error as? Code128.EncodingError)?.reason, .notASCII("借", offset: 0))
        }
        XCTAssertThrowsError(try Code128("LIB-00012３")) { error in
            let failure = error as? Code128.EncodingError
            XCTAssertEqual(failure?.reason, .notASCII("３", offset: 9))
            XCTAssertEqual(failure?.description, "Code 128 carries ASCII only: \"３\" (U+FF13) at character 10 cannot be encoded")
        }
        XCTAssertThrowsError(try Code128("")) { XCTAssertEqual(($0 as? Code128.EncodingError)?.reason, .empty) }
    }

    // MARK: helpers

    /// Symbol values back to text (the test's own reading of the value table).
    static func decode(_ symbols: [Int]) -> String? {
        guard let start = symbols.first, (103...105).contains(start) else { return nil }
        let data = symbols.dropFirst().dropLast()
        let check = data.enumerated().reduce(start) { $0 + ($1.offset + 1) * $1.element } % 103
        guard check == symbols.last else { return nil }
        var set = start - 103  // 0 A, 1 B, 2 C
        var shifted = false
        var bytes: [UInt8] = []
        for v in data {
            let current = shifted ? 1 - set : set
            shifted = false
            switch (current, v) {
            case (2, 0...99): bytes += Array(String(format: "%02d", v).utf8)
            case (_, 98) where set != 2: shifted = true
            case (_, 99): set = 2
            case (_, 100): set = 1
            case (_, 101): set = 0
            case (0, 0...63): bytes.append(UInt8(v + 32))
            case (0, 64...95): bytes.append(UInt8(v - 64))
            case (1, 0...95): bytes.append(UInt8(v + 32))
            default: return nil
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
