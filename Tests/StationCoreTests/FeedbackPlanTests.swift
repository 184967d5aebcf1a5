import StationCore
import XCTest

final class FeedbackPlanTests: XCTestCase {
    func testEveryOutcomeHasItsOwnTonePattern() {
        let plan = FeedbackPlan()
        var seen: [[Tone]: Outcome] = [:]
        for outcome in Outcome.allCases {
            let tones = plan.signal(for: outcome).tones
            XCTAssertFalse(tones.isEmpty, "\(outcome) is silent")
            XCTAssertNil(seen[tones], "\(outcome) sounds like \(seen[tones].map(\.rawValue) ?? "")")
            seen[tones] = outcome
            // Short enough to end before a worker's next scan.
            XCTAssertLessThanOrEqual(plan.signal(for: outcome).toneMillis, 1500, "\(outcome)")
        }
    }

    func testTheOutcomesThatAreNotRecordedSoundLowerThanTheOnesThatAre() {
        let plan = FeedbackPlan()
        func top(_ o: Outcome) -> Int { plan.signal(for: o).tones.map(\.hz).max()! }
        for bad in [Outcome.refused, .misread, .storageError, .holdRefused] {
            for good in [Outcome.checkedOut, .returned, .renewed, .visitStarted, .holdReady, .transferOut, .transferIn] {
                XCTAssertLessThan(top(bad), top(good), "\(bad) vs \(good)")
            }
        }
    }

    func testOverridesReplaceOnlyTheirOutcome() throws {
        let mine = Signal(tones: try FeedbackPlan.tones("600/100 0/50 600/100"), ledBlinks: 0, voice: false)
        let plan = FeedbackPlan(overrides: [.returned: mine])
        XCTAssertEqual(plan.signal(for: .returned), mine)
        XCTAssertEqual(plan.signal(for: .checkedOut), FeedbackPlan.standard[.checkedOut])
    }

    func testTonesParse() throws {
        XCTAssertEqual(try FeedbackPlan.tones("880/90, 0/60 1319/120"), [Tone(hz: 880, ms: 90), Tone(hz: 0, ms: 60), Tone(hz: 1319, ms: 120)])
        for (text, says) in [
            ("", "no tones"), ("880", "Hz/ms"), ("880/x", "Hz/ms"), ("10/90", "outside 20–20000"), ("880/5", "outside 10–2000"),
            ("2000/2000 2000/1001", "3000"), (Array(repeating: "880/10", count: 17).joined(separator: " "), "at most 16"),
        ] {
            XCTAssertThrowsError(try FeedbackPlan.tones(text), text) { error in
                XCTAssertTrue("\(error)".contains(says), "\(text): \(error)")
            }
        }
    }

    func testEveryOutcomeHasAPromptInBothLanguages() {
        XCTAssertEqual(Set(Prompt.all.map(\.outcome)), Set(Outcome.allCases))
        for prompt in Prompt.all {
            XCTAssertFalse(prompt.hanzi.isEmpty)
            XCTAssertFalse(prompt.english.isEmpty)
            // Tone numbers on every syllable: the pinyin voice needs them for the tones.
            for syllable in prompt.pinyin.split(whereSeparator: { $0 == " " || $0 == "," }) {
                XCTAssertTrue(syllable.last.map { "12345".contains($0) } ?? false, "\(prompt.outcome): \(syllable)")
            }
            XCTAssertEqual(prompt.fileName(.zh), "zh/\(prompt.outcome.rawValue).wav")
        }
    }

    func testTheKioskScreenShowsTheMaskOnlyAndTheLoansFacts() {
        let worker = WorkerRef(kind: .residentID, localHash: "h", masked: "3301**********123X", sealed: nil)
        let draft = EventDraft(kind: .checkout, item: ItemRef(key: "label:LIB-000001"), worker: worker, dueDate: "2026-12-30")
        let screen = KioskScreen.after(
            .checkedOut, message: "LIB-000001 due 2026-12-30", draft: draft, title: "工人读本", worker: nil, serial: 3, atMillis: 1000, siteKind: .bookshelf)
        XCTAssertEqual(screen.state, "checked-out")
        XCTAssertTrue(screen.recorded)
        XCTAssertEqual(screen.headline, KioskScreen.Words(zh: "借书成功", en: "Borrowed"))
        XCTAssertEqual(screen.title, "工人读本")
        XCTAssertEqual(screen.item, "LIB-000001")
        XCTAssertEqual(screen.dueDate, "2026-12-30")
        XCTAssertEqual(screen.worker, "3301**********123X")
        XCTAssertNil(screen.visitStartedAtMillis)

        let visit = KioskScreen.after(
            .visitStarted, message: "visit started", draft: EventDraft(kind: .visitStart, worker: worker, service: "lactation"), title: nil,
            worker: nil, serial: 4, atMillis: 5000, siteKind: .hut)
        XCTAssertEqual(visit.visitStartedAtMillis, 5000)
        XCTAssertEqual(visit.service, "lactation")

        let refused = KioskScreen.after(
            .refused, message: "limit of 1 reached", chinese: "已达借阅上限 1 本", draft: nil, title: nil, worker: nil, serial: 5, atMillis: 0,
            siteKind: .bookshelf)
        XCTAssertFalse(refused.recorded)
        XCTAssertEqual(refused.detail, KioskScreen.Words(zh: "未记录：已达借阅上限 1 本", en: "limit of 1 reached"))
        let misread = KioskScreen.after(.misread, message: "not a code this station knows", draft: nil, title: nil, worker: nil, serial: 6, atMillis: 0, siteKind: .bookshelf)
        XCTAssertEqual(misread.detail.zh, "无法识别此条码，请重新扫描")
        XCTAssertEqual(KioskScreen.idle(siteKind: .hut).state, "idle")
    }
}
