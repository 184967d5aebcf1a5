import Crypto
import Foundation
import StationCore
import StationProtocol

/// What both engines decide the same way during ingest, as values: who may send what,
/// the stored form and columns of an event, opened credentials, and the high-water mark.
public enum HubIngest {

    static func hash(_ secret: String) -> String {
        Hex.encode(SHA256.hash(data: Data(secret.utf8)))
    }

    /// 256 random bits in hex: safe on any command line (a base64url secret starting with
    /// `-` would be read as an option) and in a QR code.
    static func randomSecret() -> String {
        Hex.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }

    public static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// A batch naming another box or site, or breaking the protocol (``BoxClaims``), is
    /// refused whole.
    /// `sites`: the box's site and those it stood at before a move.
    static func checkBatch(box: String, site: String, sites: Set<String>, events: [IncomingEvent]) throws {
        for case .event(let e, _) in events {
            if let breach = BoxClaims.protocolBreach(e) { throw HubError(.invalid, breach, code: "event-out-of-range") }
            if e.boxID != box { throw HubError(.forbidden, "event \(e.seq) names box \(e.boxID); this credential is box \(box)") }
            if !sites.contains(e.siteID) { throw HubError(.forbidden, "event \(e.seq) names site \(e.siteID); box \(box) belongs to \(site)") }
        }
    }

    /// An event as a row: the stored body (the pseudonym instead of the sealed number) and
    /// the columns the ledger and the reports read, so neither decodes bodies.
    struct Row: Sendable, Equatable {
        var boxID: String
        var seq: Int64
        var epoch: Int64
        var siteID: String
        var kind: String
        var wallMillis: Int64
        var body: String
        var contentHash: String
        var pseudonym: String?
        var itemKey: String?
        var bootID: String
        var clockSynced: Bool
        var workerKey: String?
        var dueDate: String?
        var service: String?
        var autoClosed: Bool
        var refersTo: Int64?
        var request: String?
        var destination: String?
        var receivedMillis: Int64
        /// Wall time corrected by the boot's clock offset (set before insert).
        var correctedMillis: Int64

        /// The `event` table's columns, in the order of ``values``.
        static let columns = [
            "box_id", "seq", "epoch", "site_id", "kind", "wall_ms", "body", "content_hash", "received_ms", "worker_pseudonym", "item_key",
            "boot_id", "clock_synced", "corrected_ms", "worker_key", "refers_to", "service", "due_date", "auto_closed",
            "request_id", "to_site",
        ]

        var values: [SQLValue] {
            [
                .text(boxID), .int(seq), .int(epoch), .text(siteID), .text(kind), .int(wallMillis), .text(body), .text(contentHash), .int(receivedMillis),
                SQLValue(pseudonym), SQLValue(itemKey), .text(bootID), SQLValue(clockSynced), .int(correctedMillis), SQLValue(workerKey),
                SQLValue(refersTo), SQLValue(service), SQLValue(dueDate), SQLValue(autoClosed), SQLValue(request), SQLValue(destination),
            ]
        }
    }

    /// The content hash is of the event as sent (a resend compares equal); what is stored
    /// has the pseudonym instead of the sealed number.
    static func row(_ e: JournalEvent, canonical: String, contentHash: String, stored: JournalEvent, receivedMillis: Int64) -> Row {
        // (WorkerRef's == compares the local hash only: compare what changed.)
        let unchanged = stored.draft.worker?.sealed == e.draft.worker?.sealed && stored.draft.worker?.pseudonym == e.draft.worker?.pseudonym
        let body = unchanged ? canonical : Canonical.text(stored)
        return Row(
            boxID: e.boxID, seq: e.seq, epoch: Int64(e.epoch), siteID: e.siteID, kind: e.draft.kind.rawValue, wallMillis: e.time.wallMillis, body: body,
            contentHash: contentHash, pseudonym: stored.draft.worker?.pseudonym, itemKey: e.draft.item?.key, bootID: e.time.bootID,
            clockSynced: e.time.synchronized, workerKey: Ledger.worker(stored), dueDate: e.draft.dueDate, service: e.draft.service,
            autoClosed: e.draft.flags.contains("auto-closed"), refersTo: e.draft.refersTo, request: e.draft.request,
            destination: e.draft.destination, receivedMillis: receivedMillis,
            correctedMillis: e.time.wallMillis)
    }

    /// Wall time corrected by a boot's offset; an offset that would overflow leaves it.
    static func corrected(_ wall: Int64, _ offset: Int64) -> Int64 {
        let (sum, overflow) = wall.addingReportingOverflow(offset)
        return overflow ? wall : sum
    }

    /// Largest wall time or clock offset the hub takes (about 300 years from 1970, either
    /// way): beyond it a box's clock is not wrong but broken, and arithmetic could overflow.
    static let maxMillis: Int64 = 10_000_000_000_000

    /// Whether JSON text holds `\u0000`: one pass over its bytes (a generic substring
    /// search cost more than everything else ingest does to an event).
    static func holdsEscapedNUL(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { b in
            guard b.count >= 6 else { return false }
            for i in 0...(b.count - 6) where b[i] == UInt8(ascii: "\\") && b[i + 1] == UInt8(ascii: "u") {
                if b[i + 2] == 0x30 && b[i + 3] == 0x30 && b[i + 4] == 0x30 && b[i + 5] == 0x30 { return true }
            }
            return false
        }
    }

    /// Text a database column cannot hold (PostgreSQL refuses U+0000 in text): such an
    /// event is quarantined on either engine, so both answer alike.
    static func unstorable(_ row: Row) -> String? {
        // (The body as JSON escapes it as \u0000, which PostgreSQL's jsonb refuses too.)
        if holdsEscapedNUL(row.body) { return "seq \(row.seq) holds a NUL character" }
        if row.wallMillis.magnitude > maxMillis { return "seq \(row.seq): wall time \(row.wallMillis) ms is out of range" }
        return nil
    }

    /// Moves a box's high-water mark over every contiguous seq it has (applied or
    /// quarantined), and over a gap the box declared by starting a new epoch. An undeclared
    /// gap stops it: the box is asked to resume from there. `applied` are the events held
    /// above the mark with their epoch, `quarantined` the seqs set aside above it.
    static func advance(acked start: Int64, epoch startEpoch: Int64, applied: [(seq: Int64, epoch: Int64)], quarantined: [Int64])
        -> (acked: Int64, epoch: Int64, resumeFrom: Int64?)
    {
        var acked = start, epoch = startEpoch
        var held: [Int64: Int64?] = [:]
        for q in quarantined where q > start { held[q] = .some(nil) }
        for a in applied where a.seq > start { held[a.seq] = a.epoch }
        let seqs = held.keys.sorted()
        for seq in seqs {
            guard let e = held[seq] else { continue }
            if seq == acked + 1 {
                acked = seq
                if let e { epoch = max(epoch, e) }
            } else if let e {
                // Across a declared gap (a newer epoch) the mark jumps to the next event;
                // an undeclared gap stops it.
                guard e > epoch else { break }
                acked = seq
                epoch = e
            }
            // (A quarantined seq beyond a gap is passed over while looking for that event.)
        }
        return (acked, epoch, seqs.contains { $0 > acked } ? acked + 1 : nil)
    }
}

/// Sealed credentials already opened, by their sealed form (a box seals a worker once, so
/// the same blob comes back in batch after batch): the worker with the pseudonym. In
/// memory only, bounded. Card UIDs are not kept: what they map to follows the member list.
final class CredentialOpener: Sendable {
    let opened = BoundedCache<String, WorkerRef>(capacity: 50_000)

    enum Opening {
        /// Nothing sealed, or already opened: the worker to store.
        case ready(WorkerRef?)
        /// Opened now; a card UID asks the member list first (``finish(_:member:)``).
        case opened(Pending)
    }

    struct Pending {
        var worker: WorkerRef
        var raw: RawCredential
        var memo: String
        /// The keys that opened it (they also derive the pseudonym).
        var keys: HubKeys
        /// The card UID to look up in the member list, if it is one.
        var cardUID: String? { raw.kind == .cardUID ? raw.secret : nil }
    }

    func begin(_ worker: WorkerRef?, keys: HubKeys?) throws -> Opening {
        guard let keys, let worker, let sealed = worker.sealed else { return .ready(worker) }
        let memo = "\(worker.kind.rawValue)|\(sealed.keyVersion)|\(sealed.encapsulatedKey)|\(sealed.ciphertext)"
        if let known = opened.value(memo) { return .ready(known) }
        return .opened(Pending(worker: worker, raw: try keys.open(worker), memo: memo, keys: keys))
    }

    func finish(_ p: Pending, member: String?) -> WorkerRef {
        let out = p.keys.pseudonymized(p.worker, raw: p.raw, member: member)
        if p.raw.kind != .cardUID { opened.store(p.memo, out) }
        return out
    }
}

/// When each box was last heard from, written at most once a minute per box (and per
/// instance): a box's every request must not become a write.
final class LastSeen: Sendable {
    let pacer = Pacer(intervalMillis: 60_000, capacity: 100_000)

    /// The time to record for `box` now, or nil when it was recorded less than a minute ago.
    func due(_ box: String) -> Int64? {
        let now = HubIngest.nowMillis()
        return pacer.admit(box, nowMillis: now) == nil ? nil : now
    }
}
