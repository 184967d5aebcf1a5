import Foundation
import StationCore

/// The kiosk page's current screen and its live subscribers (Server-Sent Events).
///
/// The scan loop publishes after an outcome was told; publishing takes a short lock and
/// yields into streams that keep only the newest few screens, so a stalled browser can
/// never hold up a scan.
public final class KioskBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var screen: KioskScreen
    private let idleScreen: KioskScreen
    private var subscribers: [Int: AsyncStream<KioskScreen>.Continuation] = [:]
    private var nextSubscriber = 0
    private var finished = false

    public init(siteKind: KioskSettings.SiteKind) {
        idleScreen = KioskScreen.idle(siteKind: siteKind)
        screen = idleScreen
    }

    public var idle: KioskScreen { idleScreen }

    /// `make` gets the next serial number.
    public func publish(_ make: (Int) -> KioskScreen) {
        lock.withLock {
            screen = make(screen.serial + 1)
            for continuation in subscribers.values { continuation.yield(screen) }
        }
    }

    /// A stream that starts with the current screen and ends when the board finishes.
    public func subscribe() -> AsyncStream<KioskScreen> {
        let (stream, continuation) = AsyncStream.makeStream(of: KioskScreen.self, bufferingPolicy: .bufferingNewest(4))
        lock.withLock {
            if finished {
                continuation.finish()
                return
            }
            let id = nextSubscriber
            nextSubscriber += 1
            subscribers[id] = continuation
            continuation.yield(screen)
            continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
        }
        return stream
    }

    private func unsubscribe(_ id: Int) {
        _ = lock.withLock { subscribers.removeValue(forKey: id) }
    }

    /// Ends every stream (the daemon is stopping: open pages must not hold up shutdown).
    public func finish() {
        let all = lock.withLock {
            finished = true
            let all = Array(subscribers.values)
            subscribers = [:]
            return all
        }
        for continuation in all { continuation.finish() }
    }
}
