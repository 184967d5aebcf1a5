import Foundation
import StationCore
import StationDaemon
import StationProtocol
import XCTest

/// How a box learns its clock was wrong, as values: the NTP step seen as a change of
/// wall − monotonic, and the hub's Date while unsynchronised.
final class ClockWatchTests: XCTestCase {
    func testAnNTPStepAfterRunningUnsynchronisedIsOneCorrection() {
        var w = ClockWatch(bootID: "boot-1")
        // Booted without an RTC: the wall clock says 1970 + a bit.
        XCTAssertNil(w.observe(synchronized: false, wallMillis: 5_000, monotonicMicros: 4_000_000))
        XCTAssertNil(w.observe(synchronized: false, wallMillis: 65_000, monotonicMicros: 64_000_000))
        // NTP steps it to the real time; CLOCK_MONOTONIC went on as before.
        let real: Int64 = 1_795_000_000_000
        let c = w.observe(synchronized: true, wallMillis: real + 70_000, monotonicMicros: 70_000_000)
        XCTAssertEqual(c?.offsetMillis, real + 70_000 - 70_000 - (5_000 - 4_000))
        XCTAssertEqual(c?.source, .ntp)
        XCTAssertEqual(c?.bootID, "boot-1")
        // Once: later observations while synchronised say nothing.
        XCTAssertNil(w.observe(synchronized: true, wallMillis: real + 80_000, monotonicMicros: 80_000_000))
    }

    func testNoStepNoCorrection() {
        var w = ClockWatch(bootID: "b")
        XCTAssertNil(w.observe(synchronized: false, wallMillis: 1_000_000, monotonicMicros: 0))
        // Synchronised with a 300 ms slew: below the threshold.
        XCTAssertNil(w.observe(synchronized: true, wallMillis: 1_010_300, monotonicMicros: 10_000_000))
        // Synchronised from the start: nothing to correct.
        var synced = ClockWatch(bootID: "b")
        XCTAssertNil(synced.observe(synchronized: true, wallMillis: 1_000_000, monotonicMicros: 0))
    }

    func testTheHubsDateCorrectsAnUnsynchronisedClockOnceUntilItMoves() {
        var w = ClockWatch(bootID: "b")
        let c = w.hubDate(hubMillis: 1_795_000_000_000, localWallMillis: 1_700_000_000_000, monotonicMicros: 9, synchronized: false)
        XCTAssertEqual(c?.offsetMillis, 95_000_000_000)
        XCTAssertEqual(c?.source, .hubDate)
        // The same offset again (within the Date's one-second precision): nothing new.
        XCTAssertNil(w.hubDate(hubMillis: 1_795_000_010_000, localWallMillis: 1_700_000_009_000, monotonicMicros: 10, synchronized: false))
        // The clock was set by hand meanwhile: a new correction.
        XCTAssertNotNil(w.hubDate(hubMillis: 1_795_000_100_000, localWallMillis: 1_795_000_000_000, monotonicMicros: 11, synchronized: false))
        // Within two seconds of the hub, or synchronised: none.
        var fine = ClockWatch(bootID: "b")
        XCTAssertNil(fine.hubDate(hubMillis: 1_000_000, localWallMillis: 998_500, monotonicMicros: 1, synchronized: false))
        XCTAssertNil(fine.hubDate(hubMillis: 1_000_000, localWallMillis: 1, monotonicMicros: 1, synchronized: true))
    }

    func testRetryAfterInSecondsOrAsADate() {
        XCTAssertEqual(HubClient.retryAfter("120"), 120)
        XCTAssertEqual(HubClient.retryAfter(" 5 "), 5)
        XCTAssertNil(HubClient.retryAfter(nil))
        XCTAssertNil(HubClient.retryAfter("soon"))
        let inAMinute = Date().addingTimeInterval(60)
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let waited = HubClient.retryAfter(f.string(from: inAMinute)) ?? -1
        XCTAssertGreaterThan(waited, 55)
        XCTAssertLessThanOrEqual(waited, 60)
    }

    func testBatchesGoOnTheWireGroupedByWorker() {
        func e(_ seq: Int64, _ who: String?) -> JournalEvent {
            JournalEvent(
                boxID: "b", seq: seq, siteID: "s", epoch: 0, time: EventTime(wallMillis: seq, synchronized: true, bootID: "x", monotonicMicros: seq),
                draft: EventDraft(kind: who == nil ? .return : .checkout, item: ItemRef(key: "label:L\(seq)"),
                                  worker: who.map { WorkerRef(kind: .memberCard, localHash: $0, masked: "*", sealed: nil) }))
        }
        let order = BatchUploader.wireOrder([e(1, "w2"), e(2, nil), e(3, "w1"), e(4, "w2"), e(5, nil)]).map(\.seq)
        XCTAssertEqual(order, [2, 5, 3, 1, 4])
    }
}
