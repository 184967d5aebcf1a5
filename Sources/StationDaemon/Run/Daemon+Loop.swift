import Foundation
import Glibc
import Logging
import StationCore
import StationInput
import StationSystem

/// The scan loop: what registers on it, and what it does with input reports.
extension Daemon {
    /// On the loop's thread, before it runs: signals, the mailbox's work, the network
    /// watch, the admin socket, the input service, the workflow's timer, housekeeping;
    /// then READY.
    func prepareLoop(table: DeviceTable) throws {
        let signals = try SignalWatch(signals: [SIGTERM, SIGINT, SIGHUP])
        try loop.watch(signals.fd) { [unowned self] in
            let received = signals.drain()
            if received.contains(SIGHUP) {
                notifier.notify(["RELOADING=1"])
                reload()
                notifier.ready(status: statusLine())
            }
            if received.contains(SIGTERM) || received.contains(SIGINT) {
                // The loop returns after this; the group then stops the other services.
                notifier.stopping()
                loop.stop()
            }
        }
        watchNetwork()
        do {
            admin = try AdminServer(path: config.adminSocket, loop: loop) { [unowned self] in self.answer($0, $1) }
        } catch {
            logger.warning("no admin socket: stationctl will read the journal instead", metadata: ["admin.socket": "\(config.adminSocket)", "error": "\(error)"])
        }
        let input = try InputService(options: .init(table: table), loop: loop, logger: logger) { [unowned self] in self.handle($0) }
        self.input = input
        try loop.addTimer(clock: .monotonic, deadline: { [unowned self] in pipeline.nextDeadlineMicros }, fire: { [unowned self] _ in pipeline.tick() })
        try input.start()
        refreshFromCaches()
        pipeline.tick()
        try housekeeping.start(
            on: loop, pipeline: { [unowned self] in (pipeline.recognizer, config.timeZone) },
            status: { [unowned self] in statusLine() })
        // Ready: the journal is open and the devices present are enumerated.
        notifier.ready(status: statusLine())
        logger.info("running", metadata: ["box.id": "\(config.boxID)", "scanners": "\(input.attached.count)", "journal.next_seq": "\(journal.upcomingSeq)"])
    }

    /// On the loop's thread as it returns: every grab released; then the store may close
    /// the journal.
    func loopReturned() {
        input?.shutdown()
        loopEnded.open()
    }

    /// The network coming back starts a sync at once, backoff or not.
    func watchNetwork() {
        do {
            let network = try NetworkWatch()
            try loop.watch(network.fd) { [unowned self] in
                if network.drain(), let uploader {
                    logger.info("the network changed: syncing now")
                    uploader.syncNow()
                }
            }
            networkWatch = network
        } catch {
            logger.warning("cannot follow the network (rtnetlink): sync runs on its timer", metadata: ["error": "\(error)"])
        }
    }

    /// Attach, detach, problems and hints are logged by the input service; a scan goes
    /// down the pipeline; a rejected burst is a misread for the worker.
    func handle(_ report: InputReport) {
        if devices.note(report) { notifier.status(statusLine()) }
        switch report {
        case .scan(let scannerID, let role, let scan): pipeline.scan(scan.text, aim: scan.aim, role: role, scannerID: scannerID)
        case .rejected(let scannerID, let why): pipeline.rejected(why, scannerID: scannerID)
        default: break
        }
    }

    /// An enrollment card scanned: a box that is not enrolled enrolls itself (through the
    /// enrollment service, off the loop) and starts syncing; an enrolled one refuses.
    func enroll(_ card: EnrollmentCard, scannerID: String) {
        // An enrolled box refuses a second card, unless its hub refuses it (revoked, or
        // its credential replaced): then a new card is how it comes back.
        if let link = HubLink.load(stateDirectory: config.stateDirectory), uploader?.state.refused == nil {
            tellOutcome(Told(outcome: .refused, message: "this box is enrolled already (hub \(link.url)); a second card is refused", scannerID: scannerID))
            return
        }
        guard !enrolling else { return }
        enrolling = true
        enrollment?.ask(.card(card, scannerID: scannerID))
    }

    /// On the loop's thread, after an enrollment card's enrollment finished.
    func enrolled(_ result: Result<HubLink, HubRequestError>, scannerID: String) {
        enrolling = false
        switch result {
        case .failure(let failure):
            logger.error("enrollment failed", metadata: ["error": "\(failure.description)"])
            tellOutcome(Told(outcome: .refused, message: "enrollment failed: \(failure.description)", scannerID: scannerID))
        case .success(let link):
            logger.notice("enrolled: syncing starts", metadata: ["hub.url": "\(link.url)", "site.id": "\(link.siteID)"])
            tellOutcome(Told(outcome: .modeChanged, message: "enrolled at \(link.url) as box \(link.boxID) of site \(link.siteID)", scannerID: scannerID))
            if config.identityFromCard { takeIdentity() }
        }
    }
}
