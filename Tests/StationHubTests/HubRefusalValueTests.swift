import CompressNIO
import Foundation
import NIOCore
import StationCore
import StationProtocol
import XCTest

@testable import StationHub

/// What the hub refuses before anything reaches the store, as values: JSON over its
/// limits, gzip that is not one whole member, events claiming what a box may not, and
/// the plain words of each refusal.
final class HubRefusalValueTests: XCTestCase {
    let limits = JSONLimits(arrayItems: 3, objectMembers: 2, depth: 3, stringBytes: 5)

    func violation(_ text: String, _ limits: JSONLimits) -> JSONLimits.Violation? {
        do throws(JSONLimits.Violation) {
            try limits.check(Array(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    func testJSONWithinItsLimitsPassesAndEachLimitIsFoundAtItsFirstExcess() {
        for fine in [#"[1,2,3]"#, #"{"a":[1,"x",{}],"b":null}"#, #"[[1,2],[3]]"#, #"["a\"\\"]"#, #"[ true , false ,null]"#, "{}", "[]", #""abcde""#] {
            XCTAssertNil(violation(fine, limits), fine)
        }
        XCTAssertEqual(violation("[1,2,3,4]", limits), .arrayItems(3))
        XCTAssertEqual(violation(#"[{},{},[],{}]"#, limits), .arrayItems(3))
        XCTAssertEqual(violation(#"[-1.5e3,true,null,"x"]"#, limits), .arrayItems(3))
        XCTAssertEqual(violation(#"{"a":1,"b":2,"c":3}"#, limits), .objectMembers(2))
        XCTAssertEqual(violation("[[[[]]]]", limits), .depth(3))
        XCTAssertEqual(violation(#"["abcdef"]"#, limits), .stringBytes(5))
        // Commas, brackets and quotes inside strings are text, not structure.
        XCTAssertNil(violation(#"["[,,]","{"]"#, limits))
        XCTAssertNil(violation(#"{"k":"\","}"#, limits))
        // A bomb's shape: refused at its 2,001st element, whatever follows.
        let bomb = #"{"box_id":"b","events":["# + Array(repeating: "0", count: 100_000).joined(separator: ",") + "]}"
        XCTAssertEqual(violation(bomb, .hub), .arrayItems(2000))
        XCTAssertEqual(violation(#"{"events":["# + Array(repeating: "{}", count: 2001).joined(separator: ",") + "]}", .hub), .arrayItems(2000))
        XCTAssertEqual(violation(String(repeating: "[", count: 17), .hub), .depth(16))
    }

    func gzip(_ text: String) throws -> [UInt8] {
        var b = ByteBuffer(string: text)
        let c = try b.compress(with: .gzip())
        return Array(c.readableBytesView)
    }

    func inflate(_ bytes: [UInt8], max: Int = 1 << 20) -> Result<String, Gzip.Refusal> {
        do throws(Gzip.Refusal) {
            return .success(String(decoding: try Gzip.inflate(bytes, maxSize: max), as: UTF8.self))
        } catch {
            return .failure(error)
        }
    }

    func testGzipIsOneWholeMemberWithItsTrailerAndNothingAfter() throws {
        let text = #"{"box_id":"box-a","events":[]}"# + String(repeating: " ", count: 5000)
        let gz = try gzip(text)
        XCTAssertEqual(try inflate(gz).get(), text)
        XCTAssertEqual(Gzip.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        // Cut anywhere, trailer included: refused.
        for cut in [1, 4, 7, 8, 9, gz.count / 2, gz.count - 10] {
            guard case .failure = inflate(Array(gz.dropLast(cut))) else { return XCTFail("cut by \(cut) accepted") }
        }
        guard case .failure = inflate(gz + [0x00, 0x01]) else { return XCTFail("trailing bytes accepted") }
        // Trailing bytes that end as the trailer did (its length where a length is looked for).
        guard case .failure(.invalid(let why)) = inflate(gz + [0xaa] + gz.suffix(4)) else { return XCTFail("trailing bytes accepted") }
        XCTAssertEqual(why, "5 bytes follow the trailer")
        // Without its trailer: damaged, not "too large", whatever its last bytes read as.
        guard case .failure(.invalid) = inflate(Array(gz.dropLast(8))) else { return XCTFail("a member without its trailer accepted") }
        guard case .failure(.invalid) = inflate(gz + gz) else { return XCTFail("two members accepted") }
        var badCRC = gz
        badCRC[gz.count - 8] ^= 0xff
        guard case .failure(.invalid(let crc)) = inflate(badCRC) else { return XCTFail("a wrong CRC accepted") }
        XCTAssertTrue(crc.contains("CRC"), crc)
        // A length over the limit is refused before inflating; a length that lies is refused too.
        XCTAssertEqual(inflate(gz, max: text.utf8.count - 1), .failure(.tooLarge(text.utf8.count - 1)))
        var lying = gz
        lying[gz.count - 4] = 10
        lying[gz.count - 3] = 0
        guard case .failure(.invalid) = inflate(lying) else { return XCTFail("a lying length accepted") }
        guard case .failure(.invalid) = inflate(Array("not gzip at all".utf8)) else { return XCTFail("not gzip accepted") }
        // A header with a file name (as gzip(1) writes) is read past.
        var named = Array(gz.prefix(10))
        named[3] |= 0x08
        named += Array("batch.json".utf8) + [0] + Array(gz.dropFirst(10))
        XCTAssertEqual(try inflate(named).get(), text)
    }

    static func event(_ seq: Int64, _ kind: EventKind, worker: WorkerRef? = Events.worker("w1"), item: String? = "label:B1", due: String? = nil, refersTo: Int64? = nil, epoch: Int = 0) -> JournalEvent {
        var e = Events.event("box-a", seq, site: "shelf-a", kind, at: seq, item: item, due: due, refersTo: refersTo, epoch: epoch)
        e.draft.worker = worker
        return e
    }

    func testABoxSaysWhatHappenedAtItAndNeverWhoAWorkerIs() {
        var pseudonymous = Events.worker("w1")
        pseudonymous.pseudonym = "p1:0123456789abcdef0123456789abcdef"
        var unmasked = Events.worker("w1")
        unmasked.masked = "110101199003071234"
        var refused: [(JournalEvent, String)] = [
            (Self.event(5, .checkout, worker: pseudonymous, due: "2026-12-31"), "pseudonym"),
            (Self.event(5, .checkout, worker: unmasked, due: "2026-12-31"), "masked"),
            (Self.event(5, .return, refersTo: 5), "refers to seq 5"),
            (Self.event(5, .return, refersTo: 9), "refers to seq 9"),
            (Self.event(5, .return, refersTo: 0), "refers to seq 0"),
            (Self.event(5, .checkout, due: "2026-02-30"), "not a date"),
            (Self.event(5, .checkout, due: "2026-1-01"), "not a date"),
            (Self.event(5, .checkout, worker: nil, due: "2026-12-31"), "without a worker"),
            (Self.event(5, .renewal, item: nil, due: "2026-12-31"), "without an item"),
            (Self.event(5, .void, worker: nil, item: nil), "without the event it cancels"),
        ]
        var short = Events.worker("w1")
        short.masked = "M0002"
        var almost = Events.worker("w1")
        almost.masked = "1101*********01234"
        refused += [(Self.event(5, .visitStart, worker: short), "masked"), (Self.event(5, .visitStart, worker: almost), "masked")]
        for (e, expected) in refused {
            let why = BoxClaims.refusal(e)
            XCTAssertTrue(why?.contains(expected) ?? false, "\(e.draft): \(why ?? "accepted")")
        }
        var masks = [Events.worker("w1"), Events.worker("w1"), Events.worker("w1")]
        (masks[0].masked, masks[1].masked, masks[2].masked) = ("1101**********1234", "*0002", "********0022")
        for e in masks.map({ Self.event(5, .visitStart, worker: $0) }) + [
            Self.event(5, .checkout, due: "2028-02-29"), Self.event(5, .return, worker: nil, refersTo: 4), Self.event(5, .return, worker: nil),
            Self.event(5, .visitStart, item: nil), Self.event(5, .visitEnd, item: nil), Self.event(5, .void, worker: nil, item: nil, refersTo: 1),
        ] {
            XCTAssertNil(BoxClaims.refusal(e), "\(e.draft)")
        }
        XCTAssertEqual(BoxClaims.protocolBreach(Self.event(0, .return)), "seq 0 is below 1")
        XCTAssertEqual(BoxClaims.protocolBreach(Self.event(-5, .return)), "seq -5 is below 1")
        XCTAssertEqual(BoxClaims.protocolBreach(Self.event(3, .return, epoch: -3)), "seq 3: epoch -3 is below 0")
        XCTAssertNil(BoxClaims.protocolBreach(Self.event(1, .return)))
    }

    func testAnUnreadableEventIsDescribedByItsFieldInPlainWords() throws {
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Canonical.encoder.encode(Self.event(1, .return))) as? [String: Any])
        var draft = try XCTUnwrap(object["draft"] as? [String: Any])
        draft["kind"] = "teleport"
        object["draft"] = draft
        guard case .unreadable(let seq, _, let reason) = BodyIntake.event(object) else { return XCTFail("decoded") }
        XCTAssertEqual(seq, 1)
        XCTAssertEqual(reason, "not an event this hub understands: draft.kind holds a value this hub does not know")
        object["seq"] = "one"
        guard case .unreadable(_, _, let typeReason) = BodyIntake.event(object) else { return XCTFail("decoded") }
        XCTAssertEqual(typeReason, "not an event this hub understands: seq must be a whole number")
        object.removeValue(forKey: "time")
        guard case .unreadable(_, _, let missing) = BodyIntake.event(object) else { return XCTFail("decoded") }
        XCTAssertFalse(missing.contains("DecodingError") || missing.contains("Debug") || missing.contains("Int64"), missing)
    }

    func testWarningsArePacedPerKeyAndCountWhatWasHeldBack() {
        let pacer = Pacer(intervalMillis: 60_000, capacity: 100)
        XCTAssertEqual(pacer.admit("a", nowMillis: 0), 0)
        XCTAssertNil(pacer.admit("a", nowMillis: 1_000))
        XCTAssertNil(pacer.admit("a", nowMillis: 59_999))
        XCTAssertEqual(pacer.admit("b", nowMillis: 2_000), 0)
        XCTAssertEqual(pacer.admit("a", nowMillis: 60_000), 2)
        XCTAssertNil(pacer.admit("a", nowMillis: 60_001))
    }
}
