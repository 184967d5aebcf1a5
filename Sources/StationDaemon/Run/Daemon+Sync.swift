import Foundation
import Logging
import StationCore
import StationSystem

/// Sync's place in the daemon: the uploader when the box is enrolled, and what the
/// enrollment service asks of the loop.
extension Daemon {
    /// The sync service when the box is enrolled (hub.json in the state directory) and
    /// sync is not running yet; kept as ``uploader``.
    func makeUploader() -> BatchUploader? {
        let stored = HubLink.load(stateDirectory: config.stateDirectory)
        if let current = uploader {
            // Syncing over this link already; a new link (enrolled again, after the hub
            // revoked the box or replaced it) takes over from the old service at once.
            guard let stored, stored != current.link else { return nil }
            current.stop()
            uploader = nil
            logger.notice("enrolled again: sync starts over the new link", metadata: ["hub.url": "\(stored.url)"])
        }
        // Not before the box has the identity the card gives: it restarts to take it.
        guard !config.identityFromCard else { return nil }
        guard let link = stored else {
            logger.notice("not enrolled: events stay on the box (stationctl enroll URL TOKEN)")
            return nil
        }
        guard link.boxID == config.boxID else {
            logger.error("enrolled as another box: not syncing", metadata: ["box.id": "\(config.boxID)", "hub.box_id": "\(link.boxID)"])
            return nil
        }
        takeLinkKeys(link)
        do {
            let client = try HubClient(link: link, insecure: config.hubInsecure, caFile: config.hubCAFile ?? link.caFile)
            var settings = BatchUploader.Settings()
            settings.maxEvents = config.hubBatchEvents
            settings.backoffCap = Double(config.hubRetryMaxSeconds)
            let me = bound
            let uploader = BatchUploader(journal: journal, link: link, client: client, logger: logger, settings: settings) {
                me.execute { $0.refreshFromCaches() }
            }
            self.uploader = uploader
            return uploader
        } catch {
            logger.error("not syncing", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// `stationctl enroll` wrote hub.json: sync starts without a restart.
    func startSync() -> JSONLine {
        let link = HubLink.load(stateDirectory: config.stateDirectory)
        if config.identityFromCard, link != nil {
            takeIdentity()
            return AdminCommands.syncStarted()
        }
        guard uploader != nil || link?.boxID == config.boxID else {
            return AdminCommands.notEnrolled("not enrolled (no usable hub.json): nothing to sync to")
        }
        enrollment?.ask(.linkWritten)
        return AdminCommands.syncStarted()
    }

    func syncNow() -> JSONLine {
        guard let uploader else { return AdminCommands.notEnrolled("not enrolled: nothing to sync to") }
        uploader.syncNow()
        return AdminCommands.syncStarted()
    }

    var lastSyncText: String {
        guard let uploader else { return "never (not enrolled)" }
        let state = uploader.state
        if let refused = state.refused { return "stopped: \(refused)" }
        guard let at = state.lastSyncMillis else { return state.lastError.map { "never (\($0))" } ?? "never" }
        return ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(at) / 1000))
    }

    /// Enrolled with the identity left to the card: the scan loop returns, the group
    /// stops, and the box starts again as the box the hub named.
    func takeIdentity() {
        guard !restartForIdentity else { return }
        restartForIdentity = true
        logger.notice("enrolled: starting again as the box the hub named")
        notifier.status("enrolled: starting again as the box the hub named")
        loop.stop()
    }

    /// What the enrollment service asks of the loop.
    var enrollmentHooks: EnrollmentService.Hooks {
        let me = bound
        return EnrollmentService.Hooks(
            settings: {
                await me.ask(within: 5, otherwise: nil) { d in (d.config.stateDirectory, d.config.boxID, d.config.hubInsecure, d.config.hubCAFile) }
            },
            makeUploader: { await me.ask(within: 5, otherwise: nil) { $0.makeUploader() } },
            enrolled: { result, scannerID in me.execute { $0.enrolled(result, scannerID: scannerID) } })
    }
}
