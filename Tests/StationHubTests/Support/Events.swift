import Foundation
import StationCore
import StationProtocol
import StationTesting

@testable import StationHub

/// Events as boxes upload them, built as values for the store's tests.
enum Events {
    /// 2026-11-02T00:00:00Z: a Monday, well in the past of any test run.
    static let base: Int64 = 1_793_577_600_000
    static let minute: Int64 = 60_000

    static func worker(_ who: String, kind: CredentialKind = .memberCard) -> WorkerRef {
        WorkerRef(kind: kind, localHash: hash(who), masked: "****", sealed: nil)
    }

    /// A box-local hash of the shape a box makes (``TestWorkers``).
    static func hash(_ who: String) -> String { TestWorkers.localHash(who) }

    /// The hub's key of a worker known only by a box's hash: `BOX/HASH`.
    static func key(_ box: String, _ who: String) -> String { "\(box)/\(hash(who))" }

    static func event(
        _ box: String, _ seq: Int64, site: String, _ kind: EventKind, at minutes: Int64, item: String? = nil, who: String? = nil,
        service: String? = nil, due: String? = nil, flags: [String] = [], refersTo: Int64? = nil, epoch: Int = 0,
        synced: Bool = true, boot: String = "b"
    ) -> JournalEvent {
        JournalEvent(
            boxID: box, seq: seq, siteID: site, epoch: epoch,
            time: EventTime(wallMillis: base + minutes * minute, synchronized: synced, bootID: boot, monotonicMicros: minutes * minute * 1000),
            draft: EventDraft(
                kind: kind, item: item.map { ItemRef(key: $0) }, worker: who.map { worker($0) }, dueDate: due, service: service, flags: flags,
                refersTo: refersTo))
    }

    /// As the API hands events to the store.
    static func incoming(_ events: [JournalEvent]) -> [IncomingEvent] {
        events.map(IncomingEvent.init)
    }

    /// Sites `shelf-a` (region east), `shelf-b` (east), `hut-c` (west); boxes box-a, box-b,
    /// box-c enrolled at them. Answers the boxes' credentials.
    @discardableResult
    static func union(_ store: HubStore) async throws -> [String: String] {
        try await store.addSite("shelf-a", region: "east")
        try await store.addSite("shelf-b", region: "east")
        try await store.addSite("hut-c", region: "west")
        var credentials: [String: String] = [:]
        for (box, site) in [("box-a", "shelf-a"), ("box-b", "shelf-b"), ("box-c", "hut-c")] {
            let token = try await store.addBox(box, site: site)
            credentials[box] = try await store.enroll(token: token).credential
        }
        return credentials
    }

    /// A batch's answer as one comparable line.
    static func summary(_ r: (BatchResult, conflict: Bool)) -> String {
        let q = r.0.quarantined.map { "\($0.seq):\($0.reason)" }.joined(separator: ";")
        return "acked \(r.0.ackedThrough) applied \(r.0.applied) dup \(r.0.duplicates) q [\(q)] resume \(r.0.resumeFrom.map(String.init) ?? "-") conflict \(r.conflict)"
    }
}
