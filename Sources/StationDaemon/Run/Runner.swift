import Crypto
import Foundation
import Glibc
import Logging
import ServiceLifecycle
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
    /// Where outcomes go as JSON lines (`--print`); `tellOutcome` also feeds the sinks.
    let tell: (JSONLine) -> Void
    /// Tones, LED blinks and voice prompts, on their own thread.
    let feedback: FeedbackService
    /// The kiosk page's current screen and its live subscribers.
    let board: KioskBoard
    var pages: PagesService?
    /// Evdev nodes of attached scanners, by scanner id (their LEDs blink the outcome).
    var scannerNodes: [String: String] = [:]
    /// The scan loop's input service while it runs (read on the loop thread only).
    var inputService: InputService?
    let notifier = SystemdNotifier()
    let probe: PipelineProbe
    var scanners = 0
    /// Devices seen but not read, by node, with a hint when one looked like a scanner.
    var ignored: [String: (vendor: String?, product: String?, reason: String)] = [:]
    var hints: [String: String] = [:]
    let startedAt = Date()
    var admin: AdminServer?
    var uploader: BatchUploader?
    var group: ServiceGroup?
    var networkWatch: NetworkWatch?
    /// Cross-thread work for the scan loop (sync's cache refresh, the group's shutdown).
    let mailbox: Mailbox
    /// Stops the scan loop from another thread (set while the loop runs).
    var loopStop: (@Sendable () -> Void)?
    /// Opens when the scan loop has returned (the store closes the journal after it).
    let loopEnded = Latch()
    /// Monotonic time (µs) of the next watchdog probe, when systemd asked for one.
    var nextProbeMicros: Int64?

    /// `configPath`: where SIGHUP re-reads the config from (nil: no reload).
    public init(config: StationConfig, configPath: String? = nil, logger: Logger, tell: @escaping (JSONLine) -> Void) throws {
        self.config = config
        self.configPath = configPath
        self.logger = logger
        self.tell = tell
        feedback = FeedbackService(settings: config.feedback, logger: logger)
        board = KioskBoard(siteKind: config.kiosk.siteKind)
        journal = try Journal(
            directory: config.stateDirectory, boxID: config.boxID, siteID: config.siteID,
            options: .init(synchronous: config.journalSynchronous), logger: logger)
        keys = try BoxKeys.load(stateDirectory: config.stateDirectory, config: config)
        recognizer = try Self.recognizer(for: config)
        workflow = KioskWorkflow(settings: config.kiosk, ledger: try journal.ledger())
        probe = try PipelineProbe()
        mailbox = try Mailbox()
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
            if next.feedback != config.feedback || next.pages != config.pages {
                logger.notice("[feedback] and [pages] changes take effect at the next start (systemctl restart stationd)")
            }
            config = next
            // Sessions are short; the ledger (what is on loan, who is in a visit) stays.
            refreshFromCaches()
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
                ("kiosk_url", pages?.kioskURL.map { .string($0) } ?? .null),
                ("beepers", .array(feedback.summary.beepers.map { .string($0) })), ("voice", .bool(feedback.summary.voice)),
                ("cues_dropped", .int(feedback.summary.dropped)),
            ])
        case "start-sync":
            // `stationctl enroll` wrote hub.json: sync starts without a restart.
            guard startSyncService() else { return JSONLine([("error", .string("not enrolled (no usable hub.json): nothing to sync to"))]) }
            return JSONLine([("sync", .string("started"))])
        case "sync-now":
            guard let uploader else { return JSONLine([("error", .string("not enrolled: nothing to sync to"))]) }
            uploader.syncNow()
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
        let state = uploader.state
        if let refused = state.refused { return "stopped: \(refused)" }
        guard let at = state.lastSyncMillis else { return state.lastError.map { "never (\($0))" } ?? "never" }
        return ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(at) / 1000))
    }

    /// The sync service when the box is enrolled (hub.json in the state directory).
    func makeUploader() -> BatchUploader? {
        guard let link = HubLink.load(stateDirectory: config.stateDirectory) else {
            logger.notice("not enrolled: events stay on the box (stationctl enroll URL TOKEN)")
            return nil
        }
        guard link.boxID == config.boxID else {
            logger.error("enrolled as another box: not syncing", metadata: ["box.id": "\(config.boxID)", "hub.box_id": "\(link.boxID)"])
            return nil
        }
        do {
            let client = try HubClient(link: link, insecure: config.hubInsecure, caFile: config.hubCAFile)
            let me = Unchecked(self)
            var settings = BatchUploader.Settings()
            settings.maxEvents = config.hubBatchEvents
            settings.backoffCap = Double(config.hubRetryMaxSeconds)
            return BatchUploader(journal: journal, link: link, client: client, logger: logger, settings: settings) { [mailbox] in
                mailbox.post { me.value.refreshFromCaches() }
            }
        } catch {
            logger.error("not syncing", metadata: ["error": "\(error)"])
            return nil
        }
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

    /// The service group: the store (opened already; closed last), the scan loop (input,
    /// workflow and the admin socket on one thread), and sync when enrolled. Runs until
    /// SIGTERM or SIGINT; then sync stops, the scan loop finishes the scan in hand and
    /// releases the grabs, and the journal closes.
    public func serve(table: DeviceTable) async throws {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: StoreService(runner: self)),
            .init(service: ScanLoopService(runner: self, table: table)),
        ]
        if let uploader = makeUploader() {
            self.uploader = uploader
            // A hub that refuses the box ends sync only; recording goes on.
            services.append(.init(service: uploader, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        }
        if config.pages.kioskPort != nil || config.pages.managerPassword != nil {
            let pages = makePages()
            self.pages = pages
            services.append(.init(service: pages, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [], cancellationSignals: [], logger: logger))
        self.group = group
        feedback.start()
        defer { feedback.stop() }
        try await group.run()
        logger.info("stopped")
    }

    /// The scan loop, on the calling thread (the scan loop service's own): returns after
    /// SIGTERM/SIGINT or a graceful shutdown of the group, with every grab released.
    func runLoop(table: DeviceTable) throws {
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
                // The group stops sync first, then this loop (through the mailbox), then
                // closes the store.
                if let group = self.group { Task { await group.triggerGracefulShutdown() } } else { service.stop() }
            }
        }
        try service.watch(fd: mailbox.fd) { [unowned self] in self.mailbox.drain() }
        // The network coming back starts a sync at once, backoff or not.
        do {
            let network = try NetworkWatch()
            try service.watch(fd: network.fd) { [unowned self] in
                if network.drain(), let uploader = self.uploader {
                    self.logger.info("the network changed: syncing now")
                    uploader.syncNow()
                }
            }
            networkWatch = network
        } catch {
            logger.warning("cannot follow the network (rtnetlink): sync runs on its timer", metadata: ["error": "\(error)"])
        }
        inputService = service
        defer { inputService = nil }
        let loop = Unchecked(service)
        loopStop = { [mailbox] in mailbox.post { loop.value.stop() } }
        do {
            let admin = try AdminServer(path: config.adminSocket, logger: logger)
            try admin.start(on: service) { [unowned self] request in self.answer(request, service: service) }
            self.admin = admin
        } catch {
            logger.warning("no admin socket: stationctl will read the journal instead", metadata: ["admin.socket": "\(config.adminSocket)", "error": "\(error)"])
        }
        try service.start()
        refreshFromCaches()
        tick()
        scanners = service.attached.count
        // Ready: the journal is open and the devices present are enumerated.
        notifier.ready(status: statusLine())
        if notifier.watchdogMicros != nil { watchdogProbe() }
        logger.info("running", metadata: ["box.id": "\(config.boxID)", "scanners": "\(service.attached.count)", "journal.next_seq": "\(journal.upcomingSeq)"])
        defer { service.shutdown() }
        try service.run()
    }

    /// An enrollment card scanned: a box that is not enrolled enrolls itself (off the scan
    /// loop: the network may be slow) and starts syncing; an enrolled one refuses.
    func enroll(_ card: EnrollmentCard, scannerID: String) {
        if let link = HubLink.load(stateDirectory: config.stateDirectory) {
            tellOutcome(.refused, message: "this box is enrolled already (hub \(link.url)); to move it, use stationctl enroll", scannerID: scannerID, event: nil)
            return
        }
        guard !enrolling else { return }
        enrolling = true
        logger.notice("enrollment card scanned: enrolling", metadata: ["hub.url": "\(card.hubURL)"])
        let (state, boxID, insecure, caFile) = (config.stateDirectory, config.boxID, config.hubInsecure, config.hubCAFile)
        let me = Unchecked(self)
        Task { [mailbox] in
            var outcome: Result<HubLink, HubLink.Failure>
            do throws(HubLink.Failure) {
                let client = try HubClient(url: card.hubURL, credential: nil, insecure: insecure, caFile: caFile)
                do throws(HubLink.Failure) {
                    outcome = .success(try await client.enroll(token: card.token))
                } catch {
                    outcome = .failure(error)
                }
                await client.shutdown()
            } catch {
                outcome = .failure(error)
            }
            if case .success(let link) = outcome, link.boxID != boxID {
                outcome = .failure(HubLink.Failure(status: nil, description: "the card is for box \(link.boxID), this is box \(boxID)"))
            }
            if case .success(let link) = outcome {
                do { try link.save(stateDirectory: state) } catch { outcome = .failure(HubLink.Failure(status: nil, description: "cannot save the hub link: \(error)")) }
            }
            let result = outcome
            mailbox.post { me.value.enrolled(result, scannerID: scannerID) }
        }
    }

    var enrolling = false

    /// On the loop's thread, after an enrollment card's enrollment finished.
    func enrolled(_ result: Result<HubLink, HubLink.Failure>, scannerID: String) {
        enrolling = false
        switch result {
        case .failure(let failure):
            logger.error("enrollment failed", metadata: ["error": "\(failure.description)"])
            tellOutcome(.refused, message: "enrollment failed: \(failure.description)", scannerID: scannerID, event: nil)
        case .success(let link):
            logger.notice("enrolled: syncing starts", metadata: ["hub.url": "\(link.url)", "site.id": "\(link.siteID)"])
            tellOutcome(.modeChanged, message: "enrolled at \(link.url) as box \(link.boxID) of site \(link.siteID)", scannerID: scannerID, event: nil)
            startSyncService()
        }
    }

    /// After a void: the ledger again from the journal (rare: a failed write that landed).
    /// When the journal cannot be read, the ledger in force stays and says so.
    func rebuildLedger() {
        do {
            workflow.rebuild(ledger: try journal.ledger())
        } catch {
            logger.error("cannot rebuild the ledger after a void: the ledger in force stays", metadata: ["error": "\(error)"])
        }
    }

    /// Starts the sync service now, when the box is enrolled and it is not running yet.
    /// True when sync runs.
    @discardableResult
    func startSyncService() -> Bool {
        if uploader == nil, let uploader = makeUploader(), let group {
            self.uploader = uploader
            Task { await group.addServiceUnlessShutdown(.init(service: uploader, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore)) }
        }
        return uploader != nil
    }

    /// One sealed credential per worker and hub key (see `CredentialProtector.protect`).
    /// Bounded.
    var seals: [String: SealedCredential] = [:]

    func remember(_ worker: WorkerRef) {
        guard let sealed = worker.sealed, seals[worker.localHash] != sealed else { return }
        if seals.count >= 10_000 { seals.removeAll() }
        seals[worker.localHash] = sealed
    }

    /// The hub's site settings and keys over the config's (on the loop's thread): at start,
    /// after a reload, and when the downlink changed them.
    func refreshFromCaches() {
        let hubSettings: [String: String]
        do {
            hubSettings = try journal.siteSettings()
        } catch {
            // The settings in force stay: a read error is not the hub taking them back.
            logger.warning("cannot read the hub's site settings: the settings in force stay", metadata: ["error": "\(error)"])
            return
        }
        let (settings, ignored) = config.kiosk.applying(hub: hubSettings)
        if !ignored.isEmpty { logger.warning("hub site settings not understood: ignored", metadata: ["settings": "\(ignored.joined(separator: ", "))"]) }
        if settings != workflow.settings {
            workflow = KioskWorkflow(settings: settings, ledger: workflow.ledger)
            logger.notice("site settings from the hub in force", metadata: ["site.max_loans": "\(settings.maxLoans)", "site.loan_days": "\(settings.loanDays)"])
        }
        if let newest = try? journal.newestHubKey(purpose: "credential"), newest.version > keys.hubVersion,
            let raw = Data(base64Encoded: newest.material), let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw)
        {
            keys.hubKey = key
            keys.hubVersion = newest.version
            logger.notice("credentials are sealed to the hub's newer key", metadata: ["hub.key_version": "\(newest.version)"])
        }
    }

    func handle(_ report: InputReport) {
        switch report {
        case .attached(let scanner):
            if scanner.interface == .evdev { scannerNodes[scanner.scannerID] = scanner.devnode }
            scanners += 1
            notifier.status(statusLine())
        case .detached(let scannerID, _, _):
            scannerNodes[scannerID] = nil
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
            tellOutcome(.misread, message: why.detail, scannerID: scannerID, event: nil)
            return
        }
        guard case .scan(let scannerID, let role, let scan) = report else { return }
        let moment = CodeRecognizer.Moment.now(timeZone: config.timeZone)
        let recognition = recognizer.recognize(scan.text, aim: scan.aim, role: role, at: moment)
        let scanned: Scanned
        switch recognition {
        case .book(let b): scanned = .book(ItemRef(b))
        case .control(let a): scanned = .control(a)
        case .enrollment(let card):
            enroll(card, scannerID: scannerID)
            return
        case .credential(let raw):
            do {
                var worker = WorkerRef(try CredentialProtector.protect(raw, keys: keys) { seals[$0] })
                remember(worker)
                // A card the hub's member list knows matches its member locally (two cards
                // of one member are one worker); the event still carries the sealed UID.
                if raw.kind == .cardUID, let member = try? journal.member(cardUID: raw.secret) {
                    worker.localHash = CredentialProtector.localHash(RawCredential(kind: .cardUID, secret: "member:" + member), key: keys.localKey, version: keys.localVersion)
                }
                scanned = .worker(worker)
            } catch {
                logger.error("cannot protect a credential", metadata: ["scanner.id": "\(scannerID)", "error": "\(error)"])
                tellOutcome(.storageError, message: "cannot protect the credential", scannerID: scannerID, event: nil)
                return
            }
        case .unusable(let kind, _, let reason):
            scanned = .rejected(CredentialKind(rawValue: kind) != nil ? .refused : .misread, reason: reason)
        case .misread(_, let reason):
            scanned = .rejected(.misread, reason: reason)
        }
        let today = LocalDate(year: moment.today.year, month: moment.today.month, day: moment.today.day)
        var entry: (homeSite: String?, title: String?)?
        // The catalog cache only adds the drift flag (and the title on the kiosk page);
        // without it the hub still reconciles.
        if case .book(let item) = scanned { entry = (try? journal.catalogEntry(itemKey: item.key)) ?? nil }
        let input = ScanInput(
            scanned: scanned, code: scan.text, scannerID: scannerID, clock: Self.clockNow(), today: today, bookHomeSite: entry?.homeSite)
        guard let decision = workflow.handle(input) else { return }  // a double read
        guard let draft = decision.record else {
            tellOutcome(decision.outcome, message: decision.message, chinese: decision.chinese, title: entry?.title, scannerID: scannerID, event: nil)
            return
        }
        record(draft, outcome: decision.outcome, message: decision.message, chinese: decision.chinese, title: entry?.title, scannerID: scannerID)
    }

    /// Records first, tells second. False when the record could not be written.
    @discardableResult
    func record(
        _ draft: EventDraft, outcome: Outcome, message: String, chinese: String? = nil, title: String? = nil, scannerID: String?, automatic: Bool = false
    ) -> Bool {
        let time = EventTime(
            wallMillis: SystemClock.wallMillis(), synchronized: SystemClock.isSynchronized(), bootID: SystemClock.bootID,
            monotonicMicros: SystemClock.monotonicMicros())
        do {
            let event = try journal.append(draft, time: time)
            workflow.recorded(event)
            if event.draft.kind == .void { rebuildLedger() }
            uploader?.nudge()
            tellOutcome(outcome, message: message, chinese: chinese, title: title, scannerID: scannerID, event: event, automatic: automatic)
            return true
        } catch {
            workflow.recordFailed()
            logger.error("cannot record an event: told storage-error", metadata: ["scanner.id": "\(scannerID ?? "-")", "error": "\(error)"])
            tellOutcome(.storageError, message: "the box cannot save right now; please try again", scannerID: scannerID, event: nil)
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

    /// Tells an outcome: the JSON line (`--print`), then the feedback sinks and the kiosk
    /// page, neither of which can block (see `FeedbackService`, `KioskBoard`).
    /// `title` is the book's, from the catalog lookup the scan already made.
    func tellOutcome(
        _ outcome: Outcome, message: String, chinese: String? = nil, title: String? = nil, scannerID: String?, event: JournalEvent?,
        automatic: Bool = false
    ) {
        var line = outcomeLine(outcome, message: message, scannerID: scannerID, event: event)
        if automatic { line.append("automatic", .bool(true)) }
        tell(line)
        feedback.post(outcome, scannerNode: scannerID.flatMap { scannerNodes[$0] })
        let worker = outcome == .sessionOpened ? workflow.session?.worker.masked : nil
        let kind = config.kiosk.siteKind
        let at = SystemClock.wallMillis()
        board.publish { serial in
            KioskScreen.after(
                outcome, message: message, chinese: chinese, draft: event?.draft, title: title, worker: worker, serial: serial, atMillis: at,
                siteKind: kind)
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
