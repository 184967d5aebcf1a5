-- A hub database as stationhub wrote it until the schema became one (commit 305b3bd):
-- GRDB's migrations v1-hub .. v7-retention, verbatim, and a small union's rows.
CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
CREATE TABLE site (id TEXT PRIMARY KEY NOT NULL) STRICT;
CREATE TABLE box (
id TEXT PRIMARY KEY NOT NULL,
site_id TEXT NOT NULL REFERENCES site(id),
credential_hash TEXT UNIQUE,
revoked_reason TEXT,
acked_through INTEGER NOT NULL DEFAULT 0,
epoch INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE enrollment_token (
token_hash TEXT PRIMARY KEY NOT NULL,
box_id TEXT NOT NULL REFERENCES box(id),
used INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE event (
box_id TEXT NOT NULL REFERENCES box(id),
seq INTEGER NOT NULL,
epoch INTEGER NOT NULL,
site_id TEXT NOT NULL,
kind TEXT NOT NULL,
wall_ms INTEGER NOT NULL,
body TEXT NOT NULL,
content_hash TEXT NOT NULL,
received_ms INTEGER NOT NULL,
PRIMARY KEY (box_id, seq)
) STRICT, WITHOUT ROWID;
CREATE TABLE quarantine (
id INTEGER PRIMARY KEY AUTOINCREMENT,
box_id TEXT NOT NULL,
seq INTEGER NOT NULL,
reason TEXT NOT NULL,
body TEXT NOT NULL,
received_ms INTEGER NOT NULL
) STRICT;
INSERT INTO grdb_migrations VALUES ('v1-hub');
ALTER TABLE event ADD COLUMN worker_pseudonym TEXT;
CREATE INDEX event_worker ON event(worker_pseudonym) WHERE worker_pseudonym IS NOT NULL;
INSERT INTO grdb_migrations VALUES ('v2-pseudonym');
ALTER TABLE event ADD COLUMN item_key TEXT;
UPDATE event SET item_key = json_extract(body, '$.draft.item.key');
CREATE INDEX event_item ON event(item_key) WHERE item_key IS NOT NULL;
CREATE INDEX event_site_kind ON event(site_id, kind);
CREATE TABLE ledger_book (
item_key TEXT PRIMARY KEY NOT NULL,
holder TEXT,
loaned_at_ms INTEGER,
due_date TEXT,
site_id TEXT,
flags TEXT NOT NULL
) STRICT;
CREATE TABLE ledger_visit (
site_id TEXT NOT NULL,
box_id TEXT NOT NULL,
start_seq INTEGER,
end_seq INTEGER,
worker TEXT NOT NULL,
service TEXT,
start_ms INTEGER,
end_ms INTEGER,
flags TEXT NOT NULL
) STRICT;
CREATE INDEX ledger_visit_site ON ledger_visit(site_id);
INSERT INTO grdb_migrations VALUES ('v3-ledger');
-- Corrected time: wall time plus the box's clock correction for that boot
-- when the event was recorded unsynchronised; the ledger orders by it.
ALTER TABLE event ADD COLUMN boot_id TEXT;
ALTER TABLE event ADD COLUMN clock_synced INTEGER;
ALTER TABLE event ADD COLUMN corrected_ms INTEGER;
UPDATE event SET boot_id = json_extract(body, '$.time.bootID'),
clock_synced = json_extract(body, '$.time.synchronized'), corrected_ms = wall_ms;
CREATE INDEX event_boot ON event(box_id, boot_id);
CREATE TABLE clock_correction (
box_id TEXT NOT NULL REFERENCES box(id),
boot_id TEXT NOT NULL,
source TEXT NOT NULL CHECK (source IN ('ntp', 'hub-date', 'manual')),
mono_us INTEGER NOT NULL,
offset_ms INTEGER NOT NULL,
recorded_wall_ms INTEGER NOT NULL,
received_ms INTEGER NOT NULL,
PRIMARY KEY (box_id, boot_id, source, mono_us)
) STRICT;
CREATE TABLE device_log (
box_id TEXT NOT NULL REFERENCES box(id),
id INTEGER NOT NULL,
at_ms INTEGER NOT NULL,
level TEXT NOT NULL,
scanner_id TEXT,
message TEXT NOT NULL,
received_ms INTEGER NOT NULL,
PRIMARY KEY (box_id, id)
) STRICT;
-- What goes down to boxes; every changed row takes the next revision.
CREATE TABLE revision (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
INSERT INTO revision VALUES (1, 0);
CREATE TABLE catalog_title (
item_key TEXT PRIMARY KEY NOT NULL,
title TEXT,
home_site TEXT,
revision INTEGER NOT NULL
) STRICT;
CREATE INDEX catalog_revision ON catalog_title(revision);
CREATE TABLE member_card (
card_uid TEXT PRIMARY KEY NOT NULL,
member TEXT NOT NULL,
revision INTEGER NOT NULL
) STRICT;
CREATE INDEX member_revision ON member_card(revision);
CREATE TABLE site_setting (
site_id TEXT NOT NULL REFERENCES site(id),
key TEXT NOT NULL,
value TEXT NOT NULL,
revision INTEGER NOT NULL,
PRIMARY KEY (site_id, key)
) STRICT;
CREATE TABLE public_key (
purpose TEXT NOT NULL,
version INTEGER NOT NULL,
material TEXT NOT NULL,
revision INTEGER NOT NULL,
PRIMARY KEY (purpose, version)
) STRICT;
INSERT INTO grdb_migrations VALUES ('v4-downlink-clock-devicelog');
-- The worker as the ledger pairs visits (pseudonym, else box/local hash):
-- a batch recomputes only the visits of the workers it touched.
ALTER TABLE event ADD COLUMN worker_key TEXT;
UPDATE event SET worker_key = coalesce(worker_pseudonym, box_id || '/' || json_extract(body, '$.draft.worker.localHash'))
WHERE json_extract(body, '$.draft.worker') IS NOT NULL;
CREATE INDEX event_visit_worker ON event(site_id, worker_key) WHERE kind IN ('visit-start', 'visit-end');
CREATE INDEX event_void ON event(kind) WHERE kind = 'void';
CREATE INDEX ledger_visit_worker ON ledger_visit(site_id, worker);
INSERT INTO grdb_migrations VALUES ('v5-ledger-keys');
-- What a void cancels, as a column (reports leave voided events out), where a
-- site is (titles are ranked per region), when a box was last heard from.
ALTER TABLE event ADD COLUMN refers_to INTEGER;
UPDATE event SET refers_to = json_extract(body, '$.draft.refersTo') WHERE kind = 'void';
CREATE INDEX event_void_ref ON event(box_id, refers_to) WHERE kind = 'void';
ALTER TABLE site ADD COLUMN region TEXT;
ALTER TABLE box ADD COLUMN last_seen_ms INTEGER;
CREATE INDEX event_kind_time ON event(kind, corrected_ms);
INSERT INTO grdb_migrations VALUES ('v6-reports');
-- The service as a column (retention is shorter for some services), the
-- retention periods, a scratch map for de-identification, the erasure log.
ALTER TABLE event ADD COLUMN service TEXT;
UPDATE event SET service = json_extract(body, '$.draft.service') WHERE json_extract(body, '$.draft.service') IS NOT NULL;
CREATE INDEX event_worker_key ON event(worker_key) WHERE worker_key IS NOT NULL;
CREATE TABLE retention (key TEXT PRIMARY KEY NOT NULL, days INTEGER NOT NULL) STRICT;
CREATE TABLE deidentify (old TEXT PRIMARY KEY NOT NULL, tag TEXT NOT NULL) STRICT;
CREATE TABLE erasure_log (
id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, reference TEXT NOT NULL, operator TEXT NOT NULL,
tag TEXT NOT NULL, events INTEGER NOT NULL, books INTEGER NOT NULL, visits INTEGER NOT NULL
) STRICT;
INSERT INTO grdb_migrations VALUES ('v7-retention');

-- A small union's rows.
INSERT INTO site (id, region) VALUES ('shelf-old', 'east');
INSERT INTO box (id, site_id, credential_hash, acked_through, epoch, last_seen_ms) VALUES ('box-l1', 'shelf-old', 'e7ac2b23721d96099f21e5132621884453d4441c543acf4f898eb434bad50759', 3, 0, 1793500200000);
INSERT INTO catalog_title (item_key, title, home_site, revision) VALUES ('label:OLD-1', 'Old Shelf Stories', 'shelf-old', 1);
UPDATE revision SET value = 1 WHERE id = 1;
INSERT INTO ledger_book (item_key, holder, loaned_at_ms, due_date, site_id, flags) VALUES ('label:OLD-1', 'box-l1/v1:w1', 1793494800000, '2026-11-29', 'shelf-old', '');
INSERT INTO ledger_visit (site_id, box_id, start_seq, end_seq, worker, service, start_ms, end_ms, flags) VALUES ('shelf-old', 'box-l1', 2, 3, 'box-l1/v1:m1', 'rest', 1793498400000, 1793500200000, 'auto-closed');
INSERT INTO event (box_id, seq, epoch, site_id, kind, wall_ms, body, content_hash, received_ms, worker_pseudonym, item_key, boot_id, clock_synced, corrected_ms, worker_key, refers_to, service) VALUES ('box-l1', 1, 0, 'shelf-old', 'checkout', 1793494800000, '{"boxID":"box-l1","draft":{"dueDate":"2026-11-29","flags":[],"item":{"key":"label:OLD-1"},"kind":"checkout","worker":{"kind":"member-card","localHash":"v1:w1","masked":"****"}},"epoch":0,"seq":1,"siteID":"shelf-old","time":{"bootID":"b1","monotonicMicros":1000,"synchronized":true,"wallMillis":1793494800000}}', 'fc0dd39167baa82ebb26bf27bedd9705b09b4b26b6b263a07369b359d2b1ea77', 1793494801000, NULL, 'label:OLD-1', 'b1', 1, 1793494800000, 'box-l1/v1:w1', NULL, NULL);
INSERT INTO event (box_id, seq, epoch, site_id, kind, wall_ms, body, content_hash, received_ms, worker_pseudonym, item_key, boot_id, clock_synced, corrected_ms, worker_key, refers_to, service) VALUES ('box-l1', 2, 0, 'shelf-old', 'visit-start', 1793498400000, '{"boxID":"box-l1","draft":{"flags":[],"kind":"visit-start","service":"rest","worker":{"kind":"member-card","localHash":"v1:m1","masked":"****"}},"epoch":0,"seq":2,"siteID":"shelf-old","time":{"bootID":"b1","monotonicMicros":2000,"synchronized":true,"wallMillis":1793498400000}}', '23a70118f81d4838e2ff8e06bd3072a89df53d5f1ca0ca5d028384e149d3a03f', 1793498401000, NULL, NULL, 'b1', 1, 1793498400000, 'box-l1/v1:m1', NULL, 'rest');
INSERT INTO event (box_id, seq, epoch, site_id, kind, wall_ms, body, content_hash, received_ms, worker_pseudonym, item_key, boot_id, clock_synced, corrected_ms, worker_key, refers_to, service) VALUES ('box-l1', 3, 0, 'shelf-old', 'visit-end', 1793500200000, '{"boxID":"box-l1","draft":{"flags":["auto-closed"],"kind":"visit-end","service":"rest","worker":{"kind":"member-card","localHash":"v1:m1","masked":"****"}},"epoch":0,"seq":3,"siteID":"shelf-old","time":{"bootID":"b1","monotonicMicros":3000,"synchronized":true,"wallMillis":1793500200000}}', 'b21647dc56b30058453a8304cbcbaed1d31c10e59ee88c5de38dc9ac43540917', 1793500201000, NULL, NULL, 'b1', 1, 1793500200000, 'box-l1/v1:m1', NULL, 'rest');
