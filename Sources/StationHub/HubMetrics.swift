import Foundation
import Prometheus
import StationCore
import StationProtocol

/// What the hub exposes to Prometheus (`GET /metrics`, for the operator token): batches
/// and events by result and batch latency, counted by this instance; per-site sync lag as
/// of each site's last batch here; and, read from the database at each scrape (the same
/// from every instance), quarantined events and each box's last contact.
public final class HubMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let batchLatency: DurationHistogram

    public init() {
        batchLatency = registry.makeDurationHistogram(
            name: "stationhub_batch_duration_seconds",
            buckets: [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                      .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5)],
            help: "Time to apply one batch, from its body read to its answer")
    }

    /// One batch answered: `result` is applied, conflict or refused.
    func batch(result: String, _ outcome: BatchResult?, site: String?, oldestSynchronizedMillis: Int64?, duration: Duration) {
        registry.makeCounter(name: "stationhub_batches_total", labels: [("result", result)], help: "Batches answered, by result").increment()
        batchLatency.record(duration)
        guard let outcome else { return }
        for (name, n) in [("applied", outcome.applied), ("duplicate", outcome.duplicates), ("quarantined", outcome.quarantined.count)] where n > 0 {
            registry.makeCounter(name: "stationhub_events_total", labels: [("result", name)], help: "Events received, by what became of them")
                .increment(by: Int64(n))
        }
        if let site, let oldest = oldestSynchronizedMillis {
            registry.makeGauge(name: "stationhub_site_sync_lag_seconds", labels: [("site", site)], help: "How long the oldest event of the site's last batch waited to reach the hub")
                .set(max(0, Double(HubIngest.nowMillis()) - Double(oldest)) / 1000)
        }
    }

    /// A request refused, by its error code.
    func refused(_ code: String) {
        registry.makeCounter(name: "stationhub_refused_total", labels: [("reason", code)], help: "Requests refused, by error code").increment()
    }

    /// The text exposition, the database-derived gauges read now.
    func scrape(_ store: HubStore) async throws -> String {
        registry.makeGauge(name: "stationhub_quarantined_events", help: "Events set aside for an operator").set(Double(try await store.quarantinedCount()))
        for (box, site, seen) in try await store.lastContacts() {
            registry.makeGauge(
                name: "stationhub_box_last_contact_timestamp_seconds", labels: [("box", box), ("site", site)],
                help: "When the box last reached the hub (Unix time; written at most once a minute)"
            ).set(Double(seen) / 1000)
        }
        return registry.emitToString()
    }
}
