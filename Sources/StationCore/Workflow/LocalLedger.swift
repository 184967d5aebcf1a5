/// What this box's own journal says is on loan and who is in a visit: the knowledge the
/// kiosk decides with offline. The hub keeps the union-wide ledger. The box holds none of
/// this in memory: the journal keeps it as a snapshot, a scan decides with its window
/// (``init(window:held:)``), and a full replay (``init(events:)``) is the reference.
public struct LocalLedger: Sendable, Equatable {
    public struct Loan: Sendable, Equatable {
        public var seq: Int64
        public var worker: String
        public var item: ItemRef
        public var dueDate: String?
        public var atMillis: Int64
        /// The renewals of this loan, oldest first: its due date stands on them.
        public var renewalSeqs: [Int64] = []
    }

    public struct Visit: Sendable, Equatable {
        public var seq: Int64
        public var worker: WorkerRef
        public var service: String?
        /// Wall clock at the start.
        public var startedAtMillis: Int64
        /// The boot and monotonic clock at the start, for durations within that boot.
        public var bootID: String
        public var startedMonotonicMillis: Int64
    }

    /// Open loans by item key, oldest first (several for a title-only book).
    public private(set) var loans: [String: [Loan]] = [:]
    /// Open visits by worker's local hash.
    public private(set) var visits: [String: Visit] = [:]
    /// Open loans per worker's local hash: a checkout asks for it, and counting `loans`
    /// instead cost every open loan of the box on each scan.
    private var loansHeld: [String: Int] = [:]

    /// What one event did to the events the ledger stands on (``neededSeqs``): the journal
    /// keeps that set on disk with each event, so a box starts from it and not from history.
    public struct Change: Sendable, Equatable {
        /// Events the ledger now stands on: a checkout, a renewal, a visit's start.
        public var opened: [Int64] = []
        /// Events it no longer stands on: a loan returned (its checkout and renewals), a
        /// labelled copy lent again, a visit ended or started again.
        public var closed: [Int64] = []

        public init(opened: [Int64] = [], closed: [Int64] = []) {
            self.opened = opened
            self.closed = closed
        }
    }

    public init() {}

    /// Rebuilds from a journal, leaving out voided events.
    public init(events: [JournalEvent]) {
        var rest = events.makeIterator()
        self.init(voided: Set(events.filter { $0.draft.kind == .void }.compactMap(\.draft.refersTo)), replaying: { rest.next() })
    }

    /// Rebuilds from a journal read one event at a time (`next` returns nil at the end),
    /// leaving out the events `voided` names: the one place that rule is applied.
    public init(voided: Set<Int64>, replaying next: () throws -> JournalEvent?) rethrows {
        while let e = try next() {
            if !voided.contains(e.seq) { apply(e) }
        }
    }

    /// A window on the ledger: what one decision needs of it (the journal reads it for each
    /// scan, so a box holds no open loans in memory). `events` are some of the events the
    /// ledger stands on, in order (one item's loans and renewals, every open visit), replayed
    /// by the same rule; `held` is how many loans a worker holds in all, which those events
    /// alone do not say. Only that worker's count is known: the window answers
    /// ``openLoans(of:)`` for no one else, and ``neededSeqs`` only for what it holds.
    public init(window events: [JournalEvent], held: (worker: String, count: Int)?) {
        var rest = events.makeIterator()
        self.init(voided: [], replaying: { rest.next() })
        loansHeld = held.map { $0.count == 0 ? [:] : [$0.worker: $0.count] } ?? [:]
    }

    /// The events this ledger stands on: the checkouts of open loans and their renewals,
    /// and the starts of open visits. Replaying just these, in order, gives this ledger
    /// again; retention keeps them.
    public var neededSeqs: Set<Int64> {
        Set(loans.values.flatMap { $0.flatMap { [$0.seq] + $0.renewalSeqs } } + visits.values.map(\.seq))
    }

    public func openLoans(of worker: String) -> Int { loansHeld[worker] ?? 0 }

    /// (A window knows one worker's count: a loan of another worker it closes, a labelled
    /// copy lent again, leaves that worker unknown rather than below zero.)
    private mutating func count(_ worker: String, _ change: Int) {
        let held = (loansHeld[worker] ?? 0) + change
        loansHeld[worker] = held <= 0 ? nil : held
    }

    /// The loan of `item` held by `worker`, if any.
    public func loan(of item: String, by worker: String) -> Loan? { loans[item]?.first { $0.worker == worker } }

    /// The oldest open loan of `item`.
    public func oldestLoan(of item: String) -> Loan? { loans[item]?.first }

    /// Follows one recorded event; says which events the ledger now stands on and which
    /// it no longer does.
    @discardableResult
    public mutating func apply(_ e: JournalEvent) -> Change {
        let d = e.draft
        switch d.kind {
        case .checkout:
            guard let item = d.item, let worker = d.worker else { return Change() }
            var closed: [Int64] = []
            // A labelled copy is with one worker at a time: a checkout implies its return.
            if !item.isTitleOnly, let earlier = loans.removeValue(forKey: item.key) {
                closed = earlier.flatMap { [$0.seq] + $0.renewalSeqs }
                for loan in earlier { count(loan.worker, -1) }
            }
            count(worker.localHash, 1)
            loans[item.key, default: []].append(Loan(seq: e.seq, worker: worker.localHash, item: item, dueDate: d.dueDate, atMillis: e.time.wallMillis))
            return Change(opened: [e.seq], closed: closed)
        case .renewal:
            guard let item = d.item, let worker = d.worker,
                let i = loans[item.key]?.firstIndex(where: { $0.worker == worker.localHash })
            else { return Change() }
            loans[item.key]![i].dueDate = d.dueDate
            loans[item.key]![i].renewalSeqs.append(e.seq)
            return Change(opened: [e.seq])
        case .return, .transferOut, .transferIn:
            // (A copy on loan that is trapped for a request is returned by its trap.)
            guard let item = d.item, var list = loans[item.key], !list.isEmpty else { return Change() }
            let i = d.refersTo.flatMap { ref in list.firstIndex { $0.seq == ref } } ?? 0
            let returned = list.remove(at: i)
            loans[item.key] = list.isEmpty ? nil : list
            count(returned.worker, -1)
            return Change(closed: [returned.seq] + returned.renewalSeqs)
        case .visitStart:
            guard let worker = d.worker else { return Change() }
            let earlier = visits[worker.localHash]
            visits[worker.localHash] = Visit(
                seq: e.seq, worker: worker, service: d.service, startedAtMillis: e.time.wallMillis, bootID: e.time.bootID,
                startedMonotonicMillis: e.time.monotonicMicros / 1000)
            return Change(opened: [e.seq], closed: earlier.map { [$0.seq] } ?? [])
        case .visitEnd:
            guard let worker = d.worker, let ended = visits.removeValue(forKey: worker.localHash) else { return Change() }
            return Change(closed: [ended.seq])
        case .void:
            // The journal undoes what the voided event did (it knows what that was).
            return Change()
        case .stocktakeStart, .seen, .stocktakeEnd:
            // (Counting what is on the shelf changes no loan.)
            return Change()
        }
    }
}
