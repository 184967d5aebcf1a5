/// Moves and rotations (migration 7): a request row says why its copy travels (`purpose`:
/// NULL for a worker's request, `move` for a suggested move an operator accepted,
/// `rotation` for a rotation's stage, with the rotation's name), so every transfer shares
/// the one open-copy index, the pull lists and the recomputation with the copy's ledger
/// row. A rotation is a named collection of copies (`rotation_copy`) and its route.
extension Schema {
    @Sendable static func moves(_ d: SQLDialect) -> [String] {
        let int = d.integer
        return [
            "ALTER TABLE request ADD COLUMN purpose TEXT",
            "ALTER TABLE request ADD COLUMN rotation TEXT",
            "CREATE INDEX request_rotation ON request(rotation) WHERE rotation IS NOT NULL",
            // `stage`: the last stage whose moves were placed (-1: none yet); `ended_ms`:
            // stopped by an operator (its open moves cancelled).
            """
            CREATE TABLE rotation (name TEXT PRIMARY KEY NOT NULL, stage_days \(int) NOT NULL CHECK (stage_days > 0),
                cyclic \(int) NOT NULL, started_ms \(int) NOT NULL, stage \(int) NOT NULL DEFAULT -1, created_by TEXT NOT NULL, ended_ms \(int))\(d.strict)
            """,
            // The route, a row per stop: a reader's scope is a condition on its sites.
            """
            CREATE TABLE rotation_stop (rotation TEXT NOT NULL REFERENCES rotation(name), position \(int) NOT NULL, site_id TEXT NOT NULL REFERENCES site(id),
                PRIMARY KEY (rotation, position))\(d.strict)
            """,
            "CREATE TABLE rotation_copy (rotation TEXT NOT NULL REFERENCES rotation(name), item_key TEXT NOT NULL, PRIMARY KEY (rotation, item_key))\(d.strict)",
            "CREATE INDEX rotation_copy_item ON rotation_copy(item_key)",
        ]
    }
}
