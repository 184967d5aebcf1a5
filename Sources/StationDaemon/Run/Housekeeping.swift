import Foundation
import Logging
import StationCore
import StationStore
import StationSystem

/// What the scan loop does besides scans, each on a timer of its own: the hourly purge of
/// acknowledged events past their retention (a wall-clock timer), and the watchdog probe
/// (a monotonic one, when systemd asked for keep-alives).
final class Housekeeping {
    let journal: Journal
    let notifier: SystemdNotifier
    let probe: PipelineProbe
    let logger: Logger
    var retention: Journal.Retention
    /// Wall time (ms) of the last purge; 0: purge at start.
    private var lastPurgeMillis: Int64 = 0
    /// Monotonic time (µs) of the next watchdog probe.
    private var nextProbeMicros: Int64?

    init(journal: Journal, notifier: SystemdNotifier, retention: Journal.Retention, logger: Logger) throws {
        self.journal = journal
        self.notifier = notifier
        self.retention = retention
        self.logger = logger
        probe = try PipelineProbe()
    }

    /// The timers, on `loop`.
    func start(on loop: EventLoop, pipeline: @escaping () -> (CodeRecognizer, String), status: @escaping () -> String) throws {
        try loop.addTimer(clock: .realtime, deadline: { [unowned self] in (lastPurgeMillis + 3_600_000) * 1000 }) { [unowned self] now in
            guard now / 1000 - lastPurgeMillis >= 3_600_000 else { return }
            purge(nowMillis: now / 1000)
        }
        guard notifier.watchdogMicros != nil else { return }
        try loop.addTimer(clock: .monotonic, deadline: { [unowned self] in nextProbeMicros }) { [unowned self] now in
            guard let next = nextProbeMicros, now >= next else { return }
            let (recognizer, timeZone) = pipeline()
            watchdog(recognizer: recognizer, timeZone: timeZone, status: status())
        }
        let (recognizer, timeZone) = pipeline()
        watchdog(recognizer: recognizer, timeZone: timeZone, status: status())
    }

    func purge(nowMillis: Int64) {
        lastPurgeMillis = nowMillis
        do {
            let purged = try journal.purge(nowMillis: nowMillis, retention: retention)
            if purged > 0 { logger.info("acknowledged events past retention purged", metadata: ["journal.purged": "\(purged)"]) }
        } catch {
            logger.warning("retention purge failed", metadata: ["error": "\(error)"])
        }
    }

    /// A probe through every stage; WATCHDOG=1 only if it finished in time.
    func watchdog(recognizer: CodeRecognizer, timeZone: String, status: String) {
        guard let interval = notifier.watchdogMicros else { return }
        let started = SystemClock.monotonicMicros()
        let moment = CodeRecognizer.Moment.now(timeZone: timeZone)
        defer { nextProbeMicros = SystemClock.monotonicMicros() + interval / 3 }
        do {
            let storage = try probe.run(
                recognizer: recognizer, journal: journal, wallMillis: SystemClock.wallMillis(),
                today: LocalDate(year: moment.today.year, month: moment.today.month, day: moment.today.day))
            let elapsed = SystemClock.monotonicMicros() - started
            guard elapsed < interval / 2 else {
                return logger.error("watchdog probe too slow: no keep-alive sent", metadata: ["probe.elapsed_us": "\(elapsed)"])
            }
            notifier.watchdog()
            if let storage {
                logger.error("journal cannot write: scans are told storage-error", metadata: ["error": "\(storage)"])
                notifier.status("storage error: \(storage)")
            } else {
                notifier.status(status)
            }
        } catch {
            logger.error("watchdog probe failed: no keep-alive sent", metadata: ["error": "\(error)"])
        }
    }
}
