import Foundation
import StationSystem
import XCTest

/// The event loop its clients share: timers each on its own clock, work from other
/// threads run on the loop in order, loop-bound values.
final class EventLoopTests: XCTestCase {
    /// Runs `loop` on a thread of its own until it stops; waits for that.
    func run(_ loop: EventLoop, prepare: @escaping @Sendable () throws -> Void) -> XCTestExpectation {
        let ended = expectation(description: "loop returned")
        let bound = LoopBound(loop, loop: loop)
        Thread {
            try? bound.loop.run(prepare: prepare)
            ended.fulfill()
        }.start()
        return ended
    }

    func testEachTimerFiresOnItsOwnClockAndItsDeadlineIsAskedAgain() throws {
        let loop = try EventLoop()
        /// Touched on the loop's thread only.
        final class State: @unchecked Sendable {
            var fired: [String] = []
            var monotonicDue: Int64? = SystemClock.monotonicMicros() + 20_000
            var realtimeDue: Int64? = SystemClock.wallMillis() * 1000 + 40_000
        }
        let state = State()
        let ended = run(loop) {
            try loop.addTimer(clock: .monotonic, deadline: { state.monotonicDue }) { now in
                guard let due = state.monotonicDue, now >= due else { return }
                state.fired.append("monotonic")
                // A new deadline, picked up after this wake-up.
                state.monotonicDue = state.fired.count < 3 ? now + 5_000 : nil
            }
            try loop.addTimer(clock: .realtime, deadline: { state.realtimeDue }) { now in
                guard let due = state.realtimeDue, now >= due else { return }
                state.fired.append("realtime")
                state.realtimeDue = nil
                loop.stop()
            }
        }
        wait(for: [ended], timeout: 5)
        XCTAssertEqual(state.fired, ["monotonic", "monotonic", "monotonic", "realtime"])
    }

    func testWorkFromOtherThreadsRunsOnTheLoopInOrder() throws {
        let loop = try EventLoop()
        let seen = LoopBound(NSMutableArray(), loop: loop)
        let started = expectation(description: "running")
        let ended = run(loop) { started.fulfill() }
        wait(for: [started], timeout: 5)
        for i in 0..<100 { seen.execute { $0.add(i) } }
        seen.execute { list in
            XCTAssertTrue(loop.inLoop)
            XCTAssertEqual(list as? [Int], Array(0..<100))
            loop.stop()
        }
        wait(for: [ended], timeout: 5)
        XCTAssertFalse(loop.inLoop)
    }

    func testAskingALoopThatDoesNotRunAnswersTheFallbackInTime() async throws {
        let loop = try EventLoop()
        let bound = LoopBound(41, loop: loop)
        let started = Date()
        let answer = await bound.ask(within: 0.2, otherwise: -1) { $0 + 1 }
        XCTAssertEqual(answer, -1)
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
    }
}
