#!/usr/bin/env python3
"""Independent checker of a box's journal against the hub's database after a sync.

Reads the journal with Python's own sqlite3 and the hub's database with sqlite3 or, for a
postgres:// URL, psql (not Station's code), and checks:
  - PRAGMA integrity_check is ok on the SQLite files;
  - every event of the journal is at the hub exactly once, under the same seq, with the
    same epoch, kind and wall time (nothing recorded is lost on the way);
  - the hub holds no event of this box that the journal does not (nothing is doubled or
    invented), and nothing of this box sits in quarantine;
  - every event the journal counts as acknowledged (no longer in its outbox) is at the hub,
    and, with --drained, nothing is left in the outbox.

usage: hub_check.py [--drained] JOURNAL.sqlite HUB.sqlite|postgres://... BOX_ID
Prints `N scans, N acknowledged, 0 lost, 0 duplicated` (scans: events in the journal;
acknowledged: those the hub acknowledged); exit 1 on any problem.
"""
import sqlite3
import subprocess
import sys


class Postgres:
    """The few queries below through psql, rows as tuples of text (None for NULL)."""

    def __init__(self, url):
        self.url = url

    def execute(self, sql, params=()):
        for p in params:
            sql = sql.replace("?", "'" + str(p).replace("'", "''") + "'", 1)
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-P", "null=\x1e", "-v", "ON_ERROR_STOP=1",
                              "-d", self.url, "-c", sql], check=True, capture_output=True, text=True).stdout
        rows = []
        for line in out.splitlines():
            rows.append(tuple(None if v == "\x1e" else (int(v) if v.lstrip("-").isdigit() else v) for v in line.split("\x1f")))
        return Rows(rows)


class Rows(list):
    def fetchone(self):
        return self[0] if self else None


def main():
    args = sys.argv[1:]
    drained = "--drained" in args
    args = [a for a in args if a != "--drained"]
    journal_path, hub_path, box = args
    problems = []
    journal = sqlite3.connect(f"file:{journal_path}?mode=ro", uri=True)
    postgres = hub_path.startswith("postgres")
    hub = Postgres(hub_path) if postgres else sqlite3.connect(f"file:{hub_path}?mode=ro", uri=True)
    for name, db in (("journal", journal),) + ((("hub", hub),) if not postgres else ()):
        result = db.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            problems.append(f"{name} integrity_check: {result}")
    events = {seq: (epoch, kind, wall) for seq, epoch, kind, wall in
              journal.execute("SELECT seq, epoch, kind, wall_ms FROM event WHERE box_id = ?", (box,))}
    unacked = {seq for (seq,) in journal.execute("SELECT seq FROM outbox")}
    # (box_id, seq) is the hub's primary key: a doubled event shows as a seq the journal
    # does not have (the same scan sent under another seq), counted below.
    at_hub = {seq: (epoch, kind, wall) for seq, epoch, kind, wall in
              hub.execute("SELECT seq, epoch, kind, wall_ms FROM event WHERE box_id = ?", (box,))}
    doubled = 0
    lost = 0
    for seq, row in events.items():
        if seq not in at_hub:
            if seq not in unacked or drained:
                lost += 1
                if lost <= 5:
                    problems.append(f"seq {seq} ({row[1]}) is {'acknowledged' if seq not in unacked else 'recorded'} but not at the hub")
        elif at_hub[seq] != row:
            problems.append(f"seq {seq}: journal has {row}, the hub {at_hub[seq]}")
    for seq in at_hub:
        if seq not in events:
            doubled += 1
            if doubled <= 5:
                problems.append(f"seq {seq} is at the hub but not in the journal")
    quarantined = hub.execute("SELECT count(*) FROM quarantine WHERE box_id = ?", (box,)).fetchone()[0]
    if quarantined:
        problems.append(f"{quarantined} events of {box} in quarantine")
    if drained and unacked:
        problems.append(f"{len(unacked)} events still in the outbox")
    acknowledged = len([s for s in events if s not in unacked])
    print(f"{len(events)} scans, {acknowledged} acknowledged, {lost} lost, {doubled} duplicated")
    for p in problems:
        print("  " + p)
    sys.exit(1 if problems or lost or doubled else 0)


if __name__ == "__main__":
    main()
