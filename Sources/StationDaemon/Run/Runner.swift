import Crypto
import Foundation
import Glibc
import Logging
import StationCore
import StationInput
import StationStore

/// `stationd run`: input → recognition → workflow → journal (durable) → feedback.
/// An outcome that records something is told only after its event is durable.
public final class Runner {
    var config: StationConfig
    let configPath: String?
    let logger: Logger
    let journal: Journal
    var recognizer: CodeRecognizer
    var keys: CredentialKeys
    var workflow: KioskWorkflow
    /// Where outcomes go (`--print` writes JSON lines; feedback sinks come later).
    let tell: (JSONLine) -> Void
    let notifier = SystemdNotifier()
    let probe: PipelineProbe
    var scanners = 0
    /// Devices seen but not read, by node, with a hint when one looked like a scanner.
    var ignored: [String: (vendor: String?, product: String?, reason: String)] = [:]
    var hints: [String: String] = [:]
    let startedAt = Date()
    var admin: AdminServer?
    var uploader: BatchUploader?
    /// Monotonic time (µs) of the next watchdog probe, when systemd asked for one.
    var nextProbeMicros: Int64?

    /// `configPath`: where SIGHUP re-reads the config from (nil: no reload).
    public init(config: StationConfig, configPath: String? = nil, logger: Logger, tell: @escaping (JSONLine) -> Void) throws {
        self.config = config
        self.configPath = configPath
        self.logger = logger
        self.tell = tell
        journal = try Journal(
            directory: config.stateDirectory, boxID: config.boxID, siteID: config.siteID,
            options: .init(synchronous: config.journalSynchronous), logger: logger)
        keys = try BoxKeys.load(stateDirectory: config.stateDirectory, config: config)
        recognizer = try Self.recognizer(for: config)
        workflow = KioskWorkflow(settings: config.kiosk, ledger: LocalLedger(events: try journal.events()))
        probe = try PipelineProbe()
        let journal = self.journal
        DeviceLogSink.shared.attach { level, scanner, message, at in
            try journal.log(level: level, scannerID: scanner, message: message, atMillis: at)
        }
    }

    static func recognizer(for config: StationConfig) throws -> CodeRecognizer {
        var eCardKeys: [String: Curve25519.Signing.PublicKey] = [:]
        for (kid, b64) in config.eCardKeys {
            guard let raw = Data(base64Encoded: b64), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
                throw BoxKeys.Failure(description: "hub.ecard_keys.\(kid) is not a base64 Ed25519 public key")
            }
            eCardKeys[kid] = key
        }
        return CodeRecognizer(
            itemLabels: try config.itemLabelPatterns.enumerated().map { try CodePattern(name: "item label \($0.offset + 1)", pattern: $0.element) },
            memberCards: try config.memberCardPatterns.enumerated().map {
                try CodePattern(name: "member card \($0.offset + 1)", pattern: $0.element, luhn: config.memberCardLuhn)
            },
            eCardKeys: eCardKeys)
    }

    /// SIGHUP: re-reads the config and the device tables. A config with problems is not
    /// taken (the running one stays, the problems are logged). The box's identity and
    /// state directory need a restart; everything else takes effect between two reads,
    /// so no scan is lost.
    func reload(service: InputService) {
        guard let configPath else { return }
        let next: StationConfig
        switch StationConfig.load(path: configPath) {
        case .failure(let problems):
            logger.error("config reload refused: the running config stays", metadata: ["config.problems": "\(problems.problems.map(\.description).joined(separator: "; "))"])
            return
        case .success(let c): next = c
        }
        guard next.boxID == config.boxID, next.siteID == config.siteID, next.stateDirectory == config.stateDirectory,
            next.journalSynchronous == config.journalSynchronous
        else {
            logger.error("config reload refused: box.id, box.site, box.state_dir and journal settings need a restart")
            return
        }
        do {
            let table = try DeviceTableLoader.load(paths: next.deviceTables)
            let newRecognizer = try Self.recognizer(for: next)
            let newKeys = try BoxKeys.load(stateDirectory: next.stateDirectory, config: next)
            try service.replaceTable(table)
            recognizer = newRecognizer
            keys = newKeys
            if next.kiosk != config.kiosk {
                // Sessions are short; the ledger (what is on loan, who is in a visit) stays.
                workflow = KioskWorkflow(settings: next.kiosk, ledger: workflow.ledger)
            }
            config = next
            logger.notice("config reloaded", metadata: ["config.path": "\(configPath)", "device_table.entries": "\(table.entries.count)"])
        } catch {
            logger.error("config reload refused: the running config stays", metadata: ["error": "\(error)"])
        }
    }

    /// An admin socket request: `status` or `devices`.
    func answer(_ request: String, service: InputService) -> JSONLine {
        switch request {
        case "status":
            let pending = (try? journal.pendingCount()) ?? -1
            return JSONLine([
                ("daemon", .string("running")), ("box_id", .string(config.boxID)), ("site_id", .string(config.siteID)),
                ("site_kind", .string(config.kiosk.siteKind.rawValue)), ("scanners", .int(service.attached.count)),
                ("pending", .int(pending)), ("next_seq", .int(Int(journal.upcomingSeq))), ("epoch", .int(journal.epoch)),
                ("last_sync", .string(lastSyncText)), ("uptime_s", .int(Int(Date().timeIntervalSince(startedAt)))),
            ])
        case "sync-now":
            guard let uploader else { return JSONLine([("error", .string("not enrolled: nothing to sync to"))]) }
            uploader.nudge()
            return JSONLine([("sync", .string("started"))])
        case "devices":
            var line = JSONLine([("daemon", .string("running"))])
            let attached = service.attached.map { s in
                JSONLine([
                    ("scanner", .string(s.scannerID)), ("devnode", .string(s.devnode)), ("model", .string(s.model)),
                    ("role", .string(s.role.rawValue)), ("interface", .string(s.interface.rawValue)), ("grabbed", .bool(s.grabbed)),
                ])
            }
            let others = ignored.sorted { $0.key < $1.key }.map { devnode, d in
                JSONLine([
                    ("devnode", .string(devnode)), ("vendor", d.vendor.map { .string($0) } ?? .null), ("product", d.product.map { .string($0) } ?? .null),
                    ("reason", .string(d.reason)), ("hint", hints[devnode].map { .string($0) } ?? .null),
                ])
            }
            line.append("attached", .array(attached.map { .object($0) }))
            line.append("ignored", .array(others.map { .object($0) }))
            return line
        default:
            return JSONLine([("error", .string("unknown request; ask for status or devices"))])
        }
    }

    /// The one-line summary for `systemctl status`.
    func statusLine() -> String {
        let pending = (try? journal.pendingCount()).map(String.init) ?? "?"
        return "\(scanners) scanner(s), \(pending) event(s) waiting for the hub, last sync \(lastSyncText)"
    }

    var lastSyncText: String {
        guard let uploader else { return "never (not enrolled)" }
        guard let at = uploader.lastSyncMillis else { return uploader.lastError.map { "never (\($0))" } ?? "never" }
        return ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(at) / 1000))
    }

    /// Starts syncing when the box is enrolled (hub.json in the state directory).
    func startSync() {
        guard let link = HubLink.load(stateDirectory: config.stateDirectory) else {
            logger.notice("not enrolled: events stay on the box (stationctl enroll URL TOKEN)")
            return
        }
        guard link.boxID == config.boxID else {
            logger.error("enrolled as another box: not syncing", metadata: ["box.id": "\(config.boxID)", "hub.box_id": "\(link.boxID)"])
            return
        }
        do {
            try HubLink.check(url: link.url, insecure: config.hubInsecure)
        } catch {
            logger.error("not syncing", metadata: ["error": "\(error)"])
            return
        }
        let uploader = BatchUploader(journal: journal, link: link, logger: logger)
        uploader.start()
        self.uploader = uploader
    }

    /// A probe through every stage; WATCHDOG=1 only if it finished in time.
    func watchdogProbe() {
        guard let interval = notifier.watchdogMicros else { return }
        let started = SystemClock.monotonicMicros()
        let moment = CodeRecognizer.Moment.now(timeZone: config.timeZone)
        do {
            let storage = try probe.run(
                recognizer: recognizer, journal: journal, wallMillis: SystemClock.wallMillis(),
                today: LocalDate(year: moment.today.year, month: moment.today.month, day: moment.today.day))
            let elapsed = SystemClock.monotonicMicros() - started
            if elapsed < interval / 2 {
                notifier.watchdog()
                if let storage {
                    logger.error("journal cannot write: scans are told storage-error", metadata: ["error": "\(storage)"])
                    notifier.status("storage error: \(storage)")
                } else {
                    notifier.status(statusLine())
                }
            } else {
                logger.error("watchdog probe too slow: no keep-alive sent", metadata: ["probe.elapsed_us": "\(elapsed)"])
            }
        } catch {
            logger.error("watchdog probe failed: no keep-alive sent", metadata: ["error": "\(error)"])
        }
        nextProbeMicros = SystemClock.monotonicMicros() + interval / 3
    }

    /// Runs until SIGTERM or SIGINT; then finishes the scan in hand, releases the grabs and
    /// closes the journal.
    public func run(table: DeviceTable) throws {
        let signals = try SignalWatch(signals: [SIGTERM, SIGINT, SIGHUP])
        let service = try InputService(options: .init(table: table), logger: logger) { [unowned self] report in
            self.handle(report)
        }
        service.extraDeadline = { [unowned self] in
            // The workflow's timers, the hourly retention purge, the watchdog probe.
            // Workflow deadlines are monotonic milliseconds; the purge's is wall time.
            let workflowDeadline = self.workflow.nextDeadline(now: Self.clockNow()).map { max($0, self.autoCloseRetryMillis) * 1000 }
            let purge = SystemClock.monotonicMicros() + max(0, self.lastPurgeMillis + 3_600_000 - SystemClock.wallMillis()) * 1000
            return [workflowDeadline, purge, self.nextProbeMicros].compactMap({ $0 }).min()
        }
        service.onExtraDeadline = { [unowned self] now in
            self.tick()
            if let next = self.nextProbeMicros, now >= next { self.watchdogProbe() }
        }
        try service.watch(fd: signals.fd) { [unowned self] in
            let received = signals.drain()
            if received.contains(SIGHUP) {
                self.notifier.notify(["RELOADING=1"])
                self.reload(service: service)
                self.notifier.ready(status: self.statusLine())
            }
            if received.contains(SIGTERM) || received.contains(SIGINT) {
                self.notifier.stopping()
                service.stop()
            }
        }
        do {
            let admin = try AdminServer(path: config.adminSocket, logger: logger)
            try admin.start(on: service) { [unowned self] request in self.answer(request, service: service) }
            self.admin = admin
        } catch {
            logger.warning("no admin socket: stationctl will read the journal instead", metadata: ["admin.socket": "\(config.adminSocket)", "error": "\(error)"])
        }
        try service.start()
        startSync()
        tick()
        scanners = service.attached.count
        // Ready: the journal is open and the devices present are enumerated.
        notifier.ready(status: statusLine())
        if notifier.watchdogMicros != nil { watchdogProbe() }
        logger.info("running", metadata: ["box.id": "\(config.boxID)", "scanners": "\(service.attached.count)", "journal.next_seq": "\(journal.upcomingSeq)"])
        defer {
            uploader?.stop()
            service.shutdown()
            DeviceLogSink.shared.flush()
            DeviceLogSink.shared.attach(nil)
            try? journal.close()
        }
        try service.run()
        logger.info("stopped")
    }

    func handle(_ report: InputReport) {
        switch report {
        case .attached:
            scanners += 1
            notifier.status(statusLine())
        case .detached:
            scanners -= 1
            notifier.status(statusLine())
        case .ignored(let devnode, let vendor, let product, let reason):
            ignored[devnode] = (vendor, product, reason)
        case .hint(let devnode, let message):
            hints[devnode] = message
        default:
            break
        }
        // Attach, detach, problems and hints are logged by the input service; a rejected
        // burst (typing, a stuck key, dropped events) is a misread for the worker.
        if case .rejected(let scannerID, let why) = report {
            tell(outcomeLine(.misread, message: why.detail, scannerID: scannerID, event: nil))
            return
        }
        guard case .scan(let scannerID, let role, let scan) = report else { return }
        let moment = CodeRecognizer.Moment.now(timeZone: config.timeZone)
        let recognition = recognizer.recognize(scan.text, aim: scan.aim, role: role, at: moment)
        let scanned: Scanned
        switch recognition {
        case .book(let b): scanned = .book(ItemRef(b))
        case .control(let a): scanned = .control(a)
        case .credential(let raw):
            do {
                scanned = .worker(WorkerRef(try CredentialProtector.protect(raw, keys: keys)))
            } catch {
                logger.error("cannot protect a credential", metadata: ["scanner.id": "\(scannerID)", "error": "\(error)"])
                tell(outcomeLine(.storageError, message: "cannot protect the credential", scannerID: scannerID, event: nil))
                return
            }
        case .unusable(let kind, _, let reason):
            scanned = .rejected(CredentialKind(rawValue: kind) != nil ? .refused : .misread, reason: reason)
        case .misread(_, let reason):
            scanned = .rejected(.misread, reason: reason)
        }
        let today = LocalDate(year: moment.today.year, month: moment.today.month, day: moment.today.day)
        var home: String?
        // The catalog cache only adds the drift flag; without it the hub still reconciles.
        if case .book(let item) = scanned { home = try? journal.homeSite(itemKey: item.key) }
        let input = ScanInput(scanned: scanned, code: scan.text, scannerID: scannerID, clock: Self.clockNow(), today: today, bookHomeSite: home)
        guard let decision = workflow.handle(input) else { return }  // a double read
        guard let draft = decision.record else {
            tell(outcomeLine(decision.outcome, message: decision.message, scannerID: scannerID, event: nil))
            return
        }
        record(draft, outcome: decision.outcome, message: decision.message, scannerID: scannerID)
    }

    /// Records first, tells second. False when the record could not be written.
    @discardableResult
    func record(_ draft: EventDraft, outcome: Outcome, message: String, scannerID: String?, automatic: Bool = false) -> Bool {
        let time = EventTime(
            wallMillis: SystemClock.wallMillis(), synchronized: SystemClock.isSynchronized(), bootID: SystemClock.bootID,
            monotonicMicros: SystemClock.monotonicMicros())
        do {
            let event = try journal.append(draft, time: time)
            workflow.recorded(event)
            if event.draft.kind == .void { workflow.rebuild(from: (try? journal.events()) ?? []) }
            uploader?.nudge()
            var line = outcomeLine(outcome, message: message, scannerID: scannerID, event: event)
            if automatic { line.append("automatic", .bool(true)) }
            tell(line)
            return true
        } catch {
            workflow.recordFailed()
            logger.error("cannot record an event: told storage-error", metadata: ["scanner.id": "\(scannerID ?? "-")", "error": "\(error)"])
            tell(outcomeLine(.storageError, message: "the box cannot save right now; please try again", scannerID: scannerID, event: nil))
            return false
        }
    }

    /// After a failed automatic close, the next try waits (monotonic ms): the disk gets
    /// time to recover and the loop does not spin on a deadline that stays in the past.
    var autoCloseRetryMillis: Int64 = 0

    static func clockNow() -> WorkflowClock {
        WorkflowClock(wallMillis: SystemClock.wallMillis(), monotonicMillis: SystemClock.monotonicMicros() / 1000, bootID: SystemClock.bootID)
    }

    var lastPurgeMillis: Int64 = 0

    /// Session timeouts, visits to close automatically, and (hourly) retention.
    func tick() {
        let now = SystemClock.wallMillis()
        if now - lastPurgeMillis >= 3_600_000 {
            lastPurgeMillis = now
            let retention = Journal.Retention(days: config.retentionDays, sensitiveVisitDays: config.sensitiveVisitRetentionDays)
            do {
                let purged = try journal.purge(nowMillis: now, retention: retention, keep: workflow.ledger.neededSeqs)
                if purged > 0 { logger.info("acknowledged events past retention purged", metadata: ["journal.purged": "\(purged)"]) }
            } catch {
                logger.warning("retention purge failed", metadata: ["error": "\(error)"])
            }
        }
        let clock = Self.clockNow()
        workflow.expire(now: clock)
        guard clock.monotonicMillis >= autoCloseRetryMillis else { return }
        for draft in workflow.autoClose(now: clock) {
            let message = "visit closed automatically after \(config.kiosk.visitMaxMinutes) minutes"
            if !record(draft, outcome: .visitEnded, message: message, scannerID: nil, automatic: true) {
                autoCloseRetryMillis = clock.monotonicMillis + 10_000
                return
            }
        }
    }

    func outcomeLine(_ outcome: Outcome, message: String, scannerID: String?, event: JournalEvent?) -> JSONLine {
        JSONLine([
            ("type", .string("outcome")), ("outcome", .string(outcome.rawValue)), ("recorded", .bool(event != nil)),
            ("scanner", scannerID.map { .string($0) } ?? .null), ("message", .string(message)),
            ("event", event.map { .object($0.jsonLine) } ?? .null),
        ])
    }
}
