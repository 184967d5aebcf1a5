import StationCore

/// Random but plausible box events for tests of the ledger and its snapshot: labelled
/// copies and title-only books lent, renewed (by their borrower or not) and returned (by
/// seq or not), visits started twice and ended, and voids, mostly of the event just
/// before (as the journal writes them), sometimes of an older one.
public struct RandomJournal {
    public var rng: TestIdentities
    public let workers: [WorkerRef]
    public let items: [ItemRef]
    /// The seqs given out so far (the caller says which seq each draft got).
    private var seqs: [Int64] = []

    public init(seed: UInt64, workers: Int = 4, labels: Int = 20, titles: Int = 3) {
        rng = TestIdentities(seed: seed)
        self.workers = (0..<workers).map { WorkerRef(kind: .memberCard, localHash: "v1:w\($0)", masked: "****000\($0)", sealed: nil) }
        items = (0..<labels).map { ItemRef(key: "label:LIB-\(100_000 + $0)") }
            + (0..<titles).map { ItemRef(key: "isbn:97871112138\(10 + $0)", title: "title \($0)") }
    }

    /// The next event's draft.
    public mutating func next() -> EventDraft {
        let item = items[rng.number(in: 0...(items.count - 1))]
        let worker = workers[rng.number(in: 0...(workers.count - 1))]
        switch rng.number(in: 0...19) {
        case 0...6: return EventDraft(kind: .checkout, scannerID: "s", item: item, worker: worker, dueDate: "2026-12-\(10 + rng.number(in: 0...19))")
        case 7...8: return EventDraft(kind: .renewal, scannerID: "s", item: item, worker: worker, dueDate: "2027-01-\(10 + rng.number(in: 0...19))")
        case 9...12:
            let ref = rng.number(in: 0...3) == 0 && !seqs.isEmpty ? seqs[rng.number(in: 0...(seqs.count - 1))] : nil
            return EventDraft(kind: .return, scannerID: "s", item: item, refersTo: ref)
        case 13...14: return EventDraft(kind: .visitStart, scannerID: "s", worker: worker, service: "rest")
        case 15...16: return EventDraft(kind: .visitEnd, scannerID: "s", worker: worker, service: "rest")
        default:
            guard let last = seqs.last else { return EventDraft(kind: .visitEnd, scannerID: "s", worker: worker, service: "rest") }
            let target = rng.number(in: 0...4) == 0 ? seqs[rng.number(in: 0...(seqs.count - 1))] : last
            return EventDraft(kind: .void, scannerID: "s", flags: ["reported-as-storage-error"], refersTo: target)
        }
    }

    /// Tells the generator the seq the journal gave the last draft.
    public mutating func written(_ seq: Int64) { seqs.append(seq) }
}
