#!/usr/bin/env python3
"""The floor beside the hub's ingest in `make bench-hub`: how fast the same disk takes the
same rows into the same schema with nothing of Station in between.

  bench-floor.py sqlite HUB.sqlite LOADGEN.json FLOOR.json
      the hub's `event` rows, in the order they arrived, written into a new SQLite file
      holding only the `event` table and its indexes as the hub created them (WAL,
      synchronous=FULL, the hub's page cache), with Python's sqlite3 `executemany`, one
      transaction per batch of 500 (the batches the boxes sent);
  bench-floor.py postgres DATABASE-URL LOADGEN.json FLOOR.json
      the same rows exported with `psql \\copy`, then `\\copy`'d into a new table made
      `LIKE event INCLUDING ALL` (the same columns and indexes) on the same server.

Prints the floor and Station's ingest (loadgen's "ingest rate" figure) as a fraction of
it, and writes both to FLOOR.json. Numbers, not assertions.
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

BATCH = 500


def sqlite_floor(hub_path):
    src = sqlite3.connect(f"file:{hub_path}?mode=ro", uri=True)
    ddl = [sql for (sql,) in src.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'event' AND sql IS NOT NULL ORDER BY type DESC, name")]
    columns = [c[1] for c in src.execute("PRAGMA table_info(event)")]
    rows = src.execute(f"SELECT {', '.join(columns)} FROM event ORDER BY received_ms, box_id, seq").fetchall()
    src.close()
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(hub_path))) as d:
        db = sqlite3.connect(os.path.join(d, "floor.sqlite"), isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA cache_size = -65536")
        # The table names box(id) in a foreign key the connection does not enforce.
        for sql in ddl:
            db.execute(sql)
        insert = f"INSERT INTO event ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        start = time.perf_counter()
        for i in range(0, len(rows), BATCH):
            db.execute("BEGIN")
            db.executemany(insert, rows[i:i + BATCH])
            db.execute("COMMIT")
        seconds = time.perf_counter() - start
        db.close()
    return len(rows), seconds, f"Python sqlite3 executemany, {BATCH} rows per transaction, synchronous=FULL"


def psql(url, *args):
    return subprocess.run(["psql", "-XqAt", "-v", "ON_ERROR_STOP=1", "-d", url, *args], check=True, capture_output=True, text=True)


def postgres_floor(url):
    with tempfile.TemporaryDirectory() as d:
        dump = os.path.join(d, "event.copy")
        psql(url, "-c", f"\\copy (SELECT * FROM event ORDER BY received_ms, box_id, seq) TO '{dump}'")
        psql(url, "-c", "DROP TABLE IF EXISTS floor_event; CREATE TABLE floor_event (LIKE event INCLUDING ALL)")
        count = int(psql(url, "-c", "SELECT count(*) FROM event").stdout.strip())
        start = time.perf_counter()
        psql(url, "-c", f"\\copy floor_event FROM '{dump}'")
        seconds = time.perf_counter() - start
        psql(url, "-c", "DROP TABLE floor_event")
    return count, seconds, "psql \\copy of every row into a table LIKE event INCLUDING ALL, fsync on"


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("sqlite", "postgres"):
        sys.exit(__doc__)
    engine, database, loadgen_path, out_path = sys.argv[1:]
    rows, seconds, how = sqlite_floor(database) if engine == "sqlite" else postgres_floor(database)
    floor = rows / seconds if seconds > 0 else 0
    with open(loadgen_path) as f:
        station = next(f["value"] for f in json.load(f) if f["name"] == "ingest rate")
    fraction = station / floor if floor else 0
    with open(out_path, "w") as f:
        json.dump({"floorRowsPerSecond": round(floor), "rows": rows, "seconds": round(seconds, 2), "how": how,
                   "stationEventsPerSecond": round(station), "stationFraction": round(fraction, 3)}, f, indent=2)
    print(f"{'floor':<16} {floor:10,.0f} rows/s ({rows:,} rows in {seconds:.1f} s: {how})")
    print(f"{'station/floor':<16} {fraction:10.2f}        (ingest {station:,.0f} events/s)")


if __name__ == "__main__":
    main()
