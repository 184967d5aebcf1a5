#!/usr/bin/python3
"""Hotplug choreography for the end-to-end tests, through libumockdev's testbed API.

Runs `stationd listen --json` in a fresh testbed, then, step by step, plugs a scanner in,
replays scans, unplugs it and plugs it in again. Every line stationd prints is relayed to
stdout as it arrives; lines starting with `#` are this script's own step markers. The
caller (a Swift test) asserts on the whole sequence.

Needs Debian's /usr/bin/python3 with python3-gi and gir1.2-umockdev-1.0.

usage: hotplug.py STATIOND DEVICE_TABLE DEVICE.umockdev DEVNODE EVENTS [ROUNDS]
"""
import os
import re
import select
import signal
import subprocess
import sys
import time

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402


def relay_until(proc, predicate, timeout, emit=None):
    """Relays stationd's lines (to stdout, or to `emit`) until one satisfies predicate;
    False on timeout or exit."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            continue
        line = proc.stdout.readline()
        if not line:
            return False
        if emit:
            emit(line.rstrip("\n"))
        else:
            print(line.rstrip("\n"), flush=True)
        if predicate(line):
            return True
    return False


def stop(proc, timeout):
    """SIGTERM, then SIGKILL after `timeout` seconds: the exit status, or "killed"."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return "killed"


def unplug(testbed, text):
    """Pulls the device described by `text` out of the testbed, as udev would see it."""
    syspath = "/sys" + re.search(r"^P: (\S+)", text, re.M).group(1)
    testbed.uevent(syspath, "remove")
    for path in re.findall(r"^P: (\S+)", text, re.M):
        testbed.remove_device("/sys" + path)
    # remove_device leaves the /dev symlinks behind; udev would remove them.
    for link in re.findall(r"^S: (\S+)", text, re.M):
        try:
            os.unlink(os.path.join(testbed.get_root_dir(), "dev", link))
        except FileNotFoundError:
            pass


def renumber(text, devnode, k):
    """The description with its event, input and minor numbers moved up by k."""
    bump = lambda prefix: lambda m: f"{prefix}{int(m.group(1)) + k}"
    text = re.sub(r"event(\d+)", bump("event"), text)
    text = re.sub(r"/input(\d+)", bump("/input"), text)
    text = re.sub(r"MINOR=(\d+)", bump("MINOR="), text)
    text = re.sub(r"dev=13:(\d+)", bump("dev=13:"), text)
    node = re.sub(r"event(\d+)", bump("event"), devnode)
    return text, node


def main():
    # The testbed's uevent sender resolves devices through libudev in this process, so
    # this process runs under the preload library too.
    if "libumockdev-preload" not in os.environ.get("LD_PRELOAD", ""):
        os.execvp("umockdev-wrapper", ["umockdev-wrapper", sys.executable] + sys.argv)
    stationd, table, description, devnode, events = sys.argv[1:6]
    rounds = int(sys.argv[6]) if len(sys.argv) > 6 else 2
    original = open(description).read()

    testbed = UMockdev.Testbed.new()
    env = dict(os.environ)
    # The testbed sets UMOCKDEV_DIR in the C environment only; os.environ is older.
    env["UMOCKDEV_DIR"] = testbed.get_root_dir()
    proc = subprocess.Popen(
        [stationd, "listen", "--json", "--device-table", table],
        stdout=subprocess.PIPE, text=True, env=env, bufsize=1)
    ok = True
    try:
        # Let the daemon enumerate an empty testbed and start its monitor.
        time.sleep(1.0)
        for n in range(1, rounds + 1):
            # A replugged device comes back under new inputN/eventN numbers, as it
            # does on real hardware: the daemon must recognise it by identity.
            text, node = renumber(original, devnode, n - 1)
            print(f"# plug {n} {node}", flush=True)
            # add_from_string sends the "add" uevents itself.
            if not testbed.add_from_string(text):
                raise SystemExit("testbed refused the device description")
            testbed.load_evemu_events(node, events)
            ok &= relay_until(proc, lambda l: '"type":"attached"' in l, 10)
            ok &= relay_until(proc, lambda l: '"aim":"]E0"' in l, 15)
            print(f"# unplug {n}", flush=True)
            unplug(testbed, text)
            ok &= relay_until(proc, lambda l: '"type":"detached"' in l, 10)
    finally:
        rc = stop(proc, 10)
        for line in proc.stdout:
            print(line.rstrip("\n"), flush=True)
        print(f"# exit {rc}", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
