import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The hub's keys as the running hub holds them: replaced whole when the key directory
/// gains a version, so a rotation needs no restart.
public final class KeyRing: Sendable {
    private let keys: Mutex<HubKeys?>

    public init(_ keys: HubKeys?) { self.keys = Mutex(keys) }

    public var current: HubKeys? { keys.withLock { $0 } }

    /// The current keys, or the one refusal of whatever must name a worker without them.
    func required() throws -> HubKeys {
        guard let held = current else { throw HubError(.unavailable, "this hub has no keys to name workers with: start it with --keys", code: "no-keys") }
        return held
    }

    func replace(_ new: HubKeys) { keys.withLock { $0 = new } }
}

/// Watches the key directory of `stationhub serve` (every `every`): a key version added
/// by `stationhub keygen` is taken at once (sealed credentials to it open) and published
/// (boxes get it with their next downlink and seal to it). A directory that cannot be
/// read keeps the keys held and says why.
public struct KeyWatch: Service {
    let directory: String
    let ring: KeyRing
    let store: HubStore
    let every: Duration
    let logger: Logger

    public init(directory: String, ring: KeyRing, store: HubStore, every: Duration = .seconds(30), logger: Logger) {
        (self.directory, self.ring, self.store, self.every, self.logger) = (directory, ring, store, every, logger)
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: every)
                await checkOnce()
            }
        }
    }

    /// Reads the directory; publishes and takes what is new. Answers whether anything was.
    @discardableResult
    public func checkOnce() async -> Bool {
        let found: HubKeys
        do { found = try HubKeys(directory: directory) } catch {
            logger.error("key directory \(directory): \(error); the keys held are kept")
            return false
        }
        let held = ring.current
        guard held?.publicCredentialKeys != found.publicCredentialKeys || held.map({ Set($0.pseudonymKeys.keys) }) != Set(found.pseudonymKeys.keys) else {
            return false
        }
        do {
            try await store.publishKeys(purpose: "credential", found.publicCredentialKeys)
        } catch {
            logger.error("publishing the hub's new keys: \(error)")
            return false
        }
        ring.replace(found)
        logger.notice("key directory \(directory): credential key versions \(found.credentialKeys.keys.sorted()) now in use")
        return true
    }
}
