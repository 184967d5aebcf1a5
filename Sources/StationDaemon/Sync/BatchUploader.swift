import Foundation
import Logging
import ServiceLifecycle
import StationCore
import StationInput
import StationSystem
import StationProtocol
import StationStore

/// The sync service: sends the outbox to the hub, never on a scan's path: on new events
/// (``nudge()``), on a timer, and again after a failure with full-jitter backoff (capped;
/// Retry-After honoured). Each round also sends clock corrections and the device log's
/// warnings and errors, and applies the hub's downlink to the local caches. Everything
/// acknowledged leaves the outbox; nothing leaves it otherwise.
public final class BatchUploader: Service, @unchecked Sendable {
    public struct Settings: Sendable {
        /// A batch holds at most this many events and about this many bytes of JSON.
        public var maxEvents = 2000
        public var maxBytes = 1 << 20
        public var idleSeconds = 60.0
        public var backoffBase = 1.0
        public var backoffCap = 300.0
        public init() {}
    }

    /// What the hub said last, for `stationctl status`.
    public struct State: Sendable {
        public var lastSyncMillis: Int64?
        public var lastError: String?
        /// The hub refuses this box (revoked, or its credential replaced): syncing stopped.
        public var refused: String?
        public var failures = 0
    }

    private let journal: Journal
    /// The link this service syncs over (a new enrollment makes a new service).
    public let link: HubLink
    private let client: HubClient
    private let logger: Logger
    private let settings: Settings
    private let wakeup = Wakeup()
    private let asked = Wakeup()
    private let lock = NSLock()
    private var current = State()
    /// Set by ``stop()``: the loop ends after the request in flight.
    private var stopping = false
    private var clock = ClockWatch(bootID: SystemClock.bootID)
    /// Called (on this service's task) when the downlink changed what the workflow uses:
    /// site settings or the hub's keys.
    private let onSettingsChanged: @Sendable () -> Void

    public init(journal: Journal, link: HubLink, client: HubClient, logger: Logger, settings: Settings = Settings(), onSettingsChanged: @escaping @Sendable () -> Void = {}) {
        self.journal = journal
        self.link = link
        self.client = client
        self.logger = logger
        self.settings = settings
        self.onSettingsChanged = onSettingsChanged
    }

    public var state: State {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    private func update(_ change: (inout State) -> Void) {
        lock.lock()
        change(&current)
        lock.unlock()
    }

    /// New events are waiting (any thread).
    public func nudge() { wakeup.signal() }

    /// Ends this service (any thread): the box enrolled again and another takes over.
    public func stop() {
        lock.lock()
        stopping = true
        lock.unlock()
        wakeup.signal()
        asked.signal()
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    /// A person asked for a sync now (`stationctl sync-now`, any thread): it also cuts a
    /// backoff short, which new events do not.
    public func syncNow() {
        asked.signal()
        wakeup.signal()
    }

    /// Runs until the task is cancelled or the service group shuts down gracefully; a
    /// request in flight finishes first.
    public func run() async {
        await cancelWhenGracefulShutdown {
            await self.loop()
        }
        await client.shutdown()
    }

    /// Full jitter draws below this: base × 2^failures, capped.
    static func backoffCeiling(failures: Int, base: Double, cap: Double) -> Double {
        min(cap, base * pow(2, Double(min(failures, 20))))
    }

    private func loop() async {
        while !Task.isCancelled && !isStopping {
            do {
                try await round()
                update {
                    $0.failures = 0
                    $0.lastError = nil
                    $0.lastSyncMillis = SystemClock.wallMillis()
                }
                asked.clear()
                await wakeup.wait(seconds: settings.idleSeconds)
            } catch let failure as HubRequestError {
                if failure.status == 401 || failure.status == 403 {
                    update { $0.refused = failure.description }
                    logger.error("the hub refuses this box: syncing stopped, events stay on the box", metadata: ["error": "\(failure.description)"])
                    return
                }
                update {
                    $0.failures += 1
                    $0.lastError = failure.description
                }
                let failures = state.failures
                logger.warning("sync failed: events stay in the outbox", metadata: ["error": "\(failure.description)", "sync.failures": "\(failures)"])
                let ceiling = Self.backoffCeiling(failures: failures, base: settings.backoffBase, cap: settings.backoffCap)
                await sleep(max(failure.retryAfter ?? 0, Double.random(in: 0...ceiling)))
            } catch {
                update {
                    $0.failures += 1
                    $0.lastError = "\(error)"
                }
                logger.warning("sync: the journal failed", metadata: ["error": "\(error)"])
                await sleep(Self.backoffCeiling(failures: state.failures, base: settings.backoffBase, cap: settings.backoffCap))
            }
        }
    }

    /// A pause that new events do not cut short (a failing hub is not asked again at
    /// once); ``syncNow()`` does.
    private func sleep(_ seconds: Double) async {
        await asked.wait(seconds: seconds)
    }

    /// One round: clock corrections, the whole outbox, the device log, the downlink.
    public func round() async throws {
        await observeClock()
        try await sendCorrections()
        try await drainOutbox()
        try await sendDeviceLog()
        try await applyDownlink()
    }

    func observeClock() async {
        if let c = clock.observe(synchronized: SystemClock.isSynchronized(), wallMillis: SystemClock.wallMillis(), monotonicMicros: SystemClock.monotonicMicros()) {
            await record(c)
        }
    }

    func observe(_ date: HubClient.HubDate?) async {
        guard let date else { return }
        if let c = clock.hubDate(hubMillis: date.hubMillis, localWallMillis: date.localWallMillis, monotonicMicros: date.monotonicMicros, synchronized: SystemClock.isSynchronized()) {
            await record(c)
        }
    }

    private func record(_ c: ClockCorrection) async {
        do {
            try await Blocking.run { [journal] in try journal.recordClockCorrection(bootID: c.bootID, offsetMillis: c.offsetMillis, source: c.source.rawValue, atWallMillis: c.recordedWallMillis, monotonicMicros: c.monotonicMicros) }
            logger.notice("the box's clock was off: a correction goes to the hub", metadata: ["clock.offset_ms": "\(c.offsetMillis)", "clock.source": "\(c.source.rawValue)"])
        } catch {
            logger.warning("cannot record a clock correction", metadata: ["error": "\(error)"])
        }
    }

    private func sendCorrections() async throws {
        let stored = try await Blocking.run { [journal] in try journal.unsentClockCorrections() }
        guard let last = stored.last else { return }
        let corrections = stored.compactMap { s in
            ClockCorrection.Source(rawValue: s.source).map {
                ClockCorrection(bootID: s.bootID, offsetMillis: s.offsetMillis, source: $0, recordedWallMillis: s.recordedWallMillis, monotonicMicros: s.monotonicMicros)
            }
        }
        _ = try await client.send(corrections: corrections)
        try await Blocking.run { [journal] in try journal.markClockCorrectionsSent(through: last.id) }
    }

    /// A batch ready to send: its events' seq range and the encoded body.
    struct Prepared: Sendable {
        var first: Int64
        var last: Int64
        var body: Data
    }

    /// The next batch after `afterSeq`: at most `limit` events and about `maxBytes` of
    /// JSON (halved until it fits), in wire order. Nil when nothing waits.
    func prepare(after afterSeq: Int64, limit: Int) throws -> Prepared? {
        var pending = try journal.pending(after: afterSeq, limit: limit)
        guard let first = pending.first else { return nil }
        // What the box holds beyond this batch: the operators' view of its backlog.
        let waiting = try journal.pendingCount(after: afterSeq)
        let encoder = JSONEncoder()
        func encoded() throws -> Data {
            try encoder.encode(
                BatchUpload(boxID: link.boxID, events: Self.wireOrder(pending), backlog: Int64(max(0, waiting - pending.count)), software: Self.software))
        }
        var body = try encoded()
        while pending.count > 1, body.count > settings.maxBytes {
            pending.removeLast(pending.count / 2)
            body = try encoded()
        }
        return Prepared(first: first.seq, last: pending.last!.seq, body: body)
    }

    /// Batches until the outbox is empty (or the hub stops acknowledging: then the next
    /// round, after the idle wait, asks again). Two batches are on their way at a time:
    /// the next is read, encoded and sent while the hub works on the one before, and the
    /// answers are read in the order the batches were sent. The hub applies each (box,
    /// seq) once whatever order its batches arrive in, and the box acknowledges the
    /// highest mark any answer gave (a batch that overtook the one before it is answered
    /// with the mark below that one; the earlier batch's answer then covers both).
    private func drainOutbox() async throws {
        guard let first = try await Blocking.run({ [self] in try prepare(after: 0, limit: settings.maxEvents) }) else { return }
        // Whatever ends the drain (an answer that acknowledges too little, a failure,
        // cancellation) ends the batches still on their way: their events stay in the
        // outbox until an answer acknowledges them.
        let onTheirWay = Uploads(client)
        defer { onTheirWay.cancel() }
        try await withTaskCancellationHandler {
            try await drain(from: first, onTheirWay)
        } onCancel: {
            onTheirWay.cancel()
        }
    }

    private func drain(from first: Prepared, _ onTheirWay: Uploads) async throws {
        var batch = first
        var sent = onTheirWay.start(batch)
        var acked: Int64 = 0
        while !Task.isCancelled {
            let current = batch
            let next = try await Blocking.run { [self] in try prepare(after: current.last, limit: settings.maxEvents) }
            let ahead = next.map { onTheirWay.start($0) }
            let (result, date) = try await sent.value
            await observe(date)
            acked = max(acked, result.ackedThrough)
            try await Blocking.run { [journal, acked] in _ = try journal.acknowledge(through: acked) }
            // Progress: the backoff starts over (a lossy link that gets batches through
            // is not a dead hub).
            update {
                $0.failures = 0
                $0.lastSyncMillis = SystemClock.wallMillis()
            }
            for q in result.quarantined {
                logger.warning("the hub quarantined an event", metadata: ["batch.seq": "\(q.seq)", "reason": "\(q.reason)"])
            }
            logger.info(
                "batch acknowledged",
                metadata: ["batch.first_seq": "\(current.first)", "batch.last_seq": "\(current.last)", "batch.acked_through": "\(acked)"])
            // Nothing of this batch acknowledged: the hub is missing events before it
            // that this box no longer holds. Asking again at once would change nothing.
            if acked < current.first {
                logger.warning(
                    "the hub acknowledged nothing of this batch: it asks to resume from a seq this box does not hold",
                    metadata: ["sync.resume_from": "\(result.resumeFrom.map(String.init) ?? "-")", "batch.first_seq": "\(current.first)"])
                return
            }
            // The hub asks to resume below what was prepared (a gap it cannot bridge):
            // start again from what it acknowledged.
            if acked < current.last {
                ahead?.cancel()
                guard let again = try await Blocking.run({ [self, acked] in try prepare(after: acked, limit: settings.maxEvents) }) else { return }
                batch = again
                sent = onTheirWay.start(again)
                continue
            }
            guard let next, let ahead else { return }
            batch = next
            sent = ahead
        }
    }

    /// The batches on a drain's way to the hub, cancelled together.
    final class Uploads: @unchecked Sendable {
        typealias Upload = Task<(BatchResult, HubClient.HubDate?), any Error>
        private let client: HubClient
        private let lock = NSLock()
        private var tasks: [Upload] = []

        init(_ client: HubClient) { self.client = client }

        /// Sends `batch`. Only the last three sent are kept: at most two are on their way
        /// (and one more, cancelled, when the hub asked to resume lower).
        func start(_ batch: Prepared) -> Upload {
            let task = Upload { [client] in try await client.upload(body: batch.body) }
            lock.withLock { tasks = tasks.suffix(2) + [task] }
            return task
        }

        func cancel() {
            for task in lock.withLock({ tasks }) { task.cancel() }
        }
    }

    /// What the box says it runs (`stationd` and its version).
    static let software = "stationd \(StationVersion.current)"

    /// A batch as it goes on the wire: one worker's events side by side (then by seq),
    /// so that gzip finds a worker's hash and sealed credential again within its window.
    /// The hub applies each (box, seq) whatever the order within a batch.
    public static func wireOrder(_ events: [JournalEvent]) -> [JournalEvent] {
        events.sorted { ($0.draft.worker?.localHash ?? "", $0.seq) < ($1.draft.worker?.localHash ?? "", $1.seq) }
    }

    private func sendDeviceLog() async throws {
        while true {
            let lines = try await Blocking.run { [journal] in try journal.unsentDeviceLog() }
            guard let last = lines.last else { return }
            _ = try await client.send(deviceLog: lines.map { DeviceLogLine(id: $0.id, atMillis: $0.atMillis, level: $0.level, scannerID: $0.scannerID, message: $0.message) })
            try await Blocking.run { [journal] in try journal.markDeviceLogSent(through: last.id) }
            if lines.count < 500 { return }
        }
    }

    private func applyDownlink() async throws {
        var changedSettings = false
        while true {
            let since = try await Blocking.run { [journal] in try journal.downlinkRevision() }
            let (down, date) = try await client.downlink(since: since)
            await observe(date)
            // The pull list and hold shelf come whole with every answer (not by revision).
            if down.pulls != nil || down.holds != nil {
                let entries =
                    (down.pulls ?? []).map { Journal.TransferEntry(request: $0.request, itemKey: $0.itemKey, destination: $0.destination, sinceMillis: $0.sinceMillis, purpose: $0.purpose) }
                    + (down.holds ?? []).map {
                        Journal.TransferEntry(
                            request: $0.request, itemKey: $0.itemKey, masked: $0.masked, key: $0.key, verifier: $0.verifier, member: $0.member, holdDays: $0.holdDays,
                            untilMillis: $0.untilMillis, sinceMillis: $0.sinceMillis)
                    }
                try await Blocking.run { [journal] in try journal.replaceTransfers(entries) }
            }
            guard down.revision > since else { break }
            let update = Journal.CacheUpdate(
                revision: down.revision, titles: down.catalog.map { ($0.itemKey, $0.title, $0.homeSite, $0.removed ?? false) },
                members: down.members.map { ($0.cardUID, $0.member, $0.removed ?? false) }, keys: down.keys.map { ($0.purpose, $0.version, $0.material) },
                siteSettings: down.siteConfig, siteID: down.siteID, forget: down.forget ?? [])
            let forgotten = try await Blocking.run { [journal] in try journal.apply(update) }
            if !down.keys.isEmpty || !down.siteConfig.isEmpty || !(down.forget ?? []).isEmpty || down.siteID != nil { changedSettings = true }
            if forgotten > 0 { logger.notice("workers erased at the hub: their records on this box deleted", metadata: ["journal.events": "\(forgotten)"]) }
            logger.info(
                "downlink applied",
                metadata: ["downlink.revision": "\(down.revision)", "downlink.titles": "\(down.catalog.count)", "downlink.members": "\(down.members.count)"])
        }
        if changedSettings { onSettingsChanged() }
    }
}
