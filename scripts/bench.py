#!/usr/bin/env python3
"""`make bench`: one table of Station's figures, each beside the reference it is measured
against in the same run, printed and written to .build/bench/report.json.

  in-process (ordo-one/benchmark, Benchmarks/StationBenchmarks): decoder+framer key
      events/s, recogniser codes/s, scan-to-durable latency p50/p99 (a journal in use; one
      just started, p50) beside a raw 512-byte append + fdatasync on the same disk;
  whole process (this script), with the stationd the packages ship (the release build
      linked again with the Swift runtime inside, stripped): stationd idle with two
      scanners attached (RSS, PSS and CPU over 60 s) beside barcode-server idle with the
      same two (bench_peer), startup to READY=1 with a 1,000,000-event journal beside an
      empty one,
      the drain of a 100,000-event backlog to a hub on loopback (`station-bench drain`),
      and the hub's ingest rate while answering it.

Expects the release build `scripts/bench` made. A benchmark reports; it asserts nothing
(it stops only when a measurement could not be taken).

usage: bench.py [--idle-seconds S] [--startup-events N] [--drain-events N]
"""
import argparse
import base64
import glob
import hashlib
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

import bench_peer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REL = os.path.join(ROOT, ".build", "release")
OUT = os.path.join(ROOT, ".build", "bench")
DEVICES = os.path.join(ROOT, "Tests", "Fixtures", "devices")
TICK = os.sysconf("SC_CLK_TCK")


def fail(message):
    print(f"bench: {message}", file=sys.stderr)
    sys.exit(1)


def config(directory, state, box="box-test-1"):
    """A box config like the tests' (TestBox), with its state in `state`."""
    path = os.path.join(directory, "station.toml")
    with open(path, "w") as f:
        f.write(f"""[box]
id = "{box}"
site = "site-a"
state_dir = "{state}"
admin_socket = "{directory}/admin.sock"
device_tables = ["{ROOT}/hw/devices.conf"]

[site]
kind = "bookshelf"

[codes]
item_label_patterns = ["LIB-[0-9]{{6}}"]

[hub]
public_key = "{base64.b64encode(os.urandom(32)).decode()}"
key_version = 1
""")
    return path


# The stationd a box runs: the packages' (scripts/deb), the release build linked again with
# the Swift runtime inside and stripped (scripts/static-link.py); made by packaged_stationd().
PACKAGED = os.path.join(OUT, "packaged", "stationd")


def packaged_stationd():
    os.makedirs(os.path.dirname(PACKAGED), exist_ok=True)
    run = subprocess.run(["scripts/static-link.py", "release", "stationd", PACKAGED], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if run.returncode != 0:
        fail(f"scripts/static-link.py failed: {run.stderr[-2000:]}")


def start_daemon(cfg, devices, notify):
    argv = ["umockdev-run"]
    for d in devices:
        argv += ["-d", os.path.join(DEVICES, d + ".umockdev")]
    argv += ["--", PACKAGED, "run", "--config", cfg]
    env = dict(os.environ, NOTIFY_SOCKET=notify)
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)


def daemon_pid(proc, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            kids = open(f"/proc/{proc.pid}/task/{proc.pid}/children").read().split()
            if kids:
                return int(kids[0])
        except FileNotFoundError:
            pass
        time.sleep(0.005)
    fail("stationd did not start under umockdev-run")


def wait_ready(sock, timeout, proc):
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = sock.recv(4096).decode()
        except socket.timeout:
            break
        if "READY=1" in data.split("\n"):
            return time.monotonic()
    proc.kill()
    fail("stationd never said READY=1: " + proc.stderr.read()[-2000:])


def stop(proc, pid):
    os.kill(pid, 15)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def wakeups(pid):
    """Context switches so far, by thread (each one a wake-up)."""
    counts = {}
    for status in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            n = 0
            for line in open(status):
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    n += int(line.split()[1])
            counts[status.split("/")[4]] = n
        except FileNotFoundError:
            pass
    return counts


def woke_between(before, after):
    """Wake-ups in the window of the threads alive at its end (new ones count from zero)."""
    return sum(n - before.get(tid, 0) for tid, n in after.items())


def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def memory_mib(pid):
    """PSS (shared pages divided among the processes that map them), private and shared,
    and anonymous memory (heaps and stacks; the rest of RSS is mapped from files: code and
    data of the program and its libraries), from /proc/PID/smaps_rollup (RSS is rss_mib's)."""
    kb = {}
    for line in open(f"/proc/{pid}/smaps_rollup"):
        parts = line.split()
        if len(parts) == 3 and parts[2] == "kB":
            kb[parts[0].rstrip(":")] = int(parts[1])
    mib = lambda *keys: sum(kb.get(k, 0) for k in keys) / 1024
    return {"pss": mib("Pss"), "private": mib("Private_Clean", "Private_Dirty"),
            "shared": mib("Shared_Clean", "Shared_Dirty"), "anonymous": mib("Anonymous")}


def notify_socket(directory):
    path = os.path.join(directory, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    return sock, path


def startup(state, seconds_limit=600):
    """Seconds from exec to READY=1 for a daemon on the journal in `state`, and its RSS then."""
    work = tempfile.mkdtemp(prefix="bench-start-", dir=OUT)
    try:
        cfg = config(work, state)
        sock, path = notify_socket(work)
        started = time.monotonic()
        proc = start_daemon(cfg, ["newland-hr200-kbd"], path)
        pid = daemon_pid(proc)
        ready = wait_ready(sock, seconds_limit, proc)
        rss = rss_mib(pid)
        stop(proc, pid)
        return ready - started, rss
    finally:
        shutil.rmtree(work, ignore_errors=True)


def fill(state, events, seed=11):
    subprocess.run([os.path.join(REL, "station-bench"), "fill", "--state-dir", state, "--events", str(events), "--seed", str(seed)],
                   check=True, stdout=subprocess.DEVNULL)


def measure_startup(events):
    """READY with `events` in the journal beside READY with an empty journal. The big journal
    is written once per journal schema and kept in .build/bench (a copy is used, so every
    run starts alike; a journal of an older schema would time its one-off upgrade). Also
    says how many events the ledger's snapshot stands on: what a start replays."""
    schema = hashlib.sha256(open(os.path.join(ROOT, "Sources", "StationStore", "JournalSchema.swift"), "rb").read()).hexdigest()[:12]
    cached = os.path.join(OUT, f"journal-{events}-{schema}")
    if not os.path.exists(os.path.join(cached, "done")):
        shutil.rmtree(cached, ignore_errors=True)
        t = time.monotonic()
        fill(cached, events)
        open(os.path.join(cached, "done"), "w").close()
        print(f"  (wrote a {events}-event journal in {time.monotonic() - t:.0f} s; kept in {cached})", flush=True)
    empty = tempfile.mkdtemp(prefix="bench-empty-", dir=OUT)
    big = tempfile.mkdtemp(prefix="bench-big-", dir=OUT)
    try:
        for name in os.listdir(cached):
            if name != "done":
                shutil.copy2(os.path.join(cached, name), os.path.join(big, name))
        subprocess.run(["sync"], check=True)
        db = sqlite3.connect(f"file:{os.path.join(big, 'journal.sqlite')}?mode=ro", uri=True)
        standing = db.execute("SELECT count(*) FROM ledger_entry WHERE closed_by IS NULL").fetchone()[0]
        db.close()
        empty_s, empty_rss = startup(empty)
        big_s, big_rss = startup(big)
        return empty_s, empty_rss, big_s, big_rss, standing
    finally:
        shutil.rmtree(empty, ignore_errors=True)
        shutil.rmtree(big, ignore_errors=True)


IDLE_SCANNERS = ("newland-hr200-kbd", "honeywell-1400g-kbd")


# Past the start's own work (its journal is checkpointed by the WAL's length, not after it).
SETTLE_SECONDS = 12


def idle_window(proc, pid, seconds):
    """A process left idle, from SETTLE_SECONDS after it is ready (past its start's own
    work): RSS at the window's start and end, CPU and wake-ups in it, its length, and its
    memory at the end (memory_mib); then stopped."""
    time.sleep(SETTLE_SECONDS)
    cpu0, rss0, woke0, t0 = cpu_seconds(pid), rss_mib(pid), wakeups(pid), time.monotonic()
    time.sleep(seconds)
    cpu1, rss1, woke1, t1 = cpu_seconds(pid), rss_mib(pid), wakeups(pid), time.monotonic()
    mem = memory_mib(pid)
    stop(proc, pid)
    return rss0, rss1, cpu1 - cpu0, woke_between(woke0, woke1), t1 - t0, mem


def measure_idle(seconds):
    """stationd with two scanners attached and nothing scanned (idle_window)."""
    work = tempfile.mkdtemp(prefix="bench-idle-", dir=OUT)
    try:
        cfg = config(work, os.path.join(work, "state"))
        sock, path = notify_socket(work)
        proc = start_daemon(cfg, list(IDLE_SCANNERS), path)
        pid = daemon_pid(proc)
        wait_ready(sock, 60, proc)
        return idle_window(proc, pid, seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure_peer_idle(seconds):
    """barcode-server (bench_peer) with the same two scanners and nothing scanned
    (idle_window), ready once it holds them open."""
    work = tempfile.mkdtemp(prefix="bench-peer-", dir=OUT)
    proc = bench_peer.start(ROOT, [os.path.join(DEVICES, d + ".umockdev") for d in IDLE_SCANNERS], work)
    try:
        pid = daemon_pid(proc)
        if not bench_peer.wait_open(pid, len(IDLE_SCANNERS)):
            proc.kill()
            fail(f"{bench_peer.PEER} did not open the scanners: " + proc.stderr.read()[-2000:])
        return idle_window(proc, pid, seconds)
    finally:
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


def in_process():
    """The ordo-one/benchmark figures from its percentile files."""
    path = os.path.join(OUT, "percentiles")
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    env = dict(os.environ, STATION_BENCH_DIR=os.path.join(OUT, "disk"))
    run = subprocess.run(["swift", "package", "--allow-writing-to-package-directory", "benchmark", "--format", "histogramPercentiles",
                          "--path", path, "--no-progress"], cwd=ROOT, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stdout[-3000:], run.stderr[-3000:], file=sys.stderr)
        fail("swift package benchmark failed")
    shutil.rmtree(os.path.join(OUT, "disk"), ignore_errors=True)

    def percentiles(name, metric):
        files = glob.glob(os.path.join(path, f"*.StationBenchmarks.{name}.{metric}.histogram.percentiles.tsv"))
        if not files:
            fail(f"no percentiles for {name} {metric} in {path}")
        lines = open(files[0]).read().splitlines()
        header = lines[0]
        scale = {"(ns)": 1e-3, "(μs)": 1.0, "(us)": 1.0, "(ms)": 1e3, "(s)": 1e6, "(K)": 1e3, "(M)": 1e6, "(G)": 1e9, "(#)": 1.0}
        factor = next((v for k, v in scale.items() if k in header), 1.0)
        table = {}
        for line in lines[1:]:
            p, v = line.split("\t")
            table[float(p)] = float(v) * factor
        return table

    frame = percentiles("decoder+framer_(key_events)", "throughput")[50]
    recognise = percentiles("recogniser_(codes)", "throughput")[50]
    sync = percentiles("fdatasync_(512_B_append)", "wallClock")
    durable = percentiles("scan-to-durable", "wallClock")
    started = percentiles("scan-to-durable_(after_a_start)", "wallClock")
    return frame, recognise, (sync[50] / 1000, sync[99] / 1000), (durable[50] / 1000, durable[99] / 1000), started[50] / 1000


def drain(events):
    path = os.path.join(OUT, "drain.json")
    env = dict(os.environ, STATION_BIN_DIR=REL)
    run = subprocess.run([os.path.join(REL, "station-bench"), "drain", "--events", str(events), "--json", path],
                         env=env, capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stdout[-3000:], run.stderr[-3000:], file=sys.stderr)
        fail("station-bench drain failed")
    return {f["name"]: f["value"] for f in json.load(open(path))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--startup-events", type=int, default=1_000_000)
    parser.add_argument("--drain-events", type=int, default=100_000)
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    rows = []

    def row(area, figure, value, unit, reference):
        rows.append({"area": area, "figure": figure, "value": round(value, 4), "unit": unit, "reference": reference})

    print("bench: in-process figures (ordo-one/benchmark) ...", flush=True)
    frame, recognise, sync, durable, started = in_process()
    row("scan path", "decoder+framer", frame, "key events/s", "one core; a scanner types ~1,000 key events/s")
    row("scan path", "recogniser", recognise, "codes/s", "one core; a busy shelf scans ~1 code/s")
    row("durability", "scan-to-durable p50", durable[0], "ms", f"raw fdatasync p50 {sync[0]:.3f} ms, same disk: {durable[0] / sync[0]:.2f}x")
    row("durability", "scan-to-durable p99", durable[1], "ms", f"raw fdatasync p99 {sync[1]:.3f} ms, same disk: {durable[1] / sync[1]:.2f}x")
    row("durability", "scan-to-durable p50, after a start", started, "ms",
        f"raw fdatasync p50 {sync[0]:.3f} ms: {started / sync[0]:.2f}x (the WAL's first round, over the zeros the start wrote ahead)")

    packaged_stationd()
    print(f"bench: stationd idle with two scanners for {args.idle_seconds:.0f} s ...", flush=True)
    rss0, rss1, cpu, woke, wall, mem = measure_idle(args.idle_seconds)
    print(f"bench: {bench_peer.PEER} {bench_peer.PEER_VERSION} idle with the same two scanners for {args.idle_seconds:.0f} s ...", flush=True)
    _, p_rss, p_cpu, p_woke, p_wall, p_mem = measure_peer_idle(args.idle_seconds)
    row("stationd", "idle RSS", rss1, "MiB", f"{bench_peer.PEER} {p_rss:.1f} MiB in the same run: {rss1 / p_rss:.2f} of it; "
        f"{rss0:.1f} MiB at the start of the window, {rss1 - rss0:+.1f} MiB after {wall:.0f} s")
    row("stationd", "idle PSS", mem["pss"], "MiB", f"{bench_peer.PEER} {p_mem['pss']:.1f} MiB; stationd's anonymous memory {mem['anonymous']:.1f} MiB "
        f"({bench_peer.PEER} {p_mem['anonymous']:.1f}), the rest of its RSS mapped from files; private {mem['private']:.1f} MiB, shared {mem['shared']:.1f} MiB")
    row("stationd", "idle CPU", cpu, f"s in {wall:.0f} s", f"{100 * cpu / wall:.3f} % of one core; {woke} thread wake-ups ({woke / wall:.2f}/s); "
        f"{bench_peer.PEER} {p_cpu:.3f} s, {p_woke} wake-ups ({p_woke / p_wall:.2f}/s)")

    print(f"bench: startup to READY with {args.startup_events} events ...", flush=True)
    empty_s, empty_rss, big_s, big_rss, standing = measure_startup(args.startup_events)
    row("stationd", f"startup to READY, {args.startup_events:,} events", big_s, "s",
        f"empty journal {empty_s:.3f} s; RSS {big_rss:.1f} MiB (empty {empty_rss:.1f}); the ledger stands on {standing:,} events")

    print(f"bench: drain of {args.drain_events} events to a loopback hub ...", flush=True)
    d = drain(args.drain_events)
    row("sync", f"drain {args.drain_events:,} events", d["drain time"], "s", "target 10 s (hub and box share the 2 cores)")
    row("sync", "wire bytes/event", d["wire bytes/event"], "B", f"target 80 B; {int(d['requests'])} requests, both ways, gzip bodies")
    row("hub", "ingest (SQLite)", d["hub ingest"], "events/s", f"while answering the drain ({d['hub time']:.1f} s of {d['drain time']:.1f} s)")

    cpus = os.cpu_count()
    print()
    print(f"Station bench, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {cpus} cores, release build")
    width = max(len(r["figure"]) for r in rows)
    print(f"{'figure'.ljust(width)}  {'value':>12}  {'unit':<16} compared with")
    for r in rows:
        v = r["value"]
        shown = f"{v:,.0f}" if v >= 1000 else f"{v:.3f}"
        print(f"{r['figure'].ljust(width)}  {shown:>12}  {r['unit']:<16} {r['reference']}")
    report = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cores": cpus, "figures": rows}
    with open(os.path.join(OUT, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(f"(written to {os.path.relpath(os.path.join(OUT, 'report.json'), ROOT)})")


if __name__ == "__main__":
    main()
