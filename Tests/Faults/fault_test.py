#!/usr/bin/env python3
"""Fault test: ENOSPC and EIO injected with libfiu into a running `stationd run`.

The daemon runs under umockdev (scans) and libfiu's POSIX preload. While a long script of
labelled scans replays, this script, through libfiu's control FIFO:
  1. after 3 recorded outcomes, makes pwrite() fail with ENOSPC: scans must be told
     `storage-error`, the daemon stays up;
  2. lifts it: scans are recorded again (the daemon recovers by itself);
  3. makes fdatasync() fail with EIO: `storage-error` again, the journal is reopened and
     reconciled;
  4. lifts it: recorded again;
steps 1-4 CYCLES times (default 1); then every scan left is answered.
Then the daemon is stopped and the independent checker verifies the journal: no recorded
outcome without a durable event, and every event in the journal was either told as
recorded or voided.

umockdev's preload holds a lock while it calls open(); libfiu's control thread opens its
two FIFOs blocking, which would hold that lock until someone opens the other ends. So
this script opens both other ends as soon as they exist and keeps them open.

usage: fault_test.py STATIOND CONFIG DEVICE EVENTS OUTCOMES_OUT CHECKER JOURNAL SCANS [CYCLES]
"""
import json
import os
import select
import signal
import subprocess
import sys
import time

FIU = "/usr/lib/fiu"


def main():
    stationd, config, device, events, outcomes_path, checker, journal, scans = sys.argv[1:9]
    cycles = int(sys.argv[9]) if len(sys.argv) > 9 else 1
    work = os.path.dirname(outcomes_path)
    prefix = os.path.join(work, "fiu")
    env = dict(os.environ, FIU_CTRL_FIFO=prefix, FIU_ENABLE="",
               LD_PRELOAD=f"{FIU}/fiu_run_preload.so {FIU}/fiu_posix_preload.so")
    proc = subprocess.Popen(
        ["umockdev-run", "-d", device, "-e", f"/dev/input/event10={events}", "--", stationd, "run", "--config", config, "--print"],
        stdout=subprocess.PIPE, stderr=open(os.path.join(work, "stderr.txt"), "w"), text=True, env=env, bufsize=1)
    lines = []
    daemon = None
    ctl = None
    try:
        deadline = time.monotonic() + 20
        while daemon is None and time.monotonic() < deadline:
            try:
                kids = open(f"/proc/{proc.pid}/task/{proc.pid}/children").read().split()
            except FileNotFoundError:
                kids = []
            daemon = int(kids[0]) if kids else None
            time.sleep(0.01)
        if daemon is None:
            raise SystemExit("stationd did not start")
        fifo = f"{prefix}-{daemon}.in"
        while not os.path.exists(fifo) and time.monotonic() < deadline:
            time.sleep(0.005)
        ctl = os.open(fifo, os.O_WRONLY)
        replies = open(f"{prefix}-{daemon}.out")

        def command(text):
            os.write(ctl, (text + "\n").encode())
            reply = replies.readline().strip()
            print(f"# fiu: {text} -> {reply}", flush=True)
            if reply != "0":
                raise SystemExit(f"libfiu refused '{text}': {reply}")

        def wait_for(outcome, count, timeout=30):
            seen = 0
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                ready, _, _ = select.select([proc.stdout], [], [], 0.2)
                if not ready:
                    continue
                line = proc.stdout.readline()
                if not line:
                    raise SystemExit("stationd exited")
                lines.append(line)
                o = json.loads(line)
                if o.get("outcome") == outcome or (outcome == "recorded" and o.get("recorded")) or (outcome == "any" and o.get("type") == "outcome"):
                    seen += 1
                    if seen >= count:
                        return
            raise SystemExit(f"timed out waiting for {count} x {outcome}")

        wait_for("recorded", 3)
        for _ in range(cycles):
            command("enable name=posix/io/rw/pwrite,failinfo=28")
            wait_for("storage-error", 2)
            command("disable name=posix/io/rw/pwrite")
            wait_for("recorded", 2)
            command("enable name=posix/io/sync/fdatasync,failinfo=5")
            wait_for("storage-error", 2)
            command("disable name=posix/io/sync/fdatasync")
            wait_for("recorded", 3)
        # Every scan answered, one way or the other, before the daemon is stopped.
        answered = sum(1 for l in lines if '"type":"outcome"' in l)
        wait_for("any", int(scans) - answered, timeout=120)
        os.kill(daemon, signal.SIGTERM)
        for line in proc.stdout:
            lines.append(line)
        rc = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            if daemon is not None:
                try:
                    os.kill(daemon, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.kill()
        if ctl is not None:
            os.close(ctl)
    with open(outcomes_path, "w") as f:
        f.writelines(lines)
    told = [json.loads(l) for l in lines]
    print(f"# outcomes: {sum(1 for o in told if o.get('recorded'))} recorded, "
          f"{sum(1 for o in told if o.get('outcome') == 'storage-error')} storage-error; daemon exit {rc}", flush=True)
    check = subprocess.run([sys.executable, checker, "--faults", journal, outcomes_path, scans], capture_output=True, text=True)
    print(check.stdout, end="", flush=True)
    return 0 if check.returncode == 0 and rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
