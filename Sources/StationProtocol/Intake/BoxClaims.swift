import StationCore

/// What a box may assert in an event, and what only the hub decides, as values. A box
/// says what happened at it (which item, which worker as its own hash and the number
/// sealed to the hub, when, which loan a return closes); it never says who a worker is
/// union-wide (the pseudonym), and it cannot show more of a number than its masked form.
/// An event that claims what a box may not is quarantined with the reason; one that
/// breaks the protocol itself (a seq below 1, an epoch below 0) refuses its batch.
public enum BoxClaims {
    /// Why the batch is refused whole, or nil.
    public static func protocolBreach(_ e: JournalEvent) -> String? {
        if e.seq < 1 { return "seq \(e.seq) is below 1" }
        if e.epoch < 0 { return "seq \(e.seq): epoch \(e.epoch) is below 0" }
        return nil
    }

    /// Why this event is set aside, or nil when a box may say all it says.
    public static func refusal(_ e: JournalEvent) -> String? {
        let d = e.draft
        if let w = d.worker, let why = refusal(w) { return "seq \(e.seq): \(why)" }
        if let ref = d.refersTo, ref < 1 || ref >= e.seq {
            return "seq \(e.seq) refers to seq \(ref), which is not an earlier event of this box"
        }
        if let due = d.dueDate, !isDate(due) { return "seq \(e.seq): due date \(due) is not a date" }
        if let missing = missing(d) { return "seq \(e.seq): a \(d.kind.rawValue) without \(missing)" }
        return nil
    }

    /// What a worker reference may hold from a box: its own keyed hash, a masked form that
    /// shows no more than a mask does, the sealed number; never a pseudonym.
    static func refusal(_ w: WorkerRef) -> String? {
        if w.pseudonym != nil { return "a worker's pseudonym is the hub's to derive; a box may not send one" }
        if !isLocalHash(w.localHash) { return "the worker's box-local hash is not one (v, its key version, a colon and 64 hex digits)" }
        if !isMask(w.masked) { return "the masked number shows more than a mask does" }
        return nil
    }

    /// The event as the quarantine may keep it: a worker's mask or hash that is not one
    /// could hold a number in the clear, so it is withheld (the reason says what it was).
    public static func withheld(_ e: JournalEvent) -> JournalEvent {
        guard let w = e.draft.worker else { return e }
        var out = e
        if !isLocalHash(w.localHash) { out.draft.worker?.localHash = "withheld" }
        if !isMask(w.masked) { out.draft.worker?.masked = "withheld" }
        return out
    }

    /// A box's keyed hash of a credential (``CredentialProtector/localHash(_:key:version:)``):
    /// `v`, the key's version, `:`, and an HMAC-SHA-256 in lowercase hex. Nothing else may
    /// stand there: it is the one worker field a box writes freely, so a number typed into
    /// it would travel as if it were a hash.
    public static func isLocalHash(_ hash: String) -> Bool {
        let bytes = Array(hash.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), bytes.first == UInt8(ascii: "v") else { return false }
        let version = bytes[1..<colon], mac = bytes[(colon + 1)...]
        return (1...9).contains(version.count) && version.allSatisfy { (0x30...0x39).contains($0) }
            && mac.count == 64 && mac.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// A box's mask (``RawCredential/mask(_:kind:)``): at most the last four characters
    /// shown, or a resident ID's first four and last four around ten stars.
    static func isMask(_ masked: String) -> Bool {
        let chars = Array(masked)
        let shown = chars.filter { $0 != "*" }.count
        if shown <= 4 { return chars.count <= 64 }
        return chars.count == 18 && shown <= 8 && chars[4..<14].allSatisfy { $0 == "*" }
    }

    /// What each kind of event cannot do without, as the workflow records it.
    static func missing(_ d: EventDraft) -> String? {
        switch d.kind {
        case .checkout, .renewal:
            if d.item == nil { return "an item" }
            if d.worker == nil { return "a worker" }
        case .return:
            if d.item == nil { return "an item" }
        case .visitStart:
            if d.worker == nil { return "a worker" }
        case .visitEnd:
            // (Without the visit it ends it is still news: the ledger pairs it or flags it.)
            if d.worker == nil { return "a worker" }
        case .void:
            if d.refersTo == nil { return "the event it cancels" }
        case .transferOut:
            if d.item == nil { return "an item" }
            if d.request == nil { return "the request it serves" }
            if d.destination == nil { return "a destination" }
        case .transferIn:
            if d.item == nil { return "an item" }
            if d.request == nil { return "the request it serves" }
        case .seen:
            if d.item == nil { return "an item" }
        case .stocktakeStart, .stocktakeEnd:
            break
        }
        return nil
    }

    /// `YYYY-MM-DD`, a day that exists.
    static func isDate(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m), d >= 1
        else { return false }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        return d <= days
    }
}
