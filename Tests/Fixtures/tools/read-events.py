#!/usr/bin/env python3
"""Dump what a program would read from evdev nodes, for checking fixtures under umockdev:

    umockdev-run -d Tests/Fixtures/devices/newland-hr200-kbd.umockdev \\
        -e /dev/input/event10=Tests/Fixtures/events/enter-suffix.events -- \\
        python3 Tests/Fixtures/tools/read-events.py [--grab] [--idle 1.0] /dev/input/event10

One line per event: seconds since open (wall clock), device, the event's own timestamp,
type, code (names from linux/input-event-codes.h), value. Stops after --idle seconds
without events (umockdev never signals the end of a file: the read just blocks).
Reads struct input_event as on 64-bit Linux (struct "qqHHi", 24 bytes).
"""
import argparse
import fcntl
import os
import re
import select
import struct
import time

EVENT = struct.Struct("qqHHi")
EVIOCGRAB = 0x40044590


def names(header="/usr/include/linux/input-event-codes.h"):
    by_type = {}
    prefixes = {"SYN_": 0, "KEY_": 1, "BTN_": 1, "REL_": 2, "ABS_": 3, "MSC_": 4, "LED_": 17, "SND_": 18}
    types = {}
    with open(header) as f:
        for line in f:
            m = re.match(r"#define\s+(\w+)\s+(0x[0-9a-fA-F]+|\d+)\s*$", line)
            if not m:
                continue
            name, value = m.group(1), int(m.group(2), 0)
            if name.startswith("EV_") and not name.endswith(("_MAX", "_CNT")):
                types.setdefault(value, name)
            for p, t in prefixes.items():
                if name.startswith(p) and not name.endswith(("_MAX", "_CNT")):
                    by_type.setdefault(t, {}).setdefault(value, name)
    return types, by_type


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("devices", nargs="+")
    ap.add_argument("--grab", action="store_true", help="EVIOCGRAB each device first")
    ap.add_argument("--idle", type=float, default=1.0)
    ap.add_argument("--keys-only", action="store_true", help="print EV_KEY and SYN_DROPPED only")
    args = ap.parse_args()
    types, by_type = names()
    t0 = time.monotonic()
    fds = {}
    for dev in args.devices:
        fd = os.open(dev, os.O_RDONLY | os.O_NONBLOCK)
        if args.grab:
            fcntl.ioctl(fd, EVIOCGRAB, 1)
        fds[fd] = (dev, bytearray())
    last = time.monotonic()
    counts = {dev: 0 for dev in args.devices}
    while time.monotonic() - last < args.idle:
        ready, _, _ = select.select(list(fds), [], [], 0.05)
        for fd in ready:
            dev, buf = fds[fd]
            try:
                buf += os.read(fd, EVENT.size * 64)
            except BlockingIOError:
                continue
            last = time.monotonic()
            while len(buf) >= EVENT.size:
                sec, usec, typ, code, value = EVENT.unpack_from(buf)
                del buf[:EVENT.size]
                counts[dev] += 1
                if args.keys_only and not (typ == 1 or (typ == 0 and code == 3)):
                    continue
                print("%8.4f %-20s %d.%06d %-7s %-16s %d" % (
                    last - t0, dev, sec, usec, types.get(typ, typ),
                    by_type.get(typ, {}).get(code, code), value))
    for dev, n in counts.items():
        print("# %s: %d events" % (dev, n))


if __name__ == "__main__":
    main()
