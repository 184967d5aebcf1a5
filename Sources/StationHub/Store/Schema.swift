import Foundation

/// The hub's tables: one list of named migrations, each rendered for the engine's dialect,
/// applied in order and recorded in `hub_migration`. Migrations are never edited once
/// released; a change is a new one at the end. The same columns and indexes on both engines.
enum Schema {
    struct Migration: Sendable {
        var name: String
        var statements: @Sendable (SQLDialect) -> [String]
    }

    static let migrations: [Migration] = [
        Migration(name: "1-tables", statements: tables),
        Migration(name: "1-indexes", statements: { _ in indexes }),
        Migration(name: "2-fleet", statements: fleet),
        Migration(name: "3-console", statements: console),
        Migration(name: "4-report-aggregates", statements: ReportAggregates.migration),
        Migration(name: "5-requests", statements: requests),
        Migration(name: "6-stocktake", statements: stocktake),
        Migration(name: "7-moves", statements: moves),
        Migration(name: "8-ledger-fold", statements: ledgerFold),
        Migration(name: "9-readers", statements: readers),
    ]

    /// The console's accounts (a role and its scope, a bcrypt hash, the language the pages
    /// speak), their sessions (the id hashed: a copy of the database opens none; kept here
    /// so that every hub instance knows them), failed logins counted per account and per
    /// address, for pacing; and boxes found by their site.
    @Sendable static func console(_ d: SQLDialect) -> [String] {
        let int = d.integer
        return [
            """
            CREATE TABLE operator_account (name TEXT PRIMARY KEY NOT NULL, role TEXT NOT NULL CHECK (role IN ('union', 'region', 'site')),
                scope TEXT, password_hash TEXT NOT NULL, language TEXT NOT NULL DEFAULT 'zh', created_ms \(int) NOT NULL,
                disabled_ms \(int), CHECK ((role = 'union') = (scope IS NULL)))\(d.strict)
            """,
            """
            CREATE TABLE console_session (id_hash TEXT PRIMARY KEY NOT NULL, operator TEXT NOT NULL REFERENCES operator_account(name),
                csrf TEXT NOT NULL, created_ms \(int) NOT NULL, seen_ms \(int) NOT NULL, origin TEXT NOT NULL)\(d.strict)
            """,
            "CREATE INDEX console_session_operator ON console_session(operator)",
            "CREATE TABLE login_failure (key TEXT PRIMARY KEY NOT NULL, failures \(int) NOT NULL, last_ms \(int) NOT NULL)\(d.strict)",
            // A site's boxes, counted on every console page that lists sites (without it, 400
            // sites and 2,000 boxes took 110 ms a page).
            "CREATE INDEX box_site ON box(site_id)",
        ]
    }

    /// What running a fleet needs: a site's name and kind; what the hub knows of each box
    /// (when it enrolled or was revoked, its last batch, the backlog and software it last
    /// reported); the sites a box stood at before a move (its older events name them);
    /// catalog titles and member cards removed (sent down, then no longer listed); which
    /// events each box is to forget after an erasure (by seq: nothing of the worker is kept
    /// for it, and a row goes once its box has read it); and the audit log of every
    /// change an operator made.
    @Sendable static func fleet(_ d: SQLDialect) -> [String] {
        let int = d.integer
        return [
            "ALTER TABLE site ADD COLUMN name TEXT",
            "ALTER TABLE site ADD COLUMN kind TEXT",
            "ALTER TABLE box ADD COLUMN enrolled_ms \(int)",
            "ALTER TABLE box ADD COLUMN revoked_ms \(int)",
            "ALTER TABLE box ADD COLUMN last_batch_ms \(int)",
            "ALTER TABLE box ADD COLUMN backlog \(int)",
            "ALTER TABLE box ADD COLUMN software TEXT",
            "ALTER TABLE catalog_title ADD COLUMN removed \(int) NOT NULL DEFAULT 0",
            "ALTER TABLE member_card ADD COLUMN removed \(int) NOT NULL DEFAULT 0",
            """
            CREATE TABLE box_former_site (box_id TEXT NOT NULL REFERENCES box(id), site_id TEXT NOT NULL REFERENCES site(id),
                until_ms \(int) NOT NULL, PRIMARY KEY (box_id, site_id))\(d.strict)
            """,
            """
            CREATE TABLE forget (box_id TEXT NOT NULL REFERENCES box(id), seq \(int) NOT NULL, revision \(int) NOT NULL,
                PRIMARY KEY (box_id, seq))\(d.strict)
            """,
            "CREATE INDEX forget_revision ON forget(revision)",
            """
            CREATE TABLE audit (id \(d.serialKey), at_ms \(int) NOT NULL, actor TEXT NOT NULL, origin TEXT NOT NULL, action TEXT NOT NULL,
                subject TEXT NOT NULL, detail TEXT NOT NULL)\(d.strict)
            """,
            "CREATE INDEX audit_time ON audit(at_ms)",
        ]
    }

    /// Sites, boxes and their credentials (hashed), one-time tokens, every event ever
    /// received with the columns the ledger and the reports read, quarantine, the ledger,
    /// clock corrections, device logs, what goes down to boxes, retention and erasure.
    @Sendable static func tables(_ d: SQLDialect) -> [String] {
        let int = d.integer
        return [
            "CREATE TABLE site (id TEXT PRIMARY KEY NOT NULL, region TEXT)\(d.strict)",
            """
            CREATE TABLE box (
                id TEXT PRIMARY KEY NOT NULL, site_id TEXT NOT NULL REFERENCES site(id), credential_hash TEXT UNIQUE, revoked_reason TEXT,
                acked_through \(int) NOT NULL DEFAULT 0, epoch \(int) NOT NULL DEFAULT 0, last_seen_ms \(int))\(d.strict)
            """,
            """
            CREATE TABLE enrollment_token (token_hash TEXT PRIMARY KEY NOT NULL, box_id TEXT NOT NULL REFERENCES box(id),
                used \(int) NOT NULL DEFAULT 0)\(d.strict)
            """,
            // Corrected time: wall time plus the box's clock correction for that boot when
            // the event was recorded unsynchronised; the ledger orders by it.
            """
            CREATE TABLE event (
                box_id TEXT NOT NULL REFERENCES box(id), seq \(int) NOT NULL, epoch \(int) NOT NULL, site_id TEXT NOT NULL, kind TEXT NOT NULL,
                wall_ms \(int) NOT NULL, body TEXT NOT NULL, content_hash TEXT NOT NULL, received_ms \(int) NOT NULL,
                worker_pseudonym TEXT, item_key TEXT, boot_id TEXT, clock_synced \(int), corrected_ms \(int), worker_key TEXT,
                refers_to \(int), service TEXT, due_date TEXT, auto_closed \(int) NOT NULL DEFAULT 0,
                PRIMARY KEY (box_id, seq))\(d.clustered)
            """,
            """
            CREATE TABLE quarantine (id \(d.serialKey), box_id TEXT NOT NULL, seq \(int) NOT NULL, reason TEXT NOT NULL, body TEXT NOT NULL,
                received_ms \(int) NOT NULL)\(d.strict)
            """,
            """
            CREATE TABLE ledger_book (item_key TEXT PRIMARY KEY NOT NULL, holder TEXT, loaned_at_ms \(int), due_date TEXT, site_id TEXT,
                flags TEXT NOT NULL)\(d.strict)
            """,
            """
            CREATE TABLE ledger_visit (site_id TEXT NOT NULL, box_id TEXT NOT NULL, start_seq \(int), end_seq \(int), worker TEXT NOT NULL,
                service TEXT, start_ms \(int), end_ms \(int), flags TEXT NOT NULL)\(d.strict)
            """,
            """
            CREATE TABLE clock_correction (box_id TEXT NOT NULL REFERENCES box(id), boot_id TEXT NOT NULL,
                source TEXT NOT NULL CHECK (source IN ('ntp', 'hub-date', 'manual')), mono_us \(int) NOT NULL, offset_ms \(int) NOT NULL,
                recorded_wall_ms \(int) NOT NULL, received_ms \(int) NOT NULL, PRIMARY KEY (box_id, boot_id, source, mono_us))\(d.strict)
            """,
            """
            CREATE TABLE device_log (box_id TEXT NOT NULL REFERENCES box(id), id \(int) NOT NULL, at_ms \(int) NOT NULL, level TEXT NOT NULL,
                scanner_id TEXT, message TEXT NOT NULL, received_ms \(int) NOT NULL, PRIMARY KEY (box_id, id))\(d.strict)
            """,
            // What goes down to boxes; every changed row takes the next revision.
            "CREATE TABLE revision (id \(int) PRIMARY KEY CHECK (id = 1), value \(int) NOT NULL)\(d.strict)",
            "INSERT INTO revision VALUES (1, 0)",
            "CREATE TABLE catalog_title (item_key TEXT PRIMARY KEY NOT NULL, title TEXT, home_site TEXT, revision \(int) NOT NULL)\(d.strict)",
            "CREATE TABLE member_card (card_uid TEXT PRIMARY KEY NOT NULL, member TEXT NOT NULL, revision \(int) NOT NULL)\(d.strict)",
            """
            CREATE TABLE site_setting (site_id TEXT NOT NULL REFERENCES site(id), key TEXT NOT NULL, value TEXT NOT NULL, revision \(int) NOT NULL,
                PRIMARY KEY (site_id, key))\(d.strict)
            """,
            """
            CREATE TABLE public_key (purpose TEXT NOT NULL, version \(int) NOT NULL, material TEXT NOT NULL, revision \(int) NOT NULL,
                PRIMARY KEY (purpose, version))\(d.strict)
            """,
            "CREATE TABLE retention (key TEXT PRIMARY KEY NOT NULL, days \(int) NOT NULL)\(d.strict)",
            // A scratch map for de-identification, emptied in the transaction that fills it.
            "CREATE TABLE deidentify (old TEXT PRIMARY KEY NOT NULL, tag TEXT NOT NULL)\(d.strict)",
            """
            CREATE TABLE erasure_log (id \(d.serialKey), at_ms \(int) NOT NULL, reference TEXT NOT NULL, operator TEXT NOT NULL,
                tag TEXT NOT NULL, events \(int) NOT NULL, books \(int) NOT NULL, visits \(int) NOT NULL)\(d.strict)
            """,
        ]
    }

    /// The same on both engines (partial indexes included).
    static let indexes = [
        "CREATE INDEX event_worker ON event(worker_pseudonym) WHERE worker_pseudonym IS NOT NULL",
        "CREATE INDEX event_worker_key ON event(worker_key) WHERE worker_key IS NOT NULL",
        "CREATE INDEX event_item ON event(item_key) WHERE item_key IS NOT NULL",
        "CREATE INDEX event_site_kind ON event(site_id, kind)",
        "CREATE INDEX event_kind_time ON event(kind, corrected_ms)",
        "CREATE INDEX event_boot ON event(box_id, boot_id)",
        "CREATE INDEX event_visit_worker ON event(site_id, worker_key) WHERE kind IN ('visit-start', 'visit-end')",
        // What a void cancels: reports and the ledger leave voided events out. Kind first and
        // over every row: SQLite, without statistics, passed over a partial index here for the
        // primary key and read all of a box's events for each row it checked.
        "CREATE INDEX event_void ON event(kind, box_id, refers_to)",
        // The high-water mark looks at a box's quarantined seqs on every batch.
        "CREATE INDEX quarantine_box ON quarantine(box_id, seq)",
        "CREATE INDEX ledger_visit_worker ON ledger_visit(site_id, worker)",
        "CREATE INDEX catalog_revision ON catalog_title(revision)",
        "CREATE INDEX member_revision ON member_card(revision)",
    ]

    /// Brings the database to the newest schema; one hub instance at a time. Without
    /// `creating`, a database that holds no hub's tables at all is refused: a mistyped
    /// `--database` must not become a new, empty hub that reports a healthy fleet.
    static func migrate(_ engine: any SQLEngine, creating: Bool) async throws {
        try await engine.transaction { s in
            try await s.lock(.migrations)
            let d = s.dialect
            if !creating, try await !isHubDatabase(s) {
                throw HubError(.notFound, "holds no Station hub: check the database's name, or create a hub there with `stationhub init`", code: "no-hub-database")
            }
            try await s.execute("CREATE TABLE IF NOT EXISTS hub_migration (name TEXT PRIMARY KEY NOT NULL, applied_ms \(d.integer) NOT NULL)\(d.strict)")
            var applied = Set(try await s.rows("SELECT name FROM hub_migration").compactMap { $0[0].text })
            if applied.isEmpty { applied = try await LegacySchema.adopt(s) }
            let known = Set(migrations.map(\.name))
            let unknown = applied.subtracting(known)
            guard unknown.isEmpty else {
                throw HubError(.unavailable, "the database was changed by a newer stationhub (\(unknown.sorted().joined(separator: ", "))): run that version")
            }
            for m in migrations where !applied.contains(m.name) {
                for sql in m.statements(d) { try await s.execute(sql) }
                try await record(m.name, s)
            }
        }
    }

    /// Whether a hub wrote this database: its migrations table, or a previous release's.
    static func isHubDatabase(_ s: any SQLSession) async throws -> Bool {
        let names = ["hub_migration", "grdb_migrations", "schema_version"]
        let list = names.map { "'\($0)'" }.joined(separator: ", ")
        let query =
            s.dialect == .sqlite
            ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN (\(list))"
            : "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN (\(list))"
        return (try await s.value(query)?.int ?? 0) > 0
    }

    static func record(_ name: String, _ s: any SQLSession) async throws {
        try await s.execute("INSERT INTO hub_migration (name, applied_ms) VALUES (?, ?)", [.text(name), .int(HubIngest.nowMillis())])
    }
}

/// Hub databases written before the schema was one (until December 2026): SQLite's were
/// migrated by GRDB (`grdb_migrations`, v1-hub … v7-retention), PostgreSQL's by version
/// number (`schema_version`, 1 and 2). Their last versions are brought to the first named
/// migrations above; anything older is refused with what to do.
enum LegacySchema {
    static let sqliteLast = ["v1-hub", "v2-pseudonym", "v3-ledger", "v4-downlink-clock-devicelog", "v5-ledger-keys", "v6-reports", "v7-retention"]

    /// The names of the migrations a legacy database already matches (none for a new one).
    static func adopt(_ s: any SQLSession) async throws -> Set<String> {
        switch s.dialect {
        case .sqlite:
            guard try await !s.rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'grdb_migrations'").isEmpty else { return [] }
            let done = Set(try await s.rows("SELECT identifier FROM grdb_migrations").compactMap { $0[0].text })
            guard done == Set(sqliteLast) else { throw outdated("\(done.count) of its 7 GRDB migrations") }
            try await s.execute([
                // The ledger's columns PostgreSQL kept and SQLite read from the body.
                "ALTER TABLE event ADD COLUMN due_date TEXT",
                "ALTER TABLE event ADD COLUMN auto_closed INTEGER NOT NULL DEFAULT 0",
                """
                UPDATE event SET due_date = json_extract(body, '$.draft.dueDate'),
                    auto_closed = EXISTS (SELECT 1 FROM json_each(body, '$.draft.flags') WHERE value = 'auto-closed')
                """,
                "DROP INDEX event_void", "DROP INDEX event_void_ref", "DROP INDEX ledger_visit_site",
                "DROP TABLE grdb_migrations",
            ].map { SQLStatement($0) })
        case .postgres:
            guard try await !s.rows("SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_version'").isEmpty else { return [] }
            let version = try await s.value("SELECT coalesce(max(version), 0) FROM schema_version")?.int ?? 0
            guard version == 2 else { throw outdated("schema version \(version)") }
            try await s.execute("DROP TABLE schema_version")
        }
        // The indexes of the first named migration, whichever the engine had.
        for index in Schema.indexes {
            try await s.execute(index.replacingOccurrences(of: "CREATE INDEX ", with: "CREATE INDEX IF NOT EXISTS "))
        }
        for name in ["1-tables", "1-indexes"] { try await Schema.record(name, s) }
        return ["1-tables", "1-indexes"]
    }

    static func outdated(_ what: String) -> HubError {
        HubError(.unavailable, "this hub database has \(what): open it once with the stationhub release of November 2026, then with this one")
    }
}
