/// Ledger rows carried forward (migration 8, ``LedgerFold``): beside each book's row, how
/// far its fold reached. `folded` = 0 (every row a hub held before, and any row something
/// other than a recompute changed) means the row is recomputed from every event the next
/// time a batch touches it; the recompute sets the mark. And `event_site_kind` dropped:
/// `event_site_kind_time` (migration 4) begins with the same columns, and every batch
/// wrote both.
extension Schema {
    @Sendable static func ledgerFold(_ d: SQLDialect) -> [String] {
        let int = d.integer
        return [
            "ALTER TABLE ledger_book ADD COLUMN folded \(int) NOT NULL DEFAULT 0",
            "ALTER TABLE ledger_book ADD COLUMN last_ms \(int)",
            "ALTER TABLE ledger_book ADD COLUMN last_box TEXT",
            "ALTER TABLE ledger_book ADD COLUMN last_seq \(int)",
            "ALTER TABLE ledger_book ADD COLUMN move_site TEXT",
            "DROP INDEX event_site_kind",
        ]
    }
}
