import Crypto
import Foundation
import Logging
import StationConfigFile
import StationCore
import StationInput
import StationSystem

/// The config in force: reloaded on SIGHUP, with the hub's site settings and keys over it.
extension Daemon {
    /// The recogniser a box with this config judges codes by (the daemon, `stationctl parse`).
    public static func recognizer(for config: StationConfig) throws -> CodeRecognizer {
        var eCardKeys: [String: Curve25519.Signing.PublicKey] = [:]
        for (kid, b64) in config.eCardKeys {
            guard let raw = Data(base64Encoded: b64), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
                throw BoxKeyError("hub.ecard_keys.\(kid) is not a base64 Ed25519 public key")
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
    func reload() {
        guard let configPath, let input else { return }
        let next: StationConfig
        switch StationConfig.load(path: configPath) {
        case .failure(let problems):
            logger.error("config reload refused: the running config stays", metadata: ["config.problems": "\(problems.problems.map(\.description).joined(separator: "; "))"])
            return
        case .success(let c): next = c.withLinkIdentity()
        }
        guard next.boxID == config.boxID, next.siteID == config.siteID, next.stateDirectory == config.stateDirectory,
            next.journalSynchronous == config.journalSynchronous
        else {
            logger.error("config reload refused: box.id, box.site, box.state_dir and journal settings need a restart")
            return
        }
        do {
            let table = try DeviceTableLoader.load(paths: next.deviceTables)
            let recognizer = try Self.recognizer(for: next)
            let keys = try BoxKeys.load(stateDirectory: next.stateDirectory, config: next)
            try input.replaceTable(table)
            pipeline.recognizer = recognizer
            pipeline.keys = keys
            housekeeping.retention = Self.retention(next)
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

    /// The hub's site settings and keys over the config's: at start, after a reload, and
    /// when the downlink changed them.
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
        if settings != pipeline.workflow.settings {
            pipeline.apply(settings: settings)
            logger.notice("site settings from the hub in force", metadata: ["site.max_loans": "\(settings.maxLoans)", "site.loan_days": "\(settings.loanDays)"])
        }
        takeHubKey()
    }

    /// The hub's credential key over the config's: a newer version, or the same version
    /// with other material (the config's then cannot be the hub's: a copied example, a
    /// hub rebuilt), or any key where the config named none. Whatever the hub published
    /// is what it can open.
    func takeHubKey() {
        guard let newest = try? journal.newestHubKey(purpose: "credential"), let raw = Data(base64Encoded: newest.material),
            let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw)
        else { return }
        let held = pipeline.keys.hubKey?.rawRepresentation
        guard held == nil || newest.version > pipeline.keys.hubVersion || (newest.version == pipeline.keys.hubVersion && held != raw) else { return }
        if held != nil, newest.version == pipeline.keys.hubVersion {
            logger.error(
                "the config's hub.public_key is not the hub's key of that version: sealing to the hub's; remove public_key from the config",
                metadata: ["hub.key_version": "\(newest.version)"])
        }
        pipeline.keys.hubKey = key
        pipeline.keys.hubVersion = newest.version
        logger.notice("credentials are sealed to the hub's key", metadata: ["hub.key_version": "\(newest.version)"])
    }

    /// Keys enrollment gave (in the hub link) into the journal's cache, then in force.
    func takeLinkKeys(_ link: HubLink) {
        guard let keys = link.keys, !keys.isEmpty else { return }
        do {
            try journal.storeHubKeys(keys.map { ($0.purpose, $0.version, $0.material) })
        } catch {
            logger.error("cannot keep the hub's keys from enrollment", metadata: ["error": "\(error)"])
        }
        takeHubKey()
    }
}
