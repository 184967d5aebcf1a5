-- A hub database on PostgreSQL as stationhub wrote it until the schema became one (commit 305b3bd):
-- its schema versions 1 and 2, verbatim, and a small union's rows.
CREATE TABLE schema_version (version BIGINT NOT NULL);
CREATE TABLE site (id TEXT PRIMARY KEY, region TEXT);
CREATE TABLE box (id TEXT PRIMARY KEY, site_id TEXT NOT NULL REFERENCES site(id), credential_hash TEXT UNIQUE, revoked_reason TEXT,
acked_through BIGINT NOT NULL DEFAULT 0, epoch BIGINT NOT NULL DEFAULT 0, last_seen_ms BIGINT);
CREATE TABLE enrollment_token (token_hash TEXT PRIMARY KEY, box_id TEXT NOT NULL REFERENCES box(id), used BIGINT NOT NULL DEFAULT 0);
CREATE TABLE event (
box_id TEXT NOT NULL REFERENCES box(id), seq BIGINT NOT NULL, epoch BIGINT NOT NULL, site_id TEXT NOT NULL, kind TEXT NOT NULL,
wall_ms BIGINT NOT NULL, body TEXT NOT NULL, content_hash TEXT NOT NULL, received_ms BIGINT NOT NULL,
worker_pseudonym TEXT, item_key TEXT, boot_id TEXT, clock_synced BIGINT, corrected_ms BIGINT, worker_key TEXT,
due_date TEXT, service TEXT, auto_closed BIGINT NOT NULL DEFAULT 0, refers_to BIGINT,
PRIMARY KEY (box_id, seq));
CREATE INDEX event_worker ON event(worker_pseudonym) WHERE worker_pseudonym IS NOT NULL;
CREATE INDEX event_item ON event(item_key) WHERE item_key IS NOT NULL;
CREATE INDEX event_site_kind ON event(site_id, kind);
CREATE INDEX event_kind_time ON event(kind, corrected_ms);
CREATE INDEX event_boot ON event(box_id, boot_id);
CREATE INDEX event_visit_worker ON event(site_id, worker_key) WHERE kind IN ('visit-start', 'visit-end');
CREATE INDEX event_void ON event(box_id, refers_to) WHERE kind = 'void';
CREATE TABLE quarantine (id BIGSERIAL PRIMARY KEY, box_id TEXT NOT NULL, seq BIGINT NOT NULL, reason TEXT NOT NULL, body TEXT NOT NULL,
received_ms BIGINT NOT NULL);
CREATE INDEX quarantine_box ON quarantine(box_id, seq);
CREATE TABLE ledger_book (item_key TEXT PRIMARY KEY, holder TEXT, loaned_at_ms BIGINT, due_date TEXT, site_id TEXT, flags TEXT NOT NULL);
CREATE TABLE ledger_visit (site_id TEXT NOT NULL, box_id TEXT NOT NULL, start_seq BIGINT, end_seq BIGINT, worker TEXT NOT NULL,
service TEXT, start_ms BIGINT, end_ms BIGINT, flags TEXT NOT NULL);
CREATE INDEX ledger_visit_worker ON ledger_visit(site_id, worker);
CREATE TABLE clock_correction (box_id TEXT NOT NULL REFERENCES box(id), boot_id TEXT NOT NULL,
source TEXT NOT NULL CHECK (source IN ('ntp', 'hub-date', 'manual')), mono_us BIGINT NOT NULL, offset_ms BIGINT NOT NULL,
recorded_wall_ms BIGINT NOT NULL, received_ms BIGINT NOT NULL, PRIMARY KEY (box_id, boot_id, source, mono_us));
CREATE TABLE device_log (box_id TEXT NOT NULL REFERENCES box(id), id BIGINT NOT NULL, at_ms BIGINT NOT NULL, level TEXT NOT NULL,
scanner_id TEXT, message TEXT NOT NULL, received_ms BIGINT NOT NULL, PRIMARY KEY (box_id, id));
CREATE TABLE revision (id BIGINT PRIMARY KEY CHECK (id = 1), value BIGINT NOT NULL);
INSERT INTO revision VALUES (1, 0);
CREATE TABLE catalog_title (item_key TEXT PRIMARY KEY, title TEXT, home_site TEXT, revision BIGINT NOT NULL);
CREATE INDEX catalog_revision ON catalog_title(revision);
CREATE TABLE member_card (card_uid TEXT PRIMARY KEY, member TEXT NOT NULL, revision BIGINT NOT NULL);
CREATE INDEX member_revision ON member_card(revision);
CREATE TABLE site_setting (site_id TEXT NOT NULL REFERENCES site(id), key TEXT NOT NULL, value TEXT NOT NULL, revision BIGINT NOT NULL,
PRIMARY KEY (site_id, key));
CREATE TABLE public_key (purpose TEXT NOT NULL, version BIGINT NOT NULL, material TEXT NOT NULL, revision BIGINT NOT NULL,
PRIMARY KEY (purpose, version));
INSERT INTO schema_version VALUES (1);
CREATE INDEX event_worker_key ON event(worker_key) WHERE worker_key IS NOT NULL;
CREATE TABLE retention (key TEXT PRIMARY KEY, days BIGINT NOT NULL);
CREATE TABLE deidentify (old TEXT PRIMARY KEY, tag TEXT NOT NULL);
CREATE TABLE erasure_log (id BIGSERIAL PRIMARY KEY, at_ms BIGINT NOT NULL, reference TEXT NOT NULL, operator TEXT NOT NULL,
tag TEXT NOT NULL, events BIGINT NOT NULL, books BIGINT NOT NULL, visits BIGINT NOT NULL);
INSERT INTO schema_version VALUES (2);

-- A small union's rows.
INSERT INTO site (id, region) VALUES ('shelf-old', 'east');
INSERT INTO box (id, site_id, credential_hash, acked_through, epoch, last_seen_ms) VALUES ('box-l1', 'shelf-old', 'e7ac2b23721d96099f21e5132621884453d4441c543acf4f898eb434bad50759', 3, 0, 1793500200000);
INSERT INTO catalog_title (item_key, title, home_site, revision) VALUES ('label:OLD-1', 'Old Shelf Stories', 'shelf-old', 1);
UPDATE revision SET value = 1 WHERE id = 1;
INSERT INTO ledger_book (item_key, holder, loaned_at_ms, due_date, site_id, flags) VALUES ('label:OLD-1', 'box-l1/v1:w1', 1793494800000, '2026-11-29', 'shelf-old', '');
INSERT INTO ledger_visit (site_id, box_id, start_seq, end_seq, worker, service, start_ms, end_ms, flags) VALUES ('shelf-old', 'box-l1', 2, 3, 'box-l1/v1:m1', 'rest', 1793498400000, 1793500200000, 'auto-closed');
INSERT INTO event (box_id, seq, epoch, site_id, kind, wall_ms, body, content_hash, received_ms, worker_pseudonym, item_key, boot_id, clock_synced, corrected_ms, worker_key, refers_to, service, due_date, auto_closed) VALUES ('box-l1', 1, 0, 'shelf-old', 'checkout', 1793494800000, '{"boxID":"box-l1","draft":{"dueDate":"2026-11-29","flags":[],"item":{"key":"label:OLD-1"},"kind":"checkout","worker":{"kind":"member-card","localHash":"v1:w1","masked":"****"}},"epoch":0,"seq":1,"siteID":"shelf-old","time":{"bootID":"b1","monotonicMicros":1000,"synchronized":true,"wallMillis":1793494800000}}', 'fc0dd39167baa82ebb26bf27bedd9705b09b4b26b6b263a07369b359d2b1ea77', 1793494801000, NULL, 'label:OLD-1', 'b1', 1, 1793494800000, 'box-l1/v1:w1', NULL, NULL, '2026-11-29', 0);
INSERT INTO event (box_id, seq, epoch, site_id, kind, wall_ms, body, content_hash, received_ms, worker_pseudonym, item_key, boot_id, clock_synced, corrected_ms, worker_key, refers_to, service, due_date, auto_closed) VALUES ('box-l1', 2, 0, 'shelf-old', 'visit-start', 1793498400000, '{"boxID":"box-l1","draft":{"flags":[],"kind":"visit-start","service":"rest","worker":{"kind":"member-card","localHash":"v1:m1","masked":"****"}},"epoch":0,"seq":2,"siteID":"shelf-old","time":{"bootID":"b1","monotonicMicros":2000,"synchronized":true,"wallMillis":1793498400000}}', '23a70118f81d4838e2ff8e06bd3072a89df53d5f1ca0ca5d028384e149d3a03f', 1793498401000, NULL, NULL, 'b1', 1, 1793498400000, 'box-l1/v1:m1', NULL, 'rest', NULL, 0);
INSERT INTO event (box_id, seq, epoch, site_id, kind, wall_ms, body, content_hash, received_ms, worker_pseudonym, item_key, boot_id, clock_synced, corrected_ms, worker_key, refers_to, service, due_date, auto_closed) VALUES ('box-l1', 3, 0, 'shelf-old', 'visit-end', 1793500200000, '{"boxID":"box-l1","draft":{"flags":["auto-closed"],"kind":"visit-end","service":"rest","worker":{"kind":"member-card","localHash":"v1:m1","masked":"****"}},"epoch":0,"seq":3,"siteID":"shelf-old","time":{"bootID":"b1","monotonicMicros":3000,"synchronized":true,"wallMillis":1793500200000}}', 'b21647dc56b30058453a8304cbcbaed1d31c10e59ee88c5de38dc9ac43540917', 1793500201000, NULL, NULL, 'b1', 1, 1793500200000, 'box-l1/v1:m1', NULL, 'rest', NULL, 1);
