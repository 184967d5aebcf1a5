import Foundation
import Logging
import ServiceLifecycle
import StationConfigFile
import StationCore
import StationInput
import StationProtocol
import StationStore
import StationSystem

/// `stationd run`: the box's services wired together. The scan loop (an ``EventLoop`` on a
/// thread of its own) owns this object's state: the input service, the ``ScanPipeline``,
/// housekeeping and the admin socket all run there, so a scan is read, decided and
/// committed on one thread, and every answer sees one state. Other threads reach it only
/// through ``bound`` (a ``LoopBound``).
public final class Daemon {
    var config: StationConfig
    let configPath: String?
    let logger: Logger
    let journal: Journal
    let loop: EventLoop
    let pipeline: ScanPipeline
    /// Where outcomes go as JSON lines (`--print`).
    let print: (JSONLine) -> Void
    /// Tones, LED blinks and voice prompts, on their own thread.
    let feedback: FeedbackService
    /// The kiosk page's current screen and its live subscribers.
    let board: KioskBoard
    let notifier = SystemdNotifier()
    let housekeeping: Housekeeping
    let startedAt = Date()
    var devices = DeviceBook()
    var input: InputService?
    var admin: AdminServer?
    var networkWatch: NetworkWatch?
    var pages: PagesService?
    var uploader: BatchUploader?
    var enrollment: EnrollmentService?
    var enrolling = false
    /// Enrolled while its identity was left to the card: `serve` returns, and the box
    /// runs again as the box the hub named (``Daemon/run(config:configPath:table:logger:print:)``).
    var restartForIdentity = false
    /// Opens when the scan loop has returned (the store closes the journal after it).
    let loopEnded = Latch()

    /// This daemon, for other threads.
    var bound: LoopBound<Daemon> { LoopBound(self, loop: loop) }

    /// `configPath`: where SIGHUP re-reads the config from (nil: no reload).
    public init(config: StationConfig, configPath: String? = nil, logger: Logger, print: @escaping (JSONLine) -> Void) throws {
        self.config = config
        self.configPath = configPath
        self.logger = logger
        self.print = print
        loop = try EventLoop()
        feedback = FeedbackService(settings: config.feedback, logger: logger)
        board = KioskBoard(siteKind: config.kiosk.siteKind)
        let journal = try Journal(
            directory: config.stateDirectory, boxID: config.boxID, siteID: config.siteID, options: .init(synchronous: config.journalSynchronous), logger: logger)
        self.journal = journal
        housekeeping = try Housekeeping(journal: journal, notifier: notifier, retention: Self.retention(config), logger: logger)
        var tell: (Told) -> Void = { _ in }
        var enroll: (EnrollmentCard, String) -> Void = { _, _ in }
        pipeline = ScanPipeline(
            recognizer: try Self.recognizer(for: config), keys: try BoxKeys.load(stateDirectory: config.stateDirectory, config: config),
            workflow: KioskWorkflow(settings: config.kiosk, ledger: journal.openedVisits, stocktake: journal.openedStocktake), journal: journal, timeZone: config.timeZone,
            visitMaxMinutes: config.kiosk.visitMaxMinutes, logger: logger, tell: { tell($0) }, enroll: { enroll($0, $1) })
        pipeline.awaitingIdentity = config.identityFromCard
        tell = { [unowned self] in self.tellOutcome($0) }
        enroll = { [unowned self] in self.enroll($0, scannerID: $1) }
        pipeline.onRecorded = { [unowned self] in self.uploader?.nudge() }
        DeviceLogSink.shared.attach { level, scanner, message, at in
            try journal.log(level: level, scannerID: scanner, message: message, atMillis: at)
        }
    }

    static func retention(_ config: StationConfig) -> Journal.Retention {
        Journal.Retention(days: config.retentionDays, sensitiveVisitDays: config.sensitiveVisitRetentionDays)
    }

    /// The service group: the store (opened already; closed last), the scan loop (input,
    /// workflow and the admin socket on one thread), enrollment, sync when enrolled, the
    /// pages. Runs until SIGTERM or SIGINT: the scan loop finishes the scan in hand,
    /// releases the grabs and returns, the rest stop in reverse order, the journal closes.
    public func serve(table: DeviceTable) async throws {
        let enrollment = EnrollmentService(hooks: enrollmentHooks, logger: logger)
        self.enrollment = enrollment
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: StoreService(journal: journal, loopEnded: loopEnded)),
            .init(service: enrollment),
            .init(service: ScanLoopService(daemon: bound, table: table), successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: JournalCheckService(journal: journal, logger: logger)),
        ]
        if let uploader = makeUploader() {
            // A hub that refuses the box ends sync only; recording goes on.
            services.append(.init(service: uploader, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        }
        if config.pages.kioskPort != nil || config.pages.managerPassword != nil {
            let pages = makePages()
            self.pages = pages
            services.append(.init(service: pages, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [], cancellationSignals: [], logger: logger))
        enrollment.group = group
        feedback.start()
        defer { feedback.stop() }
        try await group.run()
        logger.info("stopped")
    }

    /// Runs the box until SIGTERM or SIGINT. A box whose config leaves its identity to the
    /// enrollment card runs as one that acts on nothing but that card until it is
    /// scanned (or `stationctl enroll` links it), then again as the box the hub named.
    public static func run(config: StationConfig, configPath: String?, table: DeviceTable, logger: Logger, print: @escaping (JSONLine) -> Void) async throws {
        var config = config.withLinkIdentity()
        while true {
            if config.identityFromCard { logger.notice("not enrolled yet: waiting for the enrollment card (box and site come from it)") }
            let daemon = try Daemon(config: config, configPath: configPath, logger: logger, print: print)
            try await daemon.serve(table: table)
            guard daemon.restartForIdentity else { return }
            let next = config.withLinkIdentity()
            guard !next.identityFromCard else { throw CommandError("enrolled, but the hub link cannot be read back from \(config.stateDirectory)") }
            config = next
        }
    }

    /// Tells an outcome: the JSON line (`--print`), then the feedback sinks and the kiosk
    /// page, neither of which can block (see `FeedbackService`, `KioskBoard`).
    func tellOutcome(_ t: Told) {
        var line = JSONLine([
            ("type", .string("outcome")), ("outcome", .string(t.outcome.rawValue)), ("recorded", .bool(t.event != nil)),
            ("scanner", t.scannerID.map { .string($0) } ?? .null), ("message", .string(t.message)),
            ("event", t.event.map { .object($0.jsonLine) } ?? .null),
        ])
        if t.automatic { line.append("automatic", .bool(true)) }
        print(line)
        feedback.post(t.outcome, scannerNode: t.scannerID.flatMap { devices.scannerNodes[$0] })
        let (kind, at) = (config.kiosk.siteKind, SystemClock.wallMillis())
        board.publish { serial in
            KioskScreen.after(
                t.outcome, message: t.message, chinese: t.chinese, draft: t.event?.draft, title: t.title, worker: t.worker, serial: serial, atMillis: at,
                siteKind: kind)
        }
    }

    /// The one-line summary for `systemctl status`.
    func statusLine() -> String {
        let pending = (try? journal.pendingCount()).map(String.init) ?? "?"
        return "\(devices.scanners) scanner(s), \(pending) event(s) waiting for the hub, last sync \(lastSyncText)"
    }

    /// An admin socket request, answered on the loop.
    func answer(_ request: AdminRequest?, _ line: String) -> JSONLine {
        switch request {
        case .status?: AdminCommands.status(status)
        case .devices?: AdminCommands.devices(attached: input?.attached ?? [], book: devices)
        case .startSync?: startSync()
        case .syncNow?: syncNow()
        case nil: AdminCommands.unknown(line)
        }
    }

    var status: AdminCommands.Status {
        AdminCommands.Status(
            boxID: config.boxID, siteID: config.siteID, siteKind: config.kiosk.siteKind.rawValue, scanners: input?.attached.count ?? 0,
            pending: (try? journal.pendingCount()) ?? -1, nextSeq: journal.upcomingSeq, epoch: journal.epoch, lastSync: lastSyncText,
            uptimeSeconds: Int(Date().timeIntervalSince(startedAt)), kioskURL: pages?.kioskURL, beepers: feedback.summary.beepers,
            voice: feedback.summary.voice, cuesDropped: feedback.summary.dropped, hubKeyVersion: pipeline.keys.hubKey == nil ? nil : pipeline.keys.hubVersion,
            hubSite: (try? journal.hubSite()).flatMap { $0 == config.siteID ? nil : $0 })
    }
}
