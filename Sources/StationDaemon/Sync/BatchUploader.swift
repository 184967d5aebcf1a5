import Foundation
import Logging
import StationCore
import StationStore

/// Sends the outbox to the hub on a thread of its own, never on a scan's path: on new
/// events (``nudge()``), on a timer, and again after a failure with full-jitter backoff
/// (capped; Retry-After honoured). Everything acknowledged leaves the outbox; nothing
/// leaves it otherwise.
public final class BatchUploader: @unchecked Sendable {
    public struct Settings: Sendable {
        public var maxEvents = 500
        public var idleSeconds = 60.0
        public var backoffBase = 1.0
        public var backoffCap = 300.0
        public init() {}
    }

    private let journal: Journal
    private let link: HubLink
    private let logger: Logger
    private let settings: Settings
    private let condition = NSCondition()
    private var nudged = false
    private var stopped = false
    private var thread: Thread?
    private var failures = 0
    public private(set) var lastSyncMillis: Int64?
    public private(set) var lastError: String?

    public init(journal: Journal, link: HubLink, logger: Logger, settings: Settings = Settings()) {
        self.journal = journal
        self.link = link
        self.logger = logger
        self.settings = settings
    }

    public func start() {
        let t = Thread { [self] in loop() }
        t.name = "station.sync"
        thread = t
        t.start()
    }

    /// New events are waiting.
    public func nudge() {
        condition.lock()
        nudged = true
        condition.signal()
        condition.unlock()
    }

    public func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func sleep(_ seconds: Double) {
        condition.lock()
        let until = Date().addingTimeInterval(seconds)
        while !nudged && !stopped && condition.wait(until: until) {}
        nudged = false
        condition.unlock()
    }

    private var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    /// Full jitter draws below this: base × 2^failures, capped.
    private var backoffCeiling: Double { min(settings.backoffCap, settings.backoffBase * pow(2, Double(min(failures, 20)))) }

    private func loop() {
        while !isStopped {
            let pending: [JournalEvent]
            do {
                pending = try journal.pending(limit: settings.maxEvents)
            } catch {
                logger.warning("cannot read the outbox", metadata: ["error": "\(error)"])
                sleep(settings.idleSeconds)
                continue
            }
            if pending.isEmpty {
                sleep(settings.idleSeconds)
                continue
            }
            do {
                let result = try link.upload(pending)
                try journal.acknowledge(through: result.ackedThrough)
                failures = 0
                lastError = nil
                lastSyncMillis = Int64(Date().timeIntervalSince1970 * 1000)
                for q in result.quarantined {
                    logger.warning("the hub quarantined an event", metadata: ["batch.seq": "\(q.seq)", "reason": "\(q.reason)"])
                }
                logger.info(
                    "batch acknowledged",
                    metadata: ["batch.first_seq": "\(pending.first!.seq)", "batch.last_seq": "\(pending.last!.seq)", "batch.acked_through": "\(result.ackedThrough)"])
                // Nothing of this batch acknowledged: the hub is missing events before it
                // that this box no longer holds (or holds none of). Asking again at once
                // would change nothing: say so, and wait for the timer.
                if result.ackedThrough < pending.first!.seq {
                    logger.warning(
                        "the hub acknowledged nothing of this batch: it asks to resume from a seq this box does not hold",
                        metadata: ["sync.resume_from": "\(result.resumeFrom.map(String.init) ?? "-")", "batch.first_seq": "\(pending.first!.seq)"])
                    sleep(settings.idleSeconds)
                }
            } catch let failure as HubLink.Failure {
                failures += 1
                lastError = failure.description
                let level: Logger.Level = failure.status == 401 || failure.status == 403 ? .error : .warning
                logger.log(level: level, "sync failed: events stay in the outbox", metadata: ["error": "\(failure.description)", "sync.failures": "\(failures)"])
                sleep(max(failure.retryAfter ?? 0, Double.random(in: 0...backoffCeiling)))
            } catch {
                failures += 1
                lastError = "\(error)"
                logger.warning("cannot acknowledge in the journal", metadata: ["error": "\(error)"])
                sleep(backoffCeiling)
            }
        }
    }
}
