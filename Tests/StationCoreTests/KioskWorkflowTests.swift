import XCTest

@testable import StationCore

/// Every transition of the kiosk as values: the test plays the journal (seq counter).
final class KioskWorkflowTests: XCTestCase {
    let today = LocalDate(year: 2026, month: 11, day: 29)
    let alice = WorkerRef(kind: .residentID, localHash: "v1:aa", masked: "1101**********0011", sealed: nil)
    let bob = WorkerRef(kind: .memberCard, localHash: "v1:bb", masked: "********0022", sealed: nil)
    let carol = WorkerRef(kind: .cardUID, localHash: "v1:cc", masked: "****0033", sealed: nil)
    let label1 = ItemRef(key: "label:LIB-000001")
    let label2 = ItemRef(key: "label:LIB-000002")
    let label3 = ItemRef(key: "label:LIB-000003")
    let title = ItemRef(key: "isbn:9787111213826", title: "9787111213826")

    /// A kiosk plus a fake journal: records every decision's draft at once.
    struct Kiosk {
        var workflow: KioskWorkflow
        var seq: Int64 = 0
        var now: Int64 = 1_000_000
        var journal: [JournalEvent] = []

        mutating func scan(
            _ s: Scanned, code: String? = nil, scanner: String = "s1", after ms: Int64 = 2_000, home: String? = nil, transfer: TransferOrder? = nil,
            requests: Set<String> = [], today: LocalDate
        ) -> Decision? {
            now += ms
            let input = ScanInput(
                scanned: s, code: code ?? "\(s)", scannerID: scanner, clock: clock, today: today, bookHomeSite: home, transfer: transfer, requests: requests)
            guard let d = workflow.handle(input) else { return nil }
            if let draft = d.record { commit(draft) }
            return d
        }

        /// Wall and monotonic clocks run together here, in one boot "b".
        var clock: WorkflowClock { WorkflowClock(wallMillis: now, monotonicMillis: now, bootID: "b") }

        mutating func commit(_ draft: EventDraft) {
            seq += 1
            let e = JournalEvent(boxID: "box-1", seq: seq, siteID: "site-a", epoch: 0, time: EventTime(wallMillis: now, synchronized: true, bootID: "b", monotonicMicros: now * 1000), draft: draft)
            journal.append(e)
            workflow.recorded(e)
        }
    }

    func shelf(_ configure: (inout KioskSettings) -> Void = { _ in }) -> Kiosk {
        var s = KioskSettings(siteID: "site-a", siteKind: .bookshelf, maxLoans: 2, loanDays: 30)
        configure(&s)
        return Kiosk(workflow: KioskWorkflow(settings: s))
    }

    func testCredentialOpensASessionAndBooksAreCheckedOutThenRenewed() {
        var k = shelf()
        XCTAssertEqual(k.scan(.worker(alice), today: today)?.outcome, .sessionOpened)
        let out = k.scan(.book(label1), today: today)
        XCTAssertEqual(out?.outcome, .checkedOut)
        XCTAssertEqual(out?.record?.dueDate, "2026-12-29")
        XCTAssertEqual(out?.record?.worker, alice)
        XCTAssertEqual(k.scan(.book(label1), today: today)?.outcome, .renewed, "scanned again after the double-read window")
        XCTAssertEqual(k.journal.map(\.draft.kind), [.checkout, .renewal])
    }

    func testDoubleReadsWithinTheWindowAreOneScan() {
        var k = shelf()
        _ = k.scan(.worker(alice), today: today)
        XCTAssertEqual(k.scan(.book(label1), code: "LIB-000001", today: today)?.outcome, .checkedOut)
        XCTAssertNil(k.scan(.book(label1), code: "LIB-000001", after: 300, today: today))
        XCTAssertEqual(k.scan(.book(label1), code: "LIB-000001", scanner: "s2", after: 300, today: today)?.outcome, .renewed, "another scanner is another scan")
        XCTAssertEqual(k.journal.count, 2)
    }

    func testASecondCopyOfATitleAfterTheWindowIsASecondLoan() {
        var k = shelf { $0.maxLoans = 5 }
        _ = k.scan(.worker(alice), today: today)
        XCTAssertEqual(k.scan(.book(title), code: "9787111213826", today: today)?.outcome, .checkedOut)
        XCTAssertNil(k.scan(.book(title), code: "9787111213826", after: 1_000, today: today))
        // After the window, the same title again is a second copy (DESIGN: double reads).
        XCTAssertEqual(k.scan(.book(title), code: "9787111213826", after: 1_600, today: today)?.outcome, .checkedOut)
        XCTAssertEqual(k.workflow.ledger.loans[title.key]?.count, 2)
        // In renew mode it renews a copy held.
        _ = k.scan(.control(.mode(.renew)), today: today)
        XCTAssertEqual(k.scan(.book(title), code: "9787111213826", today: today)?.outcome, .renewed)
        _ = k.scan(.worker(bob), today: today)
        XCTAssertEqual(k.workflow.mode, .checkout, "a new worker's session starts in checkout mode")
        XCTAssertEqual(k.scan(.book(title), code: "9787111213826", today: today)?.outcome, .checkedOut, "copies are interchangeable, no warning")
        XCTAssertEqual(k.workflow.ledger.loans[title.key]?.count, 3)
    }

    func testReturnsOutsideASessionAndDrift() {
        var k = shelf()
        _ = k.scan(.worker(alice), today: today)
        _ = k.scan(.book(label1), today: today)
        _ = k.scan(.control(.done), today: today)
        let back = k.scan(.book(label1), today: today)
        XCTAssertEqual(back?.outcome, .returned)
        XCTAssertEqual(back?.record?.refersTo, 1)
        XCTAssertEqual(back?.record?.flags, [])
        XCTAssertEqual(k.workflow.ledger.openLoans(of: alice.localHash), 0)

        let drift = k.scan(.book(label2), home: "site-b", today: today)
        XCTAssertEqual(drift?.outcome, .returned, "a drift is not an error")
        XCTAssertEqual(drift?.record?.flags, ["returned-without-loan", "drift"])
        XCTAssertTrue(drift?.message.contains("site-b") ?? false)
        XCTAssertEqual(drift?.chinese, "谢谢；这本书来自 site-b，今后放在本站")
        XCTAssertEqual(k.scan(.book(ItemRef(key: "label:LIB-9")), home: "site-a", today: today)?.record?.flags, ["returned-without-loan"])
    }

    func testTitleOnlyReturnClosesTheOldestLoanAtThisBox() {
        var k = shelf { $0.maxLoans = 5 }
        _ = k.scan(.worker(alice), today: today)
        _ = k.scan(.book(title), code: "a", today: today)  // seq 1
        _ = k.scan(.worker(bob), today: today)
        _ = k.scan(.book(title), code: "b", today: today)  // seq 2
        _ = k.scan(.control(.done), today: today)
        let r = k.scan(.book(title), code: "c", today: today)
        XCTAssertEqual(r?.record?.refersTo, 1)
        XCTAssertEqual(r?.record?.flags, ["title-only-oldest-loan"])
        XCTAssertEqual(k.workflow.ledger.loans[title.key]?.map(\.worker), [bob.localHash])
    }

    func testLoanLimitWarnsOrRefuses() {
        var warn = shelf { $0.maxLoans = 1 }
        _ = warn.scan(.worker(alice), today: today)
        _ = warn.scan(.book(label1), today: today)
        let over = warn.scan(.book(label2), today: today)
        XCTAssertEqual(over?.outcome, .warning)
        XCTAssertEqual(over?.record?.flags, ["over-limit"])
        XCTAssertTrue(over?.chinese?.hasPrefix("已借出，请于 ") ?? false, over?.chinese ?? "")
        XCTAssertTrue(over?.chinese?.hasSuffix("已超过借阅上限 1 本") ?? false, over?.chinese ?? "")
        XCTAssertEqual(warn.journal.count, 2, "a warning is recorded")

        var refuse = shelf { $0.maxLoans = 1; $0.overLimit = .refuse }
        _ = refuse.scan(.worker(alice), today: today)
        _ = refuse.scan(.book(label1), today: today)
        let no = refuse.scan(.book(label2), today: today)
        XCTAssertEqual(no?.outcome, .refused)
        XCTAssertEqual(no?.chinese, "已达借阅上限 1 本，请先归还一本", "the worker is told why in Chinese")
        XCTAssertNil(no?.record)
        XCTAssertEqual(refuse.journal.count, 1)
    }

    func testBookOnLoanToSomeoneElseIsAWarningNotABlock() {
        var k = shelf()
        _ = k.scan(.worker(alice), today: today)
        _ = k.scan(.book(label1), today: today)
        _ = k.scan(.worker(bob), today: today)
        let d = k.scan(.book(label1), today: today)
        XCTAssertEqual(d?.outcome, .warning)
        XCTAssertEqual(d?.record?.flags, ["on-loan-to-another-worker"])
        XCTAssertEqual(k.workflow.ledger.loans[label1.key]?.map(\.worker), [bob.localHash], "the implied return of the earlier loan")
    }

    func testSessionTimesOutAndEachScanExtendsIt() {
        var k = shelf { $0.sessionTimeoutMillis = 60_000 }
        _ = k.scan(.worker(alice), today: today)
        XCTAssertEqual(k.scan(.book(label1), after: 50_000, today: today)?.outcome, .checkedOut)
        XCTAssertEqual(k.scan(.book(label2), after: 50_000, today: today)?.outcome, .checkedOut, "extended by the previous scan")
        XCTAssertEqual(k.workflow.nextDeadline(now: k.clock), k.now + 60_000)
        XCTAssertEqual(k.scan(.book(label1), after: 60_000, today: today)?.outcome, .returned, "session over: a book is a return")
        XCTAssertNil(k.workflow.session)
    }

    func testModesAndControlCards() {
        var k = shelf()
        _ = k.scan(.worker(alice), today: today)
        _ = k.scan(.book(label1), today: today)
        XCTAssertEqual(k.scan(.control(.mode(.renew)), today: today)?.outcome, .modeChanged)
        XCTAssertEqual(k.scan(.book(label2), today: today)?.outcome, .refused, "renew mode does not lend")
        XCTAssertEqual(k.scan(.book(label1), today: today)?.outcome, .renewed)
        _ = k.scan(.control(.mode(.return)), today: today)
        XCTAssertEqual(k.scan(.book(label1), today: today)?.outcome, .returned, "return mode, even in a session")
        XCTAssertEqual(k.scan(.control(.cancel), today: today)?.outcome, .modeChanged)
        XCTAssertNil(k.workflow.session)
        XCTAssertEqual(k.workflow.mode, .checkout)
        XCTAssertEqual(k.scan(.control(.service("water")), today: today)?.outcome, .refused)
        _ = k.scan(.control(.mode(.renew)), today: today)
        XCTAssertEqual(k.scan(.book(label2), today: today)?.outcome, .refused, "renew without a session asks for the card, it does not return")
    }

    func testRejectedScansRecordNothing() {
        var k = shelf()
        XCTAssertEqual(k.scan(.rejected(.misread, reason: "ISBN-13 check digit is 6, scan says 7"), today: today), Decision(outcome: .misread, message: "ISBN-13 check digit is 6, scan says 7"))
        XCTAssertEqual(k.scan(.rejected(.refused, reason: "e-card expired"), today: today)?.outcome, .refused)
        XCTAssertEqual(k.journal.count, 0)
    }

    func testVisitsAtAHutStartEndAndAutoClose() {
        var k = Kiosk(workflow: KioskWorkflow(settings: KioskSettings(siteID: "hut-1", siteKind: .hut, visitMaxMinutes: 90)))
        let start = k.scan(.worker(alice), today: today)
        XCTAssertEqual(start?.outcome, .visitStarted)
        XCTAssertEqual(start?.record?.service, "lactation")
        let end = k.scan(.worker(alice), after: 20 * 60_000, today: today)
        XCTAssertEqual(end?.outcome, .visitEnded)
        XCTAssertEqual(end?.record?.refersTo, 1)
        XCTAssertEqual(k.scan(.book(label1), today: today)?.outcome, .refused)

        _ = k.scan(.worker(bob), today: today)  // seq 3, never ended
        XCTAssertEqual(k.workflow.nextDeadline(now: k.clock), k.now + 90 * 60_000)
        let later = { (ms: Int64) in WorkflowClock(wallMillis: k.now + ms, monotonicMillis: k.now + ms, bootID: "b") }
        XCTAssertEqual(k.workflow.autoClose(now: later(89 * 60_000)), [])
        let closes = k.workflow.autoClose(now: later(90 * 60_000))
        XCTAssertEqual(closes, [EventDraft(kind: .visitEnd, worker: bob, service: "lactation", flags: ["auto-closed"], refersTo: 3)])
        k.now += 90 * 60_000
        k.commit(closes[0])
        XCTAssertTrue(k.workflow.ledger.visits.isEmpty)
    }

    func testStationServicesChosenByCard() {
        var k = Kiosk(workflow: KioskWorkflow(settings: KioskSettings(siteID: "st-1", siteKind: .station, services: ["rest", "water", "charging"])))
        XCTAssertEqual(k.scan(.control(.service("charging")), today: today)?.outcome, .modeChanged)
        XCTAssertEqual(k.scan(.worker(alice), today: today)?.record?.service, "charging")
        XCTAssertEqual(k.scan(.worker(bob), today: today)?.record?.service, "rest", "a choice applies to one visit; the default after")
        _ = k.scan(.control(.service("water")), today: today)
        XCTAssertEqual(k.scan(.worker(alice), today: today)?.outcome, .visitEnded)
        XCTAssertEqual(k.scan(.worker(carol), today: today)?.record?.service, "rest", "ending a visit clears a choice made for it")
        XCTAssertEqual(k.scan(.control(.service("lactation")), today: today)?.outcome, .refused, "not offered here")
    }

    func testAFailedRecordLeavesTheLedgerAndAllowsARetry() {
        var k = shelf()
        _ = k.scan(.worker(alice), today: today)
        k.now += 2_000
        let input = ScanInput(scanned: .book(label1), code: "LIB-000001", scannerID: "s1", clock: k.clock, today: today)
        XCTAssertEqual(k.workflow.handle(input)?.outcome, .checkedOut)
        k.workflow.recordFailed()  // the journal could not write
        XCTAssertEqual(k.workflow.ledger.openLoans(of: alice.localHash), 0)
        var retry = input
        retry.clock.monotonicMillis += 500
        retry.clock.wallMillis += 500
        XCTAssertEqual(k.workflow.handle(retry)?.outcome, .checkedOut, "not swallowed as a double read")
    }

    func testLedgerRebuildLeavesOutVoidedEvents() {
        var k = shelf()
        _ = k.scan(.worker(alice), today: today)
        _ = k.scan(.book(label1), today: today)
        k.commit(EventDraft(kind: .void, refersTo: 1))
        k.workflow.rebuild(ledger: LocalLedger(events: k.journal))
        XCTAssertEqual(k.workflow.ledger.openLoans(of: alice.localHash), 0)
    }

    func testLocalDates() {
        XCTAssertEqual(LocalDate(year: 2026, month: 11, day: 29).adding(days: 30).description, "2026-12-29")
        XCTAssertEqual(LocalDate(year: 2028, month: 2, day: 28).adding(days: 1).description, "2028-02-29")
        XCTAssertEqual(LocalDate(year: 1970, month: 1, day: 1).daysSinceEpoch, 0)
        XCTAssertEqual(LocalDate(daysSinceEpoch: 20_000).description, "2024-10-04")
    }
}

extension KioskWorkflowTests {
    func testTheLedgerNamesTheEventsItStandsOn() {
        var k = shelf()
        _ = k.scan(.worker(alice), today: today)
        _ = k.scan(.book(label1), today: today)  // 1
        _ = k.scan(.book(label2), today: today)  // 2
        _ = k.scan(.book(label1), today: today)  // 3, renewal
        _ = k.scan(.control(.done), today: today)
        _ = k.scan(.book(label2), today: today)  // 4, return
        XCTAssertEqual(k.workflow.ledger.neededSeqs, [1, 3])
    }
}

extension KioskWorkflowTests {
    /// A box without an RTC sets its wall clock years forward when NTP first answers: a
    /// visit of a few minutes must not be auto-closed by that jump.
    func testAWallClockJumpDoesNotCloseVisitsOfThisBoot() {
        var k = Kiosk(workflow: KioskWorkflow(settings: KioskSettings(siteID: "hut-1", siteKind: .hut, visitMaxMinutes: 90)))
        _ = k.scan(.worker(alice), today: today)
        let jumped = WorkflowClock(wallMillis: k.now + 3 * 365 * 86_400_000, monotonicMillis: k.now + 5 * 60_000, bootID: "b")
        XCTAssertEqual(k.workflow.autoClose(now: jumped), [])
        XCTAssertEqual(k.workflow.nextDeadline(now: jumped), k.now + 90 * 60_000)
        // After a reboot only the wall clock can tell how long it has been.
        let rebooted = WorkflowClock(wallMillis: k.now + 91 * 60_000, monotonicMillis: 1_000, bootID: "other")
        XCTAssertEqual(k.workflow.autoClose(now: rebooted).count, 1)
    }

    // MARK: - Requested copies

    func testARequestedCopyIsTrappedInAnyModeAndItsLoanEnds() {
        var k = shelf()
        _ = k.scan(.worker(bob), today: today)
        _ = k.scan(.book(label1), today: today)
        _ = k.scan(.control(.done), today: today)
        let send = TransferOrder.send(request: "r1", destination: "site-b")
        // Returned while requested: trapped instead, the loan ends with the trap.
        let trapped = k.scan(.book(label1), transfer: send, today: today)
        XCTAssertEqual(trapped?.outcome, .transferOut)
        XCTAssertEqual(trapped?.chinese, "此书已被预约，请转寄至 site-b 站")
        XCTAssertEqual(trapped?.record, EventDraft(kind: .transferOut, scannerID: "s1", item: label1, flags: ["returned-by-transfer"], refersTo: 1, request: "r1", destination: "site-b"))
        XCTAssertTrue(k.workflow.ledger.loans.isEmpty)
        // In a session, in renew mode: trapped all the same.
        _ = k.scan(.worker(alice), today: today)
        XCTAssertEqual(k.scan(.book(label2), transfer: .send(request: "r2", destination: "site-c"), today: today)?.outcome, .transferOut)
        _ = k.scan(.control(.mode(.renew)), today: today)
        XCTAssertEqual(k.scan(.book(label2), transfer: .send(request: "r2", destination: "site-c"), today: today)?.outcome, .transferOut)
        // A move (no worker asked): sent on alike, said as a move.
        let moved = k.scan(.book(label2), transfer: .send(request: "m3", destination: "site-d", moved: true), today: today)
        XCTAssertEqual([moved?.outcome.rawValue, moved?.chinese, moved?.record?.request], ["transfer-out", "此书调往 site-d 站，请转寄", "m3"])
        // A moved copy a worker here wants is lent to them (trapped when it comes back);
        // outside a session, or in return mode, it is trapped.
        _ = k.scan(.control(.done), today: today)
        _ = k.scan(.worker(bob), today: today)
        let lent = k.scan(.book(label3), transfer: .send(request: "m4", destination: "site-d", moved: true), today: today)
        XCTAssertEqual([lent?.outcome.rawValue, lent?.record?.kind.rawValue], ["checked-out", "checkout"])
        _ = k.scan(.control(.mode(.return)), today: today)
        XCTAssertEqual(k.scan(.book(label3), transfer: .send(request: "m4", destination: "site-d", moved: true), today: today)?.outcome, .transferOut)
    }

    func testAnArrivalEndsTheLoanOfABoxThatLentTheCopyUnaware() {
        var k = shelf()
        _ = k.scan(.worker(bob), today: today)
        _ = k.scan(.book(label1), today: today)
        _ = k.scan(.control(.done), today: today)
        let arrival = k.scan(.book(label1), transfer: .expect(request: "r1", masked: alice.masked), today: today)
        XCTAssertEqual(arrival?.record, EventDraft(kind: .transferIn, scannerID: "s1", item: label1, flags: ["returned-by-transfer"], refersTo: 1, request: "r1"))
        XCTAssertTrue(k.workflow.ledger.loans.isEmpty, "bob no longer holds it")
    }

    func testAHeldCopyIsLentToItsWorkerOnlyAndArrivalsAreShelved() {
        var k = shelf()
        let arrival = k.scan(.book(label1), transfer: .expect(request: "r1", masked: alice.masked), today: today)
        XCTAssertEqual(arrival?.outcome, .transferIn)
        XCTAssertEqual(arrival?.chinese, "为 1101**********0011 预留，请放到预约架")
        XCTAssertEqual(arrival?.record, EventDraft(kind: .transferIn, scannerID: "s1", item: label1, request: "r1"))
        let held = TransferOrder.held(request: "r1", masked: alice.masked, untilMillis: k.now + 86_400_000)
        // Anyone else, and no one, is refused; nothing is recorded.
        XCTAssertEqual(k.scan(.book(label1), transfer: held, today: today)?.outcome, .holdRefused)
        _ = k.scan(.worker(bob), requests: [], today: today)
        let refused = k.scan(.book(label1), transfer: held, today: today)
        XCTAssertEqual(refused?.outcome, .holdRefused)
        XCTAssertNil(refused?.record)
        // Its worker: told on the card's scan, then lends it.
        let opened = k.scan(.worker(alice), requests: ["r1"], today: today)
        XCTAssertEqual(opened?.chinese, "您预约的 1 本书已到，请到预约架取书")
        let lent = k.scan(.book(label1), transfer: held, today: today)
        XCTAssertEqual(lent?.outcome, .holdReady)
        XCTAssertEqual(lent?.record?.kind, .checkout)
        XCTAssertEqual(lent?.record?.worker, alice)
        XCTAssertEqual(k.journal.map(\.draft.kind), [.transferIn, .checkout])
        // Their own other requests do not open someone else's hold.
        _ = k.scan(.worker(carol), requests: ["r9"], today: today)
        XCTAssertEqual(k.scan(.book(label2), transfer: .held(request: "r2", masked: "****", untilMillis: k.now + 1000), today: today)?.outcome, .holdRefused)
    }
}
