import StationCore
import XCTest

@testable import StationInput

/// Expected strings are written here by hand from the printed layouts; the decoder only
/// gets key codes.
final class KeymapDecoderTests: XCTestCase {
    // evdev key codes (linux/input-event-codes.h)
    enum K {
        static let n1: UInt16 = 2, n2: UInt16 = 3, n3: UInt16 = 4, n4: UInt16 = 5, n8: UInt16 = 9, n0: UInt16 = 11
        static let minus: UInt16 = 12, tab: UInt16 = 15, q: UInt16 = 16, e: UInt16 = 18, y: UInt16 = 21
        static let rightBrace: UInt16 = 27, enter: UInt16 = 28, leftCtrl: UInt16 = 29, a: UInt16 = 30, c: UInt16 = 46
        static let apostrophe: UInt16 = 40, leftShift: UInt16 = 42, backslash: UInt16 = 43, z: UInt16 = 44, x: UInt16 = 45
        static let slash: UInt16 = 53, kpAsterisk: UInt16 = 55, leftAlt: UInt16 = 56, capsLock: UInt16 = 58
        static let kp7: UInt16 = 71, kp8: UInt16 = 72, kp9: UInt16 = 73, kpMinus: UInt16 = 74, kp4: UInt16 = 75, kp5: UInt16 = 76
        static let kp6: UInt16 = 77, kpPlus: UInt16 = 78, kp1: UInt16 = 79, kp2: UInt16 = 80, kp3: UInt16 = 81, kp0: UInt16 = 82
        static let kpDot: UInt16 = 83, key102nd: UInt16 = 86, kpEnter: UInt16 = 96, rightAlt: UInt16 = 100
    }

    /// A stroke: the keys held (in order) and the key tapped.
    struct Stroke {
        var held: [UInt16]
        var key: UInt16
    }
    func tap(_ key: UInt16, holding held: UInt16...) -> Stroke { Stroke(held: held, key: key) }

    func decode(_ strokes: [Stroke], layout: String, variant: String? = nil, altCodePage: AltCodePage? = nil) throws -> (String, [FramerInput]) {
        let decoder = try KeymapDecoder(layout: LayoutSpec(layout: layout, variant: variant), altCodePage: altCodePage)
        var out: [FramerInput] = []
        for s in strokes {
            for h in s.held { out += decoder.feed(code: h, value: 1, at: 0) }
            out += decoder.feed(code: s.key, value: 1, at: 0)
            out += decoder.feed(code: s.key, value: 0, at: 0)
            for h in s.held.reversed() { out += decoder.feed(code: h, value: 0, at: 0) }
        }
        let text = out.compactMap { if case .text(let t, _) = $0 { return t } else { return nil } }.joined()
        return (text, out)
    }

    func testUSShiftedSymbolsThatOtherReadersMangle() throws {
        let strokes = [
            tap(K.n4, holding: K.leftShift), tap(K.n8, holding: K.leftShift), tap(K.n2, holding: K.leftShift),
            tap(K.rightBrace), tap(K.a), tap(K.a, holding: K.leftShift), tap(K.minus),
        ]
        XCTAssertEqual(try decode(strokes, layout: "us").0, "$*@]aA-")
    }

    func testCapsLock() throws {
        let strokes = [tap(K.capsLock), tap(K.a), tap(K.a, holding: K.leftShift), tap(K.n1), tap(K.capsLock), tap(K.a)]
        XCTAssertEqual(try decode(strokes, layout: "us").0, "Aa1a")
    }

    func testGermanLayoutSwapsZYAndUsesAltGr() throws {
        let strokes = [
            tap(K.y, holding: K.leftShift), tap(K.z), tap(K.x), tap(K.slash), tap(K.n4, holding: K.leftShift),
            tap(K.q, holding: K.rightAlt), tap(K.rightBrace, holding: K.leftShift), tap(K.minus),
        ]
        XCTAssertEqual(try decode(strokes, layout: "de").0, "Zyx-$@*ß")
        XCTAssertEqual(try decode(strokes, layout: "de", variant: "nodeadkeys").0, "Zyx-$@*ß")
    }

    func testFrenchDigitsNeedShift() throws {
        let strokes = [
            tap(K.n1), tap(K.n1, holding: K.leftShift), tap(K.n2), tap(K.q), tap(K.a), tap(K.n0, holding: K.rightAlt),
            tap(K.rightBrace),
        ]
        XCTAssertEqual(try decode(strokes, layout: "fr").0, "&1éaq@$")
    }

    func testBritishLayout() throws {
        let strokes = [
            tap(K.n2, holding: K.leftShift), tap(K.n3, holding: K.leftShift), tap(K.apostrophe, holding: K.leftShift),
            tap(K.backslash), tap(K.key102nd),
        ]
        XCTAssertEqual(try decode(strokes, layout: "gb").0, "\"£@#\\")
    }

    func testKeypadWithNumLockAssumedOn() throws {
        let strokes = [
            tap(K.kp1), tap(K.kp2), tap(K.kp3), tap(K.kp0), tap(K.kpAsterisk), tap(K.kpMinus), tap(K.kpPlus), tap(K.kpDot),
            tap(K.kpEnter),
        ]
        let (text, inputs) = try decode(strokes, layout: "us")
        XCTAssertEqual(text, "1230*-+.")
        XCTAssertEqual(inputs.last, .terminator(.enter, at: 0))
    }

    func testAltModeGBKAndUnicode() throws {
        // 中 is GBK D6D0 = 54992 and U+4E2D = 20013; 文 is GBK CEC4 = 52932.
        let zhongGBK = [K.kp5, K.kp4, K.kp9, K.kp9, K.kp2]
        let wenGBK = [K.kp5, K.kp2, K.kp9, K.kp3, K.kp2]
        let decoder = try KeymapDecoder(layout: LayoutSpec(layout: "us"), altCodePage: .gbk)
        var out: [FramerInput] = []
        for code in [zhongGBK, wenGBK] {
            out += decoder.feed(code: K.leftAlt, value: 1, at: 0)
            for k in code {
                out += decoder.feed(code: k, value: 1, at: 0)
                out += decoder.feed(code: k, value: 0, at: 0)
            }
            out += decoder.feed(code: K.leftAlt, value: 0, at: 7)
        }
        XCTAssertEqual(out, [.text("中", at: 7), .text("文", at: 7)])

        let unicode = try KeymapDecoder(layout: LayoutSpec(layout: "us"), altCodePage: .unicode)
        var u: [FramerInput] = []
        u += unicode.feed(code: K.leftAlt, value: 1, at: 0)
        for k in [K.kp2, K.kp0, K.kp0, K.kp1, K.kp3] {
            u += unicode.feed(code: k, value: 1, at: 0)
            u += unicode.feed(code: k, value: 0, at: 0)
        }
        u += unicode.feed(code: K.leftAlt, value: 0, at: 1)
        XCTAssertEqual(u, [.text("中", at: 1)])
    }

    func testTerminatorsAndControlKeys() throws {
        let (text, inputs) = try decode([tap(K.tab), tap(K.enter), tap(K.c, holding: K.leftCtrl), tap(K.e)], layout: "us")
        XCTAssertEqual(text, "e")
        XCTAssertEqual(inputs.first, .terminator(.tab, at: 0))
        XCTAssertEqual(inputs[1], .terminator(.enter, at: 0))
    }

    func testResetReleasesModifiers() throws {
        let decoder = try KeymapDecoder(layout: LayoutSpec(layout: "us"))
        _ = decoder.feed(code: K.leftShift, value: 1, at: 0)
        decoder.reset()
        _ = decoder.feed(code: K.a, value: 1, at: 0)
        XCTAssertEqual(decoder.feed(code: K.a, value: 2, at: 0), [.text("a", at: 0)])
    }

    func testUnknownLayoutIsAClearError() {
        XCTAssertThrowsError(try KeymapDecoder(layout: LayoutSpec(layout: "no_such_layout"))) {
            XCTAssertTrue("\($0)".contains("no_such_layout"))
        }
        XCTAssertTrue(KeymapDecoder.compiles(LayoutSpec(layout: "de", variant: "nodeadkeys")))
        XCTAssertFalse(KeymapDecoder.compiles(LayoutSpec(layout: "de", variant: "no_such_variant")))
    }
}
