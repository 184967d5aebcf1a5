#!/usr/bin/env python3
"""Turns scans into umockdev scripts that also say what feedback must be written back.

  make-feedback-script.py SCANS.events --scanner-out S.script --beeper-out B.script \
      --expect "TONES;LEDS" [--expect ...]

SCANS.events is an evemu file of keyboard-wedge scans (one Enter ends each). Scan i is
sent to the program by an `r` line; then the scanner script expects the LED blinks of
--expect i (`w` lines: the Scroll Lock LED on, then off, LEDS times) and
the beeper script expects its tones (`w` lines: EV_SND/SND_TONE per step, then 0). TONES
is "HZ/MS HZ/MS ..." (only the frequencies are written; the durations are timing). The
beeper script starts with one tone 0: the daemon silences a beeper when it opens it.
umockdev-run -s fails the whole run on the first write that differs.

Every event the program writes carries a SYN_REPORT and zero timestamps; the layout is
the 64-bit struct input_event (two longs, two shorts, an int).
"""
import argparse
import struct

EV_SYN, EV_KEY, EV_LED, EV_SND = 0x00, 0x01, 0x11, 0x12
SND_TONE = 0x02
LEDS = (0x02,)  # LED_SCROLLL only: scanners may follow Caps and Num Lock
KEY_ENTER = 28


def event(sec, usec, type_, code, value):
    return struct.pack("llHHi", sec, usec, type_, code, value)


def written(type_, code, value):
    return event(0, 0, type_, code, value) + event(0, 0, EV_SYN, 0, 0)


def escape(data):
    """umockdev's script escaping: bytes below 32 as ^ + (b + 64), ^ itself as ^`."""
    out = bytearray()
    for b in data:
        if b < 32:
            out += b"^" + bytes([b + 64])
        elif b == 0x5E:
            out += b"^`"
        else:
            out.append(b)
    return bytes(out)


def scans(path):
    """Chunks of (start time in ms, bytes), each ending after Enter's release."""
    chunks, current, start = [], bytearray(), None
    enter_released = False
    for line in open(path, encoding="utf-8"):
        if not line.startswith("E:"):
            continue
        fields = line.split("#")[0].split()
        sec, usec = fields[1].split(".")
        type_, code, value = int(fields[2], 16), int(fields[3], 16), int(fields[4])
        if "lead-in" in line:
            continue  # make-events.py's lead-in line
        if start is None:
            start = int(sec) * 1000 + int(usec) // 1000
        current += event(int(sec), int(usec), type_, code, value)
        if type_ == EV_KEY and code == KEY_ENTER and value == 0:
            enter_released = True
        elif type_ == EV_SYN and enter_released:
            chunks.append((start, bytes(current)))
            current, start, enter_released = bytearray(), None, False
    if current:
        raise SystemExit(f"{path}: events after the last Enter")
    return chunks


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("events")
    parser.add_argument("--scanner-out", required=True)
    parser.add_argument("--beeper-out", required=True)
    parser.add_argument("--expect", action="append", default=[], help="TONES;LEDS for each scan, in order")
    args = parser.parse_args()
    chunks = scans(args.events)
    if len(chunks) != len(args.expect):
        raise SystemExit(f"{len(chunks)} scans but {len(args.expect)} --expect")
    # The daemon silences its beepers when it opens them (a tone a killed daemon left on).
    scanner, beeper = [], [b"w 0 " + escape(written(EV_SND, SND_TONE, 0))]
    previous = 0
    for (start, data), expect in zip(chunks, args.expect):
        tones, leds = expect.split(";")
        scanner.append(b"r %d " % max(0, start - previous) + escape(data))
        previous = start
        blinks = b"".join(
            b"".join(written(EV_LED, led, on) for led in LEDS) for _ in range(int(leds)) for on in (1, 0))
        if blinks:
            scanner.append(b"w 0 " + escape(blinks))
        steps = [int(step.split("/")[0]) for step in tones.split()]
        if steps:
            beeper.append(b"w 0 " + escape(b"".join(written(EV_SND, SND_TONE, hz) for hz in steps + [0])))
    with open(args.scanner_out, "wb") as f:
        f.write(b"\n".join(scanner) + b"\n")
    with open(args.beeper_out, "wb") as f:
        f.write(b"\n".join(beeper) + b"\n")


if __name__ == "__main__":
    main()
