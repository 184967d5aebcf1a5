import GRDB

/// The journal's schema as named migrations. A migration is never edited once shipped:
/// changes come as new migrations, appended. Table names are strings and no migration
/// depends on application types.
enum JournalSchema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-journal") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (
                        key TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    ) STRICT;

                    -- One immutable record per event: identified by (box_id, seq).
                    CREATE TABLE event (
                        box_id TEXT NOT NULL,
                        seq INTEGER NOT NULL CHECK (seq > 0),
                        epoch INTEGER NOT NULL CHECK (epoch >= 0),
                        site_id TEXT NOT NULL,
                        scanner_id TEXT,
                        kind TEXT NOT NULL CHECK (kind IN ('checkout','renewal','return','visit-start','visit-end','void')),
                        wall_ms INTEGER NOT NULL,
                        clock_synced INTEGER NOT NULL CHECK (clock_synced IN (0, 1)),
                        boot_id TEXT NOT NULL,
                        mono_us INTEGER NOT NULL,
                        body TEXT NOT NULL CHECK (json_valid(body)),
                        PRIMARY KEY (box_id, seq)
                    ) STRICT, WITHOUT ROWID;

                    CREATE TRIGGER event_immutable BEFORE UPDATE ON event
                    BEGIN SELECT RAISE(ABORT, 'journal events are immutable'); END;

                    -- Events not yet acknowledged by the hub.
                    CREATE TABLE outbox (
                        seq INTEGER PRIMARY KEY NOT NULL
                    ) STRICT;

                    -- boot id -> offset of the wall clock, learnt after the fact (NTP, the hub's Date).
                    CREATE TABLE clock_correction (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        boot_id TEXT NOT NULL,
                        offset_ms INTEGER NOT NULL,
                        source TEXT NOT NULL CHECK (source IN ('ntp','hub-date','manual')),
                        recorded_wall_ms INTEGER NOT NULL,
                        mono_us INTEGER NOT NULL,
                        acked INTEGER NOT NULL DEFAULT 0 CHECK (acked IN (0, 1))
                    ) STRICT;

                    -- Caches the hub fills.
                    CREATE TABLE catalog_title (
                        item_key TEXT PRIMARY KEY NOT NULL,
                        title TEXT,
                        home_site TEXT
                    ) STRICT;
                    CREATE TABLE member (
                        card_uid TEXT PRIMARY KEY NOT NULL,
                        pseudonym TEXT NOT NULL
                    ) STRICT;
                    CREATE TABLE hub_key (
                        purpose TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        material TEXT NOT NULL,
                        PRIMARY KEY (purpose, version)
                    ) STRICT;

                    -- The site manager's view of what went wrong; bounded by the trigger below.
                    CREATE TABLE device_log (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        at_ms INTEGER NOT NULL,
                        level TEXT NOT NULL CHECK (level IN ('debug','info','notice','warning','error','critical')),
                        scanner_id TEXT,
                        message TEXT NOT NULL
                    ) STRICT;
                    CREATE TRIGGER device_log_bound AFTER INSERT ON device_log
                    BEGIN DELETE FROM device_log WHERE id <= NEW.id - 10000; END;
                    """)
        }
        m.registerMigration("v2-sync-state") { db in
            try db.execute(
                sql: """
                    -- Site settings the hub sends down; they override the config file's [site].
                    CREATE TABLE site_setting (
                        key TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    ) STRICT;
                    """)
        }
        m.registerMigration("v3-ledger-snapshot") { db in
            try db.execute(
                sql: """
                    -- The events the box's ledger (open loans, open visits) stands on, kept in
                    -- the transaction of each event: a box starts from these, not from history.
                    -- closed_by: the event that closed the entry, kept until the next event
                    -- so that a void of that event can reopen it. Filled from a full replay
                    -- when meta's 'ledger_snapshot' is missing.
                    CREATE TABLE ledger_entry (
                        seq INTEGER PRIMARY KEY NOT NULL,
                        closed_by INTEGER
                    ) STRICT;
                    CREATE INDEX ledger_entry_closed ON ledger_entry (closed_by) WHERE closed_by IS NOT NULL;
                    """)
        }
        m.registerMigration("v4-transfers") { db in
            try db.execute(
                sql: """
                    -- Requested copies sent on and collected here: two more kinds of event. The
                    -- kinds are the table's CHECK, so the table is rebuilt (SQLite's way).
                    \(eventTableRebuilt(kinds: "'checkout','renewal','return','visit-start','visit-end','void','transfer-out','transfer-in'"))
                    -- Which requests this box trapped already.
                    CREATE INDEX event_request ON event (json_extract(body, '$.request')) WHERE kind IN ('transfer-out', 'transfer-in');

                    -- The hub's pull list (kind 'pull': copies to send on) and hold shelf
                    -- (kind 'hold': requests collected here), replaced whole by each downlink.
                    CREATE TABLE transfer_order (
                        request TEXT NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('pull', 'hold')),
                        item_key TEXT NOT NULL,
                        destination TEXT,
                        masked TEXT,
                        hold_key TEXT,
                        verifier TEXT,
                        member TEXT,
                        hold_days INTEGER,
                        until_ms INTEGER,
                        since_ms INTEGER,
                        PRIMARY KEY (request, kind)
                    ) STRICT;
                    CREATE INDEX transfer_order_item ON transfer_order (item_key);
                    """)
        }
        m.registerMigration("v5-stocktake") { db in
            try db.execute(
                sql: """
                    -- A site manager's stocktake: its start and end, and each book seen. The
                    -- kinds are the table's CHECK, so the table is rebuilt again.
                    \(eventTableRebuilt(kinds: "'checkout','renewal','return','visit-start','visit-end','void','transfer-out','transfer-in','stocktake-start','seen','stocktake-end'"))
                    CREATE INDEX event_request ON event (json_extract(body, '$.request')) WHERE kind IN ('transfer-out', 'transfer-in');
                    -- The running stocktake, found at start without reading the journal whole.
                    CREATE INDEX event_stocktake ON event (kind, seq) WHERE kind IN ('stocktake-start', 'seen', 'stocktake-end', 'void');
                    """)
        }
        m.registerMigration("v6-transfer-purpose") { db in
            // A pull for no worker: a suggested move or a rotation's stage ('move', 'rotation').
            try db.execute(sql: "ALTER TABLE transfer_order ADD COLUMN purpose TEXT")
        }
        m.registerMigration("v7-ledger-window") { db in
            try db.execute(
                sql: """
                    -- Each entry says what it is and whose: a scan reads the entries of the book
                    -- scanned and counts its worker's loans, so the box keeps no ledger in memory.
                    ALTER TABLE ledger_entry ADD COLUMN kind TEXT;
                    ALTER TABLE ledger_entry ADD COLUMN item_key TEXT;
                    ALTER TABLE ledger_entry ADD COLUMN worker_hash TEXT;
                    UPDATE ledger_entry SET (kind, item_key, worker_hash) = (
                        SELECT kind, json_extract(body, '$.item.key'), json_extract(body, '$.worker.localHash')
                        FROM event WHERE box_id = (SELECT value FROM meta WHERE key = 'box_id') AND event.seq = ledger_entry.seq);
                    CREATE INDEX ledger_entry_item ON ledger_entry (item_key) WHERE closed_by IS NULL;
                    CREATE INDEX ledger_entry_worker ON ledger_entry (worker_hash) WHERE kind = 'checkout' AND closed_by IS NULL;
                    CREATE INDEX ledger_entry_visit ON ledger_entry (kind) WHERE kind = 'visit-start' AND closed_by IS NULL;
                    """)
        }
        return m
    }

    /// The event table rebuilt with a CHECK on these kinds (SQLite changes a CHECK no other
    /// way), its rows and its immutability kept; its indexes are the caller's to make again.
    static func eventTableRebuilt(kinds: String) -> String {
        """
        CREATE TABLE event_new (
            box_id TEXT NOT NULL,
            seq INTEGER NOT NULL CHECK (seq > 0),
            epoch INTEGER NOT NULL CHECK (epoch >= 0),
            site_id TEXT NOT NULL,
            scanner_id TEXT,
            kind TEXT NOT NULL CHECK (kind IN (\(kinds))),
            wall_ms INTEGER NOT NULL,
            clock_synced INTEGER NOT NULL CHECK (clock_synced IN (0, 1)),
            boot_id TEXT NOT NULL,
            mono_us INTEGER NOT NULL,
            body TEXT NOT NULL CHECK (json_valid(body)),
            PRIMARY KEY (box_id, seq)
        ) STRICT, WITHOUT ROWID;
        INSERT INTO event_new SELECT * FROM event;
        DROP TABLE event;
        ALTER TABLE event_new RENAME TO event;
        CREATE TRIGGER event_immutable BEFORE UPDATE ON event
        BEGIN SELECT RAISE(ABORT, 'journal events are immutable'); END;
        """
    }
}
