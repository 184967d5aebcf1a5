/// What this box's own journal says is on loan and who is in a visit: the knowledge the
/// kiosk decides with offline. The hub keeps the union-wide ledger; this one is rebuilt
/// from the journal at start and follows every recorded event.
public struct LocalLedger: Sendable, Equatable {
    public struct Loan: Sendable, Equatable {
        public var seq: Int64
        public var worker: String
        public var item: ItemRef
        public var dueDate: String?
        public var atMillis: Int64
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
    /// Renewal events by item key, while the item is on loan.
    private var renewals: [String: [Int64]] = [:]

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

    /// The events this ledger still stands on: the checkouts of open loans (and the
    /// renewals of their items) and the starts of open visits. Retention keeps them.
    public var neededSeqs: Set<Int64> {
        Set(loans.values.flatMap { $0.map(\.seq) } + visits.values.map(\.seq) + renewals.filter { loans[$0.key] != nil }.map(\.value).flatMap { $0 })
    }

    public func openLoans(of worker: String) -> Int {
        loans.values.reduce(0) { $0 + $1.filter { $0.worker == worker }.count }
    }

    /// The loan of `item` held by `worker`, if any.
    public func loan(of item: String, by worker: String) -> Loan? { loans[item]?.first { $0.worker == worker } }

    /// The oldest open loan of `item`.
    public func oldestLoan(of item: String) -> Loan? { loans[item]?.first }

    public mutating func apply(_ e: JournalEvent) {
        let d = e.draft
        switch d.kind {
        case .checkout:
            guard let item = d.item, let worker = d.worker else { return }
            // A labelled copy is with one worker at a time: a checkout implies its return.
            if !item.isTitleOnly { loans[item.key] = nil }
            loans[item.key, default: []].append(Loan(seq: e.seq, worker: worker.localHash, item: item, dueDate: d.dueDate, atMillis: e.time.wallMillis))
        case .renewal:
            guard let item = d.item, let worker = d.worker,
                let i = loans[item.key]?.firstIndex(where: { $0.worker == worker.localHash })
            else { return }
            loans[item.key]![i].dueDate = d.dueDate
            renewals[item.key, default: []].append(e.seq)
        case .return:
            guard let item = d.item, var list = loans[item.key] else { return }
            if let ref = d.refersTo, let i = list.firstIndex(where: { $0.seq == ref }) {
                list.remove(at: i)
            } else if !list.isEmpty {
                list.removeFirst()
            }
            loans[item.key] = list.isEmpty ? nil : list
            if list.isEmpty { renewals[item.key] = nil }
        case .visitStart:
            guard let worker = d.worker else { return }
            visits[worker.localHash] = Visit(
                seq: e.seq, worker: worker, service: d.service, startedAtMillis: e.time.wallMillis, bootID: e.time.bootID,
                startedMonotonicMillis: e.time.monotonicMicros / 1000)
        case .visitEnd:
            guard let worker = d.worker else { return }
            visits[worker.localHash] = nil
        case .void:
            break
        }
    }
}
