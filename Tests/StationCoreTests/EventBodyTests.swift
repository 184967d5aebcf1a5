import Foundation
import StationCore
import StationTesting
import XCTest

/// The journal's event bodies are written without `JSONEncoder`, and must stay the bytes it
/// writes: every field present and absent, and strings with every character JSON escapes.
final class EventBodyTests: XCTestCase {
    /// Characters JSON escapes (every control character, quote, backslash, slash), some it
    /// does not (DEL, U+2028, a combining mark, CJK, an emoji), and a CR LF pair.
    static let alphabet: [String] =
        (0..<0x20).map { String(UnicodeScalar(UInt8($0))) } + ["\"", "\\", "/", "\u{7F}", "\u{2028}", "e\u{301}", "书", "🙂", "\r\n", "a", "Z", "0", " ", "-"]

    func testTheBodyIsWhatJSONEncoderWritesForEveryShapeOfDraftAndEvent() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var rng = TestIdentities(seed: 20_261_207)
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { rng.number(in: 0...2) == 0 ? nil : value() }
        func text() -> String { (0..<rng.number(in: 0...6)).map { _ in Self.alphabet[rng.number(in: 0...(Self.alphabet.count - 1))] }.joined() }
        for n in 0..<3_000 {
            let sealed = maybe(SealedCredential(keyVersion: rng.number(in: 0...9), encapsulatedKey: text(), ciphertext: text()))
            let worker = maybe(WorkerRef(kind: CredentialKind.allCases[rng.number(in: 0...3)], localHash: text(), masked: text(), sealed: sealed, pseudonym: maybe(text())))
            let draft = EventDraft(
                kind: EventKind.allCases[n % EventKind.allCases.count], scannerID: maybe(text()),
                item: maybe(ItemRef(key: text(), title: maybe(text()), addOn: maybe(text()))), worker: worker, dueDate: maybe(text()),
                service: maybe(text()), flags: (0..<rng.number(in: 0...2)).map { _ in text() }, refersTo: maybe(Int64(bitPattern: rng.next())),
                request: maybe(text()), destination: maybe(text()))
            let expected = String(decoding: try encoder.encode(draft), as: UTF8.self)
            // Bytes, not strings: Swift's == on strings holds for canonically equivalent
            // texts whose bytes (and hashes) differ.
            XCTAssertEqual(Array(EventBody.json(draft).utf8), Array(expected.utf8), "draft \(n)")
            XCTAssertEqual(try JSONDecoder().decode(EventDraft.self, from: Data(EventBody.json(draft).utf8)), draft, "draft \(n)")
            // The whole event, as the hub hashes it.
            let event = JournalEvent(
                boxID: text(), seq: Int64(bitPattern: rng.next()), siteID: text(), epoch: rng.number(in: 0...1_000_000),
                time: EventTime(wallMillis: Int64(bitPattern: rng.next()), synchronized: n % 2 == 0, bootID: text(), monotonicMicros: Int64(bitPattern: rng.next())),
                draft: draft)
            XCTAssertEqual(Array(EventBody.json(event).utf8), Array(try encoder.encode(event)), "event \(n)")
        }
    }
}
