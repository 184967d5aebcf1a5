import Foundation
import StationCore

/// Which ledger rows a change touches: books by item key, visits by (site, worker), and
/// the lending months of sites (``ReportAggregates``). One worker's visits at one site pair
/// among themselves only, so each is recomputed alone.
struct LedgerKeys: Sendable, Equatable {
    var items: Set<String> = []
    var visits: Set<Ledger.VisitKey> = []
    var months: Set<ReportAggregates.SiteMonth> = []

    init() {}

    /// From events as (kind, item key, site, worker key, corrected time).
    init(_ events: [(kind: String, item: String?, site: String, worker: String?, at: Int64?)]) {
        for e in events {
            if let item = e.item { items.insert(item) }
            if let at = e.at, ReportAggregates.lendingKinds.contains(e.kind) { months.insert(.init(site: e.site, month: ReportAggregates.month(at))) }
            if e.kind == EventKind.visitStart.rawValue || e.kind == EventKind.visitEnd.rawValue, let worker = e.worker {
                visits.insert(Ledger.VisitKey(site: e.site, worker: worker))
            }
        }
    }

    /// The columns an event's keys are read from (qualified: they serve `UPDATE … FROM`
    /// and `RETURNING` as well as a plain read), in the order ``init(rows:)`` takes them.
    static let eventColumns = "event.kind, event.item_key, event.site_id, event.worker_key, event.corrected_ms"

    /// From rows of ``eventColumns``.
    init(rows: [SQLRow]) {
        self.init(rows.map { ($0[0].text ?? "", $0[1].text, $0[2].text ?? "", $0[3].text, $0[4].int) })
    }

    var isEmpty: Bool { items.isEmpty && visits.isEmpty && months.isEmpty }

    mutating func formUnion(_ other: LedgerKeys) {
        items.formUnion(other.items)
        visits.formUnion(other.visits)
        months.formUnion(other.months)
    }

    /// The advisory lock names of these rows (PostgreSQL: ``StoreLock/ledgerRows(_:)``).
    var lockNames: [String] { items.map { "book|\($0)" } + visits.map { "visit|\($0.site)|\($0.worker)" } + months.map(\.lockName) }
}

/// The ledger's rows recomputed from every event they depend on, at corrected times and in
/// the order of (time, box, seq): the same rows whatever order batches arrived in.
extension HubStore {
    /// With `batch` (a batch's rows, and the books its voids touch), its books are carried
    /// forward where they can be (``foldBooks(_:box:rows:except:)``) and the rest recomputed.
    func rebuildLedger(_ s: any SQLSession, _ keys: LedgerKeys, batch: (box: String, rows: [HubIngest.Row], voided: Set<String>)? = nil) async throws {
        guard !keys.isEmpty else { return }
        try await s.lock(.ledgerRows(keys.lockNames))
        var keys = keys
        if let batch { keys.items.subtract(try await foldBooks(s, box: batch.box, rows: batch.rows, except: batch.voided)) }
        try await rebuildBooks(s, Array(keys.items))
        try await rebuildVisits(s, Array(keys.visits), nowMillis: HubIngest.nowMillis())
        try await rebuildLending(s, keys.months)
    }

    /// `lending_month` of these sites' months, from their events.
    func rebuildLending(_ s: any SQLSession, _ months: Set<ReportAggregates.SiteMonth>) async throws {
        for m in months.sorted() {
            guard let (start, end) = ReportAggregates.bounds(m.month) else { continue }
            try await s.execute("DELETE FROM lending_month WHERE site_id = ? AND month = ?", [.text(m.site), .text(m.month)])
            try await s.execute(
                ReportAggregates.lendingRows(dialect, where: "e.site_id = ? AND e.corrected_ms >= ? AND e.corrected_ms < ?"), [.text(m.site), .int(start), .int(end)])
        }
    }

    /// What the ledger reads of an event, from columns (no body decoded); voided events left out.
    static let entryColumns = "e.box_id, e.seq, e.site_id, e.kind, e.worker_key, e.corrected_ms, e.due_date, e.service, e.auto_closed, e.request_id, e.to_site"

    /// An entry from the ``entryColumns`` starting at `i`.
    static func entry(_ row: SQLRow, from i: Int = 0) -> Ledger.Entry? {
        guard let box = row[i].text, let seq = row[i + 1].int, let site = row[i + 2].text, let kind = row[i + 3].text.flatMap(EventKind.init(rawValue:))
        else { return nil }
        return Ledger.Entry(
            boxID: box, seq: seq, siteID: site, kind: kind, worker: row[i + 4].text, atMillis: row[i + 5].int ?? 0, dueDate: row[i + 6].text,
            service: row[i + 7].text, autoClosed: row[i + 8].bool, request: row[i + 9].text, destination: row[i + 10].text)
    }

    func rebuildBooks(_ s: any SQLSession, _ items: [String], progress: (@Sendable (Int, Int) -> Void)? = nil) async throws {
        let chunks = SQLStatement.chunks(items.sorted(), size: 500)
        for (n, chunk) in chunks.enumerated() {
            defer { progress?(n + 1, chunks.count) }
            let keys = chunk.map { SQLValue.text($0) }
            let entries = try await Self.entries(s, items: chunk)
            var homes: [String: String] = [:]
            for row in try await s.rows("SELECT item_key, home_site FROM catalog_title WHERE item_key IN \(SQLStatement.list(chunk.count))", keys) {
                if let item = row[0].text, let home = row[1].text { homes[item] = home }
            }
            // Its loans per site and month and its moves between sites, from the same entries.
            let wholes = chunk.map { (item: $0, whole: LedgerFold.whole(entries[$0] ?? [])) }
            try await rewrite(
                s, "book_month", columns: ReportAggregates.bookMonthColumns, keyWidth: 3, of: chunk,
                as: wholes.flatMap { Self.bookMonthRows($0.item, $0.whole.loans) })
            try await rewrite(
                s, "book_move", columns: ReportAggregates.bookMoveColumns, keyWidth: 2, of: chunk,
                as: wholes.flatMap { Self.bookMoveRows($0.item, $0.whole.moves) })
            // A book whose every event is voided now is written too: reset to its home.
            try await writeBooks(s, wholes.map { (Ledger.book($0.item, entries: entries[$0.item] ?? [], homeSite: homes[$0.item]), $0.whole.mark) })
            try await recomputeRequests(s, items: chunk, entries: entries, nowMillis: HubIngest.nowMillis())
        }
    }

    /// `table`'s rows of these books (its `item_key`) brought to `recomputed` by writing
    /// what differs (``RowDiff``): the rows that stay as they were are not touched.
    func rewrite(_ s: any SQLSession, _ table: String, columns: [String], keyWidth: Int, of items: [String], as recomputed: [SQLRow]) async throws {
        let held = try await s.rows(
            "SELECT \(columns.joined(separator: ", ")) FROM \(table) WHERE item_key IN \(SQLStatement.list(items.count))", items.map { .text($0) })
        let diff = RowDiff(held: held, recomputed: recomputed, keyWidth: keyWidth)
        let key = columns.prefix(keyWidth).joined(separator: ", ")
        for chunk in SQLStatement.chunks(diff.deletes, size: SQLStatement.maxArguments / keyWidth) {
            let tuples = Array(repeating: SQLStatement.list(keyWidth), count: chunk.count).joined(separator: ", ")
            try await s.execute("DELETE FROM \(table) WHERE (\(key)) IN (VALUES \(tuples))", chunk.flatMap { $0 })
        }
        try await s.execute(
            SQLStatement.insert(
                into: table, columns: columns, rows: diff.writes,
                suffix: "ON CONFLICT (\(key)) DO UPDATE SET " + columns.dropFirst(keyWidth).map { "\($0) = excluded.\($0)" }.joined(separator: ", ")))
    }

    /// Books' rows written whole, each with the mark of its fold.
    func writeBooks(_ s: any SQLSession, _ books: [(Ledger.Book, LedgerFold.Mark)]) async throws {
        let columns = Self.bookColumns + Self.foldColumns
        try await s.execute(
            SQLStatement.insert(
                into: "ledger_book", columns: columns, rows: books.map { Self.bookRow($0.0) + Self.foldRow($0.1) },
                suffix: "ON CONFLICT (item_key) DO UPDATE SET " + columns.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")))
    }

    /// The books of a batch's rows carried forward (``LedgerFold``) where they can be, their
    /// rows, loans per month and moves written; answers which. The caller holds their
    /// ledger locks and recomputes the rest: books in `except` (a void of the batch
    /// touches them), books with an event a held void cancels, books with requests (a
    /// request's state reads all of its copy's events), books without a mark, and books
    /// with an event older than their mark.
    func foldBooks(_ s: any SQLSession, box: String, rows: [HubIngest.Row], except: Set<String>) async throws -> Set<String> {
        var batch: [String: [Ledger.Entry]] = [:]
        var unreadable = Set<String>()
        for r in rows {
            guard let item = r.itemKey, !except.contains(item) else { continue }
            guard let kind = EventKind(rawValue: r.kind) else { unreadable.insert(item); continue }
            batch[item, default: []].append(
                Ledger.Entry(
                    boxID: r.boxID, seq: r.seq, siteID: r.siteID, kind: kind, worker: r.workerKey, atMillis: r.correctedMillis, dueDate: r.dueDate,
                    service: r.service, autoClosed: r.autoClosed, request: r.request, destination: r.destination))
        }
        for item in unreadable { batch[item] = nil }
        guard !batch.isEmpty else { return [] }
        // Events whose void came before them.
        var voided = Set<Int64>()
        for chunk in SQLStatement.chunks(batch.values.flatMap { $0.map(\.seq) }) {
            let found = try await s.rows(
                "SELECT refers_to FROM event WHERE kind = 'void' AND box_id = ? AND refers_to IN \(SQLStatement.list(chunk.count))", [.text(box)] + chunk.map { .int($0) })
            voided.formUnion(found.compactMap { $0[0].int })
        }
        if !voided.isEmpty { batch = batch.filter { !$0.value.contains { voided.contains($0.seq) } } }
        var steps: [(item: String, step: LedgerFold.Step)] = []
        for chunk in SQLStatement.chunks(batch.keys.sorted()) {
            let keys = chunk.map { SQLValue.text($0) }, list = SQLStatement.list(chunk.count)
            let held = try await s.rows(
                """
                SELECT \((Self.bookColumns + Self.foldColumns.dropFirst()).joined(separator: ", ")) FROM ledger_book b
                WHERE b.item_key IN \(list) AND b.folded = 1 AND NOT EXISTS (SELECT 1 FROM request r WHERE r.item_key = b.item_key)
                """, keys)
            for row in held {
                guard let (book, mark) = Self.book(row), let entries = batch[book.itemKey],
                    let step = LedgerFold.step(book, mark: mark, with: entries)
                else { continue }
                steps.append((book.itemKey, step))
            }
        }
        guard !steps.isEmpty else { return [] }
        try await writeBooks(s, steps.map { ($0.step.book, $0.step.mark) })
        try await s.execute(
            SQLStatement.insert(
                into: "book_month", columns: ReportAggregates.bookMonthColumns, rows: steps.flatMap { Self.bookMonthRows($0.item, $0.step.loans) },
                suffix: "ON CONFLICT (item_key, site_id, month) DO UPDATE SET loans = book_month.loans + excluded.loans"))
        try await s.execute(
            SQLStatement.insert(into: "book_move", columns: ReportAggregates.bookMoveColumns, rows: steps.flatMap { Self.bookMoveRows($0.item, $0.step.moves) }))
        return Set(steps.map(\.item))
    }

    /// `book_month` rows (``ReportAggregates/bookMonthColumns``) of a book's loans.
    static func bookMonthRows(_ item: String, _ loans: [ReportAggregates.SiteMonth: Int64]) -> [SQLRow] {
        loans.sorted { $0.key < $1.key }.map { [.text(item), .text($0.key.site), .text($0.key.month), .int($0.value)] }
    }

    /// `book_move` rows (``ReportAggregates/bookMoveColumns``) of a book's moves.
    static func bookMoveRows(_ item: String, _ moves: [LedgerFold.Move]) -> [SQLRow] {
        moves.map { [.text($0.boxID), .int($0.seq), .text(item), .int($0.atMillis), .text($0.from), .text($0.to)] }
    }

    /// The mark's columns after `bookColumns`: `folded` first (1: the mark holds).
    static let foldColumns = ["folded", "last_ms", "last_box", "last_seq", "move_site"]

    static func foldRow(_ m: LedgerFold.Mark) -> [SQLValue] {
        [.int(1), SQLValue(m.last?.atMillis), SQLValue(m.last?.boxID), SQLValue(m.last?.seq), SQLValue(m.moveSite)]
    }

    /// A book and its mark from `bookColumns` and the mark's columns after `folded`.
    static func book(_ row: SQLRow) -> (Ledger.Book, LedgerFold.Mark)? {
        guard row.count == bookColumns.count + foldColumns.count - 1, let item = row[0].text else { return nil }
        var b = Ledger.Book(
            itemKey: item, holder: row[1].text, loanedAtMillis: row[2].int, dueDate: row[3].text, site: row[4].text,
            flags: (row[5].text ?? "").split(separator: ",").map(String.init))
        if let from = row[6].text, let to = row[7].text, let since = row[8].int {
            b.transit = Ledger.Transit(from: from, to: to, sinceMillis: since, request: row[9].text ?? "")
        }
        if let site = row[10].text, let since = row[12].int { b.hold = Ledger.Hold(site: site, request: row[11].text ?? "", sinceMillis: since) }
        let n = bookColumns.count
        var last: LedgerFold.Key?
        if let at = row[n].int, let box = row[n + 1].text, let seq = row[n + 2].int { last = LedgerFold.Key(atMillis: at, boxID: box, seq: seq) }
        return (b, LedgerFold.Mark(last: last, moveSite: row[n + 3].text))
    }

    static let bookColumns = [
        "item_key", "holder", "loaned_at_ms", "due_date", "site_id", "flags", "transit_from", "transit_to", "transit_ms", "transit_request", "hold_site",
        "hold_request", "hold_ms",
    ]

    static func bookRow(_ b: Ledger.Book) -> [SQLValue] {
        [
            .text(b.itemKey), SQLValue(b.holder), SQLValue(b.loanedAtMillis), SQLValue(b.dueDate), SQLValue(b.site), .text(b.flags.joined(separator: ",")),
            SQLValue(b.transit?.from), SQLValue(b.transit?.to), SQLValue(b.transit?.sinceMillis), SQLValue(b.transit?.request), SQLValue(b.hold?.site),
            SQLValue(b.hold?.request), SQLValue(b.hold?.sinceMillis),
        ]
    }

    func rebuildVisits(_ s: any SQLSession, _ pairs: [Ledger.VisitKey], nowMillis: Int64) async throws {
        for chunk in SQLStatement.chunks(pairs.sorted { ($0.site, $0.worker) < ($1.site, $1.worker) }, size: 400) {
            let tuples = Array(repeating: "(?, ?)", count: chunk.count).joined(separator: ", ")
            let arguments = chunk.flatMap { [SQLValue.text($0.site), .text($0.worker)] }
            try await s.execute("DELETE FROM ledger_visit WHERE (site_id, worker) IN (VALUES \(tuples))", arguments)
            var entries: [Ledger.VisitKey: [Ledger.Entry]] = [:]
            for row in try await s.rows(
                """
                SELECT \(Self.entryColumns) FROM event e WHERE e.kind IN ('visit-start', 'visit-end')
                AND (e.site_id, e.worker_key) IN (VALUES \(tuples)) AND \(Reports.notVoided())
                """, arguments)
            {
                if let e = Self.entry(row), let worker = e.worker { entries[Ledger.VisitKey(site: e.siteID, worker: worker), default: []].append(e) }
            }
            let visits = entries.values.flatMap { Ledger.visits(entries: $0, maxMillis: Ledger.maxVisitMillis, nowMillis: nowMillis) }
            try await s.execute(
                SQLStatement.insert(
                    into: "ledger_visit", columns: ["site_id", "box_id", "start_seq", "end_seq", "worker", "service", "start_ms", "end_ms", "flags"],
                    rows: visits.map {
                        [.text($0.site), .text($0.boxID), SQLValue($0.startSeq), SQLValue($0.endSeq), .text($0.worker), SQLValue($0.service),
                         SQLValue($0.startMillis), SQLValue($0.endMillis), .text($0.flags.joined(separator: ","))]
                    }))
        }
    }
}
