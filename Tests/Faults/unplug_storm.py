#!/usr/bin/python3
"""Scanner unplug storm for `stationd run`, through libumockdev's testbed API.

Starts `stationd run --print` in a fresh testbed, then, ROUNDS times: plugs the scanner
in (under new input/event numbers each time, as a replug does), replays the scans not yet
acknowledged, and pulls the plug at a random moment, mid-scan as often as not. Like a
worker who hears no beep, the next round scans again everything after the last
acknowledged label. A last round lets the rest finish. Every line stationd printed is
written to OUTCOMES for the independent checker (Tests/Checkers/journal_check.py).

Needs Debian's /usr/bin/python3 with python3-gi and gir1.2-umockdev-1.0.

usage: unplug_storm.py STATIOND CONFIG DEVICE.umockdev DEVNODE OUTCOMES SCANS ROUNDS SEED
Prints `unplugs N (N mid-scan), rounds N, told N`; exit 0 when the daemon stopped cleanly.
"""
import json
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Fixtures", "tools"))
from hotplug import relay_until, renumber, stop, unplug  # noqa: E402

import gi  # noqa: E402

gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

MAKE_EVENTS = os.path.join(HERE, "..", "Fixtures", "tools", "make-events.py")


def keys_for(labels):
    out = ["gap 2"]
    for label in labels:
        out.append("wait 100")
        out.append("key " + " ".join("KEY_MINUS" if c == "-" else f"KEY_LEFTSHIFT+KEY_{c}" if c.isalpha() else f"KEY_{c}" for c in label))
        out.append("key KEY_ENTER")
    return "\n".join(out) + "\n"


def main():
    if "libumockdev-preload" not in os.environ.get("LD_PRELOAD", ""):
        os.execvp("umockdev-wrapper", ["umockdev-wrapper", sys.executable] + sys.argv)
    stationd, cfg, description, devnode, outcomes_path = sys.argv[1:6]
    scans, rounds, seed = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
    rng = random.Random(seed)
    labels = [f"LIB-{n:06d}" for n in range(1, scans + 1)]
    work = os.path.dirname(outcomes_path)
    original = open(description).read()
    testbed = UMockdev.Testbed.new()
    env = dict(os.environ, UMOCKDEV_DIR=testbed.get_root_dir())
    proc = subprocess.Popen([stationd, "run", "--config", cfg, "--print"], stdout=subprocess.PIPE,
                            stderr=open(os.path.join(work, "storm-stderr.txt"), "w"), text=True, env=env, bufsize=1)
    lines = []
    told = set()

    def record(line):
        lines.append(line)
        try:
            o = json.loads(line)
        except ValueError:
            return
        if o.get("type") == "outcome" and o.get("recorded"):
            told.add(o["event"]["item"].split(":")[-1])

    def relay(seconds, until=None):
        relay_until(proc, lambda _: until is not None and until(), seconds, emit=record)

    unplugs = 0
    plugged = 0
    rc = None
    began = time.monotonic()
    stopping = None
    try:
        time.sleep(1.0)
        for n in range(1, rounds + 2):
            done = [l for l in labels if l in told]
            last = max((labels.index(l) for l in done), default=-1)
            remaining = labels[last + 1:]
            if not remaining:
                break
            text, node = renumber(original, devnode, n - 1)
            keys = os.path.join(work, f"storm{n}.keys")
            events = os.path.join(work, f"storm{n}.events")
            open(keys, "w").write(keys_for(remaining))
            subprocess.run([sys.executable, MAKE_EVENTS, "--lead-in", "300", "-o", events, keys], check=True)
            if not testbed.add_from_string(text):
                raise SystemExit("testbed refused the device description")
            plugged += 1
            testbed.load_evemu_events(node, events)
            if n <= rounds:
                relay(rng.uniform(0.4, 1.6))
                unplug(testbed, text)
                unplugs += 1
                relay(0.3)
            else:
                relay(60, until=lambda: labels[-1] in told)
    finally:
        stopping = time.monotonic()
        rc = stop(proc, 30)
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
        with open(outcomes_path, "w") as f:
            f.write("\n".join(lines) + "\n")
    print(f"# storm {stopping - began:.1f} s, stop {time.monotonic() - stopping:.1f} s", flush=True)
    cut = sum(1 for l in lines if '"outcome":"misread"' in l and "unplugged" in l)
    print(f"unplugs {unplugs} ({cut} mid-scan), rounds {plugged}, told {len(told)}, exit {rc}", flush=True)
    # The replay threads of unplugged devices still hold undelivered events and would keep
    # the testbed (and this process) alive; everything is written, so leave at once.
    os._exit(0 if rc == 0 else 1)


if __name__ == "__main__":
    main()
