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
    func rebuildLedger(_ s: any SQLSession, _ keys: LedgerKeys) async throws {
        guard !keys.isEmpty else { return }
        try await s.lock(.ledgerRows(keys.lockNames))
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
            // Its loans per site and month and its moves between sites, from the same events.
            for (table, rows) in [("book_month", ReportAggregates.bookMonthRows), ("book_move", ReportAggregates.moveRows)] {
                try await s.execute("DELETE FROM \(table) WHERE item_key IN \(SQLStatement.list(chunk.count))", keys)
                try await s.execute(rows(dialect, "e.item_key IN \(SQLStatement.list(chunk.count))"), keys)
            }
            // A book whose every event is voided now is written too: reset to its home.
            let books = chunk.map { Ledger.book($0, entries: entries[$0] ?? [], homeSite: homes[$0]) }
            try await s.execute(
                SQLStatement.insert(
                    into: "ledger_book", columns: Self.bookColumns, rows: books.map(Self.bookRow),
                    suffix: "ON CONFLICT (item_key) DO UPDATE SET " + Self.bookColumns.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")))
            try await recomputeRequests(s, items: chunk, entries: entries, nowMillis: HubIngest.nowMillis())
        }
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
