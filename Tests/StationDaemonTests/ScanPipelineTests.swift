import Crypto
import Foundation
import Logging
import StationCore
import StationStore
import StationTesting
import XCTest

@testable import StationDaemon

/// The daemon's scan path without devices, a disk or a hub: scans in, outcomes out, over
/// a journal of values that can fail on demand and records what happened in which order.
final class ScanPipelineTests: XCTestCase {
    /// A journal in memory; `failing` makes appends throw (a full disk).
    final class MemoryJournal: ScanJournal {
        var events: [JournalEvent] = []
        var failing = false
        /// Makes reading the ledger throw (a damaged page under the scanned book's entries).
        var failingReads = false
        var ledgerReads = 0
        /// What happened, in order: `append …` and `told …` lines.
        var trace: [String] = []

        func append(_ draft: EventDraft, time: EventTime) throws -> JournalEvent {
            if failing {
                trace.append("append failed")
                throw CocoaError(.fileWriteOutOfSpace)
            }
            let e = JournalEvent(boxID: "box-1", seq: Int64(events.count + 1), siteID: "site-a", epoch: 0, time: time, draft: draft)
            events.append(e)
            trace.append("append \(draft.kind.rawValue)")
            return e
        }
        func catalogEntry(itemKey: String) throws -> (homeSite: String?, title: String?)? {
            itemKey == "label:LIB-000001" ? ("site-b", "活着") : nil
        }
        func member(cardUID: String) throws -> String? { nil }
        /// The hub's lists, as a downlink would have left them; orders by item key.
        var transferList: [Journal.TransferEntry] = []
        var orders: [String: TransferOrder] = [:]
        func transferOrder(itemKey: String, nowMillis: Int64) throws -> TransferOrder? { orders[itemKey] }
        func transfers() throws -> [Journal.TransferEntry] { transferList }
        /// The window the journal's would be: the book's open entries, every open visit and
        /// the worker's count, from a full replay (a scan that asked for the wrong book or
        /// worker decides without what it needed).
        func window(item: String?, worker: String?) throws -> LocalLedger {
            if failingReads { throw CocoaError(.fileReadCorruptFile) }
            ledgerReads += 1
            let full = LocalLedger(events: events)
            let standing = full.neededSeqs
            let entries = events.filter { e in
                standing.contains(e.seq) && (e.draft.kind == .visitStart || (item != nil && e.draft.item?.key == item))
            }
            return LocalLedger(window: entries, held: worker.map { ($0, full.openLoans(of: $0)) })
        }
    }

    /// A clock the test moves.
    final class TestClock: ScanClock {
        var millis: Int64 = 1_795_000_000_000
        var mono: Int64 = 5_000_000_000
        func advance(_ ms: Int64) {
            millis += ms
            mono += ms * 1000
        }
        func now() -> (wallMillis: Int64, synchronized: Bool, bootID: String, monotonicMicros: Int64) { (millis, true, "boot-1", mono) }
    }

    var journal: MemoryJournal!
    var clock: TestClock!
    var told: [Told] = []
    var enrolled: [String] = []

    func pipeline(kind: KioskSettings.SiteKind = .bookshelf) throws -> ScanPipeline {
        journal = MemoryJournal()
        clock = TestClock()
        let hub = Curve25519.KeyAgreement.PrivateKey()
        let keys = CredentialKeys(localKey: SymmetricKey(size: .bits256), localVersion: 1, hubKey: hub.publicKey, hubVersion: 1)
        return ScanPipeline(
            recognizer: CodeRecognizer(itemLabels: [try CodePattern(name: "label", pattern: "LIB-[0-9]{6}")]), keys: keys,
            workflow: KioskWorkflow(settings: KioskSettings(siteID: "site-a", siteKind: kind, visitMaxMinutes: 1)), journal: journal, clock: clock,
            timeZone: "Asia/Shanghai", visitMaxMinutes: 1, logger: Logger(label: "test"),
            tell: { [unowned self] t in
                told.append(t)
                journal.trace.append("told \(t.outcome.rawValue)")
            },
            enroll: { [unowned self] card, scanner in enrolled.append("\(card.hubURL) from \(scanner)") })
    }

    func scan(_ p: ScanPipeline, _ code: String, after ms: Int64 = 2_000) {
        clock.advance(ms)
        p.scan(code, aim: nil, role: .scanner, scannerID: "sc-1")
    }

    func testTheHoldShelfKnowsItsWorkerByTheRequestsOwnKeyAndNoOneElse() throws {
        let p = try pipeline()
        var ids = TestIdentities(seed: UInt64.random(in: 0..<(1 << 32)))
        let (requester, other) = (ids.valid(), ids.valid())
        let key = SymmetricKey(size: .bits256)
        let verifier = CredentialProtector.localHash(RawCredential(kind: .residentID, secret: requester), key: key, version: 1)
        journal.transferList = [
            Journal.TransferEntry(request: "r1", itemKey: "label:LIB-000007", masked: "1101**********0011", key: key.withUnsafeBytes { Hex.encode(Data($0)) }, verifier: verifier, holdDays: 7, untilMillis: clock.millis + 86_400_000)
        ]
        journal.orders["label:LIB-000007"] = .held(request: "r1", masked: "1101**********0011", untilMillis: clock.millis + 86_400_000)
        journal.orders["label:LIB-000008"] = .send(request: "r2", destination: "site-c")
        scan(p, other)
        scan(p, "LIB-000007")
        scan(p, "LIB-000008")
        scan(p, requester)
        scan(p, "LIB-000007")
        XCTAssertEqual(told.map(\.outcome), [.sessionOpened, .holdRefused, .transferOut, .sessionOpened, .holdReady])
        XCTAssertEqual(journal.events.map(\.draft.kind), [.transferOut, .checkout])
        XCTAssertEqual(journal.events[0].draft.destination, "site-c")
        XCTAssertEqual(told[3].chinese, "您预约的 1 本书已到，请到预约架取书")
    }

    func testABookIsToldOnlyAfterItsEventIsInTheJournal() throws {
        let p = try pipeline()
        scan(p, "LIB-000001")
        XCTAssertEqual(journal.trace, ["append return", "told returned"])
        XCTAssertEqual(told.last?.event?.seq, 1)
        XCTAssertEqual(told.last?.title, "活着", "the title from the catalog cache, for the kiosk page")
        XCTAssertEqual(told.last?.event?.draft.flags, ["returned-without-loan", "drift"], "not on loan here; home site-b, returned at site-a")
    }

    func testAJournalThatCannotWriteIsToldStorageErrorAndTheNextScanStillRecords() throws {
        let p = try pipeline()
        journal.failing = true
        scan(p, "LIB-000002")
        XCTAssertEqual(told.map(\.outcome), [.storageError])
        XCTAssertNil(told[0].event)
        journal.failing = false
        scan(p, "LIB-000002", after: 3_000)
        XCTAssertEqual(told.map(\.outcome), [.storageError, .returned])
        XCTAssertEqual(journal.trace, ["append failed", "told storage-error", "append return", "told returned"])
    }

    func testACredentialOpensASessionAndItsNumberGoesNoFurther() throws {
        let p = try pipeline()
        var ids = TestIdentities(seed: 7)
        let number = ids.valid()
        scan(p, number)
        XCTAssertEqual(told.map(\.outcome), [.sessionOpened])
        XCTAssertNil(told[0].event, "a session records nothing")
        XCTAssertNotNil(told[0].worker)
        XCTAssertFalse(told[0].worker!.contains(number))
        scan(p, "LIB-000003")
        XCTAssertEqual(told.map(\.outcome), [.sessionOpened, .checkedOut])
        let event = try XCTUnwrap(told[1].event)
        XCTAssertNotNil(event.draft.worker?.sealed, "sealed to the hub")
        let json = String(decoding: try JSONEncoder().encode(event), as: UTF8.self)
        XCTAssertFalse(json.contains(number), json)
        XCTAssertFalse(told.map(\.message).joined().contains(number))
    }

    func testADoubleReadIsOneScanAndAMisreadIsToldAsOne() throws {
        let p = try pipeline()
        scan(p, "LIB-000004")
        scan(p, "LIB-000004", after: 300)
        XCTAssertEqual(told.map(\.outcome), [.returned])
        scan(p, "9787111213827")  // a bad ISBN check digit
        XCTAssertEqual(told.map(\.outcome), [.returned, .misread])
        XCTAssertEqual(journal.events.count, 1)
        p.rejected(.typing(medianGapMillis: 180), scannerID: "sc-1")
        XCTAssertEqual(told.last?.outcome, .misread)
    }

    func testABoxWaitingForItsIdentityActsOnTheEnrollmentCardAloneAndRecordsNothing() throws {
        let p = try pipeline()
        p.awaitingIdentity = true
        var ids = TestIdentities(seed: 11)
        for code in ["LIB-000001", ids.valid(), "9787111213833"] { scan(p, code) }
        XCTAssertEqual(told.map(\.outcome), [.refused, .refused, .refused])
        XCTAssertTrue(told.allSatisfy { $0.message.contains("not enrolled yet") && $0.event == nil }, told.map(\.message).joined(separator: "\n"))
        scan(p, "9787111213827")  // a bad check digit: a misread, told as one
        XCTAssertEqual(told.last?.outcome, .misread)
        XCTAssertTrue(journal.events.isEmpty, "nothing recorded before the box has its name")
        scan(p, EnrollmentCard(hubURL: "https://hub.example:8440", token: String(repeating: "b", count: 64)).payload)
        XCTAssertEqual(enrolled, ["https://hub.example:8440 from sc-1"])
    }

    func testAnEnrollmentCardIsHandedOverAndNothingIsTold() throws {
        let p = try pipeline()
        scan(p, EnrollmentCard(hubURL: "https://hub.example:8440", token: String(repeating: "a", count: 64)).payload)
        XCTAssertEqual(enrolled, ["https://hub.example:8440 from sc-1"])
        XCTAssertTrue(told.isEmpty)
    }

    func testAVisitLeftOpenIsClosedByTheTimerAndAFailedCloseWaitsBeforeItsNextTry() throws {
        let p = try pipeline(kind: .hut)
        var ids = TestIdentities(seed: 9)
        scan(p, ids.valid())
        XCTAssertEqual(told.map(\.outcome), [.visitStarted])
        let deadline = try XCTUnwrap(p.nextDeadlineMicros)
        XCTAssertGreaterThan(deadline, clock.mono)
        clock.advance(61_000)
        journal.failing = true
        p.tick()
        XCTAssertEqual(told.last?.outcome, .storageError)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(p.nextDeadlineMicros), clock.mono + 9_000_000, "the next try waits 10 s")
        journal.failing = false
        clock.advance(10_000)
        p.tick()
        XCTAssertEqual(told.last?.outcome, .visitEnded)
        XCTAssertTrue(told.last?.automatic ?? false)
        XCTAssertTrue(told.last?.event?.draft.flags.contains("auto-closed") ?? false)
    }

    /// Each scan decides with the ledger as the journal has it then, not with one the
    /// workflow kept since the start: a loan the journal holds is counted at the next card.
    func testAScanDecidesWithTheJournalsLedgerOfThatMoment() throws {
        let p = try pipeline()
        var ids = TestIdentities(seed: 12)
        let card = ids.valid()
        scan(p, card)
        XCTAssertTrue(told.last?.message.hasSuffix("0 book(s) on loan") ?? false, told.last?.message ?? "")
        let worker = try XCTUnwrap(p.workflow.session?.worker)
        let time = EventTime(wallMillis: clock.millis, synchronized: true, bootID: "boot-1", monotonicMicros: clock.mono)
        journal.events.append(
            JournalEvent(boxID: "box-1", seq: 1, siteID: "site-a", epoch: 0, time: time, draft: EventDraft(kind: .checkout, item: ItemRef(key: "label:LIB-000009"), worker: worker)))
        scan(p, card, after: 3_000)
        XCTAssertTrue(told.last?.message.hasSuffix("1 book(s) on loan") ?? false, told.last?.message ?? "")
        scan(p, "LIB-000009")
        XCTAssertEqual(told.last?.outcome, .renewed, "a copy they hold, scanned again, is renewed")
        XCTAssertEqual(journal.events.last?.draft.kind, .renewal)
    }

    /// A ledger that cannot be read decides nothing: storage-error, nothing recorded.
    func testALedgerThatCannotBeReadIsToldStorageErrorAndRecordsNothing() throws {
        let p = try pipeline()
        journal.failingReads = true
        scan(p, "LIB-000002")
        XCTAssertEqual(told.map(\.outcome), [.storageError])
        XCTAssertEqual(journal.events, [])
        journal.failingReads = false
        scan(p, "LIB-000002", after: 3_000)
        XCTAssertEqual(told.map(\.outcome), [.storageError, .returned])
    }

    func testAVoidTakesTheJournalsLedger() throws {
        let p = try pipeline()
        XCTAssertTrue(p.record(EventDraft(kind: .void, flags: ["reported-as-storage-error"], refersTo: 1), Told(outcome: .modeChanged, message: "void")))
        XCTAssertEqual(journal.ledgerReads, 1)
    }
}
