import StationSystem
import XCTest

final class QuietThreadsTests: XCTestCase {
    func testSleepWaitsItsTime() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        try await QuietThreads.sleep(seconds: 0.2)
        XCTAssertGreaterThanOrEqual(clock.now - start, .milliseconds(200))
    }

    /// A cancelled sleep ends at once with CancellationError (a sleep cut short by the task
    /// it waits for, as `LoopBound.ask` and the sync's wake-up do), not after its time.
    func testACancelledSleepEndsAtOnce() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let sleeper = Task { try await QuietThreads.sleep(seconds: 30) }
        try await QuietThreads.sleep(seconds: 0.05)
        sleeper.cancel()
        await XCTAssertThrowsCancellation(sleeper)
        XCTAssertLessThan(clock.now - start, .seconds(5))
        // Already cancelled before it starts: it does not wait either.
        let late = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await QuietThreads.sleep(seconds: 30)
        }
        await XCTAssertThrowsCancellation(late)
        XCTAssertLessThan(clock.now - start, .seconds(5))
    }

    private func XCTAssertThrowsCancellation(_ task: Task<Void, Error>, file: StaticString = #filePath, line: UInt = #line) async {
        do {
            try await task.value
            XCTFail("no CancellationError", file: file, line: line)
        } catch is CancellationError {
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }
}
