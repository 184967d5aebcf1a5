import Foundation
import Logging
import ServiceLifecycle

/// Retention in the background of `stationhub serve`: every `every`, records past their
/// period lose their link to a person (several instances may each run it: it changes
/// nothing twice). Ends with the hub's ServiceGroup.
public struct RetentionService: Service {
    let store: HubStore
    let every: Duration
    let logger: Logger

    public init(store: HubStore, every: Duration, logger: Logger) {
        self.store = store
        self.every = every
        self.logger = logger
    }

    public func run() async throws {
        try await store.prepare()
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await applyOnce()
                try await Task.sleep(for: every)
            }
        }
    }

    func applyOnce() async {
        do {
            for (key, changed) in try await store.applyRetention(nowMillis: HubIngest.nowMillis()) where changed > 0 {
                logger.notice("retention \(key): \(changed) records past their period de-identified")
            }
        } catch is CancellationError {
        } catch {
            logger.error("retention: \(error)")
        }
    }
}
