/// Requests and transfers (migration 5): the request table (its decided copy and its
/// state, recomputed with its copy's ledger row), the API's clients, the webhook's outbox,
/// the transfer columns of events, and the ledger's transit and hold.
extension Schema {
    @Sendable static func requests(_ d: SQLDialect) -> [String] {
        let int = d.integer
        return [
            "ALTER TABLE event ADD COLUMN request_id TEXT",
            "ALTER TABLE event ADD COLUMN to_site TEXT",
            "CREATE INDEX event_request ON event(request_id) WHERE request_id IS NOT NULL",
            "ALTER TABLE ledger_book ADD COLUMN transit_from TEXT",
            "ALTER TABLE ledger_book ADD COLUMN transit_to TEXT",
            "ALTER TABLE ledger_book ADD COLUMN transit_ms \(int)",
            "ALTER TABLE ledger_book ADD COLUMN transit_request TEXT",
            "ALTER TABLE ledger_book ADD COLUMN hold_site TEXT",
            "ALTER TABLE ledger_book ADD COLUMN hold_request TEXT",
            "ALTER TABLE ledger_book ADD COLUMN hold_ms \(int)",
            "CREATE INDEX ledger_book_site ON ledger_book(site_id)",
            // The worker's pseudonym, and what the pickup box needs to know them offline
            // (`hold_key`, `verifier`, `masked`; `member` when they were named by a member
            // card the member list knows): wiped when the request closes.
            """
            CREATE TABLE request (
                id TEXT PRIMARY KEY NOT NULL, item_key TEXT NOT NULL, title TEXT, pickup_site TEXT NOT NULL REFERENCES site(id),
                worker TEXT NOT NULL, masked TEXT, hold_key TEXT, verifier TEXT, member TEXT, client TEXT NOT NULL,
                placed_ms \(int) NOT NULL, hold_days \(int) NOT NULL, cancelled_ms \(int),
                state TEXT NOT NULL, since_ms \(int) NOT NULL, until_ms \(int), at_site TEXT, active \(int))\(d.strict)
            """,
            // Never two open requests for one copy, whichever hub instance decided.
            "CREATE UNIQUE INDEX request_open_copy ON request(item_key) WHERE active = 1",
            "CREATE INDEX request_item ON request(item_key)",
            "CREATE INDEX request_pickup ON request(pickup_site) WHERE active = 1",
            "CREATE INDEX request_worker ON request(worker) WHERE active = 1",
            "CREATE INDEX request_placed ON request(placed_ms)",
            """
            CREATE TABLE api_client (name TEXT PRIMARY KEY NOT NULL, token_hash TEXT UNIQUE NOT NULL, scope TEXT NOT NULL, notify_url TEXT,
                created_ms \(int) NOT NULL, revoked_ms \(int))\(d.strict)
            """,
            // Each change of a request a client should hear of, until its webhook took it.
            """
            CREATE TABLE request_notice (id \(d.serialKey), request_id TEXT NOT NULL, state TEXT NOT NULL, pickup_site TEXT NOT NULL,
                at_ms \(int) NOT NULL, client TEXT NOT NULL, attempts \(int) NOT NULL DEFAULT 0, next_ms \(int) NOT NULL, delivered_ms \(int))\(d.strict)
            """,
            "CREATE INDEX request_notice_due ON request_notice(next_ms) WHERE delivered_ms IS NULL",
        ]
    }
}
