import StationCore

/// A book's ledger row carried forward instead of recomputed. A batch's events of a book
/// mostly come after every event the hub holds of it (boxes send in order, and a book
/// moves slowly); then its row, its loans per site and month and its moves are what they
/// were plus what the new events add, and none of its history is read. The ``Mark`` kept
/// beside the row says how far its fold reached. Anything else (an event older than the
/// mark, a void, a voided event, a copy with requests, a row with no mark) is recomputed
/// from every event as before. Pure.
enum LedgerFold {
    /// How far a book's row was folded: its last entry in ledger order (nil: none), and
    /// the site of its last check-out, renewal, return or transfer (what a return is
    /// compared with for drift; corrections are not moves).
    struct Mark: Sendable, Equatable {
        var last: Key?
        var moveSite: String?

        init(last: Key?, moveSite: String?) { (self.last, self.moveSite) = (last, moveSite) }
    }

    /// An entry's place in ledger order: (corrected time, box, seq).
    struct Key: Sendable, Comparable {
        var atMillis: Int64
        var boxID: String
        var seq: Int64
        init(atMillis: Int64, boxID: String, seq: Int64) { (self.atMillis, self.boxID, self.seq) = (atMillis, boxID, seq) }
        init(_ e: Ledger.Entry) { self.init(atMillis: e.atMillis, boxID: e.boxID, seq: e.seq) }
        static func < (a: Key, b: Key) -> Bool { (a.atMillis, a.boxID, a.seq) < (b.atMillis, b.boxID, b.seq) }
    }

    /// A `book_move` row: an arrival at another site than the book's previous move.
    struct Move: Sendable, Equatable {
        var boxID: String
        var seq: Int64
        var atMillis: Int64
        var from: String
        var to: String
    }

    /// What a book's later entries add.
    struct Step: Sendable, Equatable {
        var book: Ledger.Book
        var mark: Mark
        /// Check-outs to add to `book_month`, by (site, month).
        var loans: [ReportAggregates.SiteMonth: Int64]
        var moves: [Move]
    }

    /// The kinds ``ReportAggregates/moves(_:where:)`` follows a book through.
    static let moveKinds: Set<EventKind> = [.checkout, .renewal, .return, .transferOut, .transferIn]

    /// `book` (folded to `mark`) carried through `entries` (a batch's, none voided), or nil
    /// when one of them does not come after the mark: the book is then recomputed whole.
    /// The aggregates follow ``ReportAggregates``' rules: a check-out with a time counts in
    /// its site's month; a return or a transfer's arrival at another site than the
    /// previous move is a move.
    static func step(_ book: Ledger.Book, mark: Mark, with entries: [Ledger.Entry]) -> Step? {
        let ordered = Ledger.ordered(entries)
        if let last = mark.last, let first = ordered.first, Key(first) <= last { return nil }
        var step = Step(book: Ledger.book(book, continuedWith: ordered), mark: mark, loans: [:], moves: [])
        step.mark.last = ordered.last.map(Key.init) ?? mark.last
        (step.loans, step.moves, step.mark.moveSite) = aggregates(ordered, after: mark.moveSite)
        return step
    }

    /// A book's whole history (`entries`, corrections included): the mark of a row made
    /// from it, and its `book_month` and `book_move` rows (corrections are no events, so
    /// they count in the mark's last entry only).
    static func whole(_ entries: [Ledger.Entry]) -> (mark: Mark, loans: [ReportAggregates.SiteMonth: Int64], moves: [Move]) {
        let a = aggregates(Ledger.ordered(entries.filter { $0.boxID != HubStore.correctionsBox }), after: nil)
        return (Mark(last: entries.map(Key.init).max(), moveSite: a.moveSite), a.loans, a.moves)
    }

    /// The check-outs per (site, month) and the moves of a book's `ordered` entries (no
    /// corrections), after a move at `moveSite`; and the site of the last move.
    static func aggregates(_ ordered: [Ledger.Entry], after moveSite: String?) -> (loans: [ReportAggregates.SiteMonth: Int64], moves: [Move], moveSite: String?) {
        var loans: [ReportAggregates.SiteMonth: Int64] = [:], moves: [Move] = [], site = moveSite
        for e in ordered {
            if e.kind == .checkout, e.atMillis >= 0 {
                loans[ReportAggregates.SiteMonth(site: e.siteID, month: ReportAggregates.month(e.atMillis)), default: 0] += 1
            }
            guard moveKinds.contains(e.kind) else { continue }
            if e.kind == .return || e.kind == .transferIn, let from = site, from != e.siteID {
                moves.append(Move(boxID: e.boxID, seq: e.seq, atMillis: e.atMillis, from: from, to: e.siteID))
            }
            site = e.siteID
        }
        return (loans, moves, site)
    }
}
