#!/usr/bin/env python3
"""A morning at a workers' bookshelf and a love mother hut, replayed through umockdev into
`stationd run --print`: a worker opens a session with her identity card (a generated
number, never a real person's), borrows two books, renews one, ends the session; a book
lent somewhere else is returned here (recorded; the hub reconciles where it lives now);
a misread is refused; at the hut a mother
scans in and out. Then `stationctl export` shows what the box recorded (masked) and
`stationctl pending` what waits for the hub. Both boxes are enrolled at a local
`stationhub` (embedded SQLite on 127.0.0.1) and sync to it; the demo shows what the hub
received. Then a year of a small union is uploaded to the same hub (scripts/demo-union.py)
and the hub is left in .build/demo-hub, with console accounts, for `stationhub serve`.

usage: demo-morning.py BIN_DIR"""
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
F = os.path.join(ROOT, "Tests", "Fixtures")
sys.path.insert(0, os.path.join(F, "tools"))
from identities import identity  # noqa: E402


def keys(scans):
    out = []
    for wait, code in scans:
        out.append(f"wait {wait}")
        for c in code:
            out.append(f"key KEY_{c}" if c.isdigit() else "key KEY_MINUS" if c == "-" else f"key KEY_LEFTSHIFT+KEY_{c}")
        out.append("key KEY_ENTER")
    return "\n".join(out) + "\n"


HUB_DIR = os.path.join(ROOT, ".build", "demo-hub")


def start_hub(bin_dir, work):
    # The hub outlives the demo (the console shows it); each demo starts it afresh.
    shutil.rmtree(HUB_DIR, ignore_errors=True)
    os.makedirs(HUB_DIR, mode=0o700)
    db = os.path.join(HUB_DIR, "hub.sqlite")
    subprocess.run([f"{bin_dir}/stationhub", "init", "--database", db], check=True, capture_output=True)
    for site in ["shelf-site", "hut-site", "shelf-east"]:
        subprocess.run([f"{bin_dir}/stationhub", "site", "add", site, "--database", db], check=True, capture_output=True)
    # The union's catalog: LIB-000777 belongs to the east bookshelf (returning it here is drift).
    catalog = os.path.join(work, "catalog.csv")
    with open(catalog, "w") as f:
        f.write("item_key,title,home_site\nlabel:LIB-000101,Capital,shelf-site\nlabel:LIB-000777,The Three-Body Problem,shelf-east\n")
    subprocess.run([f"{bin_dir}/stationhub", "catalog", "import", catalog, "--database", db], check=True, capture_output=True)
    keys_dir = os.path.join(HUB_DIR, "keys")
    public = subprocess.run([f"{bin_dir}/stationhub", "keygen", "--dir", keys_dir], capture_output=True, text=True, check=True).stdout
    proc = subprocess.Popen([f"{bin_dir}/stationhub", "serve", "--database", db, "--listen", "127.0.0.1:0", "--keys", keys_dir],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    return proc, db, int(line.strip().rsplit(":", 1)[1]), public


def run_box(bin_dir, work, name, kind, scans, expect, hub_db, hub_port, hub):
    state = os.path.join(work, name)
    token = subprocess.run([f"{bin_dir}/stationhub", "box", "add", f"{name}-box-1", "--site", f"{name}-site", "--database", hub_db],
                           capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([f"{bin_dir}/stationctl", "enroll", f"http://127.0.0.1:{hub_port}", "-", "--state-dir", state],
                   input=token, text=True, check=True, stdout=subprocess.DEVNULL)
    config = os.path.join(work, f"{name}.toml")
    with open(config, "w") as f:
        f.write(f'[box]\nid = "{name}-box-1"\nsite = "{name}-site"\nstate_dir = "{state}"\n'
                f'device_tables = ["{ROOT}/hw/devices.conf"]\n\n[site]\nkind = "{kind}"\n\n'
                f'[codes]\nitem_label_patterns = ["LIB-[0-9]{{6}}"]\n\n[hub]\n{hub}')
    with open(os.path.join(work, f"{name}.keys"), "w") as f:
        f.write(keys(scans))
    events = os.path.join(work, f"{name}.events")
    subprocess.run([sys.executable, f"{F}/tools/make-events.py", "-o", events, os.path.join(work, f"{name}.keys")], check=True)
    proc = subprocess.Popen(["umockdev-run", "-d", f"{F}/devices/newland-hr200-kbd.umockdev", "-e", f"/dev/input/event10={events}",
                             "--", f"{bin_dir}/stationd", "run", "--config", config, "--print"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    told = []
    for line in proc.stdout:
        o = json.loads(line)
        told.append(o)
        e = o.get("event") or {}
        what = e.get("item") or e.get("worker") or ""
        extra = f"seq {e['seq']} {e['kind']} {what}" + (f" due {e['due_date']}" if e.get("due_date") else "") if e else ""
        print(f"  {o['outcome']:<15} {o['message'][:60]:<60} {extra}")
        if len(told) == expect:
            break
    # Wait for the box to sync what it recorded.
    for _ in range(100):
        pending = json.loads(subprocess.run([f"{bin_dir}/stationctl", "pending", "--state-dir", state, "--json"],
                                            capture_output=True, text=True).stdout or "{}").get("pending")
        if pending == 0:
            break
        time.sleep(0.2)
    kids = open(f"/proc/{proc.pid}/task/{proc.pid}/children").read().split()
    for k in kids:
        os.kill(int(k), 15)
    proc.wait(timeout=20)
    return state, told


def main():
    bin_dir = sys.argv[1]
    rng = random.Random()
    reader = identity(rng)
    mother = identity(rng)
    with tempfile.TemporaryDirectory(prefix="station-demo-") as work:
        hub_proc, hub_db, hub_port, hub_key = start_hub(bin_dir, work)
        try:
            print(f"A local stationhub on 127.0.0.1:{hub_port}; both boxes enrolled.\n")
            print("A morning at a workers' bookshelf (stationd run --print):")
            shelf, told = run_box(bin_dir, work, "shelf", "bookshelf", [
                (300, reader), (400, "LIB-000101"), (400, "9787111213826"), (1800, "LIB-000101"),
                (400, "STN-DONE"), (600, "LIB-000777"), (400, "9787111213827")], 7, hub_db, hub_port, hub_key)
            print("\nA love mother hut:")
            hut, told_hut = run_box(bin_dir, work, "hut", "hut", [(300, mother), (1800, mother)], 2, hub_db, hub_port, hub_key)
            print("\nWhat the bookshelf box recorded (stationctl export --format csv):")
            subprocess.run([f"{bin_dir}/stationctl", "export", "--state-dir", shelf, "--format", "csv"], check=True)
            print("\nWaiting for the hub (stationctl pending):")
            subprocess.run([f"{bin_dir}/stationctl", "pending", "--state-dir", shelf], check=True)
            print("\nWhat the hub now knows (events per box and kind):")
            db = sqlite3.connect(hub_db)
            rows = db.execute("SELECT box_id, kind, count(*) FROM event GROUP BY box_id, kind ORDER BY box_id, kind").fetchall()
            for box_id, kind, n in rows:
                print(f"  {box_id:<14} {kind:<12} {n}")
            received = sum(n for _, _, n in rows)
            print("\nThe hub's ledger (books, and visits by pseudonym):")
            for item, holder, site, flags in db.execute("SELECT item_key, holder, site_id, flags FROM ledger_book ORDER BY item_key"):
                who = "on loan to " + holder[:14] + "…" if holder else "on the shelf"
                print(f"  {item:<22} {who:<30} at {site:<12} {flags}")
            for site, worker, service, start, end, flags in db.execute(
                    "SELECT site_id, worker, service, start_ms, end_ms, flags FROM ledger_visit ORDER BY site_id"):
                minutes = f"{(end - start) / 1000:.0f} s" if start and end else "open"
                print(f"  visit at {site:<12} {worker[:14]}…  {service or '-':<10} {minutes} {flags}")
            drifted = db.execute("SELECT count(*) FROM ledger_book WHERE item_key = 'label:LIB-000777' AND site_id = 'shelf-site' AND flags LIKE '%drift%'").fetchone()[0]
            pseudonyms = db.execute("SELECT count(*) FROM event WHERE worker_pseudonym IS NOT NULL").fetchone()[0]
            db.close()
            print()
            passwords = os.path.join(HUB_DIR, "console-accounts.txt")
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "demo-union.py"), bin_dir, hub_db, f"http://127.0.0.1:{hub_port}", passwords],
                           check=True)
        finally:
            hub_proc.terminate()
            hub_proc.wait(timeout=20)
        if received != 6:
            print(f"demo: the hub received {received} events, expected 6", file=sys.stderr)
            return 1
        if drifted != 1:
            print("demo: the hub's ledger does not show LIB-000777 drifted to shelf-site", file=sys.stderr)
            return 1
        if pseudonyms != 5:
            print(f"demo: {pseudonyms} events at the hub carry a pseudonym, expected 5", file=sys.stderr)
            return 1
        drift_flag = [o for o in told if o["outcome"] == "returned" and "drift" in json.dumps(o.get("event"))]
        if not drift_flag:
            print("demo: the return of LIB-000777 (home: shelf-east) was not flagged as drift", file=sys.stderr)
            return 1
        outcomes = [o["outcome"] for o in told] + [o["outcome"] for o in told_hut]
        want = ["session-opened", "checked-out", "checked-out", "renewed", "mode-changed", "returned", "misread", "visit-started", "visit-ended"]
        if outcomes != want:
            print(f"demo: expected {want}, got {outcomes}", file=sys.stderr)
            return 1
        for path in [shelf, hut, work, HUB_DIR]:
            for name in os.listdir(path):
                if not os.path.isfile(os.path.join(path, name)):
                    continue
                data = open(os.path.join(path, name), "rb").read()
                if any(n.encode() in data for n in (reader, mother)):
                    print(f"demo: an identity number is in {name}", file=sys.stderr)
                    return 1
    print("\ndemo: 9 outcomes as expected, 6 events at the hub; no identity number stored in the clear")
    print(f"\nThe hub stays in {os.path.relpath(HUB_DIR, ROOT)}; to see it in the console, serve it and sign in with an account from")
    print(f"{os.path.relpath(HUB_DIR, ROOT)}/console-accounts.txt:")
    print(f"  .build/debug/stationhub serve --database .build/demo-hub/hub.sqlite --keys .build/demo-hub/keys")
    print("  then open http://127.0.0.1:8440/console/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
