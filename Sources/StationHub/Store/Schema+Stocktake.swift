/// Stocktakes (migration 6): what an operator accepted from one, kept beside the boxes'
/// events (whose (box, seq) only boxes write) and read by the ledger with them: history
/// is added to, never edited.
extension Schema {
    @Sendable static func stocktake(_ d: SQLDialect) -> [String] {
        let int = d.integer
        return [
            """
            CREATE TABLE ledger_correction (id \(d.serialKey), item_key TEXT NOT NULL, site_id TEXT NOT NULL REFERENCES site(id),
                kind TEXT NOT NULL CHECK (kind IN ('return')), at_ms \(int) NOT NULL, reason TEXT NOT NULL, actor TEXT NOT NULL, made_ms \(int) NOT NULL)\(d.strict)
            """,
            "CREATE INDEX ledger_correction_item ON ledger_correction(item_key)",
        ]
    }
}
