#!/usr/bin/env python3
"""Turn a keystroke script (.keys) into an evemu events file (.events) for umockdev-run -e.

Usage:
    make-events.py [-o OUT.events] [--header input-event-codes.h] SCRIPT.keys
    make-events.py --all DIR        # regenerate every DIR/*.keys into DIR/*.events

Keystroke script: one directive per line; '#' starts a comment.
    key KEY_A [KEY_B ...]    press+release each key in turn; a chord such as
                             KEY_LEFTSHIFT+KEY_A presses the modifiers, then the key,
                             releases the key, then releases the modifiers (reverse order)
    down KEY_X / up KEY_X    one transition (held modifiers, stuck keys)
    gap MS                   delay between successive transitions from now on (default 2)
    wait MS                  one-off: the next transition comes MS after the previous
                             one (instead of the gap); a wait at the end is recorded as a
                             comment only, since an events file cannot end in silence
    raw TYPE CODE VALUE      one arbitrary event (names or numbers), e.g. raw EV_SYN SYN_DROPPED 0
    repeat N key KEY_X ...   the rest of the line, N times

Key names and codes come from linux/input-event-codes.h, parsed at run time. Each key
transition is written as EV_MSC/MSC_SCAN (the HID usage 0x7XXXX, as USB keyboards
report it), EV_KEY, EV_SYN/SYN_REPORT, all with the same timestamp.

Lead-in: umockdev starts replaying when umockdev-run sets up the testbed (before the
program runs, not when it opens the device), delivers the file's first event at once,
then sleeps each delta between successive lines. So every file starts with one empty
EV_SYN/SYN_REPORT at 0.000000 and the first key comes at 0.500000 s (--lead-in MS),
giving the program time to start and open the device. Events the program has not read
yet are queued, not lost (unlike a real evdev node, which has nothing before open()).

Output lines follow evemu-record: "E: <sec>.<usec> <type hex4> <code hex4> <value decimal>",
with the event's names in a trailing comment. umockdev replays each delta between
successive lines as a delay (at millisecond granularity) and passes the recorded
timestamps through unchanged into struct input_event.
"""
import argparse
import glob
import os
import re
import sys

DEFAULT_HEADER = "/usr/include/linux/input-event-codes.h"
LEAD_IN_MS = 500
DEFAULT_GAP_MS = 2

# HID keyboard page (0x07) usage id -> Linux keycode, as in the kernel's hid_keyboard[]
# table (drivers/hid/hid-input.c), usages 0x00-0x67 and 0xE0-0xE7. Only used to give
# MSC_SCAN a realistic value; key *names* always come from the header.
_HID_KBD = [
    0, 0, 0, 0, 30, 48, 46, 32, 18, 33, 34, 35, 23, 36, 37, 38,
    50, 49, 24, 25, 16, 19, 31, 20, 22, 47, 17, 45, 21, 44, 2, 3,
    4, 5, 6, 7, 8, 9, 10, 11, 28, 1, 14, 15, 57, 12, 13, 26,
    27, 43, 43, 39, 40, 41, 51, 52, 53, 58, 59, 60, 61, 62, 63, 64,
    65, 66, 67, 68, 87, 88, 99, 70, 119, 110, 102, 104, 111, 107, 109, 106,
    105, 108, 103, 69, 98, 55, 74, 78, 96, 79, 80, 81, 75, 76, 77, 71,
    72, 73, 82, 83, 86, 127, 116, 117,
]
_HID_MODS = [29, 42, 56, 125, 97, 54, 100, 126]  # usages 0xE0..0xE7


def hid_usage_for(keycode):
    for usage, kc in enumerate(_HID_KBD):
        if kc == keycode and usage >= 4:
            return 0x70000 + usage
    if keycode in _HID_MODS:
        return 0x700E0 + _HID_MODS.index(keycode)
    return keycode  # not on the keyboard page: plain keycode, as some drivers do


def parse_header(path):
    """name -> value for every #define in input-event-codes.h (aliases and X+1 resolved)."""
    raw = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*#define\s+([A-Z0-9_]+)\s+(\S+)", line)
            if m:
                raw[m.group(1)] = m.group(2)
    values = {}

    def resolve(name, depth=0):
        if name in values:
            return values[name]
        if depth > 10 or name not in raw:
            return None
        expr = raw[name]
        m = re.fullmatch(r"\(?([A-Za-z0-9_]+)\s*(?:\+\s*(\w+))?\)?", expr)
        if not m:
            return None
        base, add = m.group(1), m.group(2)
        v = int(base, 0) if re.fullmatch(r"0x[0-9a-fA-F]+|\d+", base) else resolve(base, depth + 1)
        if v is None:
            return None
        if add:
            v += int(add, 0)
        values[name] = v
        return v

    for name in raw:
        resolve(name)
    return values


class Script:
    def __init__(self, codes, source="<script>", lead_in_ms=LEAD_IN_MS):
        self.codes = codes
        self.first_us = int(lead_in_ms * 1000)
        self.source = source
        self.lines = []          # output lines
        self.t_us = None         # time of the last transition
        self.gap_us = DEFAULT_GAP_MS * 1000
        self.pending_us = None   # set by 'wait'
        self.held = set()
        self.ev = {n: codes[n] for n in ("EV_SYN", "EV_KEY", "EV_MSC")}
        self.names_by_type = {}
        for prefix, typ in (("SYN_", "EV_SYN"), ("MSC_", "EV_MSC"), ("KEY_", "EV_KEY"), ("BTN_", "EV_KEY")):
            d = self.names_by_type.setdefault(codes[typ], {})
            for n, v in codes.items():
                if n.startswith(prefix) and not n.endswith(("_MAX", "_CNT")):
                    d.setdefault(v, n)
        self.type_names = {v: n for n, v in codes.items() if n.startswith("EV_") and not n.endswith(("_MAX", "_CNT"))}

    # -- time -------------------------------------------------------------------------
    def _advance(self):
        if self.t_us is None:
            self.t_us = self.first_us + (self.pending_us or 0)
        else:
            self.t_us += self.gap_us if self.pending_us is None else self.pending_us
        self.pending_us = None
        return self.t_us

    # -- output -----------------------------------------------------------------------
    def _emit(self, t_us, typ, code, value):
        tname = self.type_names.get(typ, str(typ))
        cname = self.names_by_type.get(typ, {}).get(code, str(code))
        self.lines.append("E: %d.%06d %04x %04x %04d\t# %s / %-20s %d"
                          % (t_us // 1_000_000, t_us % 1_000_000, typ, code, value, tname, cname, value))

    def transition(self, keyname, value):
        code = self.keycode(keyname)
        t = self._advance()
        self._emit(t, self.ev["EV_MSC"], self.codes["MSC_SCAN"], hid_usage_for(code))
        self._emit(t, self.ev["EV_KEY"], code, value)
        self._emit(t, self.ev["EV_SYN"], self.codes["SYN_REPORT"], 0)
        if value:
            self.held.add(keyname)
        else:
            self.held.discard(keyname)

    def keycode(self, name):
        if not re.fullmatch(r"(KEY|BTN)_\w+", name) or name not in self.codes:
            raise ValueError("unknown key %r" % name)
        return self.codes[name]

    def number(self, tok):
        if re.fullmatch(r"-?(0x[0-9a-fA-F]+|\d+)", tok):
            return int(tok, 0)
        if tok in self.codes:
            return self.codes[tok]
        raise ValueError("not a number or event name: %r" % tok)

    # -- directives -------------------------------------------------------------------
    def run_line(self, words):
        op, args = words[0], words[1:]
        if op == "repeat":
            for _ in range(int(args[0])):
                self.run_line(args[1:])
        elif op == "key":
            if not args:
                raise ValueError("key needs at least one key name")
            for chord in args:
                parts = chord.split("+")
                for k in parts:
                    self.transition(k, 1)
                for k in reversed(parts):
                    self.transition(k, 0)
        elif op in ("down", "up"):
            for k in args:
                self.transition(k, 1 if op == "down" else 0)
        elif op == "gap":
            self.gap_us = int(float(args[0]) * 1000)
        elif op == "wait":
            self.pending_us = (self.pending_us or 0) + int(float(args[0]) * 1000)
        elif op == "raw":
            if len(args) != 3:
                raise ValueError("raw needs TYPE CODE VALUE")
            typ, code, value = (self.number(a) for a in args)
            self._emit(self._advance(), typ, code, value)
        else:
            raise ValueError("unknown directive %r" % op)

    def run(self, text):
        for n, line in enumerate(text.splitlines(), 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            try:
                self.run_line(words)
            except (ValueError, IndexError) as e:
                sys.exit("%s:%d: %s" % (self.source, n, e))
        if self.held:
            print("%s: warning: keys still held at the end: %s" % (self.source, " ".join(sorted(self.held))),
                  file=sys.stderr)

    def render(self):
        head = ["# evemu events generated by make-events.py from %s; do not edit, regenerate."
                % os.path.basename(self.source),
                "# Replay: umockdev-run -d DEVICE.umockdev -e /dev/input/eventN=THIS.events -- PROGRAM"]
        if self.first_us > 0:
            head.append("E: 0.000000 %04x %04x 0000\t# lead-in: umockdev sends the first line at once; keys start %d ms later"
                        % (self.ev["EV_SYN"], self.codes["SYN_REPORT"], self.first_us // 1000))
        tail = []
        end = self.t_us or self.first_us
        if self.pending_us:
            tail.append("# trailing wait: script ends at %d.%06d s (no event)"
                        % ((end + self.pending_us) // 1_000_000, (end + self.pending_us) % 1_000_000))
        return "\n".join(head + self.lines + tail) + "\n"


def convert(path, header, out, lead_in_ms=LEAD_IN_MS):
    codes = parse_header(header)
    with open(path) as f:
        s = Script(codes, path, lead_in_ms)
        s.run(f.read())
    text = s.render()
    if out == "-":
        sys.stdout.write(text)
    else:
        with open(out, "w") as f:
            f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("script", nargs="?", help="keystroke script (.keys)")
    ap.add_argument("-o", "--output", default="-", help="output .events file (default stdout)")
    ap.add_argument("--header", default=DEFAULT_HEADER, help="input-event-codes.h to take names from")
    ap.add_argument("--all", metavar="DIR", help="convert every DIR/*.keys to DIR/*.events")
    ap.add_argument("--lead-in", type=float, default=LEAD_IN_MS, metavar="MS",
                    help="time of the first key after the lead-in SYN_REPORT (default 500; 0: no lead-in)")
    args = ap.parse_args()
    if args.all:
        for path in sorted(glob.glob(os.path.join(args.all, "*.keys"))):
            out = path[:-len(".keys")] + ".events"
            convert(path, args.header, out, args.lead_in)
            print("wrote %s" % out, file=sys.stderr)
    elif args.script:
        convert(args.script, args.header, args.output, args.lead_in)
    else:
        ap.error("give a script or --all DIR")


if __name__ == "__main__":
    main()
