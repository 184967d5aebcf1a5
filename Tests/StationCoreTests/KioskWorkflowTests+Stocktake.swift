import XCTest

@testable import StationCore

/// The stocktake as values: a manager's card starts it, each book is counted once (a
/// title-only code once a scan), nothing is lent meanwhile, the end card ends it, and a
/// workflow rebuilt from the journal's events goes on counting where it stopped.
extension KioskWorkflowTests {
    func testAStocktakeCountsEachCopyOnceAndLendsNothingUntilItEnds() {
        var k = shelf()
        _ = k.scan(.worker(alice), today: today)
        let start = k.scan(.control(.stocktakeStart), today: today)
        XCTAssertEqual(start?.outcome, .stocktakeStarted)
        XCTAssertNil(k.workflow.session, "the stocktake ends a session that was open")
        XCTAssertEqual(k.scan(.book(label1), code: "LIB-000001", today: today)?.message, "counted: 1")
        XCTAssertNil(k.scan(.book(label1), code: "LIB-000001", after: 200, today: today), "a double read")
        let again = k.scan(.book(label1), code: "LIB-000001", after: 5_000, today: today)
        XCTAssertEqual(again?.outcome, .stocktakeSeen)
        XCTAssertNil(again?.record, "scanned again: told, not recorded")
        XCTAssertEqual(k.scan(.book(label2), today: today)?.message, "counted: 2")
        // Two copies of a title: each scan outside the double-read window is a copy.
        XCTAssertEqual(k.scan(.book(title), code: "9787111213826", today: today)?.message, "counted: 3")
        XCTAssertEqual(k.scan(.book(title), code: "9787111213826", today: today)?.message, "counted: 4")
        // Meanwhile nothing lends, and no other card changes anything.
        XCTAssertEqual(k.scan(.worker(bob), today: today)?.outcome, .refused)
        XCTAssertEqual(k.scan(.control(.mode(.return)), today: today)?.outcome, .refused)
        XCTAssertEqual(k.scan(.control(.stocktakeStart), today: today)?.message, "the stocktake runs already: 4 counted")
        // An idle kiosk forgets a session, never a stocktake.
        k.workflow.expire(now: WorkflowClock(wallMillis: k.now + 3_600_000, monotonicMillis: k.now + 3_600_000, bootID: "b"))
        XCTAssertEqual(k.workflow.stocktake?.counted, 4)

        // A restart: the journal's events give the same stocktake back.
        var rebuilt = Stocktake(startSeq: k.journal.first { $0.draft.kind == .stocktakeStart }!.seq, startedAtMillis: 0)
        for e in k.journal where e.draft.kind == .seen { rebuilt.saw(e.draft.item!) }
        XCTAssertEqual(rebuilt.counted, 4)
        XCTAssertEqual(rebuilt.labels, [label1.key, label2.key])
        k.workflow = KioskWorkflow(settings: k.workflow.settings, ledger: k.workflow.ledger, stocktake: rebuilt)
        XCTAssertEqual(k.scan(.book(label2), today: today)?.outcome, .stocktakeSeen)
        XCTAssertEqual(k.journal.filter { $0.draft.kind == .seen }.count, 4)

        let end = k.scan(.control(.stocktakeEnd), today: today)
        XCTAssertEqual(end?.outcome, .stocktakeEnded)
        XCTAssertEqual(end?.record?.refersTo, 1, "the end names its start")
        XCTAssertNil(k.workflow.stocktake)
        XCTAssertEqual(k.scan(.control(.stocktakeEnd), today: today)?.outcome, .refused, "none runs")
        // Lending again, and the stocktake changed no loan.
        XCTAssertEqual(k.scan(.worker(bob), today: today)?.outcome, .sessionOpened)
        XCTAssertEqual(k.scan(.book(label1), today: today)?.outcome, .checkedOut)
        XCTAssertEqual(k.journal.map(\.draft.kind), [.stocktakeStart, .seen, .seen, .seen, .seen, .stocktakeEnd, .checkout])
        XCTAssertTrue(k.journal.filter { $0.draft.kind == .seen }.allSatisfy { $0.draft.refersTo == 1 })
    }

    func testOnlyABookshelfCountsAndTheCardsAreMarkedForItsManager() {
        var hut = Kiosk(workflow: KioskWorkflow(settings: KioskSettings(siteID: "hut", siteKind: .hut)))
        XCTAssertEqual(hut.scan(.control(.stocktakeStart), today: today)?.outcome, .refused)
        XCTAssertTrue(hut.journal.isEmpty)
        var changed = Kiosk(workflow: KioskWorkflow(settings: KioskSettings(siteID: "hut", siteKind: .hut), stocktake: Stocktake(startSeq: 7, startedAtMillis: 0)))
        XCTAssertEqual(changed.scan(.control(.stocktakeEnd), today: today)?.outcome, .stocktakeEnded, "one running when the site changed kind still ends")
        XCTAssertNil(changed.workflow.stocktake)
        let shelfCards = ControlCardTable.standard.cards(for: shelf().workflow.settings)
        XCTAssertEqual(shelfCards.filter(\.action.isManagers).map(\.code), ["STN-STOCKTAKE-START", "STN-STOCKTAKE-END"])
        XCTAssertFalse(ControlCardTable.standard.cards(for: hut.workflow.settings).contains { $0.action.isManagers })
        let printed = PrintedLabel.controlCards(shelfCards)
        XCTAssertEqual(printed.filter { $0.caption.contains("管理员专用") }.map(\.code), ["STN-STOCKTAKE-START", "STN-STOCKTAKE-END"])
        for action in [ControlAction.stocktakeStart, .stocktakeEnd] { XCTAssertEqual(ControlAction(name: action.name), action) }
    }
}
